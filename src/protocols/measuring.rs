//! From an angle series to results: which frames count (the protocol's criteria, the subject
//! settled), which side, and per measure the clinical result (the sustained maximum, the last
//! hold or the swings) with its quality and warnings, or a refusal with its reason. Also the
//! notes added to results after the fact (people in view, the subject's size, faults of the
//! recording, slow motion).

use super::hold::{self, sustained_maximum, Hold, HoldCriteria};
use super::warning::{Warning, WarningKind};
use super::{
    Best, Criterion, LegAngle, Measure, Measurement, Movement, Posture, Protocol, Quality, Refusal,
    RefusalKind, Repetition, ResultKind, Role, Settings, SideChoice, SideRule, Subject, Test,
    FRONTAL_SPREAD, HEEL_LIFT_SHANKS, MAX_STANDING_LEG_SHARE, MAX_SWING_TRAVEL, MIN_RESULT_SWINGS,
    MIN_SWINGS, OBLIQUE_SPREAD, SWING_FACING_UNCLEAR,
};
use crate::angles::geometry::wrap_deg;
use crate::angles::{AngleSeries, Channel, Side};
use crate::pose::{PeopleSeen, Pose, PERSON_MIN_CONFIDENCE};
use crate::stats;

/// Measures `series` by `protocol`: one [`Measurement`] per side and measure.
pub fn measure(
    protocol: &Protocol,
    series: &AngleSeries,
    side: SideChoice,
    hold: &HoldCriteria,
    source: &str,
    model: Option<&str>,
) -> Vec<Measurement> {
    let sides: Vec<Side> = match side {
        SideChoice::Named(s) => vec![s],
        SideChoice::Both => Side::BOTH.to_vec(),
        SideChoice::Auto => vec![choose_side(protocol, series)],
    };
    let mut out = Vec::new();
    for side in sides {
        let valid = valid_mask(protocol, series, side);
        for measure in protocol.measures {
            out.push(measure_one(
                protocol, measure, series, side, &valid, hold, source, model,
            ));
        }
    }
    out
}

/// Adds to each result what finding the subject showed in its `poses` (one per frame, frame
/// pixels): with `people` (a model ran), how many people were in view and any doubt about which
/// one was measured (a subject chosen by a guess, or chosen again: fair); the frames without a
/// person; and a subject too small in the frame to be read well ([`SMALL_SUBJECT_PX`]: fair,
/// [`TINY_SUBJECT_PX`]: poor).
pub fn note_people(results: &mut [Measurement], people: Option<&PeopleSeen>, poses: &[Pose]) {
    let frames = poses.len();
    let frames_with_person = poses.iter().filter(|p| p.has_person()).count();
    let missing = (frames_with_person < frames).then(|| {
        let count = frames - frames_with_person;
        Warning::new(WarningKind::NoPerson)
            .value(count as f32)
            .frames(count, frames)
    });
    let size_px = subject_size_px(poses).filter(|&px| px < SMALL_SUBJECT_PX);
    for r in results {
        if let Some(people) = people {
            r.people_seen = Some(people.most);
            r.warnings.extend(Warning::from_people(people, frames));
            // A number from someone who may not be the patient, or from two people (the subject
            // chosen again: lost, or picked by a click mid-trial), is fair at best.
            if (people.guessed.is_some() || people.locks > 1) && r.value_deg.is_some() {
                r.quality = r.quality.max_by_severity(Quality::Fair);
            }
        }
        r.warnings.extend(missing.clone());
        if let Some(px) = size_px {
            r.warnings
                .push(Warning::new(WarningKind::SmallSubject).value(px));
            if r.value_deg.is_some() {
                let grade = if px < TINY_SUBJECT_PX {
                    Quality::Poor
                } else {
                    Quality::Fair
                };
                r.quality = r.quality.max_by_severity(grade);
            }
        }
    }
}

/// The low-pass cutoff a swing test's angle is read with, hertz, at the least (a hold's is
/// 2.5; higher for fast swings, see [`SWING_HARMONICS`]): see
/// [`AngleSeries::smoothed_at_least`].
pub const SWING_CUTOFF_HZ: f64 = 5.0;

/// A swing test's angle is smoothed with a cutoff of at least this many times the swings' rate
/// (see [`swing_smoothed`]), hertz per hertz: a swing's peak is a sharp turn, and a leg swung
/// fast has more of it above [`SWING_CUTOFF_HZ`]. Swings to 60 and 20 deg turning sharply (a
/// triangle) every 0.5 and 0.6 s read 7.2 and 6.3 deg low at 30 frames/s, 7.2 and 5.9 at 60
/// (half-way between a triangle and a sine, about 4 and 3), all good; now 4.9 and 4.5 at 30
/// frames/s (bounded by [`SWING_MAX_RATE_SHARE`]), 3.2 and 2.7 at 60 (1.6 and 1.4); with 4 px
/// of jitter on a 100-px thigh a sine swing's peaks every 0.5-0.8 s read within 2.1 deg, as at
/// 5 Hz. Measured on synthetic swings: 4 times gained half as much as 6, 5 a little less.
const SWING_HARMONICS: f64 = 6.0;

/// The most a swing test's cutoff is raised to, as a share of the frame rate: at the frame
/// rate's Nyquist guard the filter does nothing, and keypoint jitter (5 px on a 112-px thigh)
/// drew crests of 15 deg, taken for swings: swings to 60 every 0.4 s read 39, good.
const SWING_MAX_RATE_SHARE: f64 = 0.25;

/// The low-pass cutoff a swing test's `channel` is read with, hertz: [`SWING_CUTOFF_HZ`], or
/// higher for fast swings, [`SWING_HARMONICS`] times their rate, up to [`SWING_MAX_RATE_SHARE`]
/// of the frame rate. The swings' rate is taken from the crests at least `prominence_deg` high
/// of the angle smoothed at [`SWING_CUTOFF_HZ`] (three or more), by the 75th percentile of the
/// times between them: the slower swings where fast and slow ones follow one another (after
/// twenty swings every 0.4 s, eight every 1.5 s read at the fast ones' rate came out 3-4 deg
/// high, jitter on their peaks).
fn swing_cutoff_hz(series: &AngleSeries, channel: Channel, prominence_deg: f32) -> f64 {
    let smoothed = series.smoothed_at_least(channel, SWING_CUTOFF_HZ);
    let mut between_s: Vec<f64> = crests(&series.time_s, &smoothed, prominence_deg)
        .windows(2)
        .map(|pair| pair[1].time_s - pair[0].time_s)
        .collect();
    between_s.sort_by(f64::total_cmp);
    let frame_s = hold::median_interval(&series.time_s);
    // (A NaN interval, from timestamps that are not numbers, is no frame rate either.)
    if between_s.len() < 2 || frame_s.is_nan() || frame_s <= 0.0 {
        return SWING_CUTOFF_HZ;
    }
    let swing_s = between_s[between_s.len() * 3 / 4];
    (SWING_HARMONICS / swing_s)
        .min(SWING_MAX_RATE_SHARE / frame_s)
        .max(SWING_CUTOFF_HZ)
}

/// `channel` smoothed for reading swings, at [`swing_cutoff_hz`].
fn swing_smoothed(series: &AngleSeries, channel: Channel, prominence_deg: f32) -> Vec<f32> {
    series.smoothed_at_least(channel, swing_cutoff_hz(series, channel, prominence_deg))
}

/// A turn of the trunk from the rest to the hold this large or larger, degrees, is said as the
/// trunk's part of a result against the trunk line ([`Movement::thigh_moves`]) and grades it
/// fair: chosen under the 6-7 deg MDC of the straight-leg raise (a curl-up of 8 deg read 68
/// for a leg raised to 60, graded good), not measured.
pub const TRUNK_TURN_DEG: f32 = 5.0;

/// Where no still rest is found, the rest a movement is measured from is the frames within this
/// of its lowest frame, seconds (see `Reading::rest_before`): a median over a few frames, not one
/// frame's noise.
const REST_WINDOW_S: f64 = 0.25;

/// The frame-to-frame scatter of the measured angle (one frame's standard deviation, see
/// [`AngleSeries::frame_scatter_deg`]) over which keypoints count as unsteady, degrees: said,
/// and a result graded fair. Measured on 1080 seeded synthetic holds (a hip extension and a
/// straight-leg raise, thighs of 60 to 100 px, keypoints read with σ 0 to 6 px; 938 results):
/// every result more than 3 deg off the truth (6: a 1-s stretch of the way in or out taken for
/// the hold, the true hold hidden by the jitter) had a scatter over the hold of 4.7 deg or
/// more; results within 3 deg had up to 14.5. Thunder on four development videos (people of 90
/// to 300 px per segment, moving; hip and knee angles, the leg against the horizontal): 0.4 to
/// 2.5 deg over a whole video.
pub const UNSTEADY_DEG: f32 = 4.5;
/// ... judged also over each stretch this long at the result's level or above, seconds (see
/// [`AngleSeries::frame_scatter_peak_deg`]). Over 1 s, five swaps falling together read a
/// clean 60-px thigh as unsteady; over 2 s the worst at 1 px of jitter was 3.4 deg, and
/// Thunder's fast movement in a sports video reached 6.3 (so not every stretch is judged).
pub const UNSTEADY_WINDOW_S: f64 = 2.0;

/// A subject whose confident keypoints span less than this, pixels (the longer side of their
/// box, the median over the frames with a person), is read less well: measured on the COCO
/// val2017 dev photos shrunk until the people were small (68 people, Thunder), the knee and hip
/// angle error's mean / median / 90th percentile was 6.2 / 4.0 / 11.7 deg at 45-60 px (as at
/// any larger size), 11.8 / 4.8 / 32.1 at 30-45 px.
pub const SMALL_SUBJECT_PX: f32 = 45.0;
/// ... and below this, poorly: 22.9 / 10.6 / 58.1 deg.
pub const TINY_SUBJECT_PX: f32 = 30.0;

/// The subject's size in the frame, pixels: the longer side of the box around its confident
/// keypoints, the median over the frames with a person (None without one).
pub fn subject_size_px(poses: &[Pose]) -> Option<f32> {
    let mut sizes: Vec<f32> = poses
        .iter()
        .filter(|p| p.has_person())
        .map(|p| {
            let confident = || {
                p.keypoints
                    .iter()
                    .filter(|k| k.confidence >= PERSON_MIN_CONFIDENCE)
            };
            let span = |of: fn(&crate::pose::Keypoint) -> f32| {
                let (low, high) = confident()
                    .map(of)
                    .fold((f32::MAX, f32::MIN), |(l, h), v| (l.min(v), h.max(v)));
                high - low
            };
            span(|k| k.x).max(span(|k| k.y))
        })
        .filter(|size| size.is_finite())
        .collect();
    if sizes.is_empty() {
        return None;
    }
    let middle = sizes.len() / 2;
    let (_, median, _) = sizes.select_nth_unstable_by(middle, f32::total_cmp);
    Some(*median)
}

/// Notes on every result a fault of the whole recording, `kind` with `count` as its value:
/// the clock going back ([`WarningKind::ClockRestarted`]: a hold may run across a join of two
/// clips) or damaged data the decoder went on past ([`WarningKind::DecodeErrors`]: the damaged
/// frames' keypoints are in it). A result graded good becomes fair. Nothing when `count` is 0.
pub fn note_recording_fault(results: &mut [Measurement], kind: WarningKind, count: usize) {
    if count == 0 {
        return;
    }
    for r in results {
        r.warnings.push(Warning::new(kind).value(count as f32));
        if r.value_deg.is_some() {
            r.quality = r.quality.max_by_severity(Quality::Fair);
        }
    }
}

/// Notes on every result that the video was slow motion or a time-lapse, timed in real
/// seconds (its hold and times are the patient's, not the player's). The grade stands: the
/// frames are the same, only their clock was corrected.
/// `capture_fps` and `playback_fps` are frames per second.
pub fn note_retimed(results: &mut [Measurement], capture_fps: f64, playback_fps: f64) {
    for r in results {
        r.warnings.push(Warning::retimed(capture_fps, playback_fps));
    }
}

/// The criteria one frame does not meet, for live guidance: each failing criterion with
/// `false`, each that cannot be checked (its angle unknown) with `true`. `angle_of` gives each
/// channel's angle in that frame, degrees, NaN when unknown.
pub fn unmet_criteria(
    protocol: &Protocol,
    side: Side,
    angle_of: impl Fn(Channel) -> f32,
) -> Vec<(&'static Criterion, bool)> {
    protocol
        .criteria
        .iter()
        .filter_map(|criterion| {
            let value = criterion.subject.value(side, &angle_of);
            if value.is_nan() {
                (!criterion.test.passes_unseen()).then_some((criterion, true))
            } else {
                (!criterion.test.passes(value)).then_some((criterion, false))
            }
        })
        .collect()
}

/// Per frame: whether it counts for `protocol` on `side` (every criterion passes, the leg is
/// seen in the camera's plane and, where the protocol keeps it down, the heel is down).
pub fn valid_frames(protocol: &Protocol, series: &AngleSeries, side: Side) -> Vec<bool> {
    valid_mask(protocol, series, side).frame_ok
}

/// A frame whose leg or trunk appears shorter than this share of its own length in clear frames
/// points towards or away from the camera: its angles are not the body's (cos 41 deg).
pub const FORESHORTENED_RATIO: f32 = 0.75;

/// Per frame: whether every criterion passes. Also the per-criterion failure and unknown counts.
struct Validity {
    frame_ok: Vec<bool>,
    /// Per criterion: (frames failed, frames unknown, worst value). A form or flag criterion
    /// counts its failures only in frames not seen out of position by the trunk.
    failures: Vec<(usize, usize, f32)>,
    /// Frames that passed every criterion but whose leg or trunk was foreshortened.
    foreshortened: usize,
    /// Frames that passed every criterion and were not foreshortened, but whose heel was lifted
    /// (see [`Protocol::heel_down`]).
    heel_lifted: usize,
    /// Frames that count, but with a condition that passes unseen ([`Test::IfSeen`]) unseen for
    /// longer than [`MAX_UNSEEN_S`].
    unsure: usize,
    /// Frames that passed every posture criterion.
    in_posture: usize,
    /// Frames seen out of the test's position by the trunk: a posture criterion about the trunk
    /// known and failed (sitting up or lying back for a seated fold, sitting for a supine test).
    out_of_position: Vec<bool>,
    /// Frames ruled out by what was seen: a condition known there and failed, the leg or trunk
    /// foreshortened, or the heel lifted. A frame that does not count only for what was not seen
    /// (an angle or a condition unknown) is not one.
    ruled_out_seen: Vec<bool>,
}

fn valid_mask(protocol: &Protocol, series: &AngleSeries, side: Side) -> Validity {
    let n = series.len();
    let mut frame_ok = vec![true; n];
    let mut posture_ok = vec![true; n];
    let mut out_of_position = vec![false; n];
    let mut unsure = vec![false; n];
    let mut ruled_out_seen = vec![false; n];
    // Per criterion: its value and whether it passes, per frame.
    let checked: Vec<Checked> = protocol
        .criteria
        .iter()
        .map(|criterion| {
            let values: Vec<f32> = (0..n)
                .map(|i| criterion.subject.value(side, |c| series.channel(c)[i]))
                .collect();
            let unseen = criterion
                .test
                .passes_unseen()
                .then(|| unseen_gaps(&series.time_s, &values, criterion.test));
            let passes = values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    if v.is_nan() {
                        unseen.as_ref().is_some_and(|(passes, _)| passes[i])
                    } else {
                        criterion.test.passes(v)
                    }
                })
                .collect();
            Checked {
                values,
                passes,
                unseen,
            }
        })
        .collect();
    for (criterion, Checked { values, passes, .. }) in protocol.criteria.iter().zip(&checked) {
        if criterion.role == Role::Posture {
            for (i, &v) in values.iter().enumerate() {
                posture_ok[i] &= passes[i];
                // The trunk's position (lying, sitting, standing), not the legs', which the
                // test itself moves (a knee drawn up from lying flat, a step into a lunge).
                let trunk = criterion.subject == Subject::Trunk;
                out_of_position[i] |= trunk && !v.is_nan() && !passes[i];
            }
        }
    }
    let mut failures = Vec::with_capacity(protocol.criteria.len());
    for (
        criterion,
        Checked {
            values,
            passes,
            unseen,
        },
    ) in protocol.criteria.iter().zip(&checked)
    {
        let (mut failed, mut unknown, mut worst) = (0, 0, f32::NAN);
        for (i, &v) in values.iter().enumerate() {
            if unseen
                .as_ref()
                .is_some_and(|(passes, long)| passes[i] && long[i])
            {
                unsure[i] = true;
            }
            // A form or a flag is broken only with the trunk in the test's position: a hip bent
            // lying on the back after a prone knee bend is no Ely's sign (it was reported as
            // one, and the result graded fair). (Not every posture criterion: the pelvis rising
            // in a true Ely's sign bends the other hip past its limit too.)
            let counted = criterion.role == Role::Posture || !out_of_position[i];
            if v.is_nan() {
                unknown += 1;
            } else if !passes[i] && counted {
                failed += 1;
                if worst.is_nan() || v.abs() > worst.abs() {
                    worst = v;
                }
            }
            if criterion.role != Role::Flag {
                frame_ok[i] &= passes[i];
                ruled_out_seen[i] |= !v.is_nan() && !passes[i];
            }
        }
        failures.push((failed, unknown, worst));
    }
    let mut foreshortened = 0;
    for (ok, &ratio) in frame_ok.iter_mut().zip(series.in_plane_ratio(side)) {
        if *ok && ratio < FORESHORTENED_RATIO {
            *ok = false;
            foreshortened += 1;
        }
    }
    for (ruled_out, &ratio) in ruled_out_seen.iter_mut().zip(series.in_plane_ratio(side)) {
        *ruled_out |= ratio < FORESHORTENED_RATIO;
    }
    // The heel lifted: the knee goes further forward than the ankle bends.
    let mut heel_lifted = 0;
    if protocol.heel_down {
        for ((ok, ruled_out), &lift) in frame_ok
            .iter_mut()
            .zip(ruled_out_seen.iter_mut())
            .zip(series.ankle_lift(side))
        {
            if lift > HEEL_LIFT_SHANKS {
                heel_lifted += usize::from(*ok);
                *ok = false;
                *ruled_out = true;
            }
        }
    }
    let unsure = frame_ok
        .iter()
        .zip(&unsure)
        .filter(|&(&ok, &unsure)| ok && unsure)
        .count();
    Validity {
        frame_ok,
        failures,
        unsure,
        foreshortened,
        heel_lifted,
        in_posture: posture_ok.iter().filter(|&&ok| ok).count(),
        out_of_position,
        ruled_out_seen,
    }
}

