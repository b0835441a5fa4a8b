//! The per-frame keypoint CSV: gonio's interchange format for pose series.
//!
//! Header: `time_s` then `<name>_x,<name>_y,<name>_conf` for the 17 COCO keypoints in COCO order
//! (see [`KEYPOINT_NAMES`]); more columns may follow and are ignored on reading. Positions in
//! frame pixels, confidence 0..1, time in seconds. An empty cell is a missing value: a keypoint
//! without position counts as not found (confidence 0); one with a position but no confidence
//! (keypoints from another tool) counts as certain (confidence 1).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Keypoint, Pose, KEYPOINT_COUNT, KEYPOINT_NAMES};

/// A pose per frame with its timestamp.
#[derive(Debug, Clone, Default)]
pub struct PoseTrack {
    /// Seconds from the start of the source, increasing.
    pub time_s: Vec<f64>,
    pub poses: Vec<Pose>,
}

/// Why a keypoint CSV could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PoseCsvError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a gonio keypoint CSV: {detail}")]
    Header { path: PathBuf, detail: String },
    #[error("{path}, line {line}: {detail}")]
    Row {
        path: PathBuf,
        line: u64,
        detail: String,
    },
    #[error("{path}: no frames")]
    Empty { path: PathBuf },
    #[error("{path}: the keypoints lie within {largest} of the corner (99 in 100 of them): the coordinates look like {unit} of the frame (MediaPipe writes fractions, Label Studio percentages); gonio needs pixels: convert x by the frame's width and y by its height")]
    Normalised {
        path: PathBuf,
        largest: f32,
        /// "fractions" or "percentages".
        unit: &'static str,
    },
    #[error("{path}: {source}")]
    Timing {
        path: PathBuf,
        source: FrameTimesError,
    },
}

/// Why a recording's frame times (seconds) are not plausible.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameTimesError {
    #[error("time_s jumps by {gap_s} s after frame {frame} (from {from_s} to {to_s}): frames more than {MAX_FRAME_GAP_S:.0} s apart are not one recording")]
    Gap {
        /// 1-based frame number.
        frame: usize,
        gap_s: f64,
        from_s: f64,
        to_s: f64,
    },
    #[error("frames are a median {median} apart in time_s: time_s must be seconds{}", if *looks_like_ms { " (it looks like milliseconds: divide by 1000)" } else { "" })]
    TooSlow { median: f64, looks_like_ms: bool },
    #[error("frames are a median {median_s} s apart (over 1000 frames per second): time_s must be seconds")]
    TooFast { median_s: f64 },
    #[error("time_s counts frames (whole numbers one apart, from {first}): it must be seconds, the frame number divided by the frames per second")]
    FrameNumbers { first: f64 },
}

/// Frames further apart than this are not one recording, seconds.
pub const MAX_FRAME_GAP_S: f64 = 600.0;

/// Checks that timestamps (seconds, increasing) are plausible for a recording of a person:
/// frames a median 1 ms to 1 s apart (1 to 1000 frames per second), and none more than
/// [`MAX_FRAME_GAP_S`] apart, and not frame numbers (whole numbers one apart). Times in the
/// wrong unit otherwise turn a blink into a hold.
/// Returns what is wrong, naming the likely unit.
pub fn check_frame_times(time_s: &[f64]) -> Result<(), FrameTimesError> {
    let mut intervals: Vec<f64> = time_s.windows(2).map(|w| w[1] - w[0]).collect();
    if intervals.is_empty() {
        return Ok(());
    }
    if let Some((i, gap)) = intervals
        .iter()
        .enumerate()
        .find(|(_, &gap)| gap.is_nan() || gap > MAX_FRAME_GAP_S)
    {
        return Err(FrameTimesError::Gap {
            frame: i + 1,
            gap_s: *gap,
            from_s: time_s[i],
            to_s: time_s[i + 1],
        });
    }
    intervals.sort_by(f64::total_cmp);
    let median = intervals[intervals.len() / 2];
    // Frame numbers in the time column read as one frame per second: every hold would last
    // seconds per frame, a wrong result that looks right.
    if median == 1.0 && time_s.len() > 2 && time_s.iter().all(|t| t.fract() == 0.0) {
        return Err(FrameTimesError::FrameNumbers { first: time_s[0] });
    }
    if median > 1.0 {
        return Err(FrameTimesError::TooSlow {
            median,
            looks_like_ms: (5.0..=1000.0).contains(&median),
        });
    }
    if median < 0.001 {
        return Err(FrameTimesError::TooFast { median_s: median });
    }
    Ok(())
}

