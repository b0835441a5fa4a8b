//! JSON shapes of gonio's output (stable: programs consume them).

use serde::Serialize;

use crate::pose::{Pose, KEYPOINT_NAMES};

/// One keypoint as printed: COCO name, frame pixels and confidence.
#[derive(Debug, Clone, Serialize)]
pub struct NamedKeypoint {
    pub name: &'static str,
    pub x: f32,
    pub y: f32,
    pub confidence: f32,
}

/// One person as printed.
#[derive(Debug, Clone, Serialize)]
pub struct PersonJson {
    pub score: f32,
    pub keypoints: Vec<NamedKeypoint>,
}

impl From<&Pose> for PersonJson {
    fn from(pose: &Pose) -> Self {
        PersonJson {
            score: pose.score,
            keypoints: pose
                .keypoints
                .iter()
                .zip(KEYPOINT_NAMES)
                .map(|(k, name)| NamedKeypoint {
                    name,
                    x: k.x,
                    y: k.y,
                    confidence: k.confidence,
                })
                .collect(),
        }
    }
}

/// The poses found in one image (`gonio pose --json`).
#[derive(Debug, Clone, Serialize)]
pub struct ImagePosesJson {
    /// The path as the user gave it.
    pub image: String,
    pub width: u32,
    pub height: u32,
    /// Model id, `name@sha256:<hex>`.
    pub model: String,
    pub people: Vec<PersonJson>,
    /// Why this image has no result, when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
