//! JSON shapes of gonio's output (stable: programs consume them).

use serde::Serialize;

use crate::pose::{overlong_limb, LegSegment, Pose, KEYPOINT_NAMES};

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
    /// Present when the reading is implausible: a leg segment read longer than the rest of the
    /// body allows (a keypoint misplaced, however confident). Check the picture before using
    /// this reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implausible: Option<ImplausibleJson>,
    /// Present when the person is small in the image (confident keypoints spanning under
    /// [`crate::protocols::SMALL_SUBJECT_PX`]): the model reads such people less well.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub small: Option<SmallJson>,
}

/// A person small in the image.
#[derive(Debug, Clone, Serialize)]
pub struct SmallJson {
    /// The longer side of the box around the confident keypoints, pixels.
    pub span_px: f32,
    /// What it means, for people.
    pub message: String,
}

/// Why a reading is implausible.
#[derive(Debug, Clone, Serialize)]
pub struct ImplausibleJson {
    pub segment: LegSegment,
    /// The body height the segment's length implies over the median of the body's twelve
    /// segments' (1 = in proportion).
    pub ratio: f32,
    /// The same in words, for people: which segment, how much too long, what to do.
    pub message: String,
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
            implausible: overlong_limb(pose).map(|limb| ImplausibleJson {
                segment: limb.segment,
                ratio: limb.ratio,
                message: format!("{limb}: a keypoint is misplaced, check the picture"),
            }),
            small: crate::protocols::subject_size_px(std::slice::from_ref(pose))
                .filter(|&px| px < crate::protocols::SMALL_SUBJECT_PX)
                .map(|span_px| {
                    let how = if span_px < crate::protocols::TINY_SUBJECT_PX {
                        "poorly"
                    } else {
                        "less well"
                    };
                    SmallJson {
                        span_px,
                        message: format!(
                            "the person is small in the photo ({span_px:.0} px across their keypoints): the pose model reads people under {:.0} px {how}, so angles from this reading may be off by tens of degrees",
                            crate::protocols::SMALL_SUBJECT_PX
                        ),
                    }
                }),
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