/// The CSV header: `time_s` and three columns per keypoint.
pub fn header() -> Vec<String> {
    let mut columns = vec!["time_s".to_string()];
    for name in KEYPOINT_NAMES {
        columns.extend([
            format!("{name}_x"),
            format!("{name}_y"),
            format!("{name}_conf"),
        ]);
    }
    columns
}

/// Reads a keypoint CSV.
pub fn read_keypoints_csv(path: &Path) -> Result<PoseTrack, PoseCsvError> {
    use std::io::Read;
    let read_error = |source| PoseCsvError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let bad_header = |detail: String| PoseCsvError::Header {
        path: path.to_path_buf(),
        detail,
    };
    // What it is, from its first bytes: "no `time_s` column" said nothing useful of an empty
    // file or a video given the wrong name.
    let mut head = Vec::new();
    (&mut file)
        .take(512)
        .read_to_end(&mut head)
        .map_err(read_error)?;
    if head.is_empty() {
        return Err(bad_header("the file is empty (0 bytes)".into()));
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(bad_header(
            "it is saved as UTF-16 (Excel's \"Unicode Text\"): save it as CSV (UTF-8)".into(),
        ));
    }
    if head.contains(&0) {
        return Err(bad_header(
            "its content is not text (a video or a picture named .csv? give it its own extension)"
                .into(),
        ));
    }
    // (Read on after those bytes, not from the start again: a FIFO cannot seek.)
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(std::io::Cursor::new(head).chain(file));
    // Bytes, not text: a stray Latin-1 byte in a column gonio does not read must not reject
    // the file; the columns it reads are checked where they are parsed.
    let found: Vec<String> = reader
        .byte_headers()
        .map_err(|e| bad_header(e.to_string()))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    if let [only] = found.as_slice() {
        for (separator, name) in [(';', "semicolons"), ('\t', "tabs"), ('|', "bars")] {
            if only.contains(separator) {
                return Err(bad_header(format!(
                    "columns are separated by {name}: gonio reads comma-separated files (save as CSV with commas)"
                )));
            }
        }
    }
    // Columns by name, so that column order beyond the required ones does not matter.
    let column = |name: &str| {
        let mut at = found.iter().enumerate().filter(|(_, h)| *h == name);
        match (at.next(), at.next()) {
            (Some((i, _)), None) => Ok(i),
            (None, _) => Err(bad_header(format!("no `{name}` column"))),
            // Which of the two is meant cannot be known: reading the first would be a guess.
            (Some(_), Some(_)) => Err(bad_header(format!(
                "two `{name}` columns: which one holds the keypoint is unknown"
            ))),
        }
    };
    let time_column = column("time_s")?;
    let mut keypoint_columns = [[0usize; 3]; KEYPOINT_COUNT];
    for (columns, name) in keypoint_columns.iter_mut().zip(KEYPOINT_NAMES) {
        *columns = [
            column(&format!("{name}_x"))?,
            column(&format!("{name}_y"))?,
            column(&format!("{name}_conf"))?,
        ];
    }

    let mut track = PoseTrack::default();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| PoseCsvError::Row {
                path: path.to_path_buf(),
                line: e.position().map_or(line, |p| p.line()),
                detail: e.to_string(),
            })?;
        if !more {
            break;
        }
        let line = record.position().map_or(line, |p| p.line());
        let row_error = |detail: String| PoseCsvError::Row {
            path: path.to_path_buf(),
            line,
            detail,
        };
        let number = |index: usize| -> Result<Option<f64>, PoseCsvError> {
            let bytes = record.get(index).unwrap_or(b"");
            let cell = String::from_utf8_lossy(bytes);
            let cell = cell.trim();
            if cell.is_empty() {
                return Ok(None);
            }
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                Ok(_) => Err(row_error(format!(
                    "`{}` is not a number (column {}): leave the cell empty where a keypoint was not seen",
                    cell, &found[index]
                ))),
                Err(_) => Err(row_error(format!(
                    "`{}` is not a number (column {})",
                    cell, &found[index]
                ))),
            }
        };
        let time = number(time_column)?.ok_or_else(|| row_error("time_s is empty".to_string()))?;
        if let Some(&previous) = track.time_s.last() {
            if time <= previous {
                return Err(row_error(format!(
                    "time_s {time} does not increase (previous {previous})"
                )));
            }
        }
        let mut keypoints = [Keypoint::default(); KEYPOINT_COUNT];
        for (k, [cx, cy, cc]) in keypoints.iter_mut().zip(keypoint_columns) {
            if let (Some(x), Some(y)) = (number(cx)?, number(cy)?) {
                let confidence = number(cc)?.unwrap_or(1.0);
                if !(0.0..=1.0).contains(&confidence) {
                    return Err(row_error(format!(
                        "confidence {confidence} outside 0..1 (column {})",
                        &found[cc]
                    )));
                }
                *k = Keypoint {
                    x: x as f32,
                    y: y as f32,
                    confidence: confidence as f32,
                };
            }
        }
        track.time_s.push(time);
        track.poses.push(Pose::from_keypoints(keypoints));
    }
    if track.poses.is_empty() {
        return Err(PoseCsvError::Empty {
            path: path.to_path_buf(),
        });
    }
    check_frame_times(&track.time_s).map_err(|source| PoseCsvError::Timing {
        path: path.to_path_buf(),
        source,
    })?;
    // Coordinates as fractions of the frame (MediaPipe writes them so) squeeze the body by the
    // frame's aspect ratio: every angle changes, and the results looked right. Judged by the
    // 99th percentile: MediaPipe places a limb out of the frame past 1.0, unseen.
    let mut extents: Vec<f32> = track
        .poses
        .iter()
        .flat_map(|p| p.keypoints.iter())
        .filter(|k| k.confidence > 0.0)
        .map(|k| k.x.abs().max(k.y.abs()))
        .collect();
    extents.sort_by(f32::total_cmp);
    if let Some(&extent) = extents.get(extents.len().saturating_sub(1) * 99 / 100) {
        if extent <= MAX_PERCENT {
            return Err(PoseCsvError::Normalised {
                path: path.to_path_buf(),
                largest: extent,
                unit: if extent <= MAX_FRACTION {
                    "fractions"
                } else {
                    "percentages"
                },
            });
        }
    }
    Ok(track)
}

