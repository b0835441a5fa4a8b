//! Which way the body faces, frame by frame, from the cues each frame gave
//! ([`JointAngles::facing_cue`]).
//!
//! The face and a bent knee show the body's front; the ears only suggest it and decide only when
//! too few frames show more. One frame's cue can be misread, so the recording votes, and so do its
//! stretches, since a person may turn round (a runner swings one leg facing right, turns, and
//! swings the other facing left) or over (a prone test, then a supine one): read with the whole
//! recording's majority, every angle against the trunk after such a turn was reversed.

use super::joints::JointAngles;

/// Half the window over which a stretch of the recording votes, seconds.
const FACING_WINDOW_S: f64 = 0.75;

/// A window decides its frames' facing with at least this many more votes one way than the
/// other, and at least [`FACING_MIN_NET_SHARE`] of its cues.
const FACING_MIN_NET_VOTES: f32 = 5.0;

/// A window decides with a net vote of at least this share of the cues in it (whatever the frame
/// rate: a 240 frames/s recording has 360 frames in a window): a quarter of the cues misread
/// still decides (half of them net), 70 against 30 does not. Under 3.3 frames/s a window holds
/// fewer than 5 frames: it then needs [`FACING_MIN_NET_VOTES`] or 60 % of its frames net,
/// whichever is fewer.
const FACING_MIN_NET_SHARE: f32 = 0.4;

/// The face and bent knees decide the recording's facing when they were seen in at least this
/// share of its frames (and at least [`FACING_MIN_NET_VOTES`] frames): a face turned to the
/// camera all along, whose nose keypoint noise pushes off the trunk line in 3 to 8 of 360
/// frames, only guesses.
const FACING_MIN_SHOWN_SHARE: f32 = 0.1;

/// A stretch must face against the whole recording's majority at least this long, seconds, to
/// count as a turn, as its windows decide it (they decide a frame only well inside it: the
/// stretch itself lasts about 2.5 s or more, with a quarter of its cues misread); shorter
/// stretches either way are folded into their neighbours (a head turned back for a moment is
/// not the body turning, a glance forward during a turn does not undo it).
const MIN_TURNED_S: f64 = 1.5;

/// A body turning round or over is seen square on from the front or the back on the way, or
/// leaves the picture: a turn counts only with such a frame (see [`turning_frames`]) within this
/// many seconds of each end of the stretch, unless the end is the recording's own. A head turned
/// back keeps the body side-on, however long (looking back over the shoulder twists the
/// shoulders, not the hips).
const TURN_NEAR_S: f64 = 1.5;

/// The facing of every frame of a series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Facing {
    /// Per frame: the anterior side (as [`JointAngles::anterior_sign`]) the frame's angles are
    /// read with; None where no frame gave a cue.
    pub per_frame: Vec<Option<f32>>,
    /// The whole recording's majority.
    pub majority: Option<f32>,
    /// Whether it was guessed: fewer than [`FACING_MIN_SHOWN_SHARE`] of the frames showed the
    /// face in profile or a bent knee.
    pub guessed: bool,
}

/// Which way the body faced in each of `frames`, taken at `time_s` (seconds, one per frame);
/// `turning` says per frame whether the body was seen turning (see [`turning_frames`]).
pub(crate) fn facing(time_s: &[f64], frames: &[JointAngles], turning: &[bool]) -> Facing {
    let vote = |a: &JointAngles, strong: bool| -> f32 {
        match (a.facing_cue, a.anterior_sign) {
            (Some(cue), Some(sign)) if cue.is_strong() == strong => sign,
            _ => 0.0,
        }
    };
    let strong: Vec<f32> = frames.iter().map(|a| vote(a, true)).collect();
    let strong_sum: f32 = strong.iter().sum();
    let strong_count = strong.iter().filter(|&&v| v != 0.0).count() as f32;
    let weak_sum: f32 = frames.iter().map(|a| vote(a, false)).sum();
    let shown = facing_shown(strong_count as usize, frames.len());
    // A tie between strong cues (as many frames each way of a turn) is broken by the first.
    let first_strong = strong.iter().copied().find(|&v| v != 0.0);
    let strong_majority = match first_strong {
        Some(first) if strong_sum == 0.0 => Some(first),
        Some(_) => Some(strong_sum.signum()),
        None => None,
    };
    let weak_majority = (weak_sum != 0.0).then(|| weak_sum.signum());
    let (majority, guessed) = if shown {
        (strong_majority, false)
    } else {
        // Too few to show it: a guess, from the few strong cues there were, else the ears.
        let guess = strong_majority.or(weak_majority);
        (guess, guess.is_some())
    };
    let per_frame = match majority {
        Some(majority) if !guessed => turns(time_s, &strong, turning, majority),
        _ => vec![majority; frames.len()],
    };
    Facing {
        per_frame,
        majority,
        guessed,
    }
}

