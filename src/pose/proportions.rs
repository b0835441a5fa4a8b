//! Whether a reading's leg segments fit the rest of its body: a thigh or shank read much longer
//! than the body's other segments allow is a misread (a knee or ankle placed on the hands, on a
//! neighbour or on the floor), however confident the model was.
//!
//! A segment seen at an angle to the camera only looks *shorter* than it is, never longer, so
//! each segment's length divided by its share of body height is a lower bound on the body's
//! height in pixels; the median of those bounds over twelve segments is a robust estimate of
//! it. A leg segment whose own bound is [`OVERLONG_LIMB_RATIO`] times that estimate is
//! implausible. Video has a better reference (the subject's own lengths over the recording,
//! see `angles::series`); this check serves a single photo.

use serde::Serialize;

use super::{BodyPart, Pose};

/// A leg segment whose length implies a body this many times taller than the median of all
/// twelve segments is implausible. Measured with `gonio eval` on twelve development sets in four
/// conditions (upright, lying, leaning, among others; 340 readings with a knee or hip angle):
/// above 1.6, 23 readings, knee / hip error mean 49.7 deg against 16.5 for the rest, and 4 of
/// the 195 readings within 10 deg flagged; 1.5 flagged 6 of those, 1.8 missed 5 of the 16 wrong
/// readings 1.6 caught.
pub const OVERLONG_LIMB_RATIO: f32 = 1.6;

/// Each segment as a share of body height (Winter, *Biomechanics and Motor Control of Human
/// Movement*, 4th ed., fig. 4.1: shoulder 0.818, hip 0.530, knee 0.285, ankle 0.039 of height;
/// shoulder width 0.259, hip width 0.191, upper arm 0.186, forearm 0.146).
const SEGMENT_SHARES: [(BodyPart, BodyPart, f32); 12] = {
    use BodyPart::*;
    [
        (LeftHip, LeftKnee, 0.245),
        (RightHip, RightKnee, 0.245),
        (LeftKnee, LeftAnkle, 0.246),
        (RightKnee, RightAnkle, 0.246),
        (LeftShoulder, LeftHip, 0.288),
        (RightShoulder, RightHip, 0.288),
        (LeftShoulder, LeftElbow, 0.186),
        (RightShoulder, RightElbow, 0.186),
        (LeftElbow, LeftWrist, 0.146),
        (RightElbow, RightWrist, 0.146),
        (LeftShoulder, RightShoulder, 0.259),
        (LeftHip, RightHip, 0.191),
    ]
};

/// The four leg segments: the first four of [`SEGMENT_SHARES`], in [`LegSegment`]'s order.
const LEG_SEGMENTS: usize = 4;

/// A leg segment of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegSegment {
    LeftThigh,
    RightThigh,
    LeftShank,
    RightShank,
}

impl LegSegment {
    const ALL: [LegSegment; LEG_SEGMENTS] = [
        LegSegment::LeftThigh,
        LegSegment::RightThigh,
        LegSegment::LeftShank,
        LegSegment::RightShank,
    ];

    /// The keypoints at its ends, hip or knee first.
    pub fn parts(self) -> (BodyPart, BodyPart) {
        let (a, b, _) = SEGMENT_SHARES[self as usize];
        (a, b)
    }

    /// Whether it is on the body's left.
    pub fn is_left(self) -> bool {
        matches!(self, LegSegment::LeftThigh | LegSegment::LeftShank)
    }

    /// Words for messages: "left thigh".
    pub fn name(self) -> &'static str {
        match self {
            LegSegment::LeftThigh => "left thigh",
            LegSegment::RightThigh => "right thigh",
            LegSegment::LeftShank => "left shank",
            LegSegment::RightShank => "right shank",
        }
    }
}

/// A leg segment read longer than the rest of the body allows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OverlongLimb {
    pub segment: LegSegment,
    /// The body height its length implies over the median of all twelve segments' (1 = in
    /// proportion; flagged above [`OVERLONG_LIMB_RATIO`]).
    pub ratio: f32,
}

impl std::fmt::Display for OverlongLimb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} read {:.1} times as long as the rest of the body allows",
            self.segment.name(),
            self.ratio
        )
    }
}

/// The most overlong leg segment of `pose` when it is implausible (see the module's doc), else
/// None. Every keypoint counts whatever its confidence: the check is on the reading as a whole,
/// and the confident-looking misreads are the ones it is for.
pub fn overlong_limb(pose: &Pose) -> Option<OverlongLimb> {
    overlong_limbs(pose)
        .into_iter()
        .max_by(|a, b| a.ratio.total_cmp(&b.ratio))
}

