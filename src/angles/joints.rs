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
//! same-side hip to shoulder. The anterior direction comes from the face seen in profile: the way
//! the nose points from the ears, else the side of the trunk line on which the nose lies; without
//! a nose, from a bent knee (a knee bends only backwards: the ankle lies posterior of the thigh
//! line); else from the side of the trunk line on which the ears lie, a weak cue
//! ([`FacingCue`]). A face seen square on gives none.

use super::geometry::{
    atan2_deg, cross, distance, dot, midpoint, norm_sq, signed_angle_deg, sub, Point,
    MIN_SEGMENT_SQ_PX,
};
use crate::pose::{BodyPart, Keypoint, Pose};

/// A keypoint counts as reliable from this confidence on (0..1), unless told otherwise.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.3;

/// The nose tells which way the body faces when it lies at least this share of the trunk length
/// across the trunk line from the ears (or, without ears, from the shoulder). Side-on it lies
/// 8-15 % ahead; seen from the front it lies on the line, and which side is noise. In the nine
/// development videos, of the frames with the nose over this bound 12 of 361 went against their
/// recording's majority; of those under it, 95 of 167.
pub const FACE_CUE_MIN_OFFSET: f32 = 0.05;

/// A knee bent at least this much on screen, degrees, tells which way the body faces: well
/// clear of a straight knee's keypoint noise and of the 5-15 deg a hypermobile knee
/// over-straightens.
pub const KNEE_FACING_CUE_DEG: f32 = 30.0;

/// Shoulder and hip spacing over the trunk length ([`frame_lateral_spread`]) above which a view
/// counts as oblique. A knee tells which way the body faces only under it: seen obliquely, legs
/// apart or turned in bend on screen either way (a man balancing at three-quarter view: both
/// knees "bent" 20-35 deg against his face in most frames).
pub const OBLIQUE_SPREAD: f32 = 0.35;

/// Shoulder and hip spacing over the trunk length ([`frame_lateral_spread`]) above which the
/// view is square on to the body, from the front or the back.
pub const FRONTAL_SPREAD: f32 = 0.6;

/// Shoulder and hip spacing over trunk length in one frame, ((shoulder spacing + hip spacing) / 2
/// / trunk length): near 0 side-on, near 0.7 facing the camera. None without confident
/// shoulders and hips.
pub fn frame_lateral_spread(pose: &Pose, min_confidence: f32) -> Option<f32> {
    use BodyPart::*;
    let get = |part: BodyPart| {
        let k = pose.get(part);
        (k.confidence >= min_confidence).then_some((k.x, k.y))
    };
    let (ls, rs, lh, rh) = (
        get(LeftShoulder)?,
        get(RightShoulder)?,
        get(LeftHip)?,
        get(RightHip)?,
    );
    let trunk = distance(midpoint(ls, rs), midpoint(lh, rh));
    (trunk > 1.0).then(|| (distance(ls, rs) + distance(lh, rh)) / 2.0 / trunk)
}

/// What a frame's anterior direction ([`Joints::anterior_sign`]) was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacingCue {
    /// The nose: the way it points from the ears, or its side of the trunk line, at least
    /// [`FACE_CUE_MIN_OFFSET`] across the trunk line.
    Face,
    /// A knee bent at least [`KNEE_FACING_CUE_DEG`] in a side view (see [`OBLIQUE_SPREAD`]): the
    /// ankle lies posterior of the thigh line.
    Knee,
    /// The ears' side of the trunk line, with no nose and no bent knee. A weak cue: the ear sits
    /// about on the trunk line, and with the face turned away from the camera lying down, the
    /// ear seen is the upper one, which points at the ceiling face up or face down alike.
    Ear,
}