/// One criterion in every frame (see [`valid_mask`]).
struct Checked {
    /// Its subject's value, degrees; NaN unknown.
    values: Vec<f32>,
    /// Whether it passes (an unknown value as [`unseen_gaps`] says).
    passes: Vec<bool>,
    /// For a condition that passes unseen: [`unseen_gaps`]'s two answers.
    unseen: Option<(Vec<bool>, Vec<bool>)>,
}

/// The longest a condition that passes unseen ([`Test::IfSeen`]) goes unseen before the result
/// is graded fair at best, seconds: a far leg hidden for a moment is normal; hidden for longer
/// (a knee hug filmed side-on hides the far hip for the whole hold), a raised trunk could not be
/// ruled out.
const MAX_UNSEEN_S: f64 = 1.0;

/// Per frame, for a condition that passes unseen ([`Test::IfSeen`]): whether an unseen value
/// passes (its gap's seen neighbours, the one there at the recording's ends, pass: a trunk
/// propped up before and after a gap is propped up in it), and whether it lies in a gap longer
/// than [`MAX_UNSEEN_S`] (or one never seen at all).
fn unseen_gaps(time_s: &[f64], values: &[f32], test: Test) -> (Vec<bool>, Vec<bool>) {
    let n = values.len().min(time_s.len());
    let mut passes = vec![false; values.len()];
    let mut long = vec![false; values.len()];
    let unknown: Vec<bool> = values[..n].iter().map(|v| v.is_nan()).collect();
    for std::ops::Range {
        start: first,
        end: i,
    } in runs(&unknown)
    {
        // The gap is first..i; its neighbours first - 1 and i, where there are.
        let before = first.checked_sub(1).map(|k| test.passes(values[k]));
        let after = (i < n).then(|| test.passes(values[i]));
        let span_s = time_s[i.min(n - 1)] - time_s[first.saturating_sub(1)];
        let is_long = span_s > MAX_UNSEEN_S || (before.is_none() && after.is_none());
        let pass = before.unwrap_or(true) && after.unwrap_or(true);
        passes[first..i].iter_mut().for_each(|p| *p = pass);
        long[first..i].iter_mut().for_each(|l| *l = is_long);
    }
    (passes, long)
}

/// The runs of consecutive frames where `mask` is true, as index ranges, in order.
fn runs(mask: &[bool]) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let first = i + mask.get(i..)?.iter().position(|&m| m)?;
        let end = first + mask[first..].iter().take_while(|&&m| m).count();
        i = end;
        Some(first..end)
    })
}

/// The frames that count (`values` not NaN) and were not on the way into or out of the test's
/// position. After at least `min_hold_s` with the trunk seen out of position (lying back before
/// a seated fold, sitting before a supine test), the frames up to the first rest in position
/// (the measured angle still for the hold time in `all_values`, whether or not those frames
/// count: lying flat before a knee is drawn up) are the way in; before such a stretch, the
/// frames after the last rest are the way out. A movement is measured from a rest in the
/// position: sitting up from lying into long sitting raised the hip angle from 60 to 90 deg
/// with no fold at all, and was measured as a seated toe touch.
fn settled_frames(
    time_s: &[f64],
    values: &[f32],
    all_values: &[f32],
    out_of_position: &[bool],
    criteria: &HoldCriteria,
) -> Vec<bool> {
    let n = values
        .len()
        .min(all_values.len())
        .min(time_s.len())
        .min(out_of_position.len());
    let mut settled: Vec<bool> = values.iter().map(|v| !v.is_nan()).collect();
    // Stretches out of position long enough not to be a keypoint's flicker: (first, last).
    let mut away = Vec::new();
    let mut i = 0;
    while i < n {
        if !out_of_position[i] {
            i += 1;
            continue;
        }
        let first = i;
        while i + 1 < n && out_of_position[i + 1] {
            i += 1;
        }
        if time_s[i] - time_s[first] >= criteria.min_hold_s {
            away.push((first, i));
        }
        i += 1;
    }
    if away.is_empty() {
        return settled;
    }
    let in_position = kept(&all_values[..n], |i| !out_of_position[i]);
    let still = hold::still_windows(&time_s[..n], &in_position, criteria);
    for (k, &(first, last)) in away.iter().enumerate() {
        let next_away = away.get(k + 1).map_or(n, |a| a.0);
        let first_rest = still
            .iter()
            .map(|w| w.1)
            .find(|&start| start > last)
            .unwrap_or(n);
        for s in &mut settled[last + 1..first_rest.min(next_away)] {
            *s = false;
        }
        let previous_away = if k == 0 { 0 } else { away[k - 1].1 + 1 };
        let after_last_rest = still
            .iter()
            .map(|w| w.2)
            .rfind(|&end| end < first)
            .map_or(0, |end| end + 1);
        for s in &mut settled[after_last_rest.max(previous_away)..first] {
            *s = false;
        }
    }
    settled
}

fn choose_side(protocol: &Protocol, series: &AngleSeries) -> Side {
    let main = protocol.main_measure();
    // Each side is judged over the frames where the body is in the test's position for it: a
    // trunk propped up moves both hips alike, and was taken for the raised leg.
    let score = |side: Side| -> (bool, f32) {
        let away = valid_mask(protocol, series, side).out_of_position;
        let all = score_over(protocol.side_rule, main, series, side, &|_| true);
        match score_over(protocol.side_rule, main, series, side, &|i| !away[i]) {
            score if score.is_finite() => (true, score),
            _ => (false, all),
        }
    };
    let (mut right, mut left) = (score(Side::Right), score(Side::Left));
    // With the main measure unknown on both sides (which way the body faced is unknown: the
    // angles against the trunk are), the thigh's movement against the horizontal, which needs
    // no facing, still tells the leg that moved; else the refusal named the resting leg.
    if !right.1.is_finite()
        && !left.1.is_finite()
        && matches!(
            protocol.side_rule,
            SideRule::MostMovement | SideRule::MostMovementOf(_)
        )
    {
        let thigh = SideRule::MostMovementOf(LegAngle::ThighToHorizontal);
        let moved = |side: Side| score_over(thigh, main, series, side, &|_| true);
        (right, left) = ((false, moved(Side::Right)), (false, moved(Side::Left)));
    }
    if (right.0, right.1) > (left.0, left.1) {
        Side::Right
    } else {
        Side::Left
    }
}

/// A level held this long within this band counts as where a leg moved to, for choosing the
/// side (see [`score_over`]).
const SIDE_HELD: HoldCriteria = HoldCriteria {
    min_hold_s: 0.5,
    band_deg: 3.0,
    max_gap_s: 0.3,
};

/// A side's score under a protocol's side `rule` over the frames `keep` lets through; negative
/// infinity without any.
fn score_over(
    rule: SideRule,
    main: &Measure,
    series: &AngleSeries,
    side: Side,
    keep: &dyn Fn(usize) -> bool,
) -> f32 {
    let values: Vec<f32> = match rule {
        SideRule::LowerMedianOf(angle) => series
            .channel(angle.channel(side))
            .iter()
            .map(|v| -v)
            .collect(),
        SideRule::MostMovementOf(angle) | SideRule::HigherMedianOf(angle) => {
            series.channel(angle.channel(side)).to_vec()
        }
        _ => main.values(series, side).collect(),
    };
    let kept: Vec<f32> = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| if keep(i) { v } else { f32::NAN })
        .collect();
    let mut values: Vec<f32> = kept.iter().copied().filter(|v| !v.is_nan()).collect();
    if values.is_empty() {
        return f32::NEG_INFINITY;
    }
    values.sort_by(f32::total_cmp);
    let at = |q: f32| values[((values.len() - 1) as f32 * q).round() as usize];
    match rule {
        SideRule::MostMovement | SideRule::MostMovementOf(_) => {
            // The 95th percentile misses a movement held for less than a twentieth of the
            // recording (a 3-s raise after 9 minutes at rest named the resting leg, by its
            // jitter): the highest level held half a second counts too. Added, not the larger
            // of the two: a label swap that lasts gives the resting leg the raise's held level
            // as well, and the spread of the frames still tells the legs apart then.
            let (rest, high) = (at(0.05), at(0.95));
            let held = hold::sustained_maximum(&series.time_s, &kept, &SIDE_HELD)
                .map_or(high, |h| h.level_deg.max(high));
            (high - rest) + (held - rest)
        }
        SideRule::HigherMedian | SideRule::HigherMedianOf(_) | SideRule::LowerMedianOf(_) => {
            at(0.5)
        }
        SideRule::MostReliable => values.len() as f32,
    }
}

/// The crests of a movement that goes up and back down by at least `drop_deg` each time
/// (hysteresis, so jitter within a hold makes no crests), NaN samples skipped. Each crest is the
/// highest sample between two such drops.
fn crests(time_s: &[f64], values: &[f32], drop_deg: f32) -> Vec<Repetition> {
    let mut out = Vec::new();
    let mut high: Option<usize> = None; // highest sample since the last trough
    let mut low = f32::INFINITY; // lowest sample since the last crest
    let mut rising = false; // rose by drop_deg since the last trough
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        if !rising {
            low = low.min(v);
            if v - low >= drop_deg {
                rising = true;
                high = Some(i);
            }
            continue;
        }
        if high.is_none_or(|h| v > values[h]) {
            high = Some(i);
        }
        if let Some(h) = high.filter(|&h| values[h] - v >= drop_deg) {
            out.push(Repetition {
                time_s: time_s[h],
                peak_deg: values[h],
                frame: h,
            });
            rising = false;
            low = v;
            high = None;
        }
    }
    out
}

/// The peaks far from the others: further from their median than 10 deg or 4 robust standard
/// deviations, whichever is larger; none with fewer than 4 peaks.
fn far_from_the_others(peaks: &[f32]) -> Vec<f32> {
    if peaks.len() < 4 {
        return Vec::new();
    }
    let m = stats::median(peaks);
    let deviations: Vec<f32> = peaks.iter().map(|p| (p - m).abs()).collect();
    let mad = stats::median(&deviations);
    let limit = (4.0 * 1.4826 * mad).max(10.0);
    peaks
        .iter()
        .copied()
        .filter(|p| (p - m).abs() > limit)
        .collect()
}

/// A hold counts as a plateau unless its level was reached two or more times by a movement that
/// went down and up again between (rocking, repetitions), its stay (`stay_s`, 0 without a hold)
/// too short to be a hold: under twice the minimum hold and under half the time between crests.
/// Crests split only by a few misread frames are one (see [`without_brief_dips`]). Returns the
/// crests when it was repeated movement. `values` are the frames that count (NaN elsewhere),
/// flipped so that higher is better.
fn repeated_movement(
    time_s: &[f64],
    values: &[f32],
    level_deg: f32,
    stay_s: f64,
    criteria: &HoldCriteria,
) -> Option<Vec<Repetition>> {
    let drop = 2.0 * criteria.band_deg + 1.0;
    let near: Vec<Repetition> = crests(time_s, values, drop)
        .into_iter()
        .filter(|c| c.peak_deg >= level_deg - 2.0 * criteria.band_deg)
        .collect();
    if near.len() < 2 {
        return None;
    }
    let mut gaps: Vec<f64> = near.windows(2).map(|w| w[1].time_s - w[0].time_s).collect();
    gaps.sort_by(f64::total_cmp);
    let period = gaps[gaps.len() / 2];
    // The period is the one over every crest, misreads and all, so that setting the misreads
    // aside can only withdraw a call of repetitions, never make one (two crests left further
    // apart would make a short stay look shorter still).
    let moves = without_brief_dips(time_s, values, near, drop, criteria.max_gap_s);
    (moves.len() >= 2 && stay_s < 2.0 * criteria.min_hold_s && stay_s < 0.5 * period)
        .then_some(moves)
}

/// `crests` (in time order) with those split only by a brief dip taken as one, the highest
/// standing for them: a misread in the middle of a hold is not a second repetition. A dip is the
/// time from the last sample before it within `drop_deg` of the lower crest to the first after
/// it (samples that do not count, NaN, inside it); brief when under `max_gap_s` (the gap of
/// unseen frames a hold may bridge: a misread is the same few frames seen wrong rather than not
/// seen) and under a quarter of the time between the crests. A person who lets a stretch go and
/// takes it up again takes longer. A shallow bounce can be as brief: merged, it still gives no
/// result unless the level was truly held between the bounces (then that hold is the result).
/// Seeded noisy stick figures held still split their hold with dips of 0.1-0.2 s (a burst of
/// misread frames, through the filter) between crests 2-3 s apart, and were refused as rocking.
fn without_brief_dips(
    time_s: &[f64],
    values: &[f32],
    crests: Vec<Repetition>,
    drop_deg: f32,
    max_gap_s: f64,
) -> Vec<Repetition> {
    let brief = |a: &Repetition, b: &Repetition| {
        let floor = a.peak_deg.min(b.peak_deg) - drop_deg;
        let seen = |i: &usize| !values[*i].is_nan();
        let below = |i: &usize| values[*i] <= floor;
        let (Some(first), Some(last)) = (
            (a.frame..=b.frame).find(below),
            (a.frame..=b.frame).rfind(below),
        ) else {
            // Unreachable (`crests` leaves a sample this low between two crests); were it
            // reached, the crests are kept apart, the side that gives no number.
            return false;
        };
        let left = (a.frame..first).rfind(seen).unwrap_or(a.frame);
        let right = (last + 1..=b.frame).find(seen).unwrap_or(b.frame);
        let dip_s = time_s[right] - time_s[left];
        dip_s < max_gap_s && dip_s < 0.25 * (b.time_s - a.time_s)
    };
    let mut out: Vec<Repetition> = crests.first().copied().into_iter().collect();
    for pair in crests.windows(2) {
        let crest = pair[1];
        match out.last_mut() {
            // Each dip is judged between neighbours, not from the crest standing for a group.
            Some(last) if brief(&pair[0], &crest) => {
                if crest.peak_deg > last.peak_deg {
                    *last = crest;
                }
            }
            _ => out.push(crest),
        }
    }
    out
}

/// How far (degrees, highest minus lowest) the other leg's [`super::Movement::other_leg_still`] angle
/// may range in one hold's length of a hold. The held side keeps within the hold's band (±3 deg
/// by default, 6 in all); the other leg, often the far one and read less surely, gets a little
/// more. Measured on real footage (the two-person development videos, four views, Thunder): over
/// 596 one-second windows with a leg still (its keypoints within 5 % of the trunk's length), its
/// hip flexion ranged 1.8 / 4.8 / 6.8 deg (median / 95th percentile / most), its thigh against
/// the horizontal 1.1 / 3.5 / 5.3. The slow-motion swings it refuses moved the other leg 16-19
/// deg; genuine folds with the far knee softening 14 deg, 7-8.
pub const OTHER_LEG_HELD_DEG: f32 = 10.0;

/// The most `subject` (the other leg's angle, see [`super::Movement::other_leg_still`]) ranged
/// (degrees, highest minus lowest) within any `criteria.min_hold_s` of `hold` of `side`, when
/// over [`OTHER_LEG_HELD_DEG`] and the hold's band twice over; None when it stayed within that
/// or was not seen. A window, not the whole hold: a long genuine hold may drift slowly.
fn other_leg_moved(
    series: &AngleSeries,
    subject: Subject,
    side: Side,
    hold: Hold,
    criteria: &HoldCriteria,
) -> Option<f32> {
    let during: Vec<(f64, f32)> = series
        .time_s
        .iter()
        .enumerate()
        .filter(|(_, &t)| t >= hold.start_s && t <= hold.end_s)
        .map(|(i, &t)| (t, subject.value(side, |channel| series.channel(channel)[i])))
        .filter(|(_, v)| !v.is_nan())
        .collect();
    let mut most: Option<f32> = None;
    for (first, &(start, at_start)) in during.iter().enumerate() {
        // As turns from the window's first frame: a thigh level behind the body reads -179
        // and 179, 2 deg apart.
        let window = during[first..]
            .iter()
            .take_while(|(t, _)| *t <= start + criteria.min_hold_s)
            .map(|&(_, v)| wrap_deg(v - at_start));
        let (lowest, highest) = window.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        most = Some(most.unwrap_or(0.0).max(highest - lowest));
    }
    most.filter(|&moved| moved > OTHER_LEG_HELD_DEG.max(2.0 * criteria.band_deg))
}

/// A lying trunk at least this far from the picture's horizontal (degrees, the median over the
/// hold) puts the lying tests' angles in doubt. Lying flat on a level table, the shoulder and hip
/// joints are about as high above it, so the trunk line lies along the table; further off, either
/// the camera is tilted (every angle against the picture's horizontal is off by as much) or the
/// shoulders were raised (every angle against the trunk line is). Chosen, not measured: no
/// recording of people lying with a level camera is in the development data, and a pillow or a
/// thick upper back may raise the shoulders' line by some degrees.
pub const TILTED_TRUNK_DEG: f32 = 10.0;

/// A hip bent no more than this (degrees) keeps the body straight: a whole body tilted in the
/// picture is the camera's doing (see [`lying_tilt`]).
const STRAIGHT_BODY_HIP_DEG: f32 = 15.0;

/// The trunk and the resting leg both at least this far from the picture's horizontal (degrees),
/// the same way and within [`BODY_TILT_SPREAD_DEG`] of each other (the leg's slope less
/// [`RESTING_LEG_SLOPE_DEG`]): the whole body lay turned in the picture. A pillow or raised
/// shoulders turn the trunk alone, a lifted leg the leg alone; a tilted camera (or a table not
/// level) turns both. Under the straight-leg raise's 7 deg MDC, so that a tilt which could change
/// a verdict is said. Chosen, not measured: no recording of people lying before a level camera
/// is in the development data.
pub const TILTED_BODY_DEG: f32 = 5.0;

