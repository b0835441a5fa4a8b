//! Pose estimation: from a frame to 17 COCO keypoints in the frame's own pixel coordinates.
//!
//! Coordinate spaces, kept apart by name:
//! - *frame*: pixels of the original image, x right, y down, origin at the top-left corner;
//! - *input*: pixels of the model's square input (192 or 256 wide), see [`SquareCrop`].
//!
//! Everything this module returns is in frame space.

mod crop;
pub mod csv;
mod input;
pub mod install;
mod lock;
mod model;
mod movenet;
pub mod multipose;
mod photo;
mod proportions;
mod runtime;
mod track;

pub(crate) use crop::sample_bilinear;
pub use crop::{CropTurn, QuarterTurns, SquareCrop};
pub use lock::{
    choose_subject, guessed_choice, is_in_posture, Ask, Found, Guess, PeopleSeen, Pick, Posture,
    Seen, Step, SubjectLock, DETECT_EVERY_ALONE, DETECT_EVERY_ALONE_S, MAX_MISSED_FRAMES,
};
pub use model::{
    find_model_file, installed_models, InstalledModel, ModelId, ModelKind, MULTIPOSE_FILE,
};
pub use movenet::{pose_in_frame, turn_to_stand_up, PoseEstimator, Steps, BOX_CROP_SCALE};
pub use multipose::{BoxInFrame, Person, PersonDetector};
pub use photo::PhotoReader;
pub(crate) use proportions::overlong_limbs;
pub use proportions::{overlong_limb, LegSegment, OverlongLimb, OVERLONG_LIMB_RATIO};
pub use runtime::{runtime_library_path, Device, Provider, Runtime, ORT_VERSION};
pub use track::{SubjectFinder, SubjectTracker};

use std::path::PathBuf;

use serde::Serialize;

/// The 17 COCO body parts, in the order models emit them (odd = left, even = right from 1 on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyPart {
    Nose = 0,
    LeftEye,
    RightEye,
    LeftEar,
    RightEar,
    LeftShoulder,
    RightShoulder,
    LeftElbow,
    RightElbow,
    LeftWrist,
    RightWrist,
    LeftHip,
    RightHip,
    LeftKnee,
    RightKnee,
    LeftAnkle,
    RightAnkle,
}

/// Number of keypoints in a [`Pose`].
pub const KEYPOINT_COUNT: usize = 17;

/// COCO keypoint names in model order, as used in JSON and CSV output.
pub const KEYPOINT_NAMES: [&str; KEYPOINT_COUNT] = [
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
];

/// The bones drawn between keypoints (pairs of [`BodyPart`] indices).
pub const SKELETON: [(BodyPart, BodyPart); 16] = {
    use BodyPart::*;
    [
        (Nose, LeftEye),
        (Nose, RightEye),
        (LeftEye, LeftEar),
        (RightEye, RightEar),
        (LeftShoulder, RightShoulder),
        (LeftShoulder, LeftElbow),
        (LeftElbow, LeftWrist),
        (RightShoulder, RightElbow),
        (RightElbow, RightWrist),
        (LeftShoulder, LeftHip),
        (RightShoulder, RightHip),
        (LeftHip, RightHip),
        (LeftHip, LeftKnee),
        (LeftKnee, LeftAnkle),
        (RightHip, RightKnee),
        (RightKnee, RightAnkle),
    ]
};

impl BodyPart {
    /// All parts in model order.
    pub const ALL: [BodyPart; KEYPOINT_COUNT] = {
        use BodyPart::*;
        [
            Nose,
            LeftEye,
            RightEye,
            LeftEar,
            RightEar,
            LeftShoulder,
            RightShoulder,
            LeftElbow,
            RightElbow,
            LeftWrist,
            RightWrist,
            LeftHip,
            RightHip,
            LeftKnee,
            RightKnee,
            LeftAnkle,
            RightAnkle,
        ]
    };

    /// Index into [`Pose::keypoints`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// COCO name, for example `left_knee`.
    pub const fn name(self) -> &'static str {
        KEYPOINT_NAMES[self as usize]
    }

    /// Whether the part is on the body's left side (the nose is on neither).
    pub const fn is_left(self) -> bool {
        let i = self as usize;
        i > 0 && i % 2 == 1
    }

    /// Whether the part is on the body's right side.
    pub const fn is_right(self) -> bool {
        let i = self as usize;
        i > 0 && i.is_multiple_of(2)
    }

    /// The same part on the other side (the nose is its own mirror).
    pub fn mirrored(self) -> BodyPart {
        let i = self as usize;
        let j = if self.is_left() {
            i + 1
        } else if self.is_right() {
            i - 1
        } else {
            i
        };
        BodyPart::ALL[j]
    }
}