impl FacingCue {
    /// Whether the cue shows the body's front (the face, a bent knee) rather than guessing it.
    pub fn is_strong(self) -> bool {
        matches!(self, FacingCue::Face | FacingCue::Knee)
    }
}

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
    /// the hip → shoulder direction on screen, −1 when counter-clockwise; None when neither the
    /// face, a bent knee nor an ear gave a cue.
    pub anterior_sign: Option<f32>,
    /// What `anterior_sign` was read from in this frame; None when the caller gave it (or there
    /// was no cue).
    pub facing_cue: Option<FacingCue>,
    /// A nose was seen less than [`FACE_CUE_MIN_OFFSET`] across the trunk line from the ears (or
    /// the shoulder): the face seen from the front or the back, its way not told.
    pub face_square_on: bool,
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

    let nose = reliable(BodyPart::Nose).map(p);
    let ear = match (reliable(BodyPart::LeftEar), reliable(BodyPart::RightEar)) {
        (Some(l), Some(r)) => Some(midpoint(p(l), p(r))),
        (l, r) => l.or(r).map(p),
    };
    let side_of = |v: Point| {
        let c = cross(trunk_up, v);
        (c != 0.0).then(|| c.signum())
    };
    // The nose's offset from the ears (or the shoulder), pixels: a face seen from the front (or
    // the back) has none across the trunk line, and its side is noise.
    let nose_offset = match (nose, ear) {
        (Some(n), Some(e)) => Some(sub(n, e)),
        (Some(n), None) => Some(sub(n, shoulder)),
        (None, _) => None,
    };
    let clear = |v: &Point| cross(trunk_up, *v).abs() >= FACE_CUE_MIN_OFFSET * norm_sq(trunk_up);
    let face_square_on = nose_offset.is_some_and(|v| !clear(&v));
    let facing = match anterior_sign {
        Some(sign) => Some((sign, None)),
        None => {
            let face = nose_offset.filter(clear).and_then(side_of);
            face.map(|s| (s, Some(FacingCue::Face)))
                .or_else(|| {
                    // A side view, unless the shoulders and hips are spaced wider than the
                    // oblique bound (one of them not seen: side-on, the far side is hidden).
                    let side_on = frame_lateral_spread(pose, min_confidence)
                        .is_none_or(|spread| spread <= OBLIQUE_SPREAD);
                    knee_facing(pose, min_confidence)
                        .filter(|_| side_on)
                        .map(|s| (s, Some(FacingCue::Knee)))
                })
                .or_else(|| {
                    // The ears only without a nose: beside a face seen square on they lie as
                    // much on the trunk line as it does.
                    ear.filter(|_| nose.is_none())
                        .and_then(|e| side_of(sub(e, shoulder)))
                        .map(|s| (s, Some(FacingCue::Ear)))
                })
        }
    };
    let anterior_sign = facing.map(|f| f.0);
    let facing_cue = facing.and_then(|f| f.1);

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
        facing_cue,
        face_square_on,
    }
}

