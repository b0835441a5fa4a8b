//! Cameras, through nokhwa (V4L2 on Linux, Media Foundation on Windows, AVFoundation on macOS).
//!
//! Every call into the camera library is guarded: an error or a panic inside it becomes a
//! [`CameraError`], so that a missing or misbehaving camera never takes the program down.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};

use super::Frame;

/// What to do when no camera is found, for messages.
pub const NO_CAMERA_HINT: &str = "check that a camera is connected and not used by another \
program; on Linux `ls -l /dev/video*` lists cameras, and your user must be allowed to read them \
(usually the `video` group)";

/// Why a camera could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error("no camera found ({NO_CAMERA_HINT})")]
    NoCamera,
    #[error("camera {index}: not found; {available} ({NO_CAMERA_HINT})")]
    NotFound { index: u32, available: String },
    #[error("cannot list cameras: {0}")]
    Query(#[source] LibraryError),
    #[error("camera {index}: cannot open: {source}")]
    Open { index: u32, source: LibraryError },
    #[error("camera {index}: cannot read a frame: {source}")]
    Read { index: u32, source: LibraryError },
}

/// What went wrong inside the camera library.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error(transparent)]
    Failed(#[from] nokhwa::NokhwaError),
    /// The library panicked; its message.
    #[error("the camera library failed: {0}")]
    Panicked(String),
}

/// A camera the system offers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CameraInfo {
    /// The number to pass to `--camera`.
    pub index: u32,
    pub name: String,
    /// Driver, bus or device path, as the system reports it.
    pub description: String,
}

/// Runs a call into the camera library, turning a panic into an error message.
fn guarded<T>(call: impl FnOnce() -> Result<T, nokhwa::NokhwaError>) -> Result<T, LibraryError> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(result) => result.map_err(LibraryError::from),
        Err(panic) => Err(LibraryError::Panicked(
            panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_string()),
        )),
    }
}

/// The cameras attached to this machine; an empty list when there are none.
pub fn list_cameras() -> Result<Vec<CameraInfo>, CameraError> {
    let cameras = guarded(|| nokhwa::query(ApiBackend::Auto)).map_err(CameraError::Query)?;
    Ok(cameras
        .into_iter()
        .enumerate()
        .map(|(i, c)| CameraInfo {
            index: match c.index() {
                CameraIndex::Index(n) => *n,
                CameraIndex::String(_) => i as u32,
            },
            name: c.human_name(),
            description: c.description().to_string(),
        })
        .collect())
}

/// What to ask the camera for. The camera gives the closest format it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CameraRequest {
    pub index: u32,
    /// Width and height, pixels.
    pub resolution: (u32, u32),
    /// Frames per second.
    pub fps: u32,
}

impl Default for CameraRequest {
    /// 1280x720 at 30 frames/s: enough pixels for a whole body at 2-4 m, and what most laptop
    /// cameras deliver without dropping their frame rate.
    fn default() -> Self {
        CameraRequest {
            index: 0,
            resolution: (1280, 720),
            fps: 30,
        }
    }
}

/// An open camera delivering RGB frames.
pub struct Camera {
    index: u32,
    camera: nokhwa::Camera,
    opened_at: Instant,
    /// Width, height and frame rate the camera agreed to.
    pub format: (u32, u32, u32),
}

impl Camera {
    /// Opens camera `request.index` and starts its stream. With no camera at that index, says
    /// which cameras there are.
    pub fn open(request: CameraRequest) -> Result<Camera, CameraError> {
        let index = request.index;
        let cameras = list_cameras()?;
        if cameras.is_empty() {
            return Err(CameraError::NoCamera);
        }
        if !cameras.iter().any(|c| c.index == index) {
            let listed: Vec<String> = cameras
                .iter()
                .map(|c| format!("{} ({})", c.index, c.name))
                .collect();
            return Err(CameraError::NotFound {
                index,
                available: format!("cameras found: {}", listed.join(", ")),
            });
        }
        let (width, height) = request.resolution;
        let wanted = CameraFormat::new(
            Resolution::new(width, height),
            FrameFormat::MJPEG,
            request.fps,
        );
        let format = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(wanted));
        let camera = guarded(|| {
            let mut camera = nokhwa::Camera::new(CameraIndex::Index(index), format)?;
            camera.open_stream()?;
            Ok(camera)
        })
        .map_err(|source| CameraError::Open { index, source })?;
        let agreed = camera.camera_format();
        Ok(Camera {
            index,
            format: (agreed.width(), agreed.height(), agreed.frame_rate()),
            camera,
            opened_at: Instant::now(),
        })
    }

    /// The next frame, blocking until the camera delivers it. Timestamps are seconds since the
    /// stream opened, taken when the frame arrives.
    pub fn next_frame(&mut self) -> Result<Frame, CameraError> {
        let index = self.index;
        let camera = &mut self.camera;
        let image = guarded(|| {
            let buffer = camera.frame()?;
            buffer.decode_image::<RgbFormat>()
        })
        .map_err(|source| CameraError::Read { index, source })?;
        Ok(Frame {
            image,
            timestamp_s: self.opened_at.elapsed().as_secs_f64(),
        })
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        let camera = &mut self.camera;
        let _ = guarded(|| camera.stop_stream());
    }
}
