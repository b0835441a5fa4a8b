//! The per-frame angle kernel: one [`Pose`] in, every joint angle gonio measures out.
//!
//! Definitions follow the clinical goniometer (see the README's table):
//! - **knee flexion** = 180 − interior angle hip-knee-ankle; 0 = straight knee, positive bent.
//! - **hip flexion** (signed) = angle between the trunk line extended past the hip (shoulder → hip
//!   direction) and the thigh (hip → knee); positive when the thigh is anterior of that line,
//!   negative when posterior. Hip extension is its negation.
//! - **thigh / leg to horizontal** = elevation of the knee / ankle above the hip against the
//!   image horizontal; 0 = horizontal, +90 = straight up, negative below. The horizontal points
//!   towards the feet when the trunk lies closer to horizontal than vertical, forward (anterior)
//!   otherwise. Valid only with a level camera.
//! - **trunk to vertical** = angle of the trunk line (hip → shoulder) from the image's upward
//!   vertical; positive leaning forward (anterior), negative backward; about −90 lying supine.
//! - **shank to vertical** = angle of the shank (ankle → knee) from the image's upward vertical;
//!   positive with the knee ahead of the ankle (anterior): ankle dorsiflexion in a weight-bearing
//!   lunge, measured on the joint-centre line. Valid only with a level camera.
//!
//! The trunk line runs from mid-hip to mid-shoulder when both sides are reliable, else from the
//! same-side hip to shoulder. The anterior direction comes from the face: the way the nose points
//! from the ears, else the side of the trunk line on which the nose lies, else the ears'.

use super::geometry::{
    atan2_deg, cross, dot, midpoint, norm_sq, signed_angle_deg, sub, Point, MIN_SEGMENT_SQ_PX,
};
use crate::pose::{BodyPart, Keypoint, Pose};

/// A keypoint counts as reliable from this confidence on (0..1), unless told otherwise.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.3;

/// Left or right side of the body.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Left, Side::Right];

    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }

    pub(crate) fn parts(self) -> SideParts {
        use BodyPart::*;
        match self {
            Side::Left => SideParts {
                shoulder: LeftShoulder,
                hip: LeftHip,
                knee: LeftKnee,
                ankle: LeftAnkle,
            },
            Side::Right => SideParts {
                shoulder: RightShoulder,
                hip: RightHip,
                knee: RightKnee,
                ankle: RightAnkle,
            },
        }
    }
}

pub(crate) struct SideParts {
    pub(crate) shoulder: BodyPart,
    pub(crate) hip: BodyPart,
    pub(crate) knee: BodyPart,
    pub(crate) ankle: BodyPart,
}

/// An angle in degrees and the confidence it was computed from (the lowest confidence of the
/// keypoints it uses, 0..1).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Angle {
    pub deg: f32,
    pub confidence: f32,
}

/// The joint and the two rays an angle lies between, frame pixels: what an evidence picture
/// draws, so that the arc drawn is the angle computed (the unsigned angle between the rays is
/// the angle's magnitude). The kernel traces them with every angle ([`joint_rays`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rays {
    /// The joint (or, for the trunk, the hip point the trunk line starts from).
    pub vertex: Point,
    /// The reference direction: the trunk line extended past the hip (hip flexion), the thigh
    /// extended past the knee (knee flexion), the horizontal (elevations) or the vertical (trunk).
    pub reference: Point,
    /// The moving segment's direction, from the vertex.
    pub moving: Point,
}

/// What the kernel gives per angle of one leg: [`Angle`]s ([`LegAngles`]) or the [`Rays`] they
/// were measured between ([`LegRays`]). None where the keypoints an angle needs are not
/// reliable. Degrees and conventions in the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Leg<T> {
    pub knee_flexion: Option<T>,
    pub hip_flexion: Option<T>,
    pub thigh_to_horizontal: Option<T>,
    pub leg_to_horizontal: Option<T>,
    pub shank_to_vertical: Option<T>,
}

/// The angles of one leg.
pub type LegAngles = Leg<Angle>;
/// Where the angles of one leg were measured.
pub type LegRays = Leg<Rays>;

/// What the kernel gives for one frame: every angle ([`JointAngles`]) or where each was
/// measured ([`JointRays`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Joints<T> {
    pub left: Leg<T>,
    pub right: Leg<T>,
    /// Trunk lean from vertical, degrees, positive forward.
    pub trunk_to_vertical: Option<T>,
    /// Which side of the trunk line is anterior: +1 when the anterior direction is clockwise of
    /// the hip → shoulder direction on screen, −1 when counter-clockwise; None when the face gave
    /// no cue.
    pub anterior_sign: Option<f32>,
}