/// How far (degrees) a resting leg lying flat slopes down to the foot before a level camera:
/// the hip joint's centre lies some 10 cm above the table, the ankle's some 5 (about 3 deg over
/// a leg of 85 cm). Taken off the leg's slope before it is compared with the trunk's tilt, so
/// that a camera tilted either way is said from the same tilt, and a trunk raised 6 deg with the
/// leg sloping as it does is not taken for one. From anatomy, not measured.
const RESTING_LEG_SLOPE_DEG: f32 = 3.0;

/// How far apart (degrees) the trunk's and the resting leg's tilts may be and still be one turn
/// of the whole body (see [`TILTED_BODY_DEG`]).
const BODY_TILT_SPREAD_DEG: f32 = 5.0;

/// A leg lying on the table with its knee bent no more than this (degrees) is a witness of the
/// table's level (see [`flat_leg_tilt`]); the straight-leg raise keeps its knees within 20.
const FLAT_LEG_KNEE_DEG: f32 = 20.0;

/// How a lying body lay in the picture, where it puts a measure in doubt.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tilt {
    /// The trunk lay tilted (degrees, positive with the shoulders higher in the picture than the
    /// hips): a tilted camera or raised shoulders, which the keypoints cannot tell apart.
    Trunk(f32),
    /// The trunk and the resting leg, or both legs at rest, lay tilted alike (degrees, their
    /// mean, positive with the head end higher): the whole body turned, a tilted camera. Angles
    /// against the trunk line stand; those against the picture's horizontal are off by as much.
    Body(f32),
}

/// The lying body's tilt in the picture when it puts `measure` in doubt (see [`Tilt`]).
///
/// Over the hold's frames, or without a hold (the test refused) the frames where the trunk lies
/// within 30 degrees of horizontal, the median trunk tilt and, where the protocol keeps the other
/// leg flat on the table and it was measured in a third of those frames, the median slope of that
/// leg (hip to ankle). Both at least [`TILTED_BODY_DEG`] alike over the hold, or else over the
/// rest it rose from ([`Reading::trunk_rest_frames`]), or both legs so at rest ([`legs_tilt`])
/// ([`Tilt::Body`]): said on the angles against the picture's horizontal, and on a refusal on
/// every measure (the test's conditions against the horizontal may be why). Otherwise the trunk
/// at least [`TILTED_TRUNK_DEG`] ([`Tilt::Trunk`]): said on those and on the angles against the
/// trunk line. (A whole-body tilt found over any of them is the camera's: the angles against the
/// trunk line are then not in doubt, and the trunk's tilt is not said on them; a curl-up is
/// [`WarningKind::TrunkMoved`]'s.)
///
/// Without a hold and with no frame lying (the test refused), the median over the frames where
/// the trunk lies 30 to 60 degrees from horizontal, when those are most of the frames with a
/// trunk, the median is over 30 degrees and a leg lies in line with the trunk (one hip bent
/// under [`STRAIGHT_BODY_HIP_DEG`]): a camera tilted that far is the likely reason every
/// measure of the test was refused. None otherwise.
fn lying_tilt(reading: &Reading, hold: Option<Hold>) -> Option<Tilt> {
    let Reading {
        protocol,
        measure,
        series,
        side,
        ..
    } = *reading;
    if protocol.posture != Posture::Lying {
        return None;
    }
    let against_horizontal = matches!(
        measure.angle,
        LegAngle::ThighToHorizontal | LegAngle::LegToHorizontal
    );
    let in_doubt = against_horizontal || measure.angle == LegAngle::HipFlexion;
    // The trunk's lean from vertical is about -90 degrees lying on the back, +90 face down; under
    // 90 either way, the shoulders are above the hips in the picture. (frame, tilt)
    let all: Vec<(usize, f32)> = series
        .time_s
        .iter()
        .zip(series.channel(Channel::TrunkToVertical))
        .enumerate()
        .filter(|(_, (&t, v))| {
            !v.is_nan() && hold.is_none_or(|h| (h.start_s..=h.end_s).contains(&t))
        })
        .map(|(i, (_, &v))| (i, lying_trunk_tilt(v)))
        .collect();
    let within = |deg: f32| -> Vec<(usize, f32)> {
        all.iter()
            .copied()
            .filter(|(_, tilt)| hold.is_some() || tilt.abs() <= deg)
            .collect()
    };
    let tilts = |frames: &[(usize, f32)]| -> Vec<f32> { frames.iter().map(|f| f.1).collect() };
    let lying = within(30.0);
    if !lying.is_empty() {
        let trunk = stats::median(&tilts(&lying));
        // A camera does not turn during a recording, a trunk may: curled up in the hold, it no
        // longer lay as the resting leg did, and a camera tilted with the head end lower read a
        // raise to 60 as 68, good. The body at rest is the camera's second witness.
        let at_rest = || {
            let rest: Vec<(usize, f32)> = hold
                .map(|h| reading.trunk_rest_frames(&h))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|i| {
                    let lean = series.channel(Channel::TrunkToVertical).get(i)?;
                    (!lean.is_nan()).then(|| (i, lying_trunk_tilt(*lean)))
                })
                .filter(|(_, tilt)| tilt.abs() <= 30.0)
                .collect();
            (!rest.is_empty())
                .then(|| {
                    body_tilt(protocol, series, side, &rest, stats::median(&tilts(&rest)))
                        .or_else(|| legs_tilt(series, side, &rest))
                })
                .flatten()
        };
        let body = body_tilt(protocol, series, side, &lying, trunk).or_else(|| {
            hold.filter(|_| other_leg_rests_flat(protocol))
                .and_then(|_| at_rest())
        });
        if let Some(body) = body {
            // A turned camera turns the trunk and the thigh alike: the hip flexion stands. On a
            // refusal (no hold) it is said on every measure: the test's conditions against the
            // horizontal (the resting thigh on the table) may be why.
            return (against_horizontal || hold.is_none()).then_some(Tilt::Body(body));
        }
        return (in_doubt && trunk.abs() >= TILTED_TRUNK_DEG).then_some(Tilt::Trunk(trunk));
    }
    let leaning = within(60.0);
    if leaning.is_empty() || 2 * leaning.len() < all.len() {
        return None;
    }
    // A tilted camera turns the whole body: a leg still lies in line with the trunk. A trunk
    // raised off the table (propped up) bends both hips, and the refusal says so already.
    let hip_bent = |side: Side| {
        stats::median_of_seen(
            series
                .channel(LegAngle::HipFlexion.channel(side))
                .iter()
                .copied(),
        )
        .map(f32::abs)
    };
    let straightest = Side::BOTH.into_iter().filter_map(hip_bent).reduce(f32::min);
    if straightest.is_none_or(|bend| bend > STRAIGHT_BODY_HIP_DEG) {
        return None;
    }
    Some(stats::median(&tilts(&leaning)))
        .filter(|tilt| tilt.abs() > 30.0)
        .map(Tilt::Trunk)
}

/// The whole lying body's tilt (degrees, positive with the head end higher in the picture): the
/// mean of `trunk` (the median trunk tilt over `frames`) and the resting leg's median slope over
/// the same frames (see [`flat_leg_tilt`]), when the protocol keeps the leg other than `side`
/// flat on the table and the two lay tilted alike (see [`TILTED_BODY_DEG`]).
fn body_tilt(
    protocol: &Protocol,
    series: &AngleSeries,
    side: Side,
    frames: &[(usize, f32)],
    trunk: f32,
) -> Option<f32> {
    if !other_leg_rests_flat(protocol) {
        return None;
    }
    let leg = flat_leg_tilt(series, side.other(), frames)?;
    let alike = trunk.signum() == leg.signum()
        && trunk.abs().min(leg.abs()) >= TILTED_BODY_DEG
        && (trunk - leg).abs() <= BODY_TILT_SPREAD_DEG;
    alike.then_some((trunk + leg) / 2.0)
}

/// The whole lying body's tilt (degrees, positive with the head end higher) from both legs lying
/// flat at rest (`frames`, the rest the hold rose from): their mean slope less
/// [`RESTING_LEG_SLOPE_DEG`] (for a protocol that keeps the other leg flat on the table), when
/// each leg was measured straight in a third of the frames, both lay turned the same way within
/// [`BODY_TILT_SPREAD_DEG`] of each other and their mean is at least [`TILTED_BODY_DEG`]. Two
/// legs on the table are two witnesses of its level that the trunk's own slope does not blur: the
/// line from the hips to the shoulder joints lies a few degrees off the table by build (a trunk
/// lying 4 deg shoulders-low before a camera tilted 8 deg the other way read 4, under
/// [`TILTED_BODY_DEG`], and a raise to 60 read 52, good).
fn legs_tilt(series: &AngleSeries, side: Side, frames: &[(usize, f32)]) -> Option<f32> {
    let own = flat_leg_tilt(series, side, frames)?;
    let other = flat_leg_tilt(series, side.other(), frames)?;
    let mean = (own + other) / 2.0;
    let alike = own.signum() == other.signum()
        && (own - other).abs() <= BODY_TILT_SPREAD_DEG
        && mean.abs() >= TILTED_BODY_DEG;
    alike.then_some(mean)
}

/// The median slope of `leg` (hip to ankle, degrees, positive with the foot lower, as a trunk's
/// tilt is with the shoulders higher) over `frames` where it was measured (not filled in across
/// a gap: the far leg is often hidden, and a value filled in is no witness) with the knee
/// straight (a knee drawn up lifts the line off the table), less [`RESTING_LEG_SLOPE_DEG`]; None
/// where that is under a third of the frames.
fn flat_leg_tilt(series: &AngleSeries, leg: Side, frames: &[(usize, f32)]) -> Option<f32> {
    let channel = LegAngle::LegToHorizontal.channel(leg);
    let (elevation, measured) = (series.channel(channel), series.measured(channel));
    let knee = series.channel(LegAngle::KneeFlexion.channel(leg));
    let slopes: Vec<f32> = frames
        .iter()
        .filter(|&&(i, _)| measured.get(i).copied().unwrap_or(false))
        // (A knee unseen does not rule the leg out: the far leg's often is.)
        .filter(|&&(i, _)| {
            knee.get(i)
                .is_none_or(|&k| k.is_nan() || k <= FLAT_LEG_KNEE_DEG)
        })
        .filter_map(|&(i, _)| elevation.get(i).copied())
        .filter(|v| !v.is_nan())
        .map(|v| -v)
        .collect();
    if slopes.is_empty() || 3 * slopes.len() < frames.len() {
        return None;
    }
    Some(stats::median(&slopes) - RESTING_LEG_SLOPE_DEG)
}

/// Whether the protocol keeps the leg not measured flat on the table: a witness of the picture's
/// level (see [`body_tilt`]).
fn other_leg_rests_flat(protocol: &Protocol) -> bool {
    protocol
        .criteria
        .iter()
        .any(|c| c.subject == Subject::OtherLeg(LegAngle::ThighToHorizontal))
}

/// One measure on one side, as the refusals and the result read it: its values on a scale where
/// higher is better (flipped where lower is), and which frames count.
struct Reading<'a> {
    protocol: &'a Protocol,
    measure: &'a Measure,
    series: &'a AngleSeries,
    side: Side,
    validity: &'a Validity,
    criteria: &'a HoldCriteria,
    /// 1, or -1 for a measure where lower is better: hold detection looks for a maximum.
    flip: f32,
    /// Every frame's value, degrees, flipped; NaN where the angle is unknown.
    all_values: Vec<f32>,
    /// The values of the frames that count, NaN elsewhere.
    values: Vec<f32>,
    /// Frames that count with a known value.
    valid_frames: usize,
    /// The highest value that counts (flipped, degrees) and its frame.
    peak: Option<(usize, f32)>,
    /// How much the measure scattered from frame to frame over the frames that count, degrees
    /// (see [`AngleSeries::frame_scatter_deg`]); None over too few.
    scatter_deg: Option<f32>,
}

impl<'a> Reading<'a> {
    fn new(
        protocol: &'a Protocol,
        measure: &'a Measure,
        series: &'a AngleSeries,
        side: Side,
        validity: &'a Validity,
        criteria: &'a HoldCriteria,
    ) -> Self {
        let flip = flip_of(measure);
        let all_values: Vec<f32> = match protocol.result {
            // A swing's peaks are read less smoothed than a hold.
            ResultKind::Swings { prominence_deg } => {
                swing_smoothed(series, measure.angle.channel(side), prominence_deg)
                    .into_iter()
                    .map(|v| v * measure.sign() * flip)
                    .collect()
            }
            _ => measure.values(series, side).map(|v| v * flip).collect(),
        };
        let values = kept(&all_values, |i| {
            validity.frame_ok.get(i).copied().unwrap_or(false)
        });
        let valid_frames = values.iter().filter(|v| !v.is_nan()).count();
        let peak = highest(&values);
        let scatter_deg = series.frame_scatter_deg(measure.angle.channel(side), |i| {
            values.get(i).is_some_and(|v| !v.is_nan())
        });
        Self {
            protocol,
            measure,
            series,
            side,
            validity,
            criteria,
            flip,
            all_values,
            values,
            valid_frames,
            peak,
            scatter_deg,
        }
    }

    /// Frames in the series.
    fn total(&self) -> usize {
        self.series.len()
    }

    /// The frames of the rest `hold` rose from, in `values` (degrees, flipped; NaN where a
    /// frame is not to be considered): the lowest stay (a hold's time or more within the band,
    /// see [`hold::stays`]) before the hold, settled (see [`settled_frames`]) and at
    /// least the movement's rise below the hold; or else the settled frames before the hold
    /// near the lowest level kept there for a hold's time (see [`hold::lowest_level`]), where
    /// that is the movement's rise below the hold (within twice the band, or half the rise if
    /// less, but at least the band); or else the frames within [`REST_WINDOW_S`] of the lowest settled
    /// frame. The lowest frame alone may be on the way into the position:
    /// kneeling down from sitting back reclined, the trunk leant back as far as it later did in
    /// the hold, and a lean back of 9 deg with no hip moved was measured from there as no turn
    /// at all. Empty where no frame is to be considered.
    fn rest_before(&self, values: &[f32], hold: &Hold) -> Vec<usize> {
        let time_s = &self.series.time_s;
        let settled = settled_frames(
            time_s,
            values,
            &self.all_values,
            &self.validity.out_of_position,
            self.criteria,
        );
        let mut settled = kept(values, |i| settled.get(i).copied().unwrap_or(false));
        // (Nothing settled: every frame considered is on the way in or out; the lowest of them.)
        if settled.iter().all(|v| v.is_nan()) {
            settled = values.to_vec();
        }
        let n = settled.len().min(time_s.len());
        let rise = self.protocol.movement.map_or(0.0, |m| m.rise_deg);
        // Over the whole stay, not one window of it: a dip of the shoulders for half a second
        // at rest was the trunk's rest in a window of one second.
        let still_rest = hold::stays(&time_s[..n], &settled[..n], self.criteria)
            .into_iter()
            .filter(|stay| stay.end_s <= hold.start_s && stay.level_deg <= hold.level_deg - rise)
            .min_by(|a, b| a.level_deg.total_cmp(&b.level_deg));
        if let Some(stay) = still_rest {
            return (0..n)
                .filter(|&i| !settled[i].is_nan())
                .filter(|&i| (stay.start_s..=stay.end_s).contains(&time_s[i]))
                .collect();
        }
        // No still rest: the frames before the hold within twice the band of the lowest level
        // kept for a hold's time (a keypoint's dip for half a second is not where the body
        // rested); else those near the lowest frame.
        let before = kept(&settled[..n], |i| time_s[i] < hold.start_s);
        let lowest_before = hold::lowest_level(&time_s[..n], &before, self.criteria)
            .filter(|&level| level <= hold.level_deg - rise);
        if let Some(level) = lowest_before {
            // (Within the band, and under half the rise: not the way into the stretch.)
            let near = level
                + (2.0 * self.criteria.band_deg)
                    .min(rise / 2.0)
                    .max(self.criteria.band_deg);
            let frames: Vec<usize> = (0..n).filter(|&i| before[i] <= near).collect();
            if !frames.is_empty() {
                return frames;
            }
        }
        let Some(lowest) = (0..n)
            .filter(|&i| !settled[i].is_nan())
            .min_by(|&a, &b| settled[a].total_cmp(&settled[b]))
        else {
            return Vec::new();
        };
        (0..n)
            .filter(|&i| !settled[i].is_nan())
            .filter(|&i| (time_s[i] - time_s[lowest]).abs() <= REST_WINDOW_S)
            .collect()
    }

    /// The frames where the trunk rested before `hold`, as far as the trunk's position tells:
    /// [`Reading::rest_before`] over the frames not seen out of position by the trunk, whatever
    /// the other conditions (a knee hug begun with the leg straight counts only from a knee bent
    /// 45 deg, by when a curl-up made with it is half made: the trunk's rest is where it lay
    /// before). For lying protocols, whose trunk condition tells the position (kneeling, none
    /// does: [`rise_parts`] takes the rest of the frames that count). Empty where none is in
    /// position.
    fn trunk_rest_frames(&self, hold: &Hold) -> Vec<usize> {
        let out = &self.validity.out_of_position;
        let in_position = kept(&self.all_values, |i| !out.get(i).copied().unwrap_or(true));
        self.rest_before(&in_position, hold)
    }

    /// `count` frames as a percentage of all frames.
    fn pct(&self, count: usize) -> f32 {
        match self.total() {
            0 => 0.0,
            total => 100.0 * count as f32 / total as f32,
        }
    }
}

/// `values` with NaN wherever `keep` (given the index) says no.
fn kept(values: &[f32], keep: impl Fn(usize) -> bool) -> Vec<f32> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| if keep(i) { v } else { f32::NAN })
        .collect()
}

/// 1, or -1 for a measure where lower is better: values times this are higher where better, as
/// hold and crest detection, which look for maxima, need.
fn flip_of(measure: &Measure) -> f32 {
    if measure.best == Best::Lowest {
        -1.0
    } else {
        1.0
    }
}