/// Whether `strong` frames showing the face in profile or a bent knee, of `frames`, are enough
/// to tell which way the body faces (else it is a guess): the rule of a recording, and of the
/// live view's recent frames.
pub(crate) fn facing_shown(strong: usize, frames: usize) -> bool {
    strong as f32 >= FACING_MIN_NET_VOTES.max(FACING_MIN_SHOWN_SHARE * frames as f32)
}

/// Per frame, whether the body was seen turning: shoulders and hips spaced wider than
/// `square_on` times the trunk length (`spread`, see [`super::frame_lateral_spread`]; None where
/// not measured: a far shoulder or hip not seen side-on is no turn), or beside a stretch of at
/// least `gap_s` seconds without a trunk (`trunk_seen` false) or without frames (the person out
/// of the picture).
pub(crate) fn turning_frames(
    time_s: &[f64],
    spread: &[Option<f32>],
    trunk_seen: &[bool],
    square_on: f32,
    gap_s: f64,
) -> Vec<bool> {
    let n = time_s.len().min(spread.len()).min(trunk_seen.len());
    let mut turning: Vec<bool> = spread[..n]
        .iter()
        .map(|s| s.is_some_and(|s| s > square_on))
        .collect();
    for i in 1..n {
        if time_s[i] - time_s[i - 1] >= gap_s {
            turning[i - 1] = true;
            turning[i] = true;
        }
    }
    let mut i = 0;
    while i < n {
        if trunk_seen[i] {
            i += 1;
            continue;
        }
        let end = (i..n).find(|&j| trunk_seen[j]).unwrap_or(n);
        let (from, to) = (time_s[i.saturating_sub(1)], time_s[end.min(n - 1)]);
        if to - from >= gap_s {
            turning[i..end].fill(true);
        }
        i = end;
    }
    turning
}

/// A stretch of frames `first..=last` whose windows decided `sign`.
#[derive(Debug, Clone, Copy)]
struct Run {
    first: usize,
    last: usize,
    sign: f32,
}

