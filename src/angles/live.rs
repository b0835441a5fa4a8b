//! Angles one frame at a time, for the live view: no look-ahead, so the zero-phase filter of a
//! recorded series is replaced by a One Euro filter per channel.

use std::collections::VecDeque;

use super::facing::facing_shown;
use super::filter::OneEuroFilter;
use super::geometry::wrap_deg;
use super::joints::{joint_angles, JointAngles};
use super::series::{Channel, CHANNEL_COUNT};
use crate::pose::Pose;

/// One Euro cutoff at rest, hertz: a held stretch reads steady to a tenth of a degree.
const MIN_CUTOFF_HZ: f64 = 1.0;
/// Cutoff rise per degree/second: a leg moving at 30 degrees/s lags by about a degree.
const BETA: f64 = 0.05;

/// The live view judges whether which way the body faces is a guess over the frames with a
/// person of this many seconds back: recent enough to follow a person who turns from the screen
/// to the side (or a new person stepping in), long enough for a glance ahead now and then.
const FACING_RECENT_S: f64 = 10.0;

/// Seconds with a person in view (within [`FACING_RECENT_S`]) before the live view says that
/// which way the body faces is a guess: a moment to settle before being told anything.
const FACING_JUDGED_AFTER_S: f64 = 2.0;

/// The angles of one frame, raw and filtered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveFrameAngles {
    /// This frame's angles, with the anterior side voted over the frames so far.
    pub raw: JointAngles,
    /// Each channel filtered over time, degrees (indexed like [`Channel::ALL`]); NaN when the
    /// angle is unknown in this frame.
    pub filtered: [f32; CHANNEL_COUNT],
    /// Whether which way the body faces (`raw.anterior_sign`) is a guess: too few of the last
    /// 10 s of frames with a person showed the face in profile or a bent knee, by the rule of a
    /// recording's [`crate::angles::AngleSeries::facing_guessed`] (which counts all of a
    /// recording's frames, a person in view or not). Forward and back (face up and face down)
    /// may then be reversed. Said once a person has been in view for 2 s.
    pub facing_guessed: bool,
}

impl LiveFrameAngles {
    /// The filtered angle of `channel`, degrees; NaN when unknown.
    pub fn angle(&self, channel: Channel) -> f32 {
        self.filtered[channel.index()]
    }
}

/// Per-frame angles with a running anterior-side vote and a One Euro filter per channel.
#[derive(Debug, Clone)]
pub struct LiveAngles {
    min_confidence: f32,
    /// An angle missing for longer than this starts its filter afresh, seconds.
    max_gap_s: f64,
    filters: [OneEuroFilter; CHANNEL_COUNT],
    last_seen_s: [f64; CHANNEL_COUNT],
    /// Running anterior-side votes of the ears' guesses (0) and of the face and bent knees (1).
    anterior_votes: [f32; 2],
    /// The side the face and bent knees last leaned to.
    strong_sign: Option<f32>,
    /// The frames with a person of the last [`FACING_RECENT_S`]: time, seconds, and whether
    /// the face or a bent knee gave a cue.
    recent_cues: VecDeque<(f64, bool)>,
}

impl LiveAngles {
    /// Keypoints under `min_confidence` are not used; a channel missing for more than
    /// `max_gap_s` seconds is not bridged by its filter.
    pub fn new(min_confidence: f32, max_gap_s: f64) -> Self {
        LiveAngles {
            min_confidence,
            max_gap_s,
            filters: std::array::from_fn(|_| OneEuroFilter::new(MIN_CUTOFF_HZ, BETA)),
            last_seen_s: [f64::NEG_INFINITY; CHANNEL_COUNT],
            anterior_votes: [0.0; 2],
            strong_sign: None,
            recent_cues: VecDeque::new(),
        }
    }