/// The highest value that is not NaN, with its index.
fn highest(values: &[f32]) -> Option<(usize, f32)> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, &v)| (i, v))
}

/// `crests` found on the flipped scale of [`Reading::values`], back on the measure's own.
fn unflipped(crests: Vec<Repetition>, flip: f32) -> Vec<Repetition> {
    crests
        .into_iter()
        .map(|c| Repetition {
            peak_deg: c.peak_deg * flip,
            ..c
        })
        .collect()
}

/// Another level a position test's leg was held at (see [`ResultKind::LastHold`]).
#[derive(Debug, Clone, Copy)]
struct OtherLevel {
    /// Degrees, on the reading's (flipped) scale.
    level_deg: f32,
    /// Seconds.
    duration_s: f64,
    /// Whether it leaves the last level in doubt (see [`last_level_in_doubt`]).
    in_doubt: bool,
}

/// The longest stretch with nothing seen that [`split_by_unseen`] looks across, seconds. A
/// hold never spans unseen time; this only says that one may have been lost to it.
const SPLIT_UNSEEN_S: f64 = 2.0;

/// A level the measure was seen at before and after a stretch with nothing seen, which no hold
/// spans (see [`hold::split_by_unseen_time`]).
struct SplitHold {
    /// Degrees, on the measure's own scale.
    level_deg: f32,
    start_s: f64,
    end_s: f64,
    /// The longest stretch unseen in it, seconds.
    unseen_s: f64,
}

impl SplitHold {
    /// When, in words: "from 2.5 to 4.0 s, before and after 0.5 s with nothing seen (frames
    /// dropped, or keypoints not found)".
    fn when(&self) -> String {
        format!(
            "from {:.1} to {:.1} s, before and after {:.1} s with nothing seen (frames dropped, \
             or keypoints not found)",
            self.start_s, self.end_s, self.unseen_s
        )
    }
}

/// A level the measure was seen at before and after unseen time (up to [`SPLIT_UNSEEN_S`]; a
/// frame counts as seen where it counts or what was seen there ruled it out), above `above`
/// (degrees, on the reading's flipped scale). None otherwise.
fn split_by_unseen(reading: &Reading, above: f32) -> Option<SplitHold> {
    let seen: Vec<bool> = reading
        .values
        .iter()
        .zip(&reading.validity.ruled_out_seen)
        .map(|(v, &ruled_out)| !v.is_nan() || ruled_out)
        .collect();
    let (split, unseen_s) = hold::split_by_unseen_time(
        &reading.series.time_s,
        &reading.values,
        &seen,
        reading.criteria,
        SPLIT_UNSEEN_S,
    )?;
    (split.level_deg > above).then(|| SplitHold {
        level_deg: shown(split.level_deg * reading.flip, 1),
        start_s: split.start_s,
        end_s: split.end_s,
        unseen_s,
    })
}

/// Where no hold was found: the longest stretch with the measure unknown (not ruled out by what
/// was seen) of more than [`SPLIT_UNSEEN_S`], beside which the measure stood above `above`
/// (flipped degrees: the rest and the movement's rise; the median of the frames within
/// [`BESIDE_S`] on either side, the higher): the stretch may have been held there unseen.
/// "Only the resting level was held" blamed a patient who held a raise for 4 s while the knee
/// and ankle were not found. None where there is none.
fn lost_while_raised(reading: &Reading, above: f32) -> Option<String> {
    let time_s = &reading.series.time_s;
    let values = &reading.all_values;
    let ruled_out = &reading.validity.ruled_out_seen;
    let n = values.len().min(time_s.len()).min(ruled_out.len());
    let unseen: Vec<bool> = (0..n)
        .map(|i| values[i].is_nan() && !ruled_out[i])
        .collect();
    // The median of the known values within BESIDE_S of `edge` on its side away from the gap.
    let beside = |edge: usize, towards: isize| {
        let mut near: Vec<f32> = (0..)
            .map_while(|step: isize| edge.checked_add_signed(step * towards))
            .take_while(|&j| j < n && (time_s[j] - time_s[edge]).abs() <= BESIDE_S)
            .map(|j| values[j])
            .filter(|v| v.is_finite())
            .collect();
        near.sort_unstable_by(f32::total_cmp);
        near.get(near.len() / 2).copied()
    };
    // (from, to, the level beside it), seconds and flipped degrees.
    let mut longest: Option<(f64, f64, f32)> = None;
    for std::ops::Range {
        start: first,
        end: i,
    } in runs(&unseen)
    {
        let (before, after) = (first.checked_sub(1), (i < n).then_some(i));
        let from_s = before.map_or(time_s[first], |k| time_s[k]);
        let to_s = after.map_or(time_s[n - 1], |k| time_s[k]);
        let level = [
            before.and_then(|k| beside(k, -1)),
            after.and_then(|k| beside(k, 1)),
        ]
        .into_iter()
        .flatten()
        .fold(f32::NEG_INFINITY, f32::max);
        let longer = longest.is_none_or(|(a, b, _)| to_s - from_s > b - a);
        if to_s - from_s > SPLIT_UNSEEN_S && level > above && longer {
            longest = Some((from_s, to_s, level));
        }
    }
    longest.map(|(from_s, to_s, level)| {
        format!(
            "not held where seen, but {} was unknown from {from_s:.1} to {to_s:.1} s (keypoints \
             not found, or out of the picture) and at about {:.0} deg beside that time: the \
             stretch may have been held then, unseen; record again with the whole body in view",
            reading.measure.name,
            shown(level * reading.flip, 0)
        )
    })
}

/// How far beside a stretch with the measure unknown its level is read, seconds (see
/// [`lost_while_raised`]): the frame next to it alone may be a keypoint misplaced as the
/// tracking was lost.
const BESIDE_S: f64 = 0.5;

