//! Which way the body faces, frame by frame, from the cues each frame gave
//! ([`JointAngles::facing_cue`]).
//!
//! The face and a bent knee show the body's front; the ears only suggest it and decide only when
//! no frame shows more. One frame's cue can be misread, so the series votes: over the whole
//! recording, and over stretches of it, since a person may turn round (a runner swings one leg
//! facing right, turns, and swings the other facing left) or over (a prone test, then a supine
//! one). Read with the whole recording's majority, the frames after a turn had every angle
//! against the trunk reversed: the first leg's swing read 10 deg of flexion and 49 of extension
//! instead of 50 and 10, and a straight-leg raise of 60 deg recorded after a prone hip extension
//! of 15 read 17.5.

use super::joints::JointAngles;

/// Half the window over which a stretch of the recording votes, seconds.
pub const FACING_WINDOW_S: f64 = 0.75;

/// A window decides its frames' facing with at least this many more votes one way than the
/// other (a window of 45 frames at 30 frames/s: a quarter misread still decides by 22).
pub const FACING_MIN_NET_VOTES: f32 = 5.0;

/// A stretch must face against the whole recording's majority at least this long, seconds, to
/// count as a turn: a head turned back for a moment is not the body turning.
pub const MIN_TURNED_S: f64 = 1.5;

/// A body turning round or over is seen from the front or the back on the way (or leaves the
/// picture): a turn counts only with a frame within [`MIN_TURNED_S`] of each of its ends whose
/// shoulders and hips are spaced wider than this share of the trunk length (the oblique bound),
/// or whose trunk was not seen. A head turned back for longer keeps the body side-on.
pub const TURNING_SPREAD: f32 = 0.35;

/// The facing of every frame of a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Facing {
    /// Per frame: the anterior side (as [`JointAngles::anterior_sign`]) the frame's angles are
    /// read with; None where no frame gave a cue.
    pub per_frame: Vec<Option<f32>>,
    /// The whole recording's majority.
    pub majority: Option<f32>,
    /// Whether it was guessed from the ears alone (no frame showed the face or a bent knee).
    pub guessed: bool,
}

/// Which way the body faced in each of `frames`, taken at `time_s` (seconds, one per frame).
/// `spread`: per frame, the shoulders' and hips' spacing over the trunk length (see
/// [`super::frame_lateral_spread`]), None where the trunk was not seen.
pub fn facing(time_s: &[f64], frames: &[JointAngles], spread: &[Option<f32>]) -> Facing {
    let vote = |a: &JointAngles, strong: bool| -> f32 {
        match (a.facing_cue, a.anterior_sign) {
            (Some(cue), Some(sign)) if cue.is_strong() == strong => sign,
            _ => 0.0,
        }
    };
    let strong: Vec<f32> = frames.iter().map(|a| vote(a, true)).collect();
    let strong_sum: f32 = strong.iter().sum();
    let weak_sum: f32 = frames.iter().map(|a| vote(a, false)).sum();
    let (majority, guessed) = if strong_sum != 0.0 {
        (Some(strong_sum.signum()), false)
    } else if weak_sum != 0.0 {
        (Some(weak_sum.signum()), true)
    } else {
        (None, false)
    };
    let per_frame = match majority {
        Some(majority) if !guessed => {
            let turning: Vec<bool> = spread
                .iter()
                .map(|s| s.is_none_or(|s| s > TURNING_SPREAD))
                .collect();
            turns(time_s, &strong, &turning, majority)
        }
        _ => vec![majority; frames.len()],
    };
    Facing {
        per_frame,
        majority,
        guessed,
    }
}

