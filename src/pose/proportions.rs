//! Whether a reading's leg segments fit the rest of its body: a thigh or shank read much longer
//! than the body's other segments allow is a misread (a knee or ankle placed on the hands, on a
//! neighbour or on the floor), however confident the model was.
//!
//! At one distance from the camera, a segment seen at an angle only looks *shorter* than it
//! is, never longer, so each segment's length divided by its share of body height is a lower
//! bound on the body's height in pixels. The bound two thirds of the way up the sorted bounds
//! estimates it: nearer the true height than the median (the lower bounds are foreshortened
//! segments), yet below up to three misread ones of twelve. A leg segment whose own bound is more
//! than [`OVERLONG_LIMB_RATIO`] times that estimate is implausible.
//! Perspective breaks the premise where a limb is much nearer the camera than the trunk (legs
//! stretched towards the lens, filmed from the feet): such a leg can be flagged wrongly. The
//! shares are an adult's; a child's legs are relatively shorter, so a child is flagged less.
//! Video has a finer reference too (the subject's own lengths over the recording, see
//! `angles::series`); this check needs no history.

use serde::Serialize;

use super::{BodyPart, Pose};

/// A leg segment whose length implies a body more than this many times taller than the
/// reference bound (see the module's doc) is implausible. Measured with `gonio eval` on twelve
/// development sets in four conditions (upright, lying, leaning, among others), every keypoint
/// counted: of the 340 readings with a knee or hip angle, 19 flagged, their angle error mean /
/// median 33.0 / 36.0 deg against 17.9 / 8.0 for the rest; 4 of the 195 readings within 10 deg
/// flagged, 11 of the 70 over 30 deg. 1.3 flagged 5 more good readings, 1.5 caught 6 fewer
/// wrong ones. The median as the reference separated as well (at 1.6) but is fooled by seven
/// foreshortened segments of twelve; the two-thirds bound takes nine.
pub const OVERLONG_LIMB_RATIO: f32 = 1.4;

/// Fewest segments the reference bound may be taken from, and fewest of them outside the legs:
/// with the upper body hidden or guessed there is no body to hold the legs against.
const MIN_SEGMENTS: usize = 7;
const MIN_OTHER_SEGMENTS: usize = 3;

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

/// The four leg segments: the first four of [`SEGMENT_SHARES`], in [`LegSegment`]'s order
/// (its discriminants index that table).
const LEG_SEGMENTS: usize = 4;

/// A leg segment of a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegSegment {
    LeftThigh = 0,
    RightThigh = 1,
    LeftShank = 2,
    RightShank = 3,
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
    /// The body height its length implies over the reference bound (see the module's doc; 1 =
    /// in proportion, flagged above [`OVERLONG_LIMB_RATIO`]).
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

/// The most overlong leg segment of a photo's reading `pose` when it is implausible (see the
/// module's doc), else None. Every keypoint counts whatever its confidence: the check is on the
/// reading as a whole, and the confident-looking misreads are the ones it is for.
pub fn overlong_limb(pose: &Pose) -> Option<OverlongLimb> {
    overlong_limbs(pose, 0.0)
        .into_iter()
        .max_by(|a, b| a.ratio.total_cmp(&b.ratio))
}