/// Keypoints (99 in 100) within this many units of the origin are fractions of the frame, not
/// pixels.
const MAX_FRACTION: f32 = 1.5;
/// ... and within this many, percentages of it (Label Studio writes them so): a body in a
/// frame's pixels fits in a 100-pixel corner only in frames too small to read a pose from.
const MAX_PERCENT: f32 = 100.0;

/// Writes one frame's cells (time and keypoints) to a CSV writer; keypoints with confidence 0
/// are written as empty cells.
pub fn write_row<W: Write>(
    writer: &mut csv::Writer<W>,
    time_s: f64,
    pose: &Pose,
    extra: &[String],
) -> csv::Result<()> {
    let mut row = Vec::with_capacity(1 + 3 * KEYPOINT_COUNT + extra.len());
    row.push(format!("{time_s:.6}"));
    for k in &pose.keypoints {
        if k.confidence > 0.0 {
            row.extend([
                format!("{:.2}", k.x),
                format!("{:.2}", k.y),
                format!("{:.4}", k.confidence),
            ]);
        } else {
            row.extend([String::new(), String::new(), String::new()]);
        }
    }
    row.extend(extra.iter().cloned());
    writer.write_record(&row)
}

/// Writes a whole track as a keypoint CSV.
pub fn write_keypoints_csv<W: Write>(out: W, track: &PoseTrack) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(header())?;
    for (&t, pose) in track.time_s.iter().zip(&track.poses) {
        write_row(&mut writer, t, pose, &[])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_positions_and_missing_points() {
        let mut keypoints = [Keypoint {
            x: 310.5,
            y: 420.25,
            confidence: 0.9,
        }; KEYPOINT_COUNT];
        keypoints[3] = Keypoint::default();
        let track = PoseTrack {
            time_s: vec![0.0, 0.033],
            poses: vec![Pose::from_keypoints(keypoints); 2],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.csv");
        write_keypoints_csv(std::fs::File::create(&path).unwrap(), &track).unwrap();
        let back = read_keypoints_csv(&path).unwrap();
        assert_eq!(back.time_s, track.time_s);
        assert_eq!(back.poses[1].keypoints[0], keypoints[0]);
        assert_eq!(back.poses[1].keypoints[3].confidence, 0.0);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, "time_s,nose_x\n0,1\n").unwrap();
        let e = read_keypoints_csv(&path).unwrap_err().to_string();
        assert!(
            e.contains("bad.csv") && e.contains("no `nose_y` column"),
            "{e}"
        );

        let mut text = header().join(",");
        text.push('\n');
        text.push_str(&format!("0.0{}\n", ",".repeat(51)));
        text.push_str(&format!("abc{}\n", ",".repeat(51)));
        std::fs::write(&path, &text).unwrap();
        let e = read_keypoints_csv(&path).unwrap_err().to_string();
        assert!(
            e.contains("line 3") && e.contains("`abc` is not a number"),
            "{e}"
        );

        std::fs::write(&path, format!("{}\n", header().join(","))).unwrap();
        assert!(read_keypoints_csv(&path)
            .unwrap_err()
            .to_string()
            .contains("no frames"));

        // A column twice (a merge of two tools' outputs): neither is guessed.
        let mut twice = header();
        twice.push("right_knee_y".to_string());
        std::fs::write(&path, format!("{}\n", twice.join(","))).unwrap();
        let e = read_keypoints_csv(&path).unwrap_err().to_string();
        assert!(e.contains("two `right_knee_y` columns"), "{e}");

        // Not a CSV at all: say what it is instead of "no `time_s` column".
        for (bytes, said) in [
            (&b""[..], "the file is empty (0 bytes)"),
            (
                b"\0\0\0\x20ftypisom\0\0\x02\0",
                "a video or a picture named .csv?",
            ),
            (b"\xff\xfet\0i\0m\0e\0", "saved as UTF-16"),
        ] {
            std::fs::write(&path, bytes).unwrap();
            let e = read_keypoints_csv(&path).unwrap_err().to_string();
            assert!(e.contains("bad.csv") && e.contains(said), "{e}");
        }

        // NaN for a keypoint not seen: say what to write instead.
        let mut text = header().join(",");
        text.push_str(&format!("\n0.0,NaN{}\n", ",".repeat(50)));
        std::fs::write(&path, &text).unwrap();
        let e = read_keypoints_csv(&path).unwrap_err().to_string();
        assert!(e.contains("leave the cell empty"), "{e}");
    }

    /// Coordinates as fractions of the frame squeeze the body by the frame's aspect ratio.
    #[test]
    fn fractions_of_the_frame_are_refused() {
        let at = |x: f32, y: f32| Keypoint {
            x,
            y,
            confidence: 0.9,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.csv");
        for (scale, refused) in [(1.0 / 1920.0, true), (100.0 / 1920.0, true), (1.0, false)] {
            let keypoints: [Keypoint; KEYPOINT_COUNT] = std::array::from_fn(|i| {
                at(
                    (900.0 + 10.0 * i as f32) * scale,
                    (300.0 + 40.0 * i as f32) * scale,
                )
            });
            let mut outlier = keypoints;
            // A wrist placed out of the frame, unseen (MediaPipe does so).
            outlier[9] = Keypoint {
                x: 1.62,
                y: 0.5,
                confidence: 0.04,
            };
            let track = PoseTrack {
                time_s: vec![0.0, 0.033, 0.066],
                poses: vec![
                    Pose::from_keypoints(keypoints),
                    Pose::from_keypoints(outlier),
                    Pose::from_keypoints(keypoints),
                ],
            };
            write_keypoints_csv(std::fs::File::create(&path).unwrap(), &track).unwrap();
            let read = read_keypoints_csv(&path);
            assert_eq!(
                matches!(read, Err(PoseCsvError::Normalised { .. })),
                refused,
                "{read:?}"
            );
        }
    }
}
