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

/// Why a plot or chart could not be drawn: the plotting library's or the encoder's message.
#[derive(Debug, thiserror::Error)]
#[error("cannot draw the {what}: {detail}")]
pub struct DrawError {
    /// What was being drawn ("angle plot", "trend chart").
    pub what: &'static str,
    pub detail: String,
}

impl DrawError {
    /// The error `detail` met drawing `what`.
    pub fn new(what: &'static str, detail: &dyn std::fmt::Display) -> DrawError {
        DrawError {
            what,
            detail: detail.to_string(),
        }
    }
}

/// Why an output file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot write: {detail}")]
pub struct WriteError {
    pub path: PathBuf,
    pub detail: String,
}

/// Makes sure `dir` is a folder that outputs can go into, creating it (and its parents) when
/// missing, and that a file can be made in it.
pub fn output_folder(dir: &Path) -> Result<(), WriteError> {
    let fail = |detail: String| WriteError {
        path: dir.to_path_buf(),
        detail,
    };
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(fail(
                "is a file, not a folder: outputs go into a folder (give a folder's name)"
                    .to_string(),
            ))
        }
        Err(_) => {
            std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create folder: {e}")))?
        }
    }
    // Found out now, not after the first input has been measured for minutes. (Another job of
    // a sharded batch may hold the same name on another machine: that one could write.)
    let probe = dir.join(format!(".gonio-write-check-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(fail(format!("cannot write into this folder: {e}"))),
    }
}

/// Writes a file under a temporary name and renames it into place once complete, so that an
/// interrupted run never leaves a half-written file looking whole.
pub fn write_atomically(
    target: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let fail = |detail: String| WriteError {
        path: target.to_path_buf(),
        detail,
    };
    // Replacing a symlink, FIFO or device node with a regular file would damage what it stood
    // for (as root, `/dev/full`): only regular files are ever replaced.
    if let Ok(meta) = std::fs::symlink_metadata(target) {
        if !meta.is_file() {
            return Err(fail(
                "exists and is not a regular file (a folder, link, FIFO or device); not replaced"
                    .to_string(),
            ));
        }
    }
    let mut partial_name = target.as_os_str().to_owned();
    partial_name.push(".partial");
    let partial = PathBuf::from(partial_name);
    // The temporary file too: a stale one of an interrupted run is removed only when it is a
    // regular file, and the new one is created, never opened through a link or a FIFO.
    if let Ok(meta) = std::fs::symlink_metadata(&partial) {
        if !meta.is_file() {
            return Err(fail(format!(
                "{} exists and is not a regular file; not replaced",
                partial.display()
            )));
        }
        std::fs::remove_file(&partial).map_err(|e| fail(e.to_string()))?;
    }
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)?;
        write(&mut file)?;
        file.flush()?;
        file.sync_all()?;
        std::fs::rename(&partial, target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result.map_err(|e| fail(e.to_string()))
}

/// Saves an image as PNG atomically.
pub fn save_png(image: &image::RgbImage, target: &Path) -> Result<(), WriteError> {
    write_atomically(target, |file| {
        image
            .write_to(&mut std::io::BufWriter::new(file), image::ImageFormat::Png)
            .map_err(std::io::Error::other)
    })
}