/// Every leg segment of `pose` read longer than the rest of its body allows (see the module's
/// doc), in [`LegSegment`]'s order, counting only segments whose ends both have
/// `min_confidence` or more (0 to 1); empty when too few segments are known to judge.
pub(crate) fn overlong_limbs(pose: &Pose, min_confidence: f32) -> Vec<OverlongLimb> {
    if !pose.has_person() {
        return Vec::new();
    }
    // Each known segment's bound on body height, pixels, by its row of SEGMENT_SHARES.
    let bounds: Vec<(usize, f32)> = SEGMENT_SHARES
        .iter()
        .enumerate()
        .filter_map(|(row, &(a, b, share))| {
            let (a, b) = (pose.get(a), pose.get(b));
            let known = a.confidence >= min_confidence && b.confidence >= min_confidence;
            let bound = (a.x - b.x).hypot(a.y - b.y) / share;
            (known && bound.is_finite()).then_some((row, bound))
        })
        .collect();
    let others = bounds
        .iter()
        .filter(|&&(row, _)| row >= LEG_SEGMENTS)
        .count();
    if bounds.len() < MIN_SEGMENTS || others < MIN_OTHER_SEGMENTS {
        return Vec::new();
    }
    let mut sorted: Vec<f32> = bounds.iter().map(|&(_, b)| b).collect();
    sorted.sort_by(f32::total_cmp);
    let reference = sorted[2 * sorted.len() / 3];
    // Every keypoint on one spot: no body to judge.
    if reference <= 0.0 {
        return Vec::new();
    }
    bounds
        .iter()
        .filter(|&&(row, _)| row < LEG_SEGMENTS)
        .map(|&(row, bound)| OverlongLimb {
            segment: LegSegment::ALL[row],
            ratio: bound / reference,
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
        // The right ankle placed 0.2 body heights too low: the shank reads 0.446 of the
        // height instead of 0.246.
        k[BodyPart::RightAnkle.index()].y += 0.2 * 200.0;
        let limb = overlong_limb(&Pose::from_keypoints(k)).expect("flagged");
        assert_eq!(limb.segment, LegSegment::RightShank);
        // 0.446 / 0.246 of the body's height; the reference is the body's own height.
        assert!((limb.ratio - 1.81).abs() < 0.02, "{}", limb.ratio);
        assert_eq!(
            limb.to_string(),
            "right shank read 1.8 times as long as the rest of the body allows"
        );
    }

    #[test]
    fn segments_pointing_at_the_camera_do_not_make_the_legs_look_long() {
        // Side-on to the camera (shoulder and hip widths 2 px), the trunk bent towards it and
        // both arms held straight at it: eight of twelve segments read at a tenth of their
        // length or less, the legs in proportion. The median of the bounds would be one of the
        // short ones and make the legs look ten times too long; the two-thirds bound is a leg's.
        use BodyPart::*;
        let mut k = standing();
        for part in BodyPart::ALL {
            let p = &mut k[part.index()];
            p.x = 100.0 + if part.is_left() { 1.0 } else { -1.0 };
        }
        for (shoulder, elbow, wrist, hip) in [
            (LeftShoulder, LeftElbow, LeftWrist, LeftHip),
            (RightShoulder, RightElbow, RightWrist, RightHip),
        ] {
            let hip = k[hip.index()];
            let at = |dy: f32| Keypoint {
                y: hip.y - dy * 200.0,
                ..hip
            };
            k[shoulder.index()] = at(0.0288);
            k[elbow.index()] = at(0.0288 - 0.0186);
            k[wrist.index()] = at(0.0288 - 0.0186 - 0.0146);
        }
        assert_eq!(overlong_limb(&Pose::from_keypoints(k)), None);
    }

    #[test]
    fn legs_are_judged_only_against_enough_of_the_body() {
        // The upper body unsure (hidden under a blanket): from the confident keypoints alone
        // (video) there are five segments, too few to judge even a shank read 1.8 times too
        // long; counting every keypoint (a photo's reading as a whole) it is flagged.
        let mut k = standing();
        k[BodyPart::RightAnkle.index()].y += 0.2 * 200.0;
        for part in [
            BodyPart::LeftShoulder,
            BodyPart::RightShoulder,
            BodyPart::LeftElbow,
            BodyPart::RightElbow,
            BodyPart::LeftWrist,
            BodyPart::RightWrist,
        ] {
            k[part.index()].confidence = 0.1;
        }
        let pose = Pose::from_keypoints(k);
        assert!(overlong_limbs(&pose, 0.3).is_empty());
        let flagged = overlong_limbs(&pose, 0.0);
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].segment, LegSegment::RightShank);
    }

    #[test]
    fn keypoints_on_one_spot_are_not_judged() {
        let k = [Keypoint {
            x: 50.0,
            y: 50.0,
            confidence: 0.9,
        }; KEYPOINT_COUNT];
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