/// The refusal's reason where the stretch was held but its frames did not count: the highest
/// level held (a hold's time within the band) over the frames in the test's position by the
/// trunk, whatever the other conditions, when it stood above `above` (flipped degrees: the rest
/// and the movement's rise) and most of its frames did not count, with the condition that most
/// of them were seen failing (a form condition, the leg foreshortened, the heel lifted). Saying
/// "only the resting level was held" there blamed a person who held the stretch with the knees
/// bent, the heel lifted or the hip rising (Ely's sign), for not holding it.
fn uncounted_hold(reading: &Reading, above: f32) -> Option<String> {
    let Reading {
        protocol,
        measure,
        series,
        side,
        validity,
        criteria,
        flip,
        ..
    } = *reading;
    // (A position test's result is its last level, not its highest.)
    if protocol.result != ResultKind::SustainedMaximum {
        return None;
    }
    let out = &validity.out_of_position;
    let in_position = kept(&reading.all_values, |i| {
        !out.get(i).copied().unwrap_or(true)
    });
    let held = sustained_maximum(&series.time_s, &in_position, criteria)
        .filter(|held| held.level_deg > above)?;
    let frames: Vec<usize> = (0..in_position.len().min(series.time_s.len()))
        .filter(|&i| {
            !in_position[i].is_nan() && (held.start_s..=held.end_s).contains(&series.time_s[i])
        })
        .collect();
    let uncounted = |i: &&usize| !validity.frame_ok.get(**i).copied().unwrap_or(false);
    let uncounted = frames.iter().filter(uncounted).count();
    // Under half is enough: frames that did not count scattered through the hold (a knee near
    // its limit, read bent in every other frame), or a few in its middle, leave no hold between
    // them (there is none, or this would not be a refusal), and "only the resting level was
    // held" blamed the person for not holding.
    if uncounted == 0 {
        return None;
    }
    // ... but only where the frames that counted make no hold of their own there (else the
    // refusal is for another reason: a hold below the test's rise, say).
    if 2 * uncounted < frames.len() && longest_counted_s(reading, &frames) >= criteria.min_hold_s {
        return None;
    }
    let count = |fails: &dyn Fn(usize) -> bool| frames.iter().filter(|&&i| fails(i)).count();
    let mut why: Vec<(usize, String)> = protocol
        .criteria
        .iter()
        // (The trunk's position is what put these frames in position.)
        .filter(|c| {
            c.role == Role::Form || (c.role == Role::Posture && c.subject != Subject::Trunk)
        })
        .map(|c| {
            let failed = count(&|i| {
                let v = c.subject.value(side, |channel| series.channel(channel)[i]);
                !v.is_nan() && !c.test.passes(v)
            });
            (failed, c.failure.to_string())
        })
        .collect();
    let ratio = series.in_plane_ratio(side);
    why.push((
        count(&|i| ratio.get(i).is_some_and(|&r| r < FORESHORTENED_RATIO)),
        FORESHORTENED.to_string(),
    ));
    if protocol.heel_down {
        let lift = series.ankle_lift(side);
        why.push((
            count(&|i| lift.get(i).is_some_and(|&l| l > HEEL_LIFT_SHANKS)),
            heel_lifted(),
        ));
    }
    // The first of the most failed, as the protocol lists them, where it explains at least half
    // of the frames that did not count (else unseen keypoints may be why, and one frame's bent
    // knee would be blamed). Where none does, but the conditions seen failing together do, the
    // three most failed are named with their frames.
    let most = why.iter().map(|w| w.0).max().filter(|&most| most > 0)?;
    let why = if 2 * most >= uncounted {
        why.into_iter().find(|w| w.0 == most)?.1
    } else {
        let seen_failing = frames
            .iter()
            .filter(|&&i| validity.ruled_out_seen.get(i).copied().unwrap_or(false))
            .count();
        if 2 * seen_failing < uncounted {
            return None;
        }
        // (A stable sort: equal counts stay in the protocol's order.)
        why.sort_by_key(|w| std::cmp::Reverse(w.0));
        why.iter()
            .filter(|w| w.0 > 0)
            .take(3)
            .map(|(count, why)| format!("{why} ({count} frames)"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let those = if 2 * uncounted >= frames.len() {
        "those frames did not count".to_string()
    } else {
        format!(
            "{:.0}% of those frames did not count, leaving no {:.1} s hold between them",
            100.0 * uncounted as f32 / frames.len() as f32,
            criteria.min_hold_s
        )
    };
    Some(format!(
        "{} was held at about {:.0} deg from {:.1} to {:.1} s, but {those}: {why}",
        measure.name,
        shown(held.level_deg * flip, 0),
        held.start_s,
        held.end_s
    ))
}

/// The longest time, seconds, over which `frames` (indices, in time order) counted one after
/// another, without missing time between two of them (as a hold is found: see
/// [`hold::sustained_maximum`]).
fn longest_counted_s(reading: &Reading, frames: &[usize]) -> f64 {
    let (time_s, validity, criteria) = (&reading.series.time_s, reading.validity, reading.criteria);
    let gap_s = criteria.max_gap_s.max(3.0 * hold::median_interval(time_s));
    let (mut longest, mut run_from, mut last_s) = (0.0_f64, None, f64::NEG_INFINITY);
    for &i in frames {
        let (t, counted) = (
            time_s[i],
            validity.frame_ok.get(i).copied().unwrap_or(false),
        );
        if !counted || t - last_s > gap_s {
            run_from = None;
        }
        if counted {
            longest = longest.max(t - *run_from.get_or_insert(t));
        }
        last_s = t;
    }
    longest
}

/// The refusal for a stretch held whose frames did not count ([`uncounted_hold`]), unless unseen
/// time split it (`split`: said instead).
fn uncounted_unless_split(
    reading: &Reading,
    split: Option<&SplitHold>,
    above: f32,
) -> Option<(RefusalKind, String)> {
    if split.is_some() {
        return None;
    }
    uncounted_hold(reading, above).map(|reason| (RefusalKind::NoValidFrames, reason))
}

/// Why frames of a leg or the trunk pointing towards or away from the camera did not count.
const FORESHORTENED: &str = "leg or trunk foreshortened: camera not side-on";

/// Why frames with the heel lifted did not count (see [`Protocol::heel_down`]).
fn heel_lifted() -> String {
    format!(
        "the heel lifted (the ankle rose over {:.0}% of the shank above the floor where the foot \
         stood): keep the heel down",
        100.0 * HEEL_LIFT_SHANKS
    )
}

/// The refusal's reason where unseen time may have split the stretch's hold.
fn split_reason(reading: &Reading, split: &SplitHold) -> String {
    format!(
        "not held: {} was at about {:.0} deg {}, and unseen time never counts as held; record \
         again with the whole body in view",
        reading.measure.name,
        split.level_deg,
        split.when()
    )
}

/// `deg` rounded to `decimals` places, never shown as "-0".
fn shown(deg: f32, decimals: i32) -> f32 {
    let scale = 10f32.powi(decimals);
    // (+ 0.0 turns -0.0 into 0.0)
    (deg * scale).round() / scale + 0.0
}

/// Whether another level held (`other`) leaves the last one (`last`, held `last_s` seconds in
/// all) in doubt as the relaxed leg's: held at least half as long, with the trunk lying within
/// 10 degrees of where it lay then (a pause while lying back is none), and the other hip not
/// drawn 10 degrees or more closer to the chest from the earlier of the two to the later.
/// Tightening the hug, as the test asks, tilts the pelvis and moves the hanging thigh to its
/// last level; a therapist's press or a lift at the end moves the hanging leg alone (a leg
/// relaxed at +5 deg for 8 s, then pressed to -15 for 3 s, read -15 "normal", graded good). The
/// last level stands, graded fair at best.
fn last_level_in_doubt(
    series: &AngleSeries,
    side: Side,
    last: &Hold,
    last_s: f64,
    other: &Hold,
) -> bool {
    if other.duration_s < 0.5 * last_s {
        return false;
    }
    let median_over = |channel: &[f32], h: &Hold| {
        stats::median_of_seen(
            series
                .time_s
                .iter()
                .zip(channel)
                .filter(|(t, _)| (h.start_s..=h.end_s).contains(t))
                .map(|(_, &v)| v),
        )
    };
    // A pause while lying back (the trunk still 25 deg up, the leg level) is no rival either:
    // the trunk lay 10 deg or more otherwise then.
    let trunk = series.channel(Channel::TrunkToVertical);
    if let (Some(a), Some(b)) = (median_over(trunk, other), median_over(trunk, last)) {
        if (a - b).abs() >= 10.0 {
            return false;
        }
    }
    let hip = series.channel(LegAngle::HipFlexion.channel(side.other()));
    let (earlier, later) = if other.start_s < last.start_s {
        (other, last)
    } else {
        (last, other)
    };
    match (median_over(hip, earlier), median_over(hip, later)) {
        (Some(before), Some(after)) => after - before < 10.0,
        _ => true,
    }
}

/// The larger of two numbers where either may be unknown.
fn larger(a: Option<f32>, b: Option<f32>) -> Option<f32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// The crests the refusal checks find on their way, which the result reports: those of a
/// repeated movement (the reason a hold or position test refuses), or a swing test's swings.
#[derive(Default)]
struct Crests {
    /// Every crest of a repeated movement or every swing, degrees as measured (not flipped).
    repetitions: Vec<Repetition>,
    /// For swings: the peaks seen clearly, which the mean and spread are taken over.
    swing_peaks: Vec<Repetition>,
    /// For swings: peaks left out as far from the others, degrees.
    left_out: Vec<f32>,
    /// For swings: where they went against the picture's plane (see [`swing_plane`]).
    out_of_plane: Option<SwingPlane>,
}

#[allow(clippy::too_many_arguments)]
fn measure_one(
    protocol: &Protocol,
    measure: &Measure,
    series: &AngleSeries,
    side: Side,
    validity: &Validity,
    criteria: &HoldCriteria,
    source: &str,
    model: Option<&str>,
) -> Measurement {
    let reading = Reading::new(protocol, measure, series, side, validity, criteria);
    let (total, flip) = (reading.total(), reading.flip);
    // A position test: the last level held, and any earlier one more than twice the band away.
    let (hold, other_level) = if protocol.result == ResultKind::LastHold {
        let mut stays = hold::stays(&series.time_s, &reading.values, criteria);
        let last = stays.pop();
        // Named: the longest of those that leave the last level in doubt, else the longest (a
        // pause of a second as the patient lay back is no rival to a leg relaxed for seven).
        // The last level's time is all the time near it: a leg settling slowly is held in
        // pieces a degree apart.
        let other = last.and_then(|last| {
            let near =
                |stay: &&Hold| (stay.level_deg - last.level_deg).abs() <= 2.0 * criteria.band_deg;
            let last_s =
                last.duration_s + stays.iter().filter(near).map(|s| s.duration_s).sum::<f64>();
            let longest = |a: &&Hold, b: &&Hold| a.duration_s.total_cmp(&b.duration_s);
            let rivals: Vec<&Hold> = stays.iter().filter(|s| !near(s)).collect();
            let doubting = rivals
                .iter()
                .copied()
                .filter(|stay| last_level_in_doubt(series, side, &last, last_s, stay))
                .max_by(longest);
            doubting
                .or_else(|| rivals.iter().copied().max_by(longest))
                .map(|stay| OtherLevel {
                    level_deg: stay.level_deg,
                    duration_s: stay.duration_s,
                    in_doubt: doubting.is_some(),
                })
        });
        (last, other)
    } else {
        (
            sustained_maximum(&series.time_s, &reading.values, criteria),
            None,
        )
    };

    let (mut warnings, mut quality) = warnings_and_grade(&reading, other_level);
    let mut lower = |q: Quality| quality = quality.max_by_severity(q);
    let mut found = Crests::default();
    // What the hold's rise was made of, where the leg is to move itself: the refusal and the
    // compensation's warning both read it.
    // (Only an angle against the trunk line counts the trunk's turn: a leg against the
    // horizontal does not.)
    let rise = hold
        .filter(|_| protocol.movement.is_some_and(|m| m.thigh_moves))
        .filter(|_| measure.angle == LegAngle::HipFlexion)
        .and_then(|h| rise_parts(&reading, h));
    // The keypoints' jitter over the frames that count (a swing's own speed would count as
    // jitter: swings are not judged by it).
    let swing_test = matches!(protocol.result, ResultKind::Swings { .. });
    let channel = measure.angle.channel(side);
    let counts = |i: usize| reading.values.get(i).is_some_and(|v| !v.is_nan());
    let unsteady = |deg: Option<f32>| deg.filter(|&d| !swing_test && d > UNSTEADY_DEG);
    // Also over each stretch of UNSTEADY_WINDOW_S above the level held (or at it, for a
    // result): keypoints jittering only while the stretch was held hid that hold, and a lower,
    // steadier pause on the way out (40 deg for a raise held at 60) was the result, graded
    // good; over the whole recording, its steady rest hid the jitter. (Not over every stretch:
    // a fast movement on the way in or out is no hold, and scatters more than a still one.)
    let scatter_from = |level: f32| {
        series.frame_scatter_peak_deg(
            channel,
            |i| reading.values.get(i).is_some_and(|&v| v >= level),
            UNSTEADY_WINDOW_S,
        )
    };
    let unsteady_counted = unsteady(larger(
        reading.scatter_deg,
        hold.and_then(|h| scatter_from(h.level_deg + criteria.band_deg)),
    ));
    let refusal = why_refused(&reading, hold, rise, &mut found).map(|(kind, reason)| {
        // Face up and face down, or forward and back, differ only by which way the body faces:
        // a guess may be why (a prone test read as lying on the back, a fold as a lean back).
        let guessed = if series.facing_guessed {
            " (which way the body faced was guessed: no face seen in profile, no knee bent)"
        } else {
            ""
        };
        // A camera on its side may be why no frame counted.
        let turned = match kind {
            RefusalKind::NotThePosture | RefusalKind::NoValidFrames => {
                turned_picture(series, protocol).unwrap_or("")
            }
            _ => "",
        };
        // A hold hidden by jittering keypoints, or jitter read as rocking, may be why.
        let jitter = match (kind, unsteady_counted) {
            (RefusalKind::NotHeld | RefusalKind::Repetitions, Some(deg)) => format!(
                " (the keypoints were unsteady: the angle scattered {deg:.1} deg from frame to \
                 frame, enough to hide a hold; film closer or in better light)"
            ),
            _ => String::new(),
        };
        Refusal {
            kind,
            reason: format!("{reason}{turned}{guessed}{jitter}"),
        }
    });
    let Crests {
        repetitions,
        swing_peaks,
        left_out,
        out_of_plane,
    } = found;
    if let Some(refusal) = &refusal {
        warnings.insert(
            0,
            Warning::new(WarningKind::NoResult).detail(refusal.reason.clone()),
        );
        lower(Quality::Poor);
    }
    // A swing test's result is the swings, never a hold.
    let hold = hold.filter(|_| refusal.is_none() && !swing_test);
    // Judged where the result was read: over the hold, and over each stretch at its level or
    // above; without a result, as above. (A hold too short to judge by itself, at a low frame
    // rate, is judged with the frames that count.)
    let unsteady_deg = match hold {
        Some(h) => unsteady(larger(
            series
                .frame_scatter_deg(channel, |i| {
                    counts(i) && (h.start_s..=h.end_s).contains(&series.time_s[i])
                })
                .or(reading.scatter_deg),
            scatter_from(h.level_deg - criteria.band_deg),
        )),
        None => unsteady_counted,
    };
    if let Some(deg) = unsteady_deg {
        warnings.push(
            Warning::new(WarningKind::Unsteady)
                .side(side)
                .value(deg)
                .detail(measure.angle.name()),
        );
        lower(Quality::Fair);
    }
    // A level further lost to unseen time: the result may be low (a raise held at 60 for 1.4 s
    // with 0.5 s of rows missing, then at 40, read 40, good). (A position test's result is the
    // last level, not the highest.)
    let higher_unseen = hold
        .filter(|_| protocol.result == ResultKind::SustainedMaximum)
        .and_then(|h| split_by_unseen(&reading, h.level_deg + criteria.band_deg));
    if let Some(split) = higher_unseen {
        warnings.push(
            Warning::new(WarningKind::HigherLevelUnseen)
                .side(side)
                .value(split.level_deg)
                .detail(format!(
                    "{} was at about {:.0} deg {}",
                    measure.name.replace('_', " "),
                    split.level_deg,
                    split.when()
                )),
        );
        lower(Quality::Fair);
    }
    // The trunk's turn past upright (or lying, from its rest, either way) is in the result.
    let trunk_share = rise
        .filter(|_| refusal.is_none())
        .map(|parts| parts.compensation)
        .filter(|&share| share.abs() >= TRUNK_TURN_DEG);
    if let Some(share) = trunk_share {
        warnings.push(
            Warning::new(WarningKind::TrunkMoved)
                .side(side)
                .value(share)
                .detail(measure.name.replace('_', " ")),
        );
        lower(Quality::Fair);
    }
    // Also on a refusal: a tilted camera can break the test's conditions against the horizontal.
    if let Some(tilt) = lying_tilt(&reading, hold) {
        let (kind, deg) = match tilt {
            Tilt::Trunk(deg) => (WarningKind::Tilted, deg),
            Tilt::Body(deg) => (WarningKind::CameraTilted, deg),
        };
        warnings.push(Warning::new(kind).value(deg).detail(measure.angle.name()));
        lower(Quality::Fair);
    }
    // A dynamic result: the mean of the swing peaks and their spread (sample standard deviation).
    let swings = (swing_test && refusal.is_none()).then(|| {
        let peaks: Vec<f32> = swing_peaks.iter().map(|c| c.peak_deg).collect();
        // One swing has no spread; a few give a rough one.
        let spread = stats::sample_variance(&peaks).map(|(variance, _)| variance.sqrt());
        (stats::mean(&peaks), spread)
    });
    if swings.is_some() {
        let unseen = repetitions
            .len()
            .saturating_sub(swing_peaks.len() + left_out.len());
        if unseen > 0 {
            warnings.push(
                Warning::new(WarningKind::PeaksUnseen)
                    .value(unseen as f32)
                    .detail(repetitions.len().to_string()),
            );
        }
        if !left_out.is_empty() {
            let peaks: Vec<String> = left_out.iter().map(|p| format!("{p:.1}")).collect();
            warnings.push(
                Warning::new(WarningKind::SwingsLeftOut)
                    .value(left_out.len() as f32)
                    .detail(peaks.join(", ")),
            );
        }
        if swing_peaks.len() < MIN_SWINGS {
            warnings.push(Warning::new(WarningKind::FewSwings).value(swing_peaks.len() as f32));
            lower(Quality::Fair);
        }
        if let Some(plane) = out_of_plane
            .filter(|p| p.across_deg > SWING_OBLIQUE_DEG && p.lift_deg >= SWING_OBLIQUE_FROM_DEG)
        {
            warnings.push(
                Warning::new(WarningKind::SwungOutOfPlane)
                    .value(plane.across_deg)
                    .detail(format!("{:.0}", plane.shown_pct)),
            );
            lower(Quality::Fair);
        }
        if let Some((frames, fps)) = frames_per_swing(&series.time_s, &repetitions)
            .filter(|&(frames, _)| frames < MIN_FRAMES_PER_SWING)
        {
            warnings.push(
                Warning::new(WarningKind::FramesFarApart)
                    .value(frames)
                    .detail(format!("{fps:.0}")),
            );
            lower(Quality::Fair);
        }
    }
    // For swings, the peak and the picture are of the swings the result is over: the highest,
    // and the one nearest the mean.
    let peak = match swings {
        Some(_) => swing_peaks
            .iter()
            .max_by(|a, b| a.peak_deg.total_cmp(&b.peak_deg))
            .map(|c| (c.frame, c.peak_deg * flip)), // back to the flipped scale of `peak`
        None => reading.peak,
    };
    let swing_frame = swings.and_then(|(mean, _)| {
        swing_peaks
            .iter()
            .min_by(|a, b| {
                (a.peak_deg - mean)
                    .abs()
                    .total_cmp(&(b.peak_deg - mean).abs())
            })
            .map(|c| c.frame)
    });
    // The hold's picture on a frame whose angle was measured, not filled in across a gap (a
    // dropped or misread keypoint there would leave the picture without its arc).
    let measured = series.measured(measure.angle.channel(side));
    let hold_picture = hold.map(|h| {
        (0..series.len())
            .filter(|&i| (h.start_s..=h.end_s).contains(&series.time_s[i]))
            .filter(|&i| measured.get(i).copied().unwrap_or(false))
            .min_by_key(|&i| i.abs_diff(h.frame_index))
            .unwrap_or(h.frame_index)
    });
    let evidence_frame = hold_picture
        .or(swing_frame)
        .or(peak.map(|p| p.0))
        .or(highest(&reading.all_values).map(|p| p.0))
        .or((total > 0).then_some(total / 2));

    // Refused as not the test's position (a swing filmed from the front, forward not told
    // from back), the frames' extreme is no reading of the test: shown as "hip flexion 27",
    // it read as one.
    let peak = peak.filter(|_| {
        refusal
            .as_ref()
            .is_none_or(|r| r.kind != RefusalKind::NotThePosture)
    });
    Measurement {
        source: source.to_string(),
        protocol: protocol.id.to_string(),
        measure: measure.name.to_string(),
        side,
        value_deg: hold
            .map(|h| h.level_deg * flip)
            .or(swings.map(|(mean, _)| mean)),
        spread_deg: swings.and_then(|(_, spread)| spread),
        swings: swings.map(|_| repetitions.len()),
        peak_deg: peak.map(|p| p.1 * flip),
        peak_frame: peak.map(|p| p.0),
        hold_s: hold.map_or(0.0, |h| h.duration_s),
        hold_start_s: hold.map(|h| h.start_s),
        hold_end_s: hold.map(|h| h.end_s),
        hold_frame: hold.map(|h| h.frame_index),
        valid_frames: reading.valid_frames,
        total_frames: total,
        quality,
        warnings,
        refusal,
        repetitions,
        evidence_frame,
        norm: protocol.norm.to_string(),
        model: model.map(str::to_string),
        people_seen: None,
        settings: Some(Settings {
            hold_s: criteria.min_hold_s,
            band_deg: criteria.band_deg,
            min_confidence: series.min_confidence,
        }),
    }
}

/// The warnings about how the measure was read (angles unknown, conditions broken or unknown,
/// another level held, foreshortening, misreads, the camera oblique, sides swapped, facing
/// unclear or guessed), and the grade: good, lowered to fair or poor by those warnings and, with
/// no warning of their own, by a small share of the frames in position counting, or a condition
/// that rules out a wrong movement unseen in many of them.
fn warnings_and_grade(
    reading: &Reading,
    other_level: Option<OtherLevel>,
) -> (Vec<Warning>, Quality) {
    let Reading {
        protocol,
        measure,
        series,
        side,
        validity,
        ..
    } = *reading;
    let total = reading.total();
    let pct = |count: usize| reading.pct(count);
    let mut warnings = Vec::new();
    let mut quality = Quality::Good;
    let mut lower = |q: Quality| quality = quality.max_by_severity(q);

    let missing = reading.all_values.iter().filter(|v| v.is_nan()).count();
    if missing > 0 && total > 0 {
        warnings.push(
            Warning::new(WarningKind::AngleUnknown)
                .side(side)
                .detail(measure.name)
                .frames(missing, total),
        );
    }
    for (criterion, &(failed, unknown, worst)) in protocol.criteria.iter().zip(&validity.failures) {
        if failed > 0 {
            match criterion.role {
                Role::Posture => warnings.push(
                    Warning::new(WarningKind::OutOfPosition)
                        .detail(criterion.failure)
                        .frames(failed, total),
                ),
                Role::Form | Role::Flag => {
                    warnings.push(
                        Warning::new(WarningKind::FormBroken)
                            .detail(criterion.failure)
                            .frames(failed, total)
                            .value(worst),
                    );
                    if pct(failed) > 10.0 {
                        lower(Quality::Fair);
                    }
                }
            }
        }
        if unknown > missing {
            warnings.push(
                Warning::new(WarningKind::ConditionUnknown)
                    .detail(criterion.unknown)
                    .frames(unknown, total),
            );
        }
    }
    // Said; graded down only when it leaves the last level in doubt (a hug tightened as the
    // test asks, or a pause as the patient lay back, gives an earlier level too).
    if let Some(other) = other_level {
        warnings.push(
            Warning::new(WarningKind::OtherLevelHeld)
                .side(side)
                .value(other.level_deg * reading.flip)
                .detail(format!("{:.1}", other.duration_s)),
        );
        if other.in_doubt {
            lower(Quality::Fair);
        }
    }
    // A condition ruling out a wrong movement (the trunk raised) not seen for long: the result
    // stands, fair at best (the condition's own warning says it was unknown).
    let valid_frames = reading.valid_frames;
    if valid_frames > 0 && validity.unsure * 10 > valid_frames {
        lower(Quality::Fair);
    }
    if validity.foreshortened > 0 {
        warnings.push(
            Warning::new(WarningKind::Foreshortened)
                .side(side)
                .frames(validity.foreshortened, total),
        );
        if pct(validity.foreshortened) > 10.0 {
            lower(Quality::Fair);
        }
    }
    if validity.heel_lifted > 0 {
        warnings.push(
            Warning::new(WarningKind::HeelLifted)
                .side(side)
                .frames(validity.heel_lifted, total),
        );
        if pct(validity.heel_lifted) > 10.0 {
            lower(Quality::Fair);
        }
    }
    // Misreads during the test: from the first frame that counts to the last (before it the
    // subject may have walked up to the camera, reading longer than in the test). Without a
    // frame that counts, over the whole recording.
    let counted = validity
        .frame_ok
        .iter()
        .position(|&ok| ok)
        .zip(validity.frame_ok.iter().rposition(|&ok| ok));
    let during_test = counted.map_or(0..total, |(first, last)| first..last + 1);
    let misread = series
        .misread(side)
        .get(during_test)
        .map_or(0, |frames| frames.iter().filter(|&&m| m).count());
    if misread > 0 {
        warnings.push(
            Warning::new(WarningKind::Misread)
                .side(side)
                .frames(misread, total),
        );
        if pct(misread) > 10.0 {
            lower(Quality::Fair);
        }
    }
    let valid_share = if validity.in_posture == 0 {
        0.0
    } else {
        valid_frames as f32 / validity.in_posture as f32
    };
    if valid_share < 0.3 {
        lower(Quality::Poor);
    } else if valid_share < 0.7 {
        lower(Quality::Fair);
    }
    if let Some(spread) = series.lateral_spread {
        if spread > OBLIQUE_SPREAD {
            warnings.push(Warning::new(WarningKind::Oblique).value(100.0 * spread));
            lower(if spread > FRONTAL_SPREAD {
                Quality::Poor
            } else {
                Quality::Fair
            });
        }
    }
    if series.swaps_corrected > 0 {
        warnings.push(
            Warning::new(WarningKind::SidesSwapped)
                .value(series.swaps_corrected as f32)
                .frames(series.swaps_corrected, total),
        );
        if pct(series.swaps_corrected) > 10.0 {
            lower(Quality::Fair);
        }
    }
    if series.facing_disagreements > 0 && pct(series.facing_disagreements) > 10.0 {
        warnings.push(
            Warning::new(WarningKind::FacingUnclear).frames(series.facing_disagreements, total),
        );
        lower(Quality::Fair);
    }
    if series.facing_guessed {
        warnings.push(Warning::new(WarningKind::FacingGuessed));
        lower(Quality::Fair);
    }
    (warnings, quality)
}

/// Why this reading gives no result, if it gives none, checked in this order, the first that
/// applies being the reason: no frames; none that count; the test's movement not made from a
/// rest, or a level `hold` that is not the stretch (the resting level, one leg held while the
/// other moved); for a swing test, swings not seen side-on, no swing at all, not made in place
/// on one leg, or too few seen clearly; for a hold or position test, repetitions instead of a
/// hold, or nothing held. Leaves in `found` the crests the swing and repetition checks saw. The
/// reason is without the note that facing was guessed, which `measure_one` adds.
fn why_refused(
    reading: &Reading,
    hold: Option<Hold>,
    rise: Option<RiseParts>,
    found: &mut Crests,
) -> Option<(RefusalKind, String)> {
    if reading.total() == 0 {
        return Some((RefusalKind::NoFrames, "no frames".to_string()));
    }
    if reading.valid_frames == 0 {
        return Some(no_valid_frames(reading));
    }
    if let Some(movement) = reading.protocol.movement {
        if let Some(refusal) = not_moved_from_rest(reading, movement, hold, rise) {
            return Some(refusal);
        }
    }
    if let ResultKind::Swings { prominence_deg } = reading.protocol.result {
        return not_swings(reading, prominence_deg, found);
    }
    not_held(reading, hold, found)
}

/// Both legs at rest this long, seconds, make a change of swinging leg a real one: the foot
/// planted and the weight moved onto it before the other leg sets off. Where a model exchanged
/// the labels, the one leg arrives at rest as the other leaves it: the time the swinging leg
/// takes to pass 2 x [`REST_BAND_DEG`] (under 0.1 s; 0.2 s in slow swings of 2 s). Chosen on
/// synthetic swings, not measured.
const LEG_CHANGE_PAUSE_S: f64 = 0.25;

/// A thigh within this of its resting angle, degrees, is at rest.
const REST_BAND_DEG: f32 = 5.0;

/// One leg's last turn and the other's first no further apart than this many times the swings'
/// own spacing between turns carry one rhythm on: two spacings (the turn beside the exchange of
/// labels is often lost: the leg that stops there never falls back from it) and some slack.
const RHYTHM_SLACK: f64 = 2.5;

/// Where swings pass from one leg to the other with no pause: the last turn (a crest of any
/// measure) of one leg and the first of the other, seconds, when they follow at the swings' own
/// rhythm and the one leg comes to rest only as the other leaves it. One leg does not stop dead
/// in mid-swing while the other sets off: the pose model exchanged the legs' labels as they
/// passed each other (invisible to position continuity, where the knees meet), and the standing
/// leg would read the swing. `swings_of` holds `side`'s crests per measure.
fn swings_handed_over(
    series: &AngleSeries,
    side: Side,
    swings_of: &[(&Measure, Vec<Repetition>)],
    prominence_deg: f32,
) -> Option<(f64, f64)> {
    let sorted = |mut times: Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times
    };
    let here = sorted(
        swings_of
            .iter()
            .flat_map(|(_, swings)| swings.iter().map(|c| c.time_s))
            .collect(),
    );
    let there = sorted(
        swings_of
            .iter()
            .flat_map(|(m, _)| {
                let flip = flip_of(m);
                let values: Vec<f32> = m.values(series, side.other()).map(|v| v * flip).collect();
                crests(&series.time_s, &values, prominence_deg)
            })
            .map(|c| c.time_s)
            .collect(),
    );
    let spacing: Vec<f32> = [&here, &there]
        .into_iter()
        .flat_map(|t| t.windows(2).map(|w| (w[1] - w[0]) as f32))
        .collect();
    let spacing = f64::from(stats::median_of_seen(spacing)?);
    let (first, last) = (*here.first()?, *here.last()?);
    // Both legs swinging at once is walking, judged before.
    if there.iter().any(|&t| t > first && t < last) {
        return None;
    }
    let time = &series.time_s;
    let frames = |from_s: f64, to_s: f64| {
        time.partition_point(|&t| t < from_s)..time.partition_point(|&t| t <= to_s)
    };
    let thigh = |s: Side| series.channel(LegAngle::ThighToHorizontal.channel(s));
    // From `from` (turns from `from_first` to `a`) to `to` (turns from `b` to `to_last`): when
    // the one leg came to rest and when the other left it, each at the angle where it rests
    // while the other swings.
    let handed_over = |from: Side, from_first: f64, a: f64, to: Side, b: f64, to_last: f64| {
        if b - a > RHYTHM_SLACK * spacing {
            return false;
        }
        let resting = |s: Side, range: std::ops::Range<usize>| {
            stats::median_of_seen(thigh(s).get(range)?.iter().copied())
        };
        let (Some(from_rest), Some(to_rest)) = (
            resting(from, frames(b, to_last)),
            resting(to, frames(from_first, a)),
        ) else {
            return false;
        };
        let gap = frames(a, b);
        let at_rest = |s: Side, rest: f32, i: usize| {
            thigh(s)
                .get(i)
                .is_none_or(|v| v.is_nan() || (v - rest).abs() <= REST_BAND_DEG)
        };
        // Unseen frames are passed over: they neither start nor end a rest.
        let arrived = gap
            .clone()
            .rev()
            .take_while(|&i| at_rest(from, from_rest, i))
            .last();
        let left = gap.clone().take_while(|&i| at_rest(to, to_rest, i)).last();
        match (arrived, left) {
            (Some(arrived), Some(left)) => {
                arrived > gap.start
                    && left + 1 < gap.end
                    && time[left] - time[arrived] < LEG_CHANGE_PAUSE_S
            }
            _ => false,
        }
    };
    if let Some(&a) = there.iter().rev().find(|&&t| t < first) {
        if handed_over(side.other(), there[0], a, side, first, last) {
            return Some((a, first));
        }
    }
    if let Some(&b) = there.iter().find(|&&t| t > last) {
        if handed_over(side, first, last, side.other(), b, *there.last()?) {
            return Some((last, b));
        }
    }
    None
}

/// The other leg further out than the swinging one by more than this about a swing's peak,
/// degrees (each leg's furthest, the measure's angle), is the legs' labels exchanged there (see
/// [`exchanged_at_crossings`]): in a true swing the standing leg stays 10-60 deg short of every
/// peak, jitter and sway moving it a few degrees.
const EXCHANGED_BY_DEG: f32 = 5.0;

/// Each leg's furthest out within this share of the swings' spacing either side of a swing's
/// peak is compared (see [`exchanged_at_crossings`]): a label waiting at the standing level for
/// up to half a swing has its peak anywhere there, and the other leg's in the middle.
const EXCHANGED_WINDOW: f32 = 0.3;

/// Where the legs' labels were exchanged at the swings' crossings ([`exchanged_at_crossings`]).
struct Exchanged<'a> {
    /// The measure whose peaks showed it.
    measure: &'a Measure,
    /// At how many of its peaks, of how many with both legs known.
    at: usize,
    of: usize,
    /// How much further out the other leg went there, degrees (the median).
    by_deg: f32,
}

/// Whether the pose model named the legs by where they were (the one in front always "right",
/// say) rather than which they were: then at the peaks of one of the measures (the back of the
/// swings, where the swinging leg has passed the standing one) the leg called the swinging one
/// waits at the standing level while the other leaves it to go further out, at most of that
/// measure's peaks ([`EXCHANGED_BY_DEG`] past this leg and past the other's median, within
/// [`EXCHANGED_WINDOW`]; a measure with [`MIN_RESULT_SWINGS`] peaks or more). Left
/// unseen, the back of the swings was read on the standing leg: swings from 15 deg of
/// extension to 50 of flexion read 3.9 and 49.8, good. `swings_of` holds `side`'s crests per
/// measure.
fn exchanged_at_crossings<'a>(
    series: &AngleSeries,
    side: Side,
    swings_of: &[(&'a Measure, Vec<Repetition>)],
    prominence_deg: f32,
) -> Option<Exchanged<'a>> {
    swings_of
        .iter()
        .filter(|(_, swings)| swings.len() >= MIN_RESULT_SWINGS)
        .find_map(|(measure, swings)| {
            // Both legs as the swinging leg's peaks are read (see `Reading::new`).
            let cutoff_hz = swing_cutoff_hz(series, measure.angle.channel(side), prominence_deg);
            let swing_values = |s: Side| -> Vec<f32> {
                series
                    .smoothed_at_least(measure.angle.channel(s), cutoff_hz)
                    .into_iter()
                    .map(|v| v * measure.sign())
                    .collect()
            };
            let (this, other) = (swing_values(side), swing_values(side.other()));
            // Around each peak, within a share of the swings' spacing: a label waiting at the
            // standing level has its peak anywhere there, the other leg's in the middle.
            let spacing_s = stats::median_of_seen(
                swings
                    .windows(2)
                    .map(|w| (w[1].time_s - w[0].time_s) as f32),
            )?;
            let window_s = f64::from(EXCHANGED_WINDOW * spacing_s);
            let time = &series.time_s;
            let furthest = |values: &[f32], around: std::ops::Range<usize>| {
                values
                    .get(around)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|v| !v.is_nan())
                    .fold(f32::NEG_INFINITY, f32::max)
            };
            // Where the other leg stands: its median over the recording (a label waiting at the
            // standing level does so half the time or more).
            let standing = stats::median_of_seen(other.iter().copied())?;
            // How much further out the other leg went than this one about each peak, where it
            // left its standing level to get there: a swing that never passes the standing leg
            // (from 10 deg of flexion to 60) has its back peaks behind the standing leg's level,
            // which stays where it stands (0: not further out).
            let further: Vec<f32> = swings
                .iter()
                .filter_map(|c| {
                    let around = time.partition_point(|&t| t < c.time_s - window_s)
                        ..time.partition_point(|&t| t <= c.time_s + window_s);
                    let (a, b) = (furthest(&this, around.clone()), furthest(&other, around));
                    let left_standing = b - standing > EXCHANGED_BY_DEG;
                    (a.is_finite() && b.is_finite()).then_some(if left_standing {
                        b - a
                    } else {
                        0.0
                    })
                })
                .collect();
            let at = further.iter().filter(|&&d| d > EXCHANGED_BY_DEG).count();
            (2 * at > further.len() && further.len() >= MIN_RESULT_SWINGS).then(|| Exchanged {
                measure,
                at,
                of: further.len(),
                by_deg: stats::median_of_seen(further.iter().copied()).unwrap_or(f32::NAN),
            })
        })
}

