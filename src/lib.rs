//! gonio: joint range of motion from a camera.
//!
//! Data flows one way through the stages, each knowing only the types of the stage before it:
//!
//! ```text
//! capture (Frame) -> pose (Pose) -> angles (joint angles) -> protocols -> store / report
//! ```
//!
//! [`run`] wires the stages for batch analysis and live use; the command line is a thin shell
//! over it.
//!
//! Units everywhere: pixels in the original frame for positions, degrees for angles, seconds for
//! time.

pub mod angles;
pub mod capture;
pub mod eval;
pub mod pose;
pub mod protocols;
pub mod report;
pub mod run;
mod stats;
pub mod store;
pub mod web;

// The application layer's two oldest parts, at the paths they have always had.
pub use run::{live, pipeline};

pub use capture::{CaptureError, Frame};
pub use pose::{BodyPart, Keypoint, ModelId, ModelKind, Pose, PoseError, PoseEstimator, Runtime};