/// Every angle of one frame.
pub type JointAngles = Joints<Angle>;
/// Where every angle of one frame was measured.
pub type JointRays = Joints<Rays>;

impl<T> Joints<T> {
    pub fn leg(&self, side: Side) -> &Leg<T> {
        match side {
            Side::Left => &self.left,
            Side::Right => &self.right,
        }
    }
}

/// Computes every angle of one frame.
///
/// `anterior_sign`: the body's anterior side relative to the trunk line (see
/// [`Joints::anterior_sign`]) when the caller knows it from the whole series; None to take it
/// from this frame's face. Keypoints under `min_confidence` are not used.
pub fn joint_angles(pose: &Pose, anterior_sign: Option<f32>, min_confidence: f32) -> JointAngles {
    trace(pose, anterior_sign, min_confidence)
}

/// Where every angle of one frame was measured, traced by the same code as [`joint_angles`]
/// with the same arguments: what a picture draws to show an angle.
pub fn joint_rays(pose: &Pose, anterior_sign: Option<f32>, min_confidence: f32) -> JointRays {
    trace(pose, anterior_sign, min_confidence)
}

/// What the kernel hands out per angle: the angle, or the rays it lies between (built only when
/// asked for, so that computing angles costs nothing extra).
trait Traced: Copy + Default {
    fn traced(angle: Angle, rays: impl FnOnce() -> Rays) -> Self;
}

impl Traced for Angle {
    #[inline(always)]
    fn traced(angle: Angle, _: impl FnOnce() -> Rays) -> Self {
        angle
    }
}

impl Traced for Rays {
    #[inline(always)]
    fn traced(_: Angle, rays: impl FnOnce() -> Rays) -> Self {
        rays()
    }
}