/// A swinging knee bent more than this (degrees, the median at the front of the swings) makes
/// knee drives, not leg swings: a relaxed swing comes up with the knee nearly straight (the
/// synthetic swings bend it 5 deg; a leg swung from the hip keeps it well under 45), a knee
/// drive brings it up bent 90 or more. Chosen, not measured: no recording of leg swings with
/// knee angles is in the development data.
const KNEE_DRIVE_DEG: f32 = 60.0;

/// A swing whose thigh points more than this out of the picture's plane at its peaks (degrees,
/// the median over the peaks) went towards and away from the camera: a side-to-side swing, or
/// one filmed from the front. A forward-and-back swing filmed side-on is at 0, and at the
/// body's turn from side-on when not (the oblique warning starts near 35); a side-to-side
/// swing filmed side-on is at 90 less that turn (57 at 33 deg, under the oblique warning).
/// Turned 45 deg, a forward-and-back swing of 60 already reads 51. Chosen on synthetic swings
/// (forward and back turned up to 40 deg with 6 px of jitter on a 100-px thigh: never refused).
const SWING_ACROSS_DEG: f32 = 45.0;

/// The share of its own length a thigh may be read short at a swing's peaks before it counts as
/// turned out of the picture (see [`swing_plane`]): a 30-deg swing filmed side-on with its
/// thigh read 12 % short looked turned 46 deg. Side-to-side swings of 35 deg are still seen
/// from a body turned up to 33 deg from side-on (49 deg out of the picture).
const SWING_SHORT_READ: f32 = 0.05;

/// Swings whose thigh pointed more than this out of the picture's plane at their peaks (as
/// [`swing_plane`] reads it, degrees; under [`SWING_ACROSS_DEG`]) are measured, said and graded
/// fair: their peaks read low. Swings to 60 and 20 deg, straight, in a plane turned 40 and 45
/// deg from the picture's (a leg swung across the body, or the camera not side-on to the
/// swing), read 52 and 50, 16 and 14, good, the plane read 34 and 40 deg out (31 and 39 with 3
/// px of jitter); turned 35 deg (54 and 17) it reads 28 (26), good, and turned 30 (56 and 17)
/// 21 (19). Chosen on those synthetic swings: a side-on swing whose thigh the model reads short
/// at the front (12 % short, a hip keypoint placed otherwise as the hip flexes) reads 22 to 24
/// deg out at 60 and 80 deg of flexion, but 33 to 35 for a low swing to 35 (see
/// [`SWING_OBLIQUE_FROM_DEG`]).
const SWING_OBLIQUE_DEG: f32 = 30.0;

/// Swings are said to go out of the picture's plane ([`SWING_OBLIQUE_DEG`]) only where they
/// lift the thigh at least this far from hanging straight down, degrees: near
/// [`SWING_PLANE_FROM_DEG`] the way out of the plane is read from small differences in length,
/// and low swings (30 and 10, 35 and 10) filmed side-on with the thigh read 12 % short at the
/// front were graded fair, their peaks read right. Low swings turned out of the plane are not
/// said (35 and 10 turned 45 deg read 27 and 7, good).
const SWING_OBLIQUE_FROM_DEG: f32 = 40.0;

/// Only peaks where the thigh was lifted at least this far from hanging straight down
/// (degrees, however the camera saw it) tell which way it went: near hanging, a thigh read a
/// few percent short looks turned far out of the plane.
const SWING_PLANE_FROM_DEG: f32 = 25.0;

/// A swing's back peak past this (degrees of hip extension, the median over the swings) and
/// past its front is taken for the two exchanged: a hip extends 10-20 deg (30 at most in the
/// norms), and swung, with the trunk leaning into it, little further, while a leg swings
/// forward far further. With the face read turned the wrong way for the whole recording (a
/// runner looking back over the shoulder at a screen), swings to 50 in front and 15 behind read
/// 15 and 50, good, and 30 and 10 read 10 and 30. Chosen from the norms, not measured: a
/// stiff runner whose swings go 20 forward and 26 back is refused.
const SWING_BACK_MAX_DEG: f32 = 25.0;

/// A swing's back peak must also be past its front by more than this, degrees, to be taken for
/// the two exchanged (see [`SWING_BACK_MAX_DEG`]): swings that go about as far back as forward
/// (30 and 30) read nearly the same either way round.
const SWING_BACK_BEYOND_DEG: f32 = 5.0;

/// The medians of the back peaks and the front peaks of `side`'s swings, degrees, where the
/// back ones exceed [`SWING_BACK_MAX_DEG`] and the front ones by [`SWING_BACK_BEYOND_DEG`] (each
/// measure with [`MIN_RESULT_SWINGS`] peaks or more over the frames that count): front and back
/// likely exchanged. The peaks as the result reads them (see [`swing_smoothed`]): smoothed as a
/// hold is, fast swings to 30 and 10 read reversed had their back peaks cut under 25.
fn back_beyond_front(
    protocol: &Protocol,
    series: &AngleSeries,
    side: Side,
    validity: &Validity,
    prominence_deg: f32,
) -> Option<(f32, f32)> {
    let median_peak = |back: bool| {
        protocol
            .measures
            .iter()
            .filter(|m| m.negate == back)
            .find_map(|m| {
                let flip = m.sign() * flip_of(m);
                let counted: Vec<f32> =
                    swing_smoothed(series, m.angle.channel(side), prominence_deg)
                        .into_iter()
                        .zip(&validity.frame_ok)
                        .map(|(v, &ok)| if ok { v * flip } else { f32::NAN })
                        .collect();
                let swings = crests(&series.time_s, &counted, prominence_deg);
                (swings.len() >= MIN_RESULT_SWINGS)
                    .then(|| stats::median_of_seen(swings.iter().map(|c| c.peak_deg)))
                    .flatten()
            })
    };
    let (back, front) = (median_peak(true)?, median_peak(false)?);
    (back > front + SWING_BACK_BEYOND_DEG && back > SWING_BACK_MAX_DEG).then_some((back, front))
}

/// Where swings went against the picture's plane, read at their peaks (see [`swing_plane`]).
#[derive(Debug, Clone, Copy)]
struct SwingPlane {
    /// How far the thigh pointed out of the picture's plane, degrees (an underestimate: a
    /// thigh read up to [`SWING_SHORT_READ`] short is taken as in the plane, so a swing 40 deg
    /// out of the picture reads about 34).
    across_deg: f32,
    /// The thigh's length shown, percent of its own.
    shown_pct: f32,
    /// How far the thigh was lifted from hanging straight down, degrees.
    lift_deg: f32,
}

/// Where the swings went against the picture's plane, read on the measure whose peaks lift
/// the thigh furthest; `None` when no measure has [`MIN_RESULT_SWINGS`] peaks lifted at least
/// [`SWING_PLANE_FROM_DEG`].
///
/// A thigh of length 1 at `a` deg from hanging straight down, in a plane `p` deg out of the
/// picture's, is drawn `cos a` down and `sin a cos p` across: from the length drawn (`r`, its
/// share of the thigh's own length) and its angle in the picture from straight down (`f`),
/// `cos a = r cos f` and `cos p = r sin f / sin a`. The camera is taken as level and the body
/// as upright, as the protocol asks. Judged per measure from the medians of `r` and `f` over
/// its peaks, on the measure whose peaks lift the thigh furthest: a thigh's jitter makes single
/// peaks look shorter as often as longer, and the result turns short peaks far out of the plane.
fn swing_plane(
    series: &AngleSeries,
    side: Side,
    swings_of: &[(&Measure, Vec<Repetition>)],
) -> Option<SwingPlane> {
    let ratio = series.thigh_in_plane_ratio(side);
    let elevation = series.channel(LegAngle::ThighToHorizontal.channel(side));
    let judged = swings_of.iter().filter_map(|(_, swings)| {
        let (rs, fs): (Vec<f32>, Vec<f32>) = swings
            .iter()
            .filter_map(|c| {
                let r = *ratio.get(c.frame)?;
                // Thigh to the horizontal is -90 hanging straight down.
                let from_down = (elevation.get(c.frame)? + 90.0).abs();
                (r.is_finite() && from_down.is_finite()).then_some((r.min(1.0), from_down))
            })
            .unzip();
        if rs.len() < MIN_RESULT_SWINGS {
            return None;
        }
        // A thigh read up to SWING_SHORT_READ short at the peaks (the hip keypoint placed
        // otherwise as the hip flexes) is not taken as turned.
        let shown = stats::median(&rs);
        let r = (shown + SWING_SHORT_READ).min(1.0);
        let from_down = stats::median(&fs).to_radians();
        let down = r * from_down.cos();
        let lifted = (1.0 - down * down).max(0.0).sqrt();
        let across = r * from_down.sin().abs();
        (lifted >= SWING_PLANE_FROM_DEG.to_radians().sin()).then(|| {
            (
                lifted,
                (across / lifted).min(1.0).acos().to_degrees(),
                shown,
            )
        })
    });
    let (lifted, across_deg, shown) = judged.max_by(|a, b| a.0.total_cmp(&b.0))?;
    Some(SwingPlane {
        across_deg,
        shown_pct: 100.0 * shown,
        lift_deg: lifted.min(1.0).asin().to_degrees(),
    })
}

/// Where the trunk lay in the picture as no body in the test's posture lies, what to say of the
/// camera: one on its side (or a video whose quarter turn was not recorded) puts a patient lying
/// upright in the picture and a runner standing across it, and the refusal said only "not lying
/// on the back". By the median over the recording of the trunk's angle from the picture's
/// vertical, whichever way the body faced; only for a test that asks the trunk to lie, or to
/// stand within 45 deg of upright (a toe touch folds it across the picture).
fn turned_picture(series: &AngleSeries, protocol: &Protocol) -> Option<&'static str> {
    let trunk_asked = protocol.criteria.iter().any(|c| {
        c.subject == Subject::Trunk
            && (protocol.posture == Posture::Lying || c.test.highest().is_some_and(|d| d <= 45.0))
    });
    if !trunk_asked {
        return None;
    }
    // 0 upright, 90 across the picture, 180 upside down.
    let from_upright = series
        .channel(Channel::TrunkToVertical)
        .iter()
        .map(|&deg| wrap_deg(deg).abs());
    let deg = stats::median_of_seen(from_upright)?;
    match protocol.posture {
        // A quarter turn one way stands a lying body up, the other way on its head.
        Posture::Lying if !(TURNED_UPRIGHT_DEG..=180.0 - TURNED_UPRIGHT_DEG).contains(&deg) => {
            Some(
                " (the body stood upright or head down in the picture: if the patient lay, the \
                 camera was on its side, or the video's turn was not recorded; film with the \
                 camera level)",
            )
        }
        Posture::Standing | Posture::Kneeling if (90.0 - deg).abs() < TURNED_ACROSS_DEG => Some(
            " (the body lay across the picture: if the person stood or knelt, the camera was on \
             its side, or the video's turn was not recorded; film with the camera level)",
        ),
        Posture::Standing | Posture::Kneeling if deg > 180.0 - TURNED_UPRIGHT_DEG => Some(
            " (the body was upside down in the picture: the camera was turned over, or the \
             video's turn was not recorded; film with the camera level)",
        ),
        _ => None,
    }
}