/// Every leg segment of `pose` read longer than the rest of its body allows (see
/// [`overlong_limb`]), in [`LegSegment`]'s order.
pub fn overlong_limbs(pose: &Pose) -> Vec<OverlongLimb> {
    if !pose.has_person() {
        return Vec::new();
    }
    let heights = SEGMENT_SHARES.map(|(a, b, share)| {
        let (a, b) = (pose.get(a), pose.get(b));
        (a.x - b.x).hypot(a.y - b.y) / share
    });
    let mut sorted = heights;
    sorted.sort_by(f32::total_cmp);
    // The upper of the two middle values (the one the threshold was measured with).
    let median = sorted[sorted.len() / 2];
    // Zero (keypoints on one spot) or NaN: no body to judge.
    if !median.is_finite() || median <= 0.0 {
        return Vec::new();
    }
    LegSegment::ALL
        .into_iter()
        .zip(heights)
        .map(|(segment, height)| OverlongLimb {
            segment,
            ratio: height / median,
        })
        .filter(|limb| limb.ratio > OVERLONG_LIMB_RATIO)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pose::{Keypoint, KEYPOINT_COUNT};

    /// A person 200 px tall standing facing the camera, segments in Winter's proportions (x
    /// right, y down).
    fn standing() -> [Keypoint; KEYPOINT_COUNT] {
        use BodyPart::*;
        let h = 200.0;
        let mut k = [Keypoint {
            x: 0.0,
            y: 0.0,
            confidence: 0.8,
        }; KEYPOINT_COUNT];
        let mut set = |part: BodyPart, x: f32, y_share: f32| {
            k[part.index()] = Keypoint {
                x,
                y: h * (1.0 - y_share),
                confidence: 0.8,
            };
        };
        set(Nose, 100.0, 0.94);
        set(LeftEye, 104.0, 0.95);
        set(RightEye, 96.0, 0.95);
        set(LeftEar, 110.0, 0.94);
        set(RightEar, 90.0, 0.94);
        set(LeftShoulder, 100.0 + 0.1295 * h, 0.818);
        set(RightShoulder, 100.0 - 0.1295 * h, 0.818);
        set(LeftElbow, 100.0 + 0.1295 * h, 0.632);
        set(RightElbow, 100.0 - 0.1295 * h, 0.632);
        set(LeftWrist, 100.0 + 0.1295 * h, 0.486);
        set(RightWrist, 100.0 - 0.1295 * h, 0.486);
        set(LeftHip, 100.0 + 0.0955 * h, 0.530);
        set(RightHip, 100.0 - 0.0955 * h, 0.530);
        set(LeftKnee, 100.0 + 0.0955 * h, 0.285);
        set(RightKnee, 100.0 - 0.0955 * h, 0.285);
        set(LeftAnkle, 100.0 + 0.0955 * h, 0.039);
        set(RightAnkle, 100.0 - 0.0955 * h, 0.039);
        k
    }

    #[test]
    fn a_body_in_proportion_passes() {
        assert_eq!(overlong_limb(&Pose::from_keypoints(standing())), None);
    }

    #[test]
    fn a_shank_placed_far_off_is_named() {
        let mut k = standing();
        // The right ankle placed on something 1.3 body heights below the knee.
        k[BodyPart::RightAnkle.index()].y += 0.2 * 200.0;
        let limb = overlong_limb(&Pose::from_keypoints(k)).expect("flagged");
        assert_eq!(limb.segment, LegSegment::RightShank);
        // (0.246 + 0.2) / 0.246 of its share; the median is the body's own height.
        assert!((limb.ratio - 1.81).abs() < 0.02, "{}", limb.ratio);
        assert_eq!(
            limb.to_string(),
            "right shank read 1.8 times as long as the rest of the body allows"
        );
    }

    #[test]
    fn segments_seen_end_on_only_look_shorter_and_are_not_flagged() {
        // Both thighs pointing at the camera (a seated person filmed from the front): the knees
        // drawn onto the hips. Shorter segments lower the median, but the legs' own long
        // segments must still be 1.6 times it to be flagged; a shank in proportion is not.
        let mut k = standing();
        for (knee, hip) in [
            (BodyPart::LeftKnee, BodyPart::LeftHip),
            (BodyPart::RightKnee, BodyPart::RightHip),
        ] {
            let hip = k[hip.index()];
            k[knee.index()].y = hip.y + 0.05 * 200.0;
        }
        for (ankle, knee) in [
            (BodyPart::LeftAnkle, BodyPart::LeftKnee),
            (BodyPart::RightAnkle, BodyPart::RightKnee),
        ] {
            let knee = k[knee.index()];
            k[ankle.index()].y = knee.y + 0.246 * 200.0;
        }
        assert_eq!(overlong_limb(&Pose::from_keypoints(k)), None);
    }

    #[test]
    fn segments_end_where_their_names_say() {
        use BodyPart::*;
        assert_eq!(LegSegment::LeftThigh.parts(), (LeftHip, LeftKnee));
        assert_eq!(LegSegment::RightThigh.parts(), (RightHip, RightKnee));
        assert_eq!(LegSegment::LeftShank.parts(), (LeftKnee, LeftAnkle));
        assert_eq!(LegSegment::RightShank.parts(), (RightKnee, RightAnkle));
    }

    #[test]
    fn nobody_has_no_proportions() {
        assert_eq!(overlong_limb(&Pose::nobody()), None);
    }
}
