//! What people and programs see: overlays and evidence pictures, plots, per-frame CSV, JSON.

pub mod evidence;
pub mod frames_csv;
pub mod html;
pub mod json;
pub mod live_view;
pub mod overlay;
pub mod plot;

use std::io::Write;
use std::path::{Path, PathBuf};

/// The font compiled into gonio, so that text needs no system fonts (DejaVu Sans, see
/// `assets/fonts/README.md`).
pub const FONT_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Why an output file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write: {detail}")]
pub struct WriteError {
    pub path: PathBuf,
    pub detail: String,
}

/// Writes a file under a temporary name and renames it into place once complete, so that an
/// interrupted run never leaves a half-written file looking whole.
pub fn write_atomically(
    target: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<(), String>,
) -> Result<(), WriteError> {
    let fail = |detail: String| WriteError {
        path: target.to_path_buf(),
        detail,
    };
    let mut partial_name = target.as_os_str().to_owned();
    partial_name.push(".partial");
    let partial = PathBuf::from(partial_name);
    let result = (|| {
        let mut file = std::fs::File::create(&partial).map_err(|e| e.to_string())?;
        write(&mut file)?;
        file.flush().map_err(|e| e.to_string())?;
        file.sync_all().map_err(|e| e.to_string())?;
        std::fs::rename(&partial, target).map_err(|e| e.to_string())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result.map_err(fail)
}

/// Saves an image as PNG atomically.
pub fn save_png(image: &image::RgbImage, target: &Path) -> Result<(), WriteError> {
    write_atomically(target, |file| {
        image
            .write_to(&mut std::io::BufWriter::new(file), image::ImageFormat::Png)
            .map_err(|e| e.to_string())
    })
}