/// A trunk within this many degrees of the picture's vertical (median over the recording) stands
/// upright in the picture; within it of the vertical head down, upside down. Lying tests ask the
/// trunk within 30 deg of horizontal, standing ones within 15 to 45 of vertical.
const TURNED_UPRIGHT_DEG: f32 = 35.0;

/// A trunk within this many degrees of the picture's horizontal (median over the recording) lies
/// across the picture. Narrow: a kneeling stretch done as a low lunge with the hands on the
/// floor leans the trunk 60-70 deg forward, and the camera is not to blame.
const TURNED_ACROSS_DEG: f32 = 15.0;

/// Why no frame counts. With no frame in the test's position, the posture condition that ruled
/// out most frames (on a tie, the one listed first: protocols list the defining condition
/// first); else, with no cue to which way the body faced in any frame, that; else the form
/// condition that ruled out most frames, else foreshortening, else the heel lifted, else the
/// condition seen least often, else the angle itself unknown.
fn no_valid_frames(reading: &Reading) -> (RefusalKind, String) {
    let Reading {
        protocol,
        measure,
        side,
        validity,
        ..
    } = *reading;
    let worst = |role: Role| {
        protocol
            .criteria
            .iter()
            .zip(&validity.failures)
            .filter(|(c, f)| c.role == role && f.0 > 0)
            .rev()
            .max_by_key(|(_, f)| f.0)
            .map(|(c, _)| c.failure)
    };
    if validity.in_posture == 0 {
        if let Some(failure) = worst(Role::Posture) {
            return (
                RefusalKind::NotThePosture,
                format!("not the test's position in any frame: {failure}"),
            );
        }
    }
    // Else the condition that could be checked least often says what was not seen.
    let least_known = protocol
        .criteria
        .iter()
        .zip(&validity.failures)
        // (A condition that passes unseen rules no frame out by being unseen.)
        .filter(|(c, f)| f.1 > 0 && !c.test.passes_unseen())
        .rev()
        .max_by_key(|(_, f)| f.1)
        .map(|(c, _)| c.unknown);
    // No face in profile and no bent knee in any frame: every angle against the trunk, and the
    // trunk's own position (face up or down, forward or back), is unknown, and saying only that
    // a condition was unknown blamed the keypoints (the camera framed on the legs, or a
    // therapist standing in front of the head, the whole recording).
    if reading.series.anterior_sign.is_none() {
        return (
            RefusalKind::NoValidFrames,
            "which way the body faced is unknown: no face was seen in profile and no knee bent \
             in any frame (the head hidden, turned away or out of the picture), so no angle \
             against the trunk could be read; let the camera see the head side-on"
                .to_string(),
        );
    }
    let why = worst(Role::Form)
        .map(str::to_string)
        .or_else(|| (validity.foreshortened > 0).then(|| FORESHORTENED.to_string()))
        .or_else(|| (validity.heel_lifted > 0).then(heel_lifted))
        .or_else(|| least_known.map(|u| format!("{u} (keypoints not reliable)")))
        .unwrap_or_else(|| format!("{} {} unknown", side.name(), measure.name));
    (
        RefusalKind::NoValidFrames,
        format!("no frame met the test's conditions: {why}"),
    )
}

/// What a hold's rise was made of (see [`Movement::thigh_moves`]), degrees.
#[derive(Debug, Clone, Copy)]
struct RiseParts {
    /// The measure's rise from its rest to the hold.
    rise: f32,
    /// The trunk's turn past upright (kneeling: leaning back), or lying from where it lay at
    /// rest (positive with the shoulders raised, towards the leg): the compensation, which a
    /// hip's angle counts as its own (it is the trunk's turn plus the thigh's). Kneeling, a
    /// forward lean straightened to upright is none: the hip's angle then is the test's; lying,
    /// a turn down (negative) takes as much off the hip's angle.
    compensation: f32,
}

/// How a hold's rise was made (see [`RiseParts`]): from the rest (see [`Reading::rest_before`];
/// for the trunk, [`Reading::trunk_rest_frames`]), their medians, to the hold (the medians
/// over it; the measure's level). None where the trunk was not seen at both.
fn rise_parts(reading: &Reading, hold: Hold) -> Option<RiseParts> {
    let Reading {
        protocol, series, ..
    } = *reading;
    let values = &reading.values;
    let rest = reading.rest_before(values, &hold);
    let trunk_rest_frames = match protocol.posture {
        Posture::Lying => reading.trunk_rest_frames(&hold),
        Posture::Kneeling | Posture::Standing => rest.clone(),
    };
    // The hold's frames that count (a frame out of position may read the trunk otherwise).
    let in_hold: Vec<usize> = (0..series.len())
        .filter(|&i| !values[i].is_nan() && (hold.start_s..=hold.end_s).contains(&series.time_s[i]))
        .collect();
    let median_over = |channel: &[f32], frames: &[usize]| {
        stats::median_of_seen(frames.iter().filter_map(|&i| channel.get(i).copied()))
    };
    // The trunk's turn in the extension's sense: kneeling, leaning back (its lean is positive
    // forward); lying, the shoulders raised (see [`lying_trunk_tilt`]).
    let trunk: Vec<f32> = series
        .channel(Channel::TrunkToVertical)
        .iter()
        .map(|&lean| match protocol.posture {
            Posture::Lying => lying_trunk_tilt(lean),
            Posture::Kneeling | Posture::Standing => -lean,
        })
        .collect();
    let trunk_rest = median_over(&trunk, &trunk_rest_frames)?;
    let trunk_hold = median_over(&trunk, &in_hold)?;
    let rise = hold.level_deg - median_over(values, &rest)?;
    // Kneeling or standing, a forward lean straightened to upright is no turn, and a lean
    // forward in the hold is the hip's own bend: the hold is the test's, the trunk upright.
    // Lying, the picture's level is no reference (a camera tilted with the head end lower put
    // the rest below it, and a curl-up of 6 deg from there was no turn at all): any turn of the
    // shoulders from the rest is one, up (a curl-up) or down (the head slipping off a pillow,
    // which the hip's angle against the trunk line counts against the leg).
    let compensation = match protocol.posture {
        Posture::Lying => trunk_hold - trunk_rest,
        Posture::Kneeling | Posture::Standing => {
            (trunk_hold.max(0.0) - trunk_rest.max(0.0)).max(0.0)
        }
    };
    Some(RiseParts { rise, compensation })
}

/// A lying trunk's tilt from the picture's horizontal, degrees, positive with the shoulders
/// higher than the hips, from its lean from vertical (`lean`, about -90 lying on the back, +90
/// face down).
fn lying_trunk_tilt(lean: f32) -> f32 {
    90.0 - lean.abs()
}

/// Whether the test's defining movement was made from a rest in its position, and for a hold,
/// whether what was held is the stretch (not the resting level, not one leg while the other
/// moved).
fn not_moved_from_rest(
    reading: &Reading,
    movement: Movement,
    hold: Option<Hold>,
    parts: Option<RiseParts>,
) -> Option<(RefusalKind, String)> {
    let Reading {
        protocol,
        measure,
        series,
        side,
        validity,
        criteria,
        flip,
        ..
    } = *reading;
    let values = &reading.values;
    // The lowest level of the frames that count (the series is already smoothed and rid of
    // outliers): a percentile would be the hold itself in a long hold.
    let lowest_of = |keep: &dyn Fn(usize) -> bool| {
        values
            .iter()
            .enumerate()
            .filter(|&(i, v)| !v.is_nan() && keep(i))
            .fold(f32::INFINITY, |low, (_, &v)| low.min(v))
    };
    let rest_from = |lowest: f32| match movement.from_deg {
        Some(start) => lowest.max(start * flip),
        None => lowest,
    };
    let rise_from = |rest: f32| reading.peak.map_or(0.0, |p| p.1 - rest);
    // A hold is measured from a rest in the position, not from the way into it (a swing test
    // has no rest).
    let settled = (protocol.result == ResultKind::SustainedMaximum).then(|| {
        settled_frames(
            &series.time_s,
            values,
            &reading.all_values,
            &validity.out_of_position,
            criteria,
        )
    });
    let lowest_settled = settled
        .as_ref()
        .map(|settled| lowest_of(&|i| settled[i]))
        .filter(|low| low.is_finite());
    let lowest = lowest_settled.unwrap_or_else(|| lowest_of(&|_| true));
    let rest = rest_from(lowest);
    let rise = rise_from(rest);
    let rise_on_the_way_in = rise_from(rest_from(lowest_of(&|_| true)));
    if rise < movement.rise_deg && rise_on_the_way_in >= movement.rise_deg {
        let away = protocol
            .criteria
            .iter()
            .zip(&validity.failures)
            .filter(|(c, f)| c.role == Role::Posture && c.subject == Subject::Trunk && f.0 > 0)
            .max_by_key(|(_, f)| f.0)
            .map_or("out of position", |(c, _)| c.failure);
        return Some((
            RefusalKind::NoMovement,
            format!(
                "{} from a rest in the test's position: {} rose {rise_on_the_way_in:.0} deg \
                 on the way into the position (from: {away}) and {} from a rest \
                 in it, at least {:.0} needed; settle in the position, then move",
                movement.absent,
                measure.name,
                degrees_short_of(rise, movement.rise_deg),
                movement.rise_deg
            ),
        ));
    }
    if rise < movement.rise_deg {
        if let Some(reason) = uncounted_hold(reading, rest + movement.rise_deg) {
            return Some((RefusalKind::NoValidFrames, reason));
        }
        return Some((
            RefusalKind::NoMovement,
            format!(
                "{} ({} changed {} from its resting level, at least {:.0} needed)",
                movement.absent,
                measure.name,
                degrees_short_of(rise, movement.rise_deg),
                movement.rise_deg
            ),
        ));
    }
    // (A swing test has no hold: standing still before and after is not a refusal.)
    let is_hold = protocol.result == ResultKind::SustainedMaximum;
    // The hold is compared with the level the angle rested at for as long as a hold lasts
    // rather than with its lowest frame, the deepest dip of the keypoints' jitter (a hold that
    // is the rest read with jitter stood more than the rise above that dip), by as much as the
    // jitter explains: up to twice one frame's scatter above that frame (on the 1080 synthetic
    // holds of `UNSTEADY_DEG`, once was too little for 3 of the 9 rests taken for the hold).
    // With steady keypoints a brief rest, or a recording that starts on the way in, is still a
    // rest.
    let rested_at = settled.as_ref().and_then(|settled| {
        let settled_values = kept(values, |i| settled.get(i).copied().unwrap_or(false));
        hold::lowest_level(&series.time_s, &settled_values, criteria)
    });
    let jitter = reading.scatter_deg.unwrap_or(0.0);
    let rest_of_hold = rested_at.map_or(rest, |level| rest_from(level.min(lowest + 2.0 * jitter)));
    if let Some(h) = hold.filter(|h| is_hold && h.level_deg - rest_of_hold < movement.rise_deg) {
        // Unseen time may have split the stretch's hold: said instead, not blamed on the person.
        let split = split_by_unseen(reading, rest_of_hold + movement.rise_deg);
        let above = rest_of_hold + movement.rise_deg;
        if let Some(uncounted) = uncounted_unless_split(reading, split.as_ref(), above) {
            return Some(uncounted);
        }
        let reason = split
            .map(|split| split_reason(reading, &split))
            .or_else(|| lost_while_raised(reading, above))
            .unwrap_or_else(|| {
                format!(
                "only the resting level ({:.1} deg) was held ({:.1} s): the stretch itself was not",
                shown(h.level_deg * flip, 1),
                h.duration_s
            )
            });
        return Some((RefusalKind::NotHeld, reason));
    }
    // The leg's own movement: an arched back or a lean back turns the trunk line alone.
    if let Some(parts) = parts {
        let own = parts.rise - parts.compensation;
        // (A turn of a degree or two is the keypoints' noise: the checks above judge the rest.)
        if parts.compensation >= 2.0 && own < movement.rise_deg {
            return Some((
                RefusalKind::NoMovement,
                format!(
                    "{}: {} rose {:.0} deg from its resting level, {:.0} of them the trunk's turn \
                     past upright or level (the back arched, a lean back, or the head and \
                     shoulders raised): {} without it, at least \
                     {:.0} needed: the trunk moved, not the leg",
                    movement.absent,
                    measure.name,
                    parts.rise,
                    parts.compensation,
                    degrees_short_of(own, movement.rise_deg),
                    movement.rise_deg
                ),
            ));
        }
    }
    let still = movement.other_leg_still.filter(|_| is_hold);
    let (h, subject) = hold.zip(still)?;
    let moved = other_leg_moved(series, subject, side, h, criteria)?;
    let what = match subject {
        Subject::OtherMinusSame(angle) => {
            format!("{} against the {} leg's", angle.name(), side.name())
        }
        Subject::OtherLeg(angle) | Subject::SameLeg(angle) => format!("angle ({})", angle.name()),
        Subject::Trunk => "trunk".to_string(),
    };
    Some((
        RefusalKind::NotHeld,
        format!(
            "only one leg held: the {} leg's {what} changed {moved:.1} deg within {:.1} s while the {} leg was held ({:.1}-{:.1} s; a held leg stays within {OTHER_LEG_HELD_DEG:.0}): the other leg was moving, not held in the test's position",
            side.other().name(),
            criteria.min_hold_s,
            side.name(),
            h.start_s,
            h.end_s,
        ),
    ))
}