/// Per frame, the facing of the stretch it is in. Each frame's window of ±[`FACING_WINDOW_S`]
/// decides when its votes lean clearly one way (see [`FACING_MIN_NET_VOTES`]); stretches of
/// decided frames shorter than [`MIN_TURNED_S`] are folded into their neighbours, shortest
/// first; a stretch left against `majority` is a turn when it has a `turning` frame near each
/// end ([`TURN_NEAR_S`]; the recording's first and last stretch need none at the recording's
/// ends) and does not cover the whole recording. Every other frame is `majority`'s.
fn turns(time_s: &[f64], votes: &[f32], turning: &[bool], majority: f32) -> Vec<Option<f32>> {
    debug_assert_eq!(time_s.len(), votes.len());
    debug_assert_eq!(time_s.len(), turning.len());
    let n = votes.len().min(time_s.len()).min(turning.len());
    let time_s = &time_s[..n];
    let mut facing = vec![Some(majority); votes.len()];

    // Sliding window sums: [start, end) holds the frames within the window of frame i.
    let (mut start, mut end, mut sum, mut cues) = (0, 0, 0.0f32, 0.0f32);
    let mut runs: Vec<Run> = Vec::new();
    for i in 0..n {
        while end < n && time_s[end] <= time_s[i] + FACING_WINDOW_S {
            sum += votes[end];
            cues += votes[end].abs();
            end += 1;
        }
        while start < i && time_s[start] < time_s[i] - FACING_WINDOW_S {
            sum -= votes[start];
            cues -= votes[start].abs();
            start += 1;
        }
        let in_window = (end - start) as f32;
        let needed = FACING_MIN_NET_VOTES
            .min(0.6 * in_window)
            .max(FACING_MIN_NET_SHARE * cues);
        if sum == 0.0 || sum.abs() < needed {
            continue;
        }
        match runs.last_mut() {
            Some(run) if run.sign == sum.signum() => run.last = i,
            _ => runs.push(Run {
                first: i,
                last: i,
                sign: sum.signum(),
            }),
        }
    }

    let lasted = |run: &Run| time_s[run.last] - time_s[run.first];
    while runs.len() > 1 {
        let Some((k, _)) = runs
            .iter()
            .enumerate()
            .filter(|(_, r)| lasted(r) < MIN_TURNED_S)
            .min_by(|a, b| lasted(a.1).total_cmp(&lasted(b.1)))
        else {
            break;
        };
        let short = runs.remove(k);
        // Its neighbours now sit at k - 1 and k: joined when they agree, else the longer takes it.
        match (k.checked_sub(1), (k < runs.len()).then_some(k)) {
            (Some(before), Some(after)) if runs[before].sign == runs[after].sign => {
                runs[before].last = runs[after].last;
                runs.remove(after);
            }
            (Some(before), Some(after)) if lasted(&runs[before]) < lasted(&runs[after]) => {
                runs[after].first = short.first;
            }
            (Some(before), _) => runs[before].last = short.last,
            (None, Some(after)) => runs[after].first = short.first,
            (None, None) => {}
        }
    }

    // Turning frames before each frame, for "one within TURN_NEAR_S".
    let mut turning_before = vec![0usize; n + 1];
    for i in 0..n {
        turning_before[i + 1] = turning_before[i] + usize::from(turning[i]);
    }
    let turned_near = |i: usize| {
        let from = time_s.partition_point(|&t| t < time_s[i] - TURN_NEAR_S);
        let to = time_s.partition_point(|&t| t <= time_s[i] + TURN_NEAR_S);
        turning_before[to] > turning_before[from]
    };
    let count = runs.len();
    for (k, run) in runs.iter().enumerate() {
        let (opens, closes) = (k == 0, k + 1 == count);
        let turned = run.sign != majority
            && lasted(run) >= MIN_TURNED_S
            && !(opens && closes)
            && (opens || turned_near(run.first))
            && (closes || turned_near(run.last));
        if turned {
            // The recording's first or last stretch reaches its start or end.
            let from = if opens { 0 } else { run.first };
            let to = if closes { n } else { run.last + 1 };
            facing[from..to].fill(Some(run.sign));
        }
    }
    facing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::angles::FacingCue;

    fn times(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64 / 30.0).collect()
    }

    /// 8 s at 30 frames/s: facing `way(i)`, a quarter of the frames misread.
    fn votes(way: impl Fn(usize) -> f32) -> Vec<f32> {
        (0..240)
            .map(|i| if i % 4 == 0 { -way(i) } else { way(i) })
            .collect()
    }

    #[test]
    fn a_turn_is_followed_when_the_body_was_seen_turning() {
        // 4 s one way, 4 s the other, seen from the front at the turn.
        let halves = votes(|i| if i < 120 { 1.0 } else { -1.0 });
        let mut turning = vec![false; 240];
        turning[118..122].fill(true);
        let turned = turns(&times(240), &halves, &turning, -1.0);
        assert!(turned[..100].iter().all(|&f| f == Some(1.0)), "{turned:?}");
        assert!(turned[140..].iter().all(|&f| f == Some(-1.0)), "{turned:?}");
        // Without a frame seen turning, the face turned, not the body.
        let side_on = vec![false; 240];
        let kept = turns(&times(240), &halves, &side_on, -1.0);
        assert!(kept.iter().all(|&f| f == Some(-1.0)), "{kept:?}");
        // A stretch in the middle of 12 s: seen turning at both ends, or it is no turn.
        let middle: Vec<f32> = (0..360)
            .map(|i| {
                let way = if (120..240).contains(&i) { -1.0 } else { 1.0 };
                if i % 4 == 0 {
                    -way
                } else {
                    way
                }
            })
            .collect();
        let mut both = vec![false; 360];
        both[118..122].fill(true);
        both[238..242].fill(true);
        let turned = turns(&times(360), &middle, &both, 1.0);
        assert!(
            turned[140..220].iter().all(|&f| f == Some(-1.0)),
            "{turned:?}"
        );
        assert!(turned[..100]
            .iter()
            .chain(&turned[260..])
            .all(|&f| f == Some(1.0)));
        let mut one_end = vec![false; 360];
        one_end[118..122].fill(true);
        let kept = turns(&times(360), &middle, &one_end, 1.0);
        assert!(kept.iter().all(|&f| f == Some(1.0)), "{kept:?}");
    }

    #[test]
    fn glances_and_stray_cues_are_no_turn_and_do_not_undo_one() {
        let all_turning = vec![true; 240];
        // A second of the face turned back: not a turn, even with the body seen from the front.
        let mut glance = vec![1.0f32; 240];
        glance[100..130].fill(-1.0);
        let kept = turns(&times(240), &glance, &all_turning, 1.0);
        assert!(kept.iter().all(|&f| f == Some(1.0)), "{kept:?}");
        // A cue now and then for the majority, one burst against it: the burst alone decides a
        // window, but a stretch against the majority over the whole recording is no turn.
        let mut sparse: Vec<f32> = (0..240)
            .map(|i| if i % 12 == 0 { 1.0 } else { 0.0 })
            .collect();
        sparse[100..110].fill(-1.0);
        let kept = turns(&times(240), &sparse, &all_turning, 1.0);
        assert!(kept.iter().all(|&f| f == Some(1.0)), "{kept:?}");
        // A glance back the other way in the middle of a turned half does not undo the turn.
        let mut halves = votes(|i| if i < 120 { 1.0 } else { -1.0 });
        halves[170..190].fill(1.0);
        let mut turning = vec![false; 240];
        turning[118..122].fill(true);
        let turned = turns(&times(240), &halves, &turning, 1.0);
        assert!(turned[150..].iter().all(|&f| f == Some(-1.0)), "{turned:?}");
        // Nothing to read.
        assert!(turns(&[], &[], &[], 1.0).is_empty());
    }

    #[test]
    fn a_tie_between_strong_cues_is_not_a_guess() {
        let frame = |sign: f32, cue: FacingCue| JointAngles {
            anterior_sign: Some(sign),
            facing_cue: Some(cue),
            ..Default::default()
        };
        let mut frames: Vec<JointAngles> = (0..240)
            .map(|i| frame(if i < 120 { 1.0 } else { -1.0 }, FacingCue::Face))
            .collect();
        frames.push(frame(-1.0, FacingCue::Ear));
        let mut turning = vec![false; 241];
        turning[118..122].fill(true);
        let mut time_s = times(241);
        time_s[240] = 8.0;
        let read = facing(&time_s, &frames, &turning);
        assert!(!read.guessed);
        assert_eq!(read.majority, Some(1.0));
        assert_eq!(read.per_frame[10], Some(1.0));
        assert_eq!(read.per_frame[200], Some(-1.0));
    }

    #[test]
    fn the_person_out_of_the_picture_for_a_while_is_seen_turning() {
        let time_s = times(60);
        let mut seen = vec![true; 60];
        seen[10..13].fill(false); // 0.13 s: a dropout
        seen[30..45].fill(false); // 0.5 s: gone
        let spread = vec![Some(0.1); 60];
        let turning = turning_frames(&time_s, &spread, &seen, 0.35, 0.3);
        assert!(!turning[11]);
        assert!(turning[35]);
        let wide = vec![Some(0.5); 60];
        assert!(turning_frames(&time_s, &wide, &seen, 0.35, 0.3)[0]);
    }
}
