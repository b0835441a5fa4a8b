//! Where frames come from: cameras, video files and images all give the same [`Frame`] type.

pub mod camera;
mod images;
mod stream;
pub mod video;

pub use camera::{list_cameras, Camera, CameraError, CameraInfo, CameraRequest};
pub use images::{
    collect_image_paths, files_not_read, frame_times_s, is_gonio_picture, is_hidden, load_image,
    IMAGE_EXTENSIONS,
};
pub use stream::{StreamError, Y4mFrames};
pub use video::{Retimed, VideoError, VideoFrames, VideoInfo, VIDEO_EXTENSIONS};

use std::path::{Path, PathBuf};

use image::RgbImage;

/// Whether `path`'s extension is one of `extensions` (lower case), in any letter case.
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e.to_ascii_lowercase().as_str()))
}

/// One RGB frame and when it was taken.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The pixels, RGB, 8 bits per channel.
    pub image: RgbImage,
    /// Seconds from the start of the source (camera clock or video timestamp); 0 for a still image.
    pub timestamp_s: f64,
}

/// Why a frame could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not an image (unrecognised or unsupported format)")]
    NotAnImage { path: PathBuf },
    #[error("{path}: an empty file (0 bytes): a copy or a download that did not finish")]
    EmptyFile { path: PathBuf },
    #[error("{path}: corrupt or truncated image: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: image is empty (0 pixels wide or high)")]
    Empty { path: PathBuf },
    #[error("{path}: image is too large ({width}x{height} pixels)")]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
    },
    #[error("{path}: no images found in this folder (looked for {extensions}; gonio's own evidence, plot and overlay pictures are left out)")]
    EmptyFolder { path: PathBuf, extensions: String },
    #[error("{path}: not a regular file (a FIFO or a device)")]
    NotAFile { path: PathBuf },
    #[error("{path}: file larger than {max_mib} MiB: not a photo")]
    FileTooLarge { path: PathBuf, max_mib: u64 },
}

impl CaptureError {
    /// The file or folder the error is about.
    pub fn path(&self) -> &Path {
        match self {
            CaptureError::NotFound { path }
            | CaptureError::Read { path, .. }
            | CaptureError::NotAnImage { path }
            | CaptureError::EmptyFile { path }
            | CaptureError::Corrupt { path, .. }
            | CaptureError::Empty { path }
            | CaptureError::TooLarge { path, .. }
            | CaptureError::EmptyFolder { path, .. }
            | CaptureError::NotAFile { path }
            | CaptureError::FileTooLarge { path, .. } => path,
        }
    }
}
