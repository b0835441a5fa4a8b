//! gonio: joint range of motion from a camera.
//!
//! Data flows one way through the stages, each knowing only the types of the stage before it:
//!
//! ```text
//! capture (Frame) -> pose (Pose) -> angles (joint angles) -> protocols -> store / report
//! ```
//!
//! Units everywhere: pixels in the original frame for positions, degrees for angles, seconds for
//! time.

pub mod angles;
pub mod capture;
pub mod eval;
pub mod live;
pub mod pipeline;
pub mod pose;
pub mod protocols;
pub mod report;
pub mod store;

pub use capture::{CaptureError, Frame};
pub use pose::{BodyPart, Keypoint, ModelId, ModelKind, Pose, PoseError, PoseEstimator, Runtime};