    /// The angles of the frame at `time_s` (seconds, increasing).
    pub fn push(&mut self, time_s: f64, pose: &Pose) -> LiveFrameAngles {
        let own = joint_angles(pose, None, self.min_confidence);
        if pose.has_person() {
            let strong = own.facing_cue.is_some_and(|cue| cue.is_strong());
            self.recent_cues.push_back((time_s, strong));
            while self
                .recent_cues
                .front()
                .is_some_and(|&(t, _)| time_s - t > FACING_RECENT_S)
            {
                self.recent_cues.pop_front();
            }
        }
        if let (Some(sign), Some(cue)) = (own.anterior_sign, own.facing_cue) {
            // Capped so that a person who turns round is followed within a second or two.
            let votes = &mut self.anterior_votes[usize::from(cue.is_strong())];
            *votes = (*votes + sign).clamp(-30.0, 30.0);
            if cue.is_strong() && *votes != 0.0 {
                self.strong_sign = Some(votes.signum());
            }
        }
        // The face or a bent knee decide (a tie keeps their last word); the ears only when
        // neither was ever seen.
        let weak = self.anterior_votes[0];
        let majority = self
            .strong_sign
            .or_else(|| (weak != 0.0).then(|| weak.signum()));
        let raw = match majority {
            Some(sign) if own.anterior_sign != Some(sign) => {
                joint_angles(pose, Some(sign), self.min_confidence)
            }
            _ => own,
        };
        let mut filtered = [f32::NAN; CHANNEL_COUNT];
        for channel in Channel::ALL {
            let i = channel.index();
            let Some(angle) = channel.of(&raw) else {
                continue;
            };
            if time_s - self.last_seen_s[i] > self.max_gap_s {
                self.filters[i].reset();
            }
            self.last_seen_s[i] = time_s;
            let filter = &mut self.filters[i];
            filtered[i] = if channel.is_direction() {
                // A direction crossing ±180 deg is filtered as the small turn it is, not
                // through every angle between (a back thigh level behind the body read
                // -178 and 179 in turn showed about 0): the filter runs on unwrapped values.
                let unwrapped = filter
                    .estimate()
                    .map_or(angle.deg, |last| last + wrap_deg(angle.deg - last));
                wrap_deg(filter.filter(time_s, unwrapped))
            } else {
                filter.filter(time_s, angle.deg)
            };
        }
        LiveFrameAngles {
            raw,
            filtered,
            facing_guessed: majority.is_some() && self.facing_guessed_recently(),
        }
    }

