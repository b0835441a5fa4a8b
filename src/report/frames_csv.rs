//! The per-frame CSV of an analysed video: the keypoint columns (the same format `analyze` reads)
//! followed by one column per angle.

use std::io::{BufRead, Read, Write};
use std::path::Path;

use crate::angles::{AngleSeries, Channel};
use crate::pose::csv::{header, write_row, PoseTrack};

/// Writes the per-frame CSV: keypoints in frame pixels, then every angle in degrees (empty where
/// unknown), as cleaned by the series pipeline.
pub fn write_frames_csv<W: Write>(
    out: W,
    track: &PoseTrack,
    series: &AngleSeries,
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(frames_csv_header())?;
    for (i, (&t, pose)) in track.time_s.iter().zip(&track.poses).enumerate() {
        let angles: Vec<String> = Channel::ALL
            .iter()
            .map(|&c| {
                let v = series.channel(c).get(i).copied().unwrap_or(f32::NAN);
                if v.is_nan() {
                    String::new()
                } else {
                    format!("{v:.2}")
                }
            })
            .collect();
        write_row(&mut writer, t, pose, &angles)?;
    }
    writer.flush()?;
    Ok(())
}

/// The per-frame CSV's columns: the keypoint columns, then one per angle.
fn frames_csv_header() -> Vec<String> {
    let mut columns = header();
    columns.extend(Channel::ALL.iter().map(|c| c.column_name().to_string()));
    columns
}

/// Whether `path` is a per-frame CSV that gonio wrote: its first line is exactly
/// [`write_frames_csv`]'s header (a keypoint CSV from another tool has no angle columns).
pub fn is_frames_csv(path: &Path) -> bool {
    // (Opening a FIFO would wait for a writer.)
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut line = String::new();
    std::io::BufReader::new(file.take(64 * 1024))
        .read_line(&mut line)
        .is_ok()
        && line.trim_end() == frames_csv_header().join(",")
}