/// The anterior side (as [`Joints::anterior_sign`]) from the knees bent at least
/// [`KNEE_FACING_CUE_DEG`]: a knee bends only backwards, so the shank turns from the thigh line
/// towards the posterior side, and hip flexion turns the thigh and shank together (a rotation
/// keeps the side). None with no knee bent that far, or with the two knees disagreeing.
fn knee_facing(pose: &Pose, min_confidence: f32) -> Option<f32> {
    let reliable = |part: BodyPart| {
        let k = pose.get(part);
        (k.confidence >= min_confidence).then_some((k.x, k.y))
    };
    let bent = |side: Side| -> Option<f32> {
        let parts = side.parts();
        let (hip, knee, ankle) = (
            reliable(parts.hip)?,
            reliable(parts.knee)?,
            reliable(parts.ankle)?,
        );
        let (thigh, shank) = (sub(knee, hip), sub(ankle, knee));
        let bend = signed_angle_deg(thigh, shank)?;
        (bend.abs() >= KNEE_FACING_CUE_DEG).then(|| bend.signum())
    };
    match (bent(Side::Left), bent(Side::Right)) {
        (Some(l), Some(r)) => (l == r).then_some(l),
        (l, r) => l.or(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pose::KEYPOINT_COUNT;

    /// A standing side view facing right (the trunk 100 px, the shoulders and hips `spacing_px`
    /// apart), the left knee bent 60 deg, no face seen.
    fn no_face(spacing_px: f32) -> Pose {
        let mut k = [Keypoint::default(); KEYPOINT_COUNT];
        let mut set = |part: BodyPart, x: f32, y: f32| {
            k[part.index()] = Keypoint {
                x,
                y,
                confidence: 0.9,
            }
        };
        set(BodyPart::LeftShoulder, 100.0, 100.0);
        set(BodyPart::RightShoulder, 100.0 + spacing_px, 100.0);
        set(BodyPart::LeftHip, 100.0, 200.0);
        set(BodyPart::RightHip, 100.0 + spacing_px, 200.0);
        set(BodyPart::LeftKnee, 100.0, 300.0);
        // Bent backwards: the ankle behind (left of) the thigh line.
        let bend = 60f32.to_radians();
        set(
            BodyPart::LeftAnkle,
            100.0 - 100.0 * bend.sin(),
            300.0 + 100.0 * bend.cos(),
        );
        Pose::from_keypoints(k)
    }

    fn mirrored(pose: &Pose) -> Pose {
        let mut k = pose.keypoints;
        for p in &mut k {
            p.x = 400.0 - p.x;
        }
        Pose::from_keypoints(k)
    }

    #[test]
    fn a_bent_knee_tells_the_front_in_a_side_view_only() {
        let right = joint_angles(&no_face(4.0), None, 0.3);
        assert_eq!(right.facing_cue, Some(FacingCue::Knee));
        // Facing right, anterior is clockwise of the trunk's upward direction on screen.
        assert_eq!(right.anterior_sign, Some(1.0));
        let left = joint_angles(&mirrored(&no_face(4.0)), None, 0.3);
        assert_eq!(left.anterior_sign, Some(-1.0));
        // The same knee seen obliquely (shoulders and hips spaced 40 % of the trunk) says nothing.
        let oblique = joint_angles(&no_face(40.0), None, 0.3);
        assert_eq!(oblique.facing_cue, None);
        assert_eq!(oblique.anterior_sign, None);
        // Bent under the cue's bound: nothing either.
        let mut slight = no_face(4.0);
        let ankle = &mut slight.keypoints[BodyPart::LeftAnkle.index()];
        (ankle.x, ankle.y) = (100.0 - 100.0 * 0.4, 300.0 + 100.0 * 0.92);
        assert_eq!(joint_angles(&slight, None, 0.3).anterior_sign, None);
    }

    #[test]
    fn a_face_seen_from_the_front_is_no_cue_and_an_ear_is_a_weak_one() {
        let mut pose = no_face(4.0);
        // Straighten the knee: only the head can tell.
        pose.keypoints[BodyPart::LeftAnkle.index()].x = 100.0;
        pose.keypoints[BodyPart::LeftAnkle.index()].y = 400.0;
        let set = |pose: &mut Pose, part: BodyPart, x: f32, y: f32| {
            pose.keypoints[part.index()] = Keypoint {
                x,
                y,
                confidence: 0.9,
            };
        };
        // The nose 2 px off the ears' middle across a 100-px trunk: square on.
        set(&mut pose, BodyPart::Nose, 102.0, 60.0);
        set(&mut pose, BodyPart::LeftEar, 92.0, 58.0);
        set(&mut pose, BodyPart::RightEar, 108.0, 58.0);
        let front = joint_angles(&pose, None, 0.3);
        assert!(front.face_square_on);
        // Nor are the ears beside it, which lie as much on the trunk line.
        assert_eq!(front.facing_cue, None);
        assert_eq!(front.anterior_sign, None);
        // Without the nose, the ears guess (weakly).
        let mut no_nose = pose;
        no_nose.keypoints[BodyPart::Nose.index()].confidence = 0.0;
        let ears = joint_angles(&no_nose, None, 0.3);
        assert_eq!(ears.facing_cue, Some(FacingCue::Ear));
        assert!(!FacingCue::Ear.is_strong());
        // Side-on, the nose 25 px ahead of the ear: the face.
        set(&mut pose, BodyPart::Nose, 125.0, 62.0);
        set(&mut pose, BodyPart::RightEar, 0.0, 0.0);
        pose.keypoints[BodyPart::RightEar.index()].confidence = 0.0;
        set(&mut pose, BodyPart::LeftEar, 100.0, 58.0);
        let side = joint_angles(&pose, None, 0.3);
        assert!(!side.face_square_on);
        assert_eq!(side.facing_cue, Some(FacingCue::Face));
        assert_eq!(side.anterior_sign, Some(1.0));
    }
}