    /// Whether the recent frames with a person ([`FACING_RECENT_S`], once they span
    /// [`FACING_JUDGED_AFTER_S`]) showed the face in profile or a bent knee too rarely to tell
    /// which way the body faces.
    fn facing_guessed_recently(&self) -> bool {
        let (Some(&(first_s, _)), Some(&(last_s, _))) =
            (self.recent_cues.front(), self.recent_cues.back())
        else {
            return false;
        };
        let strong = self.recent_cues.iter().filter(|&&(_, s)| s).count();
        last_s - first_s >= FACING_JUDGED_AFTER_S && !facing_shown(strong, self.recent_cues.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::angles::Side;
    use crate::pose::{BodyPart, Keypoint, KEYPOINT_COUNT};

    /// A side view facing right with the left knee bent by `knee_deg`.
    fn pose_with_knee(knee_deg: f32) -> Pose {
        let mut k = [Keypoint::default(); KEYPOINT_COUNT];
        let mut set = |part: BodyPart, x: f32, y: f32| {
            k[part as usize] = Keypoint {
                x,
                y,
                confidence: 0.9,
            }
        };
        set(BodyPart::Nose, 130.0, 40.0);
        set(BodyPart::LeftEar, 100.0, 40.0);
        set(BodyPart::LeftShoulder, 100.0, 100.0);
        set(BodyPart::RightShoulder, 102.0, 100.0);
        set(BodyPart::LeftHip, 100.0, 200.0);
        set(BodyPart::RightHip, 102.0, 200.0);
        set(BodyPart::LeftKnee, 100.0, 300.0);
        let a = knee_deg.to_radians();
        set(
            BodyPart::LeftAnkle,
            100.0 - 100.0 * a.sin(),
            300.0 + 100.0 * a.cos(),
        );
        Pose::from_keypoints(k)
    }

    #[test]
    fn the_face_outvotes_the_ears_however_many() {
        let mut live = LiveAngles::new(0.3, 0.3);
        // The nose hidden and the knee straight: the ear, a hair behind the shoulder, guesses
        // "facing left" frame after frame.
        let mut ear_only = pose_with_knee(0.0);
        ear_only.keypoints[BodyPart::Nose as usize].confidence = 0.0;
        ear_only.keypoints[BodyPart::LeftEar as usize].x = 98.0;
        for i in 0..20 {
            let frame = live.push(i as f64 / 30.0, &ear_only);
            assert_eq!(frame.raw.anterior_sign, Some(-1.0));
        }
        // One frame shows the face (facing right): it decides, for the ear frames after it too.
        let face = live.push(1.0, &pose_with_knee(0.0));
        assert_eq!(face.raw.anterior_sign, Some(1.0));
        let after = live.push(1.1, &ear_only);
        assert_eq!(after.raw.anterior_sign, Some(1.0));
        // The face seen the other way once: the strong votes tie, which keeps their last lean;
        // the ears (20 against) still do not decide.
        let mut facing_left = pose_with_knee(0.0);
        facing_left.keypoints[BodyPart::Nose as usize].x = 70.0;
        assert_eq!(live.push(1.2, &facing_left).raw.anterior_sign, Some(1.0));
        let tied = live.push(1.3, &ear_only);
        assert_eq!(tied.raw.anterior_sign, Some(1.0));
    }

    #[test]
    fn a_direction_crossing_180_is_filtered_as_the_small_turn_it_is() {
        let mut live = LiveAngles::new(0.3, 0.3);
        let shank = Channel::Leg(crate::angles::LegAngle::ShankToVertical, Side::Left);
        // The shank pointing straight up, a degree or two either side of it in turn.
        let mut raw = Vec::new();
        for i in 0..60 {
            let knee = if i % 2 == 0 { 178.0 } else { 182.5 };
            let frame = live.push(i as f64 / 30.0, &pose_with_knee(knee));
            raw.push(frame.raw.left.shank_to_vertical.map(|a| a.deg));
            let shown = frame.angle(shank);
            assert!(shown.abs() > 177.0, "frame {i}: {shown} (raw {raw:?})");
        }
        // The frames did cross ±180.
        assert!(raw.iter().flatten().any(|&deg| deg > 0.0));
        assert!(raw.iter().flatten().any(|&deg| deg < 0.0));
    }

    #[test]
    fn a_held_angle_reads_steady_and_a_gap_restarts_the_filter() {
        let mut live = LiveAngles::new(0.3, 0.3);
        let knee = Channel::Leg(crate::angles::LegAngle::KneeFlexion, Side::Left);
        let mut last = f32::NAN;
        for i in 0..60 {
            let jitter = if i % 2 == 0 { 2.0 } else { -2.0 };
            last = live
                .push(i as f64 / 30.0, &pose_with_knee(40.0 + jitter))
                .angle(knee);
        }
        assert!((last - 40.0).abs() < 1.0, "filtered {last}");
        // Unknown in this frame: NaN, not the stale value.
        let mut hidden = pose_with_knee(40.0);
        hidden.keypoints[BodyPart::LeftAnkle as usize].confidence = 0.0;
        assert!(live.push(2.0, &hidden).angle(knee).is_nan());
        // After a gap longer than max_gap_s the first value is taken as it is.
        let after = live.push(3.0, &pose_with_knee(70.0)).angle(knee);
        assert!((after - 70.0).abs() < 0.01, "after gap {after}");
    }
}