/// Whether a swing test's swings are a leg swung in place, seen side-on, often and clearly
/// enough to give a result. Unless refused as not seen side-on, leaves every swing in
/// `found.repetitions` and those seen clearly in `found.swing_peaks` (peaks far from the others
/// moved to `found.left_out`).
fn not_swings(
    reading: &Reading,
    prominence_deg: f32,
    found: &mut Crests,
) -> Option<(RefusalKind, String)> {
    let Reading {
        protocol,
        measure,
        series,
        side,
        validity,
        flip,
        ..
    } = *reading;
    let values = &reading.values;
    let total = reading.total();
    // Seen from the front, a leg swung forward and back moves towards and away from the camera:
    // its angle in the picture is not the hip's, and which way it went is read from a face that
    // keeps turning. Square on (spacing over FRONTAL_SPREAD) it is not measurable at all; merely
    // oblique, not when the face keeps turning.
    let facing_unclear =
        (series.facing_disagreements + series.faces_square_on) as f32 / total as f32;
    if let Some(spread) = series.lateral_spread.filter(|&s| {
        s > FRONTAL_SPREAD || (s > OBLIQUE_SPREAD && facing_unclear > SWING_FACING_UNCLEAR)
    }) {
        return Some((
            RefusalKind::NotThePosture,
            format!(
                "not a side view: left-right spacing {:.0}% of trunk length and the face turned the other way or square on in {:.0}% of frames, so a swing forward cannot be told from one back (film side-on)",
                100.0 * spread,
                100.0 * facing_unclear
            ),
        ));
    }
    // A peak is a swing's only when it and the frames on both sides of it count and were
    // measured: a crest at the edge of frames that do not count, or across a gap filled by a
    // straight line, would be too low (the true peak unseen).
    let measured = series.measured(measure.angle.channel(side));
    let time = &series.time_s;
    let seen =
        |i: usize| values.get(i).is_some_and(|v| !v.is_nan()) && measured.get(i) == Some(&true);
    // A frame seen on each side of the peak, within PEAK_GAP_S or one and a half frame
    // intervals of it: one frame missing beside the peak at 30 frames/s moves it by well under
    // a degree, but at 10 frames/s the missing frame may have been the peak, 12 deg above the
    // one beside it (and after frames lost for a while, anything). The intervals' 90th
    // percentile: a webcam alternating 100 and 200 ms has no frame missing.
    let mut intervals: Vec<f32> = time.windows(2).map(|w| (w[1] - w[0]) as f32).collect();
    intervals.retain(|d| d.is_finite());
    intervals.sort_by(f32::total_cmp);
    let frame_s = intervals
        .get(intervals.len() * 9 / 10)
        .map_or(0.0, |&d| f64::from(d));
    let near = PEAK_GAP_S.max(1.5 * frame_s);
    let seen_near = |c: &Repetition, i: usize| seen(i) && (time[i] - time[c.frame]).abs() <= near;
    let seen_from = |c: &Repetition, step: isize| {
        (1..=2).any(|k: isize| {
            c.frame
                .checked_add_signed(step * k)
                .is_some_and(|i| seen_near(c, i))
        })
    };
    let seen_around = |c: &Repetition| seen(c.frame) && seen_from(c, -1) && seen_from(c, 1);
    // Each peak read between the frames where both frames beside it were seen: at 8 frames/s a
    // swing's turn falls up to half a frame from the nearest frame (swings to 60 deg every
    // 0.8 s read as low as 55 from the frames alone).
    let between_frames = |c: Repetition| -> Repetition {
        let (Some(before), after) = (c.frame.checked_sub(1), c.frame + 1) else {
            return c;
        };
        if !(seen_near(&c, before) && seen_near(&c, after)) {
            return c;
        }
        let point = |i: usize| (time[i] - time[c.frame], values[i]);
        match vertex_between(point(before), values[c.frame], point(after)) {
            Some(peak_deg) => Repetition { peak_deg, ..c },
            None => c,
        }
    };
    found.repetitions = unflipped(
        crests(time, values, prominence_deg)
            .into_iter()
            .map(between_frames)
            .collect(),
        flip,
    );
    found.swing_peaks = found
        .repetitions
        .iter()
        .filter(|c| seen_around(c))
        .copied()
        .collect();
    // A peak far from the others is a glitch (a left/right swap the series could not undo, a
    // keypoint on the wrong limb), not a different swing: left out, and said.
    let peaks: Vec<f32> = found.swing_peaks.iter().map(|c| c.peak_deg).collect();
    let outliers = far_from_the_others(&peaks);
    if !outliers.is_empty() {
        found
            .swing_peaks
            .retain(|c| !outliers.contains(&c.peak_deg));
        found.left_out = outliers;
    }
    let (swings, clear) = (found.repetitions.len(), found.swing_peaks.len());
    if swings == 0 {
        return Some((
            RefusalKind::NoMovement,
            format!(
                "no swing of at least {prominence_deg:.0} deg (the leg must go out and come back)"
            ),
        ));
    }
    // Walking also swings each leg forward and back, but the body travels: a leg swing is done
    // standing in place (the hips sway, they do not cross the picture). The span of every
    // measure's swings on this side (so that the front and the back of the swings are judged
    // alike) and a second either side (one swing alone has a span too).
    let swings_of: Vec<(&Measure, Vec<Repetition>)> = protocol
        .measures
        .iter()
        .map(|m| {
            let flip = flip_of(m);
            let counted: Vec<f32> = m
                .values(series, side)
                .zip(&validity.frame_ok)
                .map(|(v, &ok)| if ok { v * flip } else { f32::NAN })
                .collect();
            (m, crests(time, &counted, prominence_deg))
        })
        .collect();
    let swing_times: Vec<f64> = swings_of
        .iter()
        .flat_map(|(_, swings)| swings.iter().map(|c| c.time_s))
        .collect();
    let (first_s, last_s) = (
        swing_times.iter().copied().fold(f64::INFINITY, f64::min) - 1.0,
        swing_times
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
            + 1.0,
    );
    let from = time.partition_point(|&t| t < first_s);
    let to = time.partition_point(|&t| t <= last_s).saturating_sub(1);
    if let Some(travel) = series
        .hips_travel(from, to)
        .filter(|t| *t > MAX_SWING_TRAVEL)
    {
        return Some((
            RefusalKind::NotThePosture,
            format!(
                "not swinging a leg in place: the hips travelled {travel:.1} trunk lengths across the picture (walking or stepping)"
            ),
        ));
    }
    // Thighs against the horizontal: the trunk swaying against the swing moves both hips'
    // angles, not the standing thigh.
    let thigh_range = |s: Side| {
        series
            .channel(LegAngle::ThighToHorizontal.channel(s))
            .get(from..=to)
            .and_then(crate::stats::central_range)
    };
    if let (Some(swung), Some(standing)) = (thigh_range(side), thigh_range(side.other())) {
        if standing > MAX_STANDING_LEG_SHARE * swung {
            return Some((
                RefusalKind::NotThePosture,
                format!(
                    "not one leg swung while standing on the other: the other thigh moved {standing:.0} deg against this one's {swung:.0} (walking or marching in place)"
                ),
            ));
        }
    }
    // A knee drive (the knee brought up bent, as in high knees) flexes the hip further than a
    // leg swung nearly straight: the hamstrings, which a swing's front shows, are slack. Judged
    // at the front of the swings on both measures (the exercise, not one peak).
    let forward: Vec<f32> = swings_of
        .iter()
        .filter(|(m, _)| !m.negate)
        .flat_map(|(_, swings)| swings)
        .filter_map(|c| {
            let knee = series
                .channel(LegAngle::KneeFlexion.channel(side))
                .get(c.frame)?;
            (!knee.is_nan()).then_some(*knee)
        })
        .collect();
    if let Some(knee) = stats::median_of_seen(forward.iter().copied())
        .filter(|&knee| forward.len() >= MIN_RESULT_SWINGS && knee > KNEE_DRIVE_DEG)
    {
        return Some((
            RefusalKind::NotThePosture,
            format!(
                "knee drives, not leg swings: the swinging knee was bent about {knee:.0} deg at \
                 the front of the swings, and the hip flexes further with the knee bent; swing \
                 the leg nearly straight"
            ),
        ));
    }
    if let Some((last_s, first_s)) = swings_handed_over(series, side, &swings_of, prominence_deg) {
        return Some((
            RefusalKind::NoValidFrames,
            format!(
                "which leg swung is not known: the swings passed between the legs with no pause \
                 (one rhythm carried on from {last_s:.1} to {first_s:.1} s, the two feet never \
                 still together), so the pose model exchanged the legs as they passed each other; \
                 check the picture (a real change of leg plants the foot first)"
            ),
        ));
    }
    if let Some(exchanged) = exchanged_at_crossings(series, side, &swings_of, prominence_deg) {
        let Exchanged {
            measure,
            at,
            of,
            by_deg,
        } = exchanged;
        let (peaks, way) = if measure.negate {
            ("back", "back")
        } else {
            ("front", "forward")
        };
        return Some((
            RefusalKind::NoValidFrames,
            format!(
                "which leg swung is not known: at {at} of the {of} {peaks} peaks of the swings the \
                 other leg went about {by_deg:.0} deg further {way} than this one, so the pose \
                 model named the legs by where they were, not which they were, and exchanged \
                 them as they passed each other; check the picture"
            ),
        ));
    }
    // Forward not told from back: no peak is shown either (see `measure_one`).
    if let Some((back, front)) = back_beyond_front(protocol, series, side, validity, prominence_deg)
    {
        return Some((
            RefusalKind::NotThePosture,
            format!(
                "front and back of the swings in doubt: they went further back (about {back:.0} \
                 deg) than forward ({front:.0}), and further back than a hip extends, so which \
                 way the body faced was likely read reversed (the face turned to look back over \
                 the shoulder); look ahead with the face side-on to the camera, and check the \
                 picture"
            ),
        ));
    }
    found.out_of_plane = swing_plane(series, side, &swings_of);
    if let Some(SwingPlane {
        across_deg: across,
        shown_pct: shown,
        ..
    }) = found
        .out_of_plane
        .filter(|p| p.across_deg > SWING_ACROSS_DEG)
    {
        return Some((
            RefusalKind::NotThePosture,
            format!(
                "not a forward-and-back swing seen side-on: at the peaks the thigh pointed about \
                 {across:.0} deg out of the picture (shown {shown:.0}% of its length), so the \
                 leg swung towards and away from the camera (a side-to-side swing, or the camera \
                 not side-on); swing forward and back, side-on to the camera"
            ),
        ));
    }
    if clear == 0 {
        return Some((
            RefusalKind::NoValidFrames,
            format!(
                "{swings} swing{} but no peak seen clearly (the frames at each peak missing or not counted)",
                if swings == 1 { "" } else { "s" }
            ),
        ));
    }
    if clear < MIN_RESULT_SWINGS {
        // Swung often enough but seen clearly too rarely: the frames, not the movement.
        if swings >= MIN_RESULT_SWINGS {
            return Some((
                RefusalKind::NoValidFrames,
                format!(
                    "{swings} swings, but only {clear} seen clearly (the frames at the others' peaks missing, not counted or far off): at least {MIN_RESULT_SWINGS} needed"
                ),
            ));
        }
        return Some((
            RefusalKind::NoMovement,
            format!(
                "only {clear} swing{} seen clearly: a leg swing is repeated (ten times or more), and fewer than {MIN_RESULT_SWINGS} are not told from a step or a kick",
                if clear == 1 { "" } else { "s" }
            ),
        ));
    }
    None
}

/// Fewer frames than this a swing (from one peak to the next) grade a swing test's result fair:
/// a swing's turn may fall between frames. Read between the frames, a smooth swing's peak is
/// within 3 % of its amplitude of the truth at 6 frames a swing and 12 % at 4 (sampled at 5
/// frames/s, swings to 60 deg every 0.8 s read 55); a swing turning sharply loses more.
const MIN_FRAMES_PER_SWING: f32 = 6.0;

/// How many frames a swing took (the median time from one swing's peak to the next over the
/// median interval between frames) and the frame rate (frames per second); None under two
/// swings.
fn frames_per_swing(time_s: &[f64], swings: &[Repetition]) -> Option<(f32, f32)> {
    let swing_s = stats::median_of_seen(
        swings
            .windows(2)
            .map(|w| (w[1].time_s - w[0].time_s) as f32),
    )?;
    let frame_s = Some(hold::median_interval(time_s) as f32).filter(|&s| s > 0.0)?;
    Some((swing_s / frame_s, 1.0 / frame_s))
}

/// A swing's peak is seen clearly with a frame seen on each side of it no further than this
/// from it, seconds, or one and a half frame intervals (their 90th percentile) if more: two
/// frames at 30 frames/s, with their times 20 % early or late (see [`not_swings`]).
const PEAK_GAP_S: f64 = 0.085;

/// The highest value of the parabola through a crest's frame (at time 0, `peak_deg`) and the
/// frames on either side of it (seconds from it, degrees): where a swing turned between frames.
/// None where the three do not bend down (a flat top), the turn falls outside them, or one
/// frame beside is under half as far as the other (a frame 2 ms after the peak, its jitter
/// tilting the parabola, lifted it 5-11 deg). At most a quarter of the larger drop to a frame
/// beside, as for a true parabola sampled evenly.
fn vertex_between(before: (f64, f32), peak_deg: f32, after: (f64, f32)) -> Option<f32> {
    let (x0, x2) = (before.0, after.0);
    if x2 < -0.5 * x0 || -x0 < 0.5 * x2 {
        return None;
    }
    let (d0, d2) = (
        f64::from(before.1 - peak_deg),
        f64::from(after.1 - peak_deg),
    );
    // y = a x^2 + b x through (x0, d0), (0, 0) and (x2, d2).
    let det = x0 * x2 * (x0 - x2);
    if !(x0 < 0.0 && x2 > 0.0) || det == 0.0 {
        return None;
    }
    let a = (d0 * x2 - d2 * x0) / det;
    let b = (x0 * x0 * d2 - x2 * x2 * d0) / det;
    // Bending down (NaN, from a value unknown, is no bend).
    if a.is_nan() || a >= 0.0 {
        return None;
    }
    let x = -b / (2.0 * a);
    let rise = ((-b * b / (4.0 * a)) as f32).min(0.25 * (-d0).max(-d2) as f32);
    (x0..=x2).contains(&x).then_some(peak_deg + rise)
}

/// Whether a hold or position test's level was held (the sustained maximum, or minimum where
/// lower is better; the last level held): not a repeated movement (its crests left in
/// `found.repetitions`), and `hold` found at all.
fn not_held(
    reading: &Reading,
    hold: Option<Hold>,
    found: &mut Crests,
) -> Option<(RefusalKind, String)> {
    let Reading {
        series,
        criteria,
        flip,
        ..
    } = *reading;
    let (level, stay_s) = match (hold, reading.peak) {
        (Some(h), _) => (h.level_deg, h.duration_s),
        (None, Some(p)) => (p.1, 0.0),
        (None, None) => (f32::NAN, 0.0),
    };
    if let Some(crests) =
        repeated_movement(&series.time_s, &reading.values, level, stay_s, criteria)
    {
        let peaks: Vec<String> = crests
            .iter()
            .map(|c| format!("{:.1}", c.peak_deg * flip))
            .collect();
        let span = crests.last().map_or(0.0, |c| c.time_s) - crests[0].time_s;
        let reason = format!(
            "repeated movement, not a hold: {} repetitions about {:.1} s apart, peaks {} deg (held {:.1} s at most)",
            crests.len(),
            span / (crests.len() - 1) as f64,
            peaks.join(", "),
            stay_s
        );
        found.repetitions = unflipped(crests, flip);
        return Some((RefusalKind::Repetitions, reason));
    }
    if hold.is_none() {
        // Unseen time may have split the stretch's hold (from the lowest level that counts,
        // as far as the test's movement rises): said instead, not blamed on the person.
        let lowest = reading
            .values
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .fold(f32::INFINITY, f32::min);
        let above = lowest + reading.protocol.movement.map_or(0.0, |m| m.rise_deg);
        let extreme = if flip > 0.0 { "maximum" } else { "minimum" };
        let split = split_by_unseen(reading, above);
        if let Some(uncounted) = uncounted_unless_split(reading, split.as_ref(), above) {
            return Some(uncounted);
        }
        let reason = split
            .map(|split| split_reason(reading, &split))
            .or_else(|| lost_while_raised(reading, above))
            .unwrap_or_else(|| {
                format!(
                    "never held for {:.1} s within ±{:.0} deg: no sustained {extreme}",
                    criteria.min_hold_s, criteria.band_deg
                )
            });
        return Some((RefusalKind::NotHeld, reason));
    }
    None
}

impl Quality {
    /// The worse of two grades.
    fn max_by_severity(self, other: Quality) -> Quality {
        let rank = |q: Quality| match q {
            Quality::Good => 0,
            Quality::Fair => 1,
            Quality::Poor => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// A rise short of `needed` degrees, as a refusal says it: whole degrees, or tenths where whole
/// degrees would round up to what is needed ("4.6 deg", never "5 deg, at least 5 needed"); an
/// angle that went below where it rested "the wrong way" ("39 deg the wrong way", never
/// "-39 deg").
fn degrees_short_of(rise: f32, needed: f32) -> String {
    if rise <= -0.5 {
        return format!("{:.0} deg the wrong way", -rise);
    }
    let rise = rise.max(0.0);
    if format!("{rise:.0}")
        .parse::<f32>()
        .is_ok_and(|shown| shown >= needed)
    {
        format!("{:.1} deg", (rise * 10.0).floor() / 10.0)
    } else {
        format!("{rise:.0} deg")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rise_short_of_what_is_needed_never_reads_as_enough() {
        assert_eq!(degrees_short_of(4.6, 5.0), "4.6 deg");
        assert_eq!(degrees_short_of(4.96, 5.0), "4.9 deg");
        assert_eq!(degrees_short_of(3.2, 5.0), "3 deg");
        assert_eq!(degrees_short_of(14.4, 15.0), "14 deg");
        assert_eq!(degrees_short_of(-39.0, 5.0), "39 deg the wrong way");
        assert_eq!(degrees_short_of(-0.2, 5.0), "0 deg");
    }

    /// A hold at 70 deg from 3 to 7 s (30 frames/s) with crests of 71 at 3.2 and 6.8 s, released
    /// at 7 s, with the frames from `dip.0` to `dip.1` s read at 55.
    fn hold_with_dip(dip: (f64, f64)) -> (Vec<f64>, Vec<f32>) {
        let time_s: Vec<f64> = (0..300).map(|i| f64::from(i) / 30.0).collect();
        let values = time_s
            .iter()
            .map(|&t| match t {
                t if !(3.0..7.0).contains(&t) => 0.0,
                t if (dip.0..dip.1).contains(&t) => 55.0,
                t if (t - 3.2).abs() < 0.02 || (t - 6.8).abs() < 0.02 => 71.0,
                _ => 70.0,
            })
            .collect();
        (time_s, values)
    }

    /// A turn between frames is read where the parabola through the three frames peaks, and
    /// nowhere else.
    #[test]
    fn a_peak_between_frames_is_the_parabolas() {
        // 60 - 100 (t - 0.05)^2: sampled at -0.1, 0 and 0.1 s, peaking at 0.05 s.
        let at = |t: f64| (60.0 - 100.0 * (t - 0.05) * (t - 0.05)) as f32;
        let peak = vertex_between((-0.1, at(-0.1)), at(0.0), (0.1, at(0.1)));
        assert!(peak.is_some_and(|p| (p - 60.0).abs() < 1e-3), "{peak:?}");
        // Unevenly spaced frames.
        let peak = vertex_between((-0.13, at(-0.13)), at(0.0), (0.08, at(0.08)));
        assert!(peak.is_some_and(|p| (p - 60.0).abs() < 1e-3), "{peak:?}");
        // A flat top or a trough has no peak between the frames.
        assert_eq!(vertex_between((-0.1, 50.0), 50.0, (0.1, 50.0)), None);
        assert_eq!(vertex_between((-0.1, 55.0), 50.0, (0.1, 55.0)), None);
        // Frames not on either side, or one beside much nearer than the other.
        assert_eq!(vertex_between((0.1, 40.0), 50.0, (0.2, 45.0)), None);
        assert_eq!(vertex_between((-0.1, 45.0), 50.0, (0.002, 49.5)), None);
    }

    #[test]
    fn runs_are_the_stretches_of_true() {
        let runs = |mask: &[bool]| runs(mask).collect::<Vec<_>>();
        assert_eq!(runs(&[]), vec![]);
        assert_eq!(runs(&[false, false]), vec![]);
        assert_eq!(runs(&[true, true, false, true]), vec![0..2, 3..4]);
        assert_eq!(runs(&[false, true, true, true]), vec![1..4]);
    }

    #[test]
    fn a_hold_misread_for_a_few_frames_is_not_a_repetition() {
        let criteria = HoldCriteria::default();
        // The stay rule's verdict when the dip counts as a movement: crests 3.6 s apart and a
        // longest stay of 1.2 s (as when noise breaks the hold's band besides the dip).
        let stay_s = 1.2;
        let (time_s, values) = hold_with_dip((5.0, 5.13));
        assert!(
            repeated_movement(&time_s, &values, 70.0, stay_s, &criteria).is_none(),
            "four misread frames split the hold"
        );
        // The same dip lasting 1 s is the stretch let go and taken up again.
        let (time_s, values) = hold_with_dip((4.5, 5.5));
        let crests = repeated_movement(&time_s, &values, 70.0, stay_s, &criteria);
        assert_eq!(crests.map(|c| c.len()), Some(2));
        // Brief dips, but half of each bounce: bouncing at 2 per second is repetitions.
        let time_s: Vec<f64> = (0..300).map(|i| f64::from(i) / 30.0).collect();
        let bounces: Vec<f32> = time_s
            .iter()
            .map(|&t| 60.0 + 10.0 * (t * std::f64::consts::TAU * 2.0).cos() as f32)
            .collect();
        let crests = repeated_movement(&time_s, &bounces, 70.0, 0.0, &criteria);
        assert!(crests.is_some_and(|c| c.len() >= 15), "bouncing not seen");
    }
}