/// The kernel: every angle of one frame, or where each was measured.
fn trace<T: Traced>(pose: &Pose, anterior_sign: Option<f32>, min_confidence: f32) -> Joints<T> {
    let reliable = |part: BodyPart| -> Option<Keypoint> {
        let k = pose.get(part);
        (k.confidence >= min_confidence).then_some(k)
    };
    let p = |k: Keypoint| -> Point { (k.x, k.y) };
    let (ls, rs, lh, rh) = (
        reliable(BodyPart::LeftShoulder),
        reliable(BodyPart::RightShoulder),
        reliable(BodyPart::LeftHip),
        reliable(BodyPart::RightHip),
    );
    // The trunk of both sides, when all four points are reliable.
    let mid_trunk = match (ls, rs, lh, rh) {
        (Some(ls), Some(rs), Some(lh), Some(rh)) => Some((
            sub(midpoint(p(ls), p(rs)), midpoint(p(lh), p(rh))),
            ls.confidence
                .min(rs.confidence)
                .min(lh.confidence)
                .min(rh.confidence),
            midpoint(p(ls), p(rs)),
        )),
        _ => None,
    };
    let side_trunk = |s: Option<Keypoint>, h: Option<Keypoint>| match (s, h) {
        (Some(s), Some(h)) => Some((sub(p(s), p(h)), s.confidence.min(h.confidence), p(s))),
        _ => None,
    };
    let (left_trunk, right_trunk) = (side_trunk(ls, lh), side_trunk(rs, rh));
    // (hip -> shoulder vector, confidence, shoulder point) of the best trunk available.
    let trunk = mid_trunk.or(match (left_trunk, right_trunk) {
        (Some(l), Some(r)) => Some(if l.1 >= r.1 { l } else { r }),
        (l, r) => l.or(r),
    });
    let Some((trunk_up, trunk_conf, shoulder)) =
        trunk.filter(|t| norm_sq(t.0) >= MIN_SEGMENT_SQ_PX)
    else {
        return Joints::default();
    };

    let anterior_sign = anterior_sign.or_else(|| {
        let nose = reliable(BodyPart::Nose).map(p);
        let ear = match (reliable(BodyPart::LeftEar), reliable(BodyPart::RightEar)) {
            (Some(l), Some(r)) => Some(midpoint(p(l), p(r))),
            (l, r) => l.or(r).map(p),
        };
        let side_of = |v: Point| {
            let c = cross(trunk_up, v);
            (c != 0.0).then(|| c.signum())
        };
        match (nose, ear) {
            (Some(n), Some(e)) => side_of(sub(n, e)),
            (Some(n), None) => side_of(sub(n, shoulder)),
            (None, Some(e)) => side_of(sub(e, shoulder)),
            (None, None) => None,
        }
    });

    let trunk_to_vertical = anterior_sign.map(|s| {
        T::traced(
            Angle {
                deg: s * atan2_deg(cross((0.0, -1.0), trunk_up), dot((0.0, -1.0), trunk_up)),
                confidence: trunk_conf,
            },
            || Rays {
                vertex: sub(shoulder, trunk_up),
                reference: (0.0, -1.0),
                moving: trunk_up,
            },
        )
    });

    // Reference horizontal for elevations: towards the feet when lying, forward when upright.
    let lying = trunk_up.0.abs() > trunk_up.1.abs();
    let horizontal_sign = if lying {
        Some(-trunk_up.0.signum())
    } else {
        // Anterior on screen is the trunk direction turned a quarter towards the anterior side.
        anterior_sign.map(|s| (-s * trunk_up.1).signum())
    };

    let leg = |side: Side| -> Leg<T> {
        let parts = side.parts();
        let Some(hip) = reliable(parts.hip) else {
            return Leg::default();
        };
        // The trunk line for this leg: both sides' when reliable, else this side's own.
        let (leg_trunk_up, leg_trunk_conf) = match (mid_trunk, reliable(parts.shoulder)) {
            (Some((t, c, _)), _) => (t, c),
            (None, Some(s)) => (sub(p(s), p(hip)), s.confidence.min(hip.confidence)),
            (None, None) => return Leg::default(),
        };
        let knee = reliable(parts.knee);
        let ankle = reliable(parts.ankle);
        let elevation = |end: Keypoint| -> Option<T> {
            let h = horizontal_sign?;
            let v = sub(p(end), p(hip));
            (norm_sq(v) >= MIN_SEGMENT_SQ_PX).then(|| {
                T::traced(
                    Angle {
                        deg: atan2_deg(-v.1, h * v.0),
                        confidence: hip.confidence.min(end.confidence),
                    },
                    || Rays {
                        vertex: p(hip),
                        reference: (h, 0.0),
                        moving: v,
                    },
                )
            })
        };
        Leg {
            knee_flexion: match (knee, ankle) {
                (Some(k), Some(a)) => {
                    signed_angle_deg(sub(p(hip), p(k)), sub(p(a), p(k))).map(|interior| {
                        T::traced(
                            Angle {
                                deg: 180.0 - interior.abs(),
                                confidence: hip.confidence.min(k.confidence).min(a.confidence),
                            },
                            || Rays {
                                vertex: p(k),
                                reference: sub(p(k), p(hip)),
                                moving: sub(p(a), p(k)),
                            },
                        )
                    })
                }
                _ => None,
            },
            hip_flexion: match (knee, anterior_sign) {
                (Some(k), Some(s)) => {
                    let thigh = sub(p(k), p(hip));
                    let trunk_down = (-leg_trunk_up.0, -leg_trunk_up.1);
                    signed_angle_deg(trunk_down, thigh).map(|a| {
                        T::traced(
                            Angle {
                                // Clockwise from the trunk's downward extension is anterior when s < 0
                                // (derivation in the module documentation's conventions).
                                deg: -s * a,
                                confidence: leg_trunk_conf.min(k.confidence),
                            },
                            || Rays {
                                vertex: p(hip),
                                reference: trunk_down,
                                moving: thigh,
                            },
                        )
                    })
                }
                _ => None,
            },
            shank_to_vertical: match (knee, ankle, anterior_sign) {
                (Some(k), Some(a), Some(s)) => {
                    let shank_up = sub(p(k), p(a));
                    (norm_sq(shank_up) >= MIN_SEGMENT_SQ_PX).then(|| {
                        T::traced(
                            Angle {
                                deg: s * atan2_deg(
                                    cross((0.0, -1.0), shank_up),
                                    dot((0.0, -1.0), shank_up),
                                ),
                                confidence: k.confidence.min(a.confidence),
                            },
                            || Rays {
                                vertex: p(a),
                                reference: (0.0, -1.0),
                                moving: shank_up,
                            },
                        )
                    })
                }
                _ => None,
            },
            thigh_to_horizontal: knee.and_then(elevation),
            leg_to_horizontal: ankle.and_then(elevation),
        }
    };

    Joints {
        left: leg(Side::Left),
        right: leg(Side::Right),
        trunk_to_vertical,
        anterior_sign,
    }
}
