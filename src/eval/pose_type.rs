//! What an annotated body is doing, read from its ground-truth keypoints, so that accuracy can
//! be reported per kind of pose: a model that reads standing people well can still fail on the
//! folded, lying and leg-raised bodies the clinic tests are made of.

use serde::Serialize;

use super::CocoPerson;
use crate::angles::geometry::{interior_angle_deg, knee_flexion_deg, midpoint, Point};
use crate::angles::joints::{Side, SideParts};
use crate::pose::BodyPart;

/// The kind of pose an annotated body is in, judged from the annotation as the photo was taken
/// (before any `--rotate`: a standing person turned by 90 degrees is still standing, seen
/// lying). The first that applies, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoseType {
    /// The shoulders below the hips, the trunk within 45° of upside down
    /// (`HORIZONTAL_TRUNK_DEG`): handstands, cartwheels, a head-down fall.
    Inverted,
    /// The trunk (mid-hip to mid-shoulder) more than 45° (`HORIZONTAL_TRUNK_DEG`) from the
    /// photo's vertical: lying on a table or the floor, bent over.
    TrunkHorizontal,
    /// A straight leg raised towards the trunk: hip angle (shoulder-hip-knee) under 120°
    /// (`FLEXED_HIP_DEG`) with the knee bent less than 45° (`STRAIGHT_KNEE_DEG`): kicks,
    /// splits, the straight-leg raise.
    LegRaised,
    /// A hip or knee strongly bent: hip angle under 120° or knee flexion over 60°
    /// (`BENT_KNEE_DEG`): sitting, crouching, kneeling, lunging.
    Folded,
    /// Neither: standing, walking, a body upright with its legs near straight.
    Upright,
    /// Too little of the trunk or the legs labelled to tell.
    Unknown,
}

/// Trunk angle from the vertical, degrees, from which a body counts as horizontal.
pub const HORIZONTAL_TRUNK_DEG: f32 = 45.0;
/// Interior hip angle (shoulder-hip-knee), degrees, under which a hip counts as flexed.
pub const FLEXED_HIP_DEG: f32 = 120.0;
/// Knee flexion, degrees, under which a knee counts as straight.
pub const STRAIGHT_KNEE_DEG: f32 = 45.0;
/// Knee flexion, degrees, over which a knee counts as bent.
pub const BENT_KNEE_DEG: f32 = 60.0;

impl PoseType {
    /// Every type, in report order.
    pub const ALL: [PoseType; 6] = [
        PoseType::Upright,
        PoseType::Folded,
        PoseType::LegRaised,
        PoseType::TrunkHorizontal,
        PoseType::Inverted,
        PoseType::Unknown,
    ];

    /// The type of the annotated body `truth` (photo pixels, y down).
    pub fn of(truth: &CocoPerson) -> PoseType {
        use BodyPart::*;
        let gt = |p: BodyPart| truth.labelled(p.index());
        let centre = |a: BodyPart, b: BodyPart| match (gt(a), gt(b)) {
            (Some(a), Some(b)) => Some(midpoint(a, b)),
            (one, other) => one.or(other),
        };
        let Some((shoulders, hips)) =
            centre(LeftShoulder, RightShoulder).zip(centre(LeftHip, RightHip))
        else {
            return PoseType::Unknown;
        };
        let (dx, dy) = (shoulders.0 - hips.0, shoulders.1 - hips.1);
        if dx.hypot(dy) <= 1.0 {
            return PoseType::Unknown;
        }
        // Angle between the trunk (hips to shoulders) and the photo's up (0, -1): 0 to 180.
        let from_up_deg = dx.abs().atan2(-dy).to_degrees();
        if from_up_deg > 180.0 - HORIZONTAL_TRUNK_DEG {
            return PoseType::Inverted;
        }
        if from_up_deg > HORIZONTAL_TRUNK_DEG {
            return PoseType::TrunkHorizontal;
        }
        let mut folded = false;
        let mut seen = false;
        for SideParts {
            shoulder,
            hip,
            knee,
            ankle,
        } in Side::BOTH.map(Side::parts)
        {
            let hip_angle_deg = angle(gt(shoulder), gt(hip), gt(knee), interior_angle_deg);
            let knee_flexion_of_leg_deg = angle(gt(hip), gt(knee), gt(ankle), knee_flexion_deg);
            seen |= hip_angle_deg.is_some() || knee_flexion_of_leg_deg.is_some();
            let hip_flexed = hip_angle_deg.is_some_and(|a| a < FLEXED_HIP_DEG);
            if hip_flexed && knee_flexion_of_leg_deg.is_some_and(|f| f < STRAIGHT_KNEE_DEG) {
                return PoseType::LegRaised;
            }
            folded |= hip_flexed || knee_flexion_of_leg_deg.is_some_and(|f| f > BENT_KNEE_DEG);
        }
        match (folded, seen) {
            (true, _) => PoseType::Folded,
            (false, true) => PoseType::Upright,
            (false, false) => PoseType::Unknown,
        }
    }