/// Per frame, the facing of the stretch it is in: each frame's window of ±[`FACING_WINDOW_S`]
/// decides when its votes lean clearly one way; a frame whose window does not takes the facing
/// last decided (the first decided, before any); a stretch against `majority` shorter than
/// [`MIN_TURNED_S`], or without a `turning` frame near each end (one within [`MIN_TURNED_S`];
/// the recording's own start and end need none), is `majority`'s.
fn turns(time_s: &[f64], votes: &[f32], turning: &[bool], majority: f32) -> Vec<Option<f32>> {
    let n = votes.len().min(time_s.len()).min(turning.len());
    let turned_near = |i: usize| {
        (0..n)
            .filter(|&j| (time_s[j] - time_s[i]).abs() <= MIN_TURNED_S)
            .any(|j| turning[j])
    };
    // Sliding window sums: [start, end) holds the frames within the window of frame i.
    let (mut start, mut end, mut sum) = (0, 0, 0.0f32);
    let mut decided: Vec<Option<f32>> = Vec::with_capacity(n);
    for i in 0..n {
        while end < n && time_s[end] <= time_s[i] + FACING_WINDOW_S {
            sum += votes[end];
            end += 1;
        }
        while start < i && time_s[start] < time_s[i] - FACING_WINDOW_S {
            sum -= votes[start];
            start += 1;
        }
        decided.push((sum.abs() >= FACING_MIN_NET_VOTES).then(|| sum.signum()));
    }
    let first = decided.iter().flatten().next().copied().unwrap_or(majority);
    let mut last = first;
    let mut facing: Vec<f32> = decided
        .iter()
        .map(|d| {
            last = d.unwrap_or(last);
            last
        })
        .collect();
    // Runs against the majority too short to be a turn are the majority's.
    let mut i = 0;
    while i < n {
        let run_end = (i..n).find(|&j| facing[j] != facing[i]).unwrap_or(n);
        let lasted = time_s[run_end - 1] - time_s[i];
        let turned = || (i == 0 || turned_near(i)) && (run_end == n || turned_near(run_end - 1));
        if facing[i] != majority && (lasted < MIN_TURNED_S || !turned()) {
            facing[i..run_end].fill(majority);
        }
        i = run_end;
    }
    facing.into_iter().map(Some).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64 / 30.0).collect()
    }

    #[test]
    fn a_turn_is_followed_and_a_glance_back_is_not() {
        // 4 s facing one way, 4 s the other (a quarter of the frames misread each way).
        let votes: Vec<f32> = (0..240)
            .map(|i| {
                let way = if i < 120 { 1.0 } else { -1.0 };
                if i % 4 == 0 {
                    -way
                } else {
                    way
                }
            })
            .collect();
        // Seen from the front for a moment at the turn.
        let mut turning = vec![false; 240];
        turning[118..122].fill(true);
        let turned = turns(&times(240), &votes, &turning, -1.0);
        assert!(turned[..100].iter().all(|&f| f == Some(1.0)), "{turned:?}");
        assert!(turned[140..].iter().all(|&f| f == Some(-1.0)), "{turned:?}");
        // Without a frame seen from the front at the turn, the body did not turn: the face did.
        let side_on = vec![false; 240];
        let kept = turns(&times(240), &votes, &side_on, -1.0);
        assert!(kept.iter().all(|&f| f == Some(-1.0)), "{kept:?}");
        // A second of the face turned back in the middle of a recording, even one seen from the
        // front before and after: not a turn.
        let mut glance = vec![1.0f32; 240];
        glance[100..130].fill(-1.0);
        let mut around = vec![false; 240];
        around[95..100].fill(true);
        around[130..135].fill(true);
        let kept = turns(&times(240), &glance, &around, 1.0);
        assert!(kept.iter().all(|&f| f == Some(1.0)), "{kept:?}");
        // A cue now and then (one frame in ten): no window decides; the majority holds.
        let sparse: Vec<f32> = (0..240)
            .map(|i| if i % 10 == 0 { -1.0 } else { 0.0 })
            .collect();
        assert!(turns(&times(240), &sparse, &side_on, -1.0)
            .iter()
            .all(|&f| f == Some(-1.0)));
    }
}
