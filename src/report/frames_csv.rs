//! The per-frame CSV of an analysed video: the keypoint columns (the same format `analyze` reads)
//! followed by one column per angle.

use std::io::Write;

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
    let mut columns = header();
    columns.extend(Channel::ALL.iter().map(|c| c.column_name().to_string()));
    writer.write_record(&columns)?;
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