    /// A short name for tables.
    pub fn label(self) -> &'static str {
        match self {
            PoseType::Inverted => "upside down",
            PoseType::TrunkHorizontal => "trunk horizontal",
            PoseType::LegRaised => "straight leg raised",
            PoseType::Folded => "hip or knee bent",
            PoseType::Upright => "upright",
            PoseType::Unknown => "not enough labelled",
        }
    }

    /// Examples of the type, for a legend under tables.
    pub fn examples(self) -> &'static str {
        match self {
            PoseType::Inverted => "handstand, cartwheel",
            PoseType::TrunkHorizontal => "lying, bent over",
            PoseType::LegRaised => "kick, split, straight-leg raise",
            PoseType::Folded => "sitting, crouching, kneeling, lunging",
            PoseType::Upright => "standing, walking",
            PoseType::Unknown => "trunk or legs not labelled",
        }
    }
}

fn angle(
    a: Option<Point>,
    b: Option<Point>,
    c: Option<Point>,
    f: fn(Point, Point, Point) -> Option<f32>,
) -> Option<f32> {
    f(a?, b?, c?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pose::KEYPOINT_COUNT;

    /// A person with the given labelled keypoints (photo pixels, y down).
    fn person(points: &[(BodyPart, Point)]) -> CocoPerson {
        let mut keypoints = vec![0.0; KEYPOINT_COUNT * 3];
        for &(part, (x, y)) in points {
            keypoints[part.index() * 3..part.index() * 3 + 3].copy_from_slice(&[x, y, 2.0]);
        }
        CocoPerson {
            id: 1,
            image_id: 1,
            bbox: [0.0, 0.0, 100.0, 100.0],
            keypoints,
            iscrowd: false,
        }
    }

    /// Shoulders, hips, knees and ankles of one side, both sides the same.
    fn body(shoulder: Point, hip: Point, knee: Point, ankle: Point) -> CocoPerson {
        use BodyPart::*;
        person(&[
            (LeftShoulder, shoulder),
            (RightShoulder, shoulder),
            (LeftHip, hip),
            (RightHip, hip),
            (LeftKnee, knee),
            (RightKnee, knee),
            (LeftAnkle, ankle),
            (RightAnkle, ankle),
        ])
    }

    #[test]
    fn standing_sitting_raising_a_leg_and_lying() {
        let standing = body((50.0, 0.0), (50.0, 50.0), (50.0, 90.0), (50.0, 130.0));
        assert_eq!(PoseType::of(&standing), PoseType::Upright);
        // Seated: thigh forward (hip angle 90), shank down (knee flexion 90).
        let seated = body((50.0, 0.0), (50.0, 50.0), (90.0, 50.0), (90.0, 90.0));
        assert_eq!(PoseType::of(&seated), PoseType::Folded);
        // A kick: the straight leg forward and up (hip angle about 63).
        let kick = body((50.0, 0.0), (50.0, 50.0), (90.0, 30.0), (130.0, 10.0));
        assert_eq!(PoseType::of(&kick), PoseType::LegRaised);
        // Lying on the back, head left: the trunk horizontal, whatever the legs do.
        let lying = body((0.0, 50.0), (50.0, 50.0), (90.0, 50.0), (130.0, 50.0));
        assert_eq!(PoseType::of(&lying), PoseType::TrunkHorizontal);
        // Upside down: a handstand.
        let handstand = body((50.0, 100.0), (50.0, 50.0), (50.0, 10.0), (50.0, -30.0));
        assert_eq!(PoseType::of(&handstand), PoseType::Inverted);
        // Bent over at 50 degrees from upright is horizontal; leaning by 30 is not.
        let bent = body((88.3, 17.9), (50.0, 50.0), (50.0, 90.0), (50.0, 130.0));
        assert_eq!(PoseType::of(&bent), PoseType::TrunkHorizontal);
        let leaning = body((75.0, 6.7), (50.0, 50.0), (50.0, 90.0), (50.0, 130.0));
        assert_eq!(PoseType::of(&leaning), PoseType::Upright);
    }

    #[test]
    fn a_body_without_trunk_or_legs_is_unknown() {
        use BodyPart::*;
        assert_eq!(PoseType::of(&person(&[])), PoseType::Unknown);
        let trunk_only = person(&[(LeftShoulder, (50.0, 0.0)), (LeftHip, (50.0, 50.0))]);
        assert_eq!(PoseType::of(&trunk_only), PoseType::Unknown);
    }
}