/// One keypoint in frame space.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Keypoint {
    /// Pixels from the frame's left edge.
    pub x: f32,
    /// Pixels from the frame's top edge (y grows downwards).
    pub y: f32,
    /// The model's confidence that the point is where it says, 0 to 1.
    pub confidence: f32,
}

/// One person's keypoints in frame space, in [`BodyPart`] order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    pub keypoints: [Keypoint; KEYPOINT_COUNT],
    /// Mean keypoint confidence, 0 to 1.
    pub score: f32,
}

impl Pose {
    /// Builds a pose and sets its score to the mean keypoint confidence.
    pub fn from_keypoints(keypoints: [Keypoint; KEYPOINT_COUNT]) -> Self {
        let score = keypoints.iter().map(|k| k.confidence).sum::<f32>() / KEYPOINT_COUNT as f32;
        Pose { keypoints, score }
    }

    /// A frame without a person: every keypoint at the origin with confidence 0.
    pub fn nobody() -> Self {
        Self::from_keypoints([Keypoint::default(); KEYPOINT_COUNT])
    }

    /// The keypoint of one body part.
    pub fn get(&self, part: BodyPart) -> Keypoint {
        self.keypoints[part.index()]
    }

    /// Number of keypoints whose confidence reaches `min_confidence`.
    pub fn confident_count(&self, min_confidence: f32) -> usize {
        self.keypoints
            .iter()
            .filter(|k| k.confidence >= min_confidence)
            .count()
    }

    /// Whether the model found a person at all: at least [`PERSON_MIN_KEYPOINTS`] keypoints at or
    /// above [`PERSON_MIN_CONFIDENCE`].
    pub fn has_person(&self) -> bool {
        self.confident_count(PERSON_MIN_CONFIDENCE) >= PERSON_MIN_KEYPOINTS
    }
}

/// Keypoint confidence from which a point counts towards [`Pose::has_person`].
pub const PERSON_MIN_CONFIDENCE: f32 = 0.3;
/// How many confident keypoints make a person (see [`Pose::has_person`]).
pub const PERSON_MIN_KEYPOINTS: usize = 5;

/// Why pose estimation failed.
#[derive(Debug, thiserror::Error)]
pub enum PoseError {
    #[error(
        "ONNX Runtime library not found (looked in: {searched}). Rebuild with `python3 -m pip` \
         available so that the build can fetch it, or set ORT_DYLIB_PATH to libonnxruntime {version}"
    )]
    RuntimeNotFound {
        searched: String,
        version: &'static str,
    },
    #[error("cannot load ONNX Runtime: {0} (set ORT_DYLIB_PATH to libonnxruntime {1})")]
    RuntimeLoad(String, &'static str),
    #[error(
        "no GPU support: {library} is ONNX Runtime's CPU build (no CUDA execution provider). \
         Build gonio with `cargo build --release --features cuda` (it fetches onnxruntime-gpu \
         from PyPI), or set ORT_DYLIB_PATH to the libonnxruntime of onnxruntime-gpu 1.31.1; \
         or run with --device cpu"
    )]
    NoCuda { library: PathBuf },
    #[error("the GPU could not be used: {0} (onnxruntime-gpu 1.31.1 needs an NVIDIA GPU with its driver and the CUDA 13 and cuDNN 9 libraries on LD_LIBRARY_PATH; or run with --device cpu)")]
    CudaFailed(String),
    #[error("ONNX Runtime is already running on the {running} in this process; it cannot switch to {asked}")]
    DeviceConflict {
        asked: &'static str,
        running: &'static str,
    },
    #[error(
        "model file {file} not found (looked in: {searched}); set GONIO_MODEL_DIR to the folder holding the .onnx files"
    )]
    ModelNotFound { file: String, searched: String },
    #[error("{path}: cannot load model: {message}")]
    ModelLoad { path: PathBuf, message: String },
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("model output has an unexpected shape {shape:?} (expected {expected})")]
    UnexpectedOutput {
        shape: Vec<i64>,
        expected: &'static str,
    },
}
