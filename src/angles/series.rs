//! From a series of poses to a clean series of every angle: left/right swap correction,
//! anterior-side vote, per-frame angles, outlier rejection, gap filling and smoothing.
//!
//! Everything works from timestamps (seconds), not frame counts: frame rates vary and frames
//! drop.

use std::ops::RangeInclusive;

use super::facing;
use super::filter::{
    butterworth_zero_phase, fill_gaps, frame_scatter, reject_outliers, scatter_of,
    second_differences, OneEuroFilter, NYQUIST_SHARE,
};
use super::geometry::{distance, midpoint, wrap_deg, Point};
use super::joints::{
    frame_lateral_spread, joint_angles, Angle, JointAngles, Leg, Side, DEFAULT_MIN_CONFIDENCE,
    FRONTAL_SPREAD,
};
use crate::pose::{overlong_limbs, BodyPart, Pose};

/// One angle of one leg: the single definition of each leg angle's name, CSV column and
/// kernel output (the kernel is [`joint_angles`], conventions in [`super::joints`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegAngle {
    /// 180 − interior angle hip-knee-ankle: 0 = straight.
    KneeFlexion,
    /// Trunk line extended past the hip against the thigh: positive anterior.
    HipFlexion,
    /// Hip -> knee against the horizontal: positive above it.
    ThighToHorizontal,
    /// Hip -> ankle against the horizontal: positive above it.
    LegToHorizontal,
    /// Ankle -> knee against the vertical: positive with the knee ahead (ankle dorsiflexion in a
    /// lunge).
    ShankToVertical,
}

impl LegAngle {
    pub const ALL: [LegAngle; 5] = [
        LegAngle::KneeFlexion,
        LegAngle::HipFlexion,
        LegAngle::ThighToHorizontal,
        LegAngle::LegToHorizontal,
        LegAngle::ShankToVertical,
    ];

    /// What people call it: "knee flexion".
    pub fn name(self) -> &'static str {
        match self {
            LegAngle::KneeFlexion => "knee flexion",
            LegAngle::HipFlexion => "hip flexion",
            LegAngle::ThighToHorizontal => "thigh to horizontal",
            LegAngle::LegToHorizontal => "leg to horizontal",
            LegAngle::ShankToVertical => "shank to vertical",
        }
    }

    /// The series channel of this angle on `side`.
    pub fn channel(self, side: Side) -> Channel {
        Channel::Leg(self, side)
    }

    /// This angle in one frame's kernel output.
    pub(crate) fn of<T: Copy>(self, leg: &Leg<T>) -> Option<T> {
        match self {
            LegAngle::KneeFlexion => leg.knee_flexion,
            LegAngle::HipFlexion => leg.hip_flexion,
            LegAngle::ThighToHorizontal => leg.thigh_to_horizontal,
            LegAngle::LegToHorizontal => leg.leg_to_horizontal,
            LegAngle::ShankToVertical => leg.shank_to_vertical,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One angle tracked over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Leg(LegAngle, Side),
    TrunkToVertical,
}

/// Number of channels in an [`AngleSeries`].
pub const CHANNEL_COUNT: usize = 2 * LegAngle::ALL.len() + 1;

/// CSV column names of the leg channels, by [`LegAngle`] and side (left, right).
const LEG_COLUMNS: [[&str; 2]; LegAngle::ALL.len()] = [
    ["left_knee_flexion_deg", "right_knee_flexion_deg"],
    ["left_hip_flexion_deg", "right_hip_flexion_deg"],
    [
        "left_thigh_to_horizontal_deg",
        "right_thigh_to_horizontal_deg",
    ],
    ["left_leg_to_horizontal_deg", "right_leg_to_horizontal_deg"],
    ["left_shank_to_vertical_deg", "right_shank_to_vertical_deg"],
];

impl Channel {
    pub const ALL: [Channel; CHANNEL_COUNT] = [
        Channel::Leg(LegAngle::KneeFlexion, Side::Left),
        Channel::Leg(LegAngle::KneeFlexion, Side::Right),
        Channel::Leg(LegAngle::HipFlexion, Side::Left),
        Channel::Leg(LegAngle::HipFlexion, Side::Right),
        Channel::Leg(LegAngle::ThighToHorizontal, Side::Left),
        Channel::Leg(LegAngle::ThighToHorizontal, Side::Right),
        Channel::Leg(LegAngle::LegToHorizontal, Side::Left),
        Channel::Leg(LegAngle::LegToHorizontal, Side::Right),
        Channel::Leg(LegAngle::ShankToVertical, Side::Left),
        Channel::Leg(LegAngle::ShankToVertical, Side::Right),
        Channel::TrunkToVertical,
    ];

    /// Whether the channel is a segment's direction in the picture (against its horizontal or
    /// vertical), which may cross ±180 deg, rather than a joint's angle.
    pub(crate) fn is_direction(self) -> bool {
        !matches!(
            self,
            Channel::Leg(LegAngle::KneeFlexion | LegAngle::HipFlexion, _)
        )
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Channel::Leg(angle, side) => 2 * angle.index() + side_index(side),
            Channel::TrunkToVertical => 2 * LegAngle::ALL.len(),
        }
    }

    /// Column name, for example `left_knee_flexion_deg`.
    pub fn column_name(self) -> &'static str {
        match self {
            Channel::Leg(angle, side) => LEG_COLUMNS[angle.index()][side_index(side)],
            Channel::TrunkToVertical => "trunk_to_vertical_deg",
        }
    }

    pub(crate) fn of(self, angles: &JointAngles) -> Option<Angle> {
        match self {
            Channel::Leg(angle, side) => angle.of(angles.leg(side)),
            Channel::TrunkToVertical => angles.trunk_to_vertical,
        }
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Left => 0,
        Side::Right => 1,
    }
}

/// How a series is smoothed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Smoothing {
    None,
    /// Zero-phase Butterworth low-pass (recorded series): no lag, uses the future.
    Butterworth {
        cutoff_hz: f64,
    },
    /// One Euro filter (live): causal, little lag when moving, steady when held.
    OneEuro {
        min_cutoff_hz: f64,
        beta: f64,
    },
}

/// Settings of [`AngleSeries::from_poses`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesOptions {
    /// Keypoints under this confidence (0..1) are not used.
    pub min_confidence: f32,
    /// Gaps up to this long (seconds) are filled by interpolation.
    pub max_gap_s: f64,
    /// A sample further than this (degrees) from its neighbours' median is an outlier.
    pub outlier_deg: f32,
    pub smoothing: Smoothing,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions {
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            max_gap_s: 0.3,
            outlier_deg: 15.0,
            smoothing: Smoothing::Butterworth { cutoff_hz: 2.5 },
        }
    }
}

/// The fewest triples of consecutive frames [`AngleSeries::frame_scatter_deg`] estimates from
/// (a hold of 1 s at 15 frames/s has up to 14).
pub const MIN_SCATTER_TRIPLES: usize = 10;

/// Every angle over time, cleaned. Missing samples are `NaN`.
#[derive(Debug, Clone, Default)]
pub struct AngleSeries {
    /// Seconds from the start of the source, one per frame.
    pub time_s: Vec<f64>,
    channels: [Vec<f32>; CHANNEL_COUNT],
    /// Frames whose left and right legs or arms were exchanged to restore continuity.
    pub swaps_corrected: usize,
    /// Frames whose own cue pointed against the facing of the stretch they are in (their
    /// anterior side was taken from the stretch). Only cues as strong as those that decided
    /// count: an ear's guess against what the face or a bent knee showed in other frames is no
    /// disagreement.
    pub facing_disagreements: usize,
    /// Frames whose nose lay on the trunk line (see [`JointAngles::face_square_on`]): the face
    /// seen from the front or the back; those among `facing_disagreements` not counted again.
    pub faces_square_on: usize,
    /// The anterior side of the whole recording (see [`JointAngles::anterior_sign`]): the
    /// majority of the frames whose face or bent knee showed it, else of those whose ears
    /// suggested it; None when no frame gave a cue. A stretch after a turn is read with its
    /// own ([`AngleSeries::anterior_sign_at`]).
    pub anterior_sign: Option<f32>,
    /// Whether `anterior_sign` was guessed: too few frames showed the face in profile or a bent
    /// knee (a face turned to the camera or away from it shows neither; lying with the face
    /// turned away, the ear seen points at the ceiling face up or face down alike), so the
    /// test's position, and the sign of every angle against the trunk, may be reversed.
    pub facing_guessed: bool,
    /// Per frame, the anterior side its angles were computed with.
    facing: Vec<Option<f32>>,
    /// Median over frames of the left-right shoulder and hip spacing divided by trunk length:
    /// near 0 in a true side view, near 0.8 facing the camera.
    pub lateral_spread: Option<f32>,
    /// Per side (left, right), per frame: the shortest of that side's thigh, shank and the trunk
    /// as a share of the segment's own length in clear frames (its 90th percentile over the
    /// series); 1 = full length, lower = pointing towards or away from the camera; NaN unknown.
    in_plane: [Vec<f32>; 2],
    /// Per side (left, right), per frame: the thigh alone as a share of its length hanging
    /// straight down (see `SegmentLengths::thigh_ratios`); NaN unknown.
    thigh_in_plane: [Vec<f32>; 2],
    /// Per side (left, right), per frame: whether that side's thigh or shank, or the trunk, was
    /// read longer than [`OVERLONG_RATIO`] times its own length, or the thigh, shank or trunk
    /// jumped away and back (see [`jump_islands`]): a keypoint misplaced, often on another
    /// person or limb. The angles drawn from that segment's keypoints are left out, like a dropped
    /// keypoint: bridged when the gap is short, not counted when long.
    misread: [Vec<bool>; 2],
    /// Per frame: the keypoints left out of its angles as misread (bit `i` for
    /// [`BodyPart`] index `i`), so that pictures show what was measured.
    dropped: Vec<u32>,
    /// Per frame: the hips' midpoint across the picture (x), in trunk lengths (the median over
    /// the series); NaN unknown. Differences tell whether the body stayed in place.
    hips_across: Vec<f32>,
    /// Per side (left, right), per frame: how far the ankle stood above the floor where its foot
    /// stood, past its jitter, in shank lengths (see [`ankle_lifts`]); NaN unknown.
    ankle_lift: [Vec<f32>; 2],
    /// Per channel, per frame: whether the angle was measured in that frame (not missing, not
    /// an outlier), before gaps were filled by interpolation.
    measured: [Vec<bool>; CHANNEL_COUNT],
    /// Per channel, per frame: the angle as measured, degrees, before gap filling and
    /// smoothing; NaN where it was not measured (missing or an outlier).
    unsmoothed: [Vec<f32>; CHANNEL_COUNT],
    /// The keypoint confidence (0..1) under which keypoints were not used.
    pub min_confidence: f32,
    /// How the gaps were filled and the channels smoothed.
    options: SeriesOptions,
}

impl AngleSeries {
    /// The samples of one channel, degrees, `NaN` where missing.
    pub fn channel(&self, channel: Channel) -> &[f32] {
        &self.channels[channel.index()]
    }

    /// Per frame: whether `channel` was measured in that frame rather than filled in across a
    /// gap (a filled value is a straight line: it can cut off a swing's peak).
    pub fn measured(&self, channel: Channel) -> &[bool] {
        &self.measured[channel.index()]
    }

    /// The samples of one channel as measured, degrees, before gap filling and smoothing: `NaN`
    /// where the angle was not measured (missing, or rejected as an outlier). Their scatter
    /// around [`AngleSeries::channel`] is the keypoints' jitter.
    pub fn unsmoothed(&self, channel: Channel) -> &[f32] {
        &self.unsmoothed[channel.index()]
    }

    /// How much `channel` scattered from frame to frame over the frames `keep` lets through,
    /// degrees: the keypoints' jitter, as the standard deviation of one frame's angle. A robust
    /// estimate (see `frame_scatter`) from the second differences, over three consecutive frames
    /// kept and measured, of the angle as measured less the smoothed angle: the movement itself,
    /// slower than the smoothing's cutoff, is taken out (a leg rocked ±15 deg at 2 Hz filmed at
    /// 15 frames/s would otherwise scatter about 4.5 deg), and a misread frame or two does not
    /// move a median. None with fewer than [`MIN_SCATTER_TRIPLES`] such triples.
    pub fn frame_scatter_deg(&self, channel: Channel, keep: impl Fn(usize) -> bool) -> Option<f32> {
        frame_scatter(&self.residual(channel), keep)
            .filter(|&(_, triples)| triples >= MIN_SCATTER_TRIPLES)
            .map(|(deg, _)| deg)
    }

    /// The highest [`AngleSeries::frame_scatter_deg`] over any `window_s` seconds of the frames
    /// `keep` lets through (windows a quarter of that apart), degrees: keypoints unsteady for a
    /// while, which the median over a whole recording with a steady rest hides. None where no
    /// window has [`MIN_SCATTER_TRIPLES`] triples.
    pub fn frame_scatter_peak_deg(
        &self,
        channel: Channel,
        keep: impl Fn(usize) -> bool,
        window_s: f64,
    ) -> Option<f32> {
        let second = second_differences(&self.residual(channel), keep);
        let time = |k: usize| self.time_s[second[k].0];
        // The triples from `k` on that lie from its time to `span_s` after it (none further:
        // damaged timestamps, NaN or running back, end a window rather than loop).
        let within = |k: usize, span_s: f64| {
            let from_s = time(k);
            (k..second.len())
                .take_while(|&j| time(j) >= from_s && time(j) < from_s + span_s)
                .count()
        };
        let (mut highest, mut scratch): (Option<f32>, Vec<f32>) = (None, Vec::new());
        let mut start = 0;
        while start < second.len() {
            let count = within(start, window_s);
            if count >= MIN_SCATTER_TRIPLES {
                scratch.clear();
                scratch.extend(second[start..start + count].iter().map(|&(_, d)| d));
                if let Some(deg) = scatter_of(&mut scratch) {
                    highest = Some(highest.map_or(deg, |h| h.max(deg)));
                }
            }
            // The next window starts a quarter later (at the next triple after a stretch
            // without any), and always on a later triple.
            start += within(start, window_s / 4.0).max(1);
        }
        highest
    }

    /// The angle as measured less the smoothed angle, degrees (NaN where not measured).
    fn residual(&self, channel: Channel) -> Vec<f32> {
        self.unsmoothed(channel)
            .iter()
            .zip(self.channel(channel))
            .map(|(measured, smoothed)| wrap_deg(measured - smoothed))
            .collect()
    }

    /// Per frame, the shortest of `side`'s thigh and shank and the trunk as a share of its own
    /// length in clear frames (1 = full length; see the field's documentation); NaN unknown.
    pub fn in_plane_ratio(&self, side: Side) -> &[f32] {
        &self.in_plane[side_index(side)]
    }

    /// Per frame, `side`'s thigh alone as a share of its length where it hung straight down in
    /// the picture (1 = full length, less where it points towards or away from the camera);
    /// NaN unknown, and everywhere when it never hung straight down for 5 frames.
    pub fn thigh_in_plane_ratio(&self, side: Side) -> &[f32] {
        &self.thigh_in_plane[side_index(side)]
    }

    /// Per frame: whether `side`'s thigh or shank, or the trunk, was read impossibly long, or
    /// the thigh, shank or trunk jumped away and back (see the field's documentation); the
    /// angles from that segment were left out.
    pub fn misread(&self, side: Side) -> &[bool] {
        &self.misread[side_index(side)]
    }

    /// `pose`, the pose of frame `index`, as its angles were measured: the keypoints left out
    /// as misread have confidence 0 (for pictures of what was measured).
    pub fn as_measured(&self, index: usize, pose: &Pose) -> Pose {
        without_parts(pose, self.dropped.get(index).copied().unwrap_or(0))
    }

    /// Per frame: how far `side`'s ankle stood above the floor where its foot stood, past what
    /// its jitter explains, in shank lengths (0 with the heel down, positive with it lifted; see
    /// [`ankle_lifts`]); NaN where unknown or no floor was seen.
    pub fn ankle_lift(&self, side: Side) -> &[f32] {
        &self.ankle_lift[side_index(side)]
    }

    /// How far the hips moved across the picture between frames `from` and `to` (inclusive),
    /// in trunk lengths: the 95th minus the 5th percentile of their position, so that one
    /// misplaced keypoint does not count; None with fewer than 5 frames known.
    pub fn hips_travel(&self, from: usize, to: usize) -> Option<f32> {
        let end = to.min(self.hips_across.len().saturating_sub(1));
        let mut known: Vec<f32> = self
            .hips_across
            .get(from..=end)?
            .iter()
            .copied()
            .filter(|x| !x.is_nan())
            .collect();
        if known.len() < 5 {
            return None;
        }
        known.sort_by(f32::total_cmp);
        let at = |q: f32| known[((known.len() - 1) as f32 * q).round() as usize];
        Some(at(0.95) - at(0.05))
    }

    /// The anterior side frame `frame`'s angles were computed with: the recording's, or that of
    /// the stretch after a turn.
    pub fn anterior_sign_at(&self, frame: usize) -> Option<f32> {
        self.facing
            .get(frame)
            .copied()
            .flatten()
            .or(self.anterior_sign)
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.time_s.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time_s.is_empty()
    }

    /// Runs the whole series pipeline on `poses` (one per timestamp in `time_s`, seconds,
    /// increasing). The poses are corrected in place (left/right swaps).
    pub fn from_poses(time_s: &[f64], poses: &mut [Pose], options: &SeriesOptions) -> AngleSeries {
        let n = time_s.len().min(poses.len());
        let (time_s, poses) = (&time_s[..n], &mut poses[..n]);
        let swaps_corrected = correct_swaps(poses, options.min_confidence);
        // Leg segments out of the body's proportions in their own frame are misread whatever
        // the recording says; left out first, a lasting misread cannot become a segment's own
        // length (which would then pass it and rule the clear frames foreshortened).
        let out_of_proportion: Vec<[u32; 2]> = poses
            .iter()
            .map(|pose| {
                Side::BOTH.map(|side| out_of_proportion(pose, side, options.min_confidence))
            })
            .collect();
        let in_proportion: Vec<Pose> = poses
            .iter()
            .zip(&out_of_proportion)
            .map(|(pose, parts)| without_parts(pose, parts[0] | parts[1]))
            .collect();
        let lengths =
            Side::BOTH.map(|side| SegmentLengths::of(&in_proportion, side, options.min_confidence));
        let jumped = Side::BOTH.map(|side| {
            let lengths = &lengths[side_index(side)];
            jumped_parts(
                time_s,
                &in_proportion,
                side,
                lengths,
                options.min_confidence,
            )
        });
        // The angles are drawn from the poses without the keypoints of segments read longer than
        // their own length; the poses themselves keep what the model said.
        let mut misread = [vec![false; n], vec![false; n]];
        let mut dropped = vec![0u32; n];
        let readable: Vec<Pose> = poses
            .iter()
            .enumerate()
            .map(|(i, pose)| {
                for (side, lengths) in Side::BOTH.into_iter().zip(&lengths) {
                    let parts = lengths.overlong_parts(i, side)
                        | out_of_proportion[i][side_index(side)]
                        | jumped[side_index(side)][i];
                    misread[side_index(side)][i] = parts != 0;
                    dropped[i] |= parts;
                }
                without_parts(pose, dropped[i])
            })
            .collect();

        let mut frames: Vec<JointAngles> = readable
            .iter()
            .map(|p| joint_angles(p, None, options.min_confidence))
            .collect();
        let spread: Vec<Option<f32>> = readable
            .iter()
            .map(|pose| frame_lateral_spread(pose, options.min_confidence))
            .collect();
        let trunk_seen: Vec<bool> = readable
            .iter()
            .map(|pose| trunk_seen(pose, options.min_confidence))
            .collect();
        let turning =
            facing::turning_frames(time_s, &spread, &trunk_seen, FRONTAL_SPREAD, TURN_GAP_S);
        let facing = facing::facing(time_s, &frames, &turning);
        let mut facing_disagreements = 0;
        let mut faces_square_on = 0;
        for ((angles, pose), &way) in frames
            .iter_mut()
            .zip(readable.iter())
            .zip(&facing.per_frame)
        {
            let disagrees = way.is_some() && angles.anterior_sign != way;
            // Only a cue as strong as those that decided disagrees.
            let decisive = angles
                .facing_cue
                .is_some_and(|c| facing.guessed || c.is_strong());
            facing_disagreements += usize::from(disagrees && decisive);
            faces_square_on += usize::from(angles.face_square_on && !(disagrees && decisive));
            if disagrees {
                *angles = joint_angles(pose, way, options.min_confidence);
            }
        }

        let mut channels: [Vec<f32>; CHANNEL_COUNT] = Default::default();
        for channel in Channel::ALL {
            channels[channel.index()] = frames
                .iter()
                .map(|a| channel.of(a).map_or(f32::NAN, |angle| angle.deg))
                .collect();
        }
        let mut series = AngleSeries {
            time_s: time_s.to_vec(),
            channels,
            swaps_corrected,
            facing_disagreements,
            faces_square_on,
            anterior_sign: facing.majority,
            facing_guessed: facing.guessed,
            facing: facing.per_frame,
            lateral_spread: lateral_spread(poses, options.min_confidence),
            in_plane: lengths.each_ref().map(|l| l.in_plane_ratios()),
            thigh_in_plane: lengths.each_ref().map(|l| l.thigh_ratios(time_s)),
            misread,
            dropped,
            hips_across: hips_across(poses, options.min_confidence),
            ankle_lift: Side::BOTH
                .map(|side| ankle_lifts(time_s, &readable, side, options.min_confidence)),
            measured: Default::default(),
            unsmoothed: Default::default(),
            min_confidence: options.min_confidence,
            options: *options,
        };
        series.clean(options);
        series
    }

    /// Outlier rejection, gap filling and smoothing of every channel, in place.
    fn clean(&mut self, options: &SeriesOptions) {
        let mut scratch = Vec::new();
        let sample_rate = sample_rate_hz(&self.time_s);
        for (((values, measured), unsmoothed), channel) in self
            .channels
            .iter_mut()
            .zip(self.measured.iter_mut())
            .zip(self.unsmoothed.iter_mut())
            .zip(Channel::ALL)
        {
            // A direction crossing ±180 deg (a back thigh level behind the body in a split-like
            // lunge: -178, 179, -179) is filtered as the turn it is, then given back within ±180
            // (smoothed as numbers, it read -90, 28, 196 and -203 for a thigh still to 2 deg).
            // Not the joint angles: a hip flexed 120 deg read -120 after a turn of the body is
            // no turn through 180.
            if channel.is_direction() {
                unwrap_deg(values);
            }
            // A movement's own turn between frames is no spike: at 8 frames/s, each peak of a
            // leg swung every 0.8 s lay 18 deg above its neighbours' median, was left out as an
            // outlier and filled in from the frames beside it (swings to 60 deg read 45).
            reject_outliers(
                &self.time_s,
                values,
                options.outlier_deg,
                OUTLIER_DEG_PER_S,
                &mut scratch,
            );
            *measured = values.iter().map(|v| !v.is_nan()).collect();
            *unsmoothed = values.iter().map(|&v| wrap_deg(v)).collect();
            fill_and_smooth(
                &self.time_s,
                values,
                options.max_gap_s,
                options.smoothing,
                sample_rate.as_ref(),
                &mut scratch,
            );
            values.iter_mut().for_each(|v| *v = wrap_deg(*v));
        }
    }

    /// `channel` filled and smoothed as the series was, degrees, but a zero-phase Butterworth
    /// low-pass cut off at `cutoff_hz` at the least: a swing's peak, where the leg turns
    /// quickly, is cut by the 2.5 Hz that steadies a hold (a leg swung every 0.8 s read 2.2 deg
    /// low, 8.6 deg where it turned sharply). A series smoothed otherwise (live) is as it was.
    pub fn smoothed_at_least(&self, channel: Channel, cutoff_hz: f64) -> Vec<f32> {
        let Smoothing::Butterworth { cutoff_hz: own } = self.options.smoothing else {
            return self.channel(channel).to_vec();
        };
        let mut values = self.unsmoothed(channel).to_vec();
        if channel.is_direction() {
            unwrap_deg(&mut values);
        }
        fill_and_smooth(
            &self.time_s,
            &mut values,
            self.options.max_gap_s,
            Smoothing::Butterworth {
                cutoff_hz: own.max(cutoff_hz),
            },
            sample_rate_hz(&self.time_s).as_ref(),
            &mut Vec::new(),
        );
        values.iter_mut().for_each(|v| *v = wrap_deg(*v));
        values
    }
}

/// `values` (degrees, NaN unknown) made continuous, in place: each known value turned by whole
/// turns to lie within 180 deg of the median of the (up to) five known values before it, so that
/// a direction crossing ±180 is filtered as the small turn it is, and a frame or two misread
/// far off stays a spike for the outlier rejection (turned against the frame before alone, 0, 0,
/// 120, -120, 0 became 0, 0, 120, 240, 360: a ramp, kept, and smoothed through every angle).
fn unwrap_deg(values: &mut [f32]) {
    let mut recent: Vec<f32> = Vec::with_capacity(5);
    let mut sorted = [0.0f32; 5];
    for v in values.iter_mut().filter(|v| v.is_finite()) {
        if !recent.is_empty() {
            let sorted = &mut sorted[..recent.len()];
            sorted.copy_from_slice(&recent);
            sorted.sort_unstable_by(f32::total_cmp);
            let reference = sorted[sorted.len() / 2];
            *v = reference + wrap_deg(*v - reference);
        }
        if recent.len() == 5 {
            recent.remove(0);
        }
        recent.push(*v);
    }
}

/// Fills the gaps of `values` up to `max_gap_s` and smooths them, in place (see
/// [`AngleSeries::from_poses`]).
fn fill_and_smooth(
    time_s: &[f64],
    values: &mut [f32],
    max_gap_s: f64,
    smoothing: Smoothing,
    sample_rate: Option<&SampleRate>,
    scratch: &mut Vec<f32>,
) {
    fill_gaps(time_s, values, max_gap_s);
    match smoothing {
        Smoothing::None => {}
        Smoothing::Butterworth { cutoff_hz } => match sample_rate {
            Some(&SampleRate::Even(rate)) => {
                butterworth_zero_phase(values, rate, cutoff_hz, scratch)
            }
            Some(&SampleRate::Uneven(rate)) => {
                smooth_uneven(time_s, values, rate, cutoff_hz, scratch)
            }
            None => {}
        },
        Smoothing::OneEuro {
            min_cutoff_hz,
            beta,
        } => {
            let mut filter = OneEuroFilter::new(min_cutoff_hz, beta);
            for (v, &t) in values.iter_mut().zip(time_s) {
                if !v.is_nan() {
                    *v = filter.filter(t, *v);
                }
            }
        }
    }
}

enum SampleRate {
    Even(f64),
    Uneven(f64),
}

/// A sample is an outlier only where it lies further from its neighbours' median than a limb
/// turning this fast (degrees per second) moves in the longer of its frame intervals, if that
/// is more than [`SeriesOptions::outlier_deg`]: at a swing's peak the frame beside it, which
/// the median of five frames then is, lies at most the swing's speed times a frame's time away
/// (a leg swung at 300-500 deg/s turns about 40 deg a frame at 8 frames/s at its fastest, and
/// 18 at its peak where it slows). 15 deg a frame up to 20 frames/s, 30 at 10 frames/s and
/// fewer.
pub const OUTLIER_DEG_PER_S: f32 = 300.0;

/// The median frame rate, and whether frames are evenly spaced (every interval within 10 % of
/// the median).
fn sample_rate_hz(time_s: &[f64]) -> Option<SampleRate> {
    if time_s.len() < 3 {
        return None;
    }
    let mut intervals: Vec<f64> = time_s.windows(2).map(|w| w[1] - w[0]).collect();
    intervals.sort_by(f64::total_cmp);
    let median = intervals[intervals.len() / 2];
    if median.is_nan() || median <= 0.0 {
        return None;
    }
    let even = intervals.first().is_some_and(|&lo| lo >= 0.9 * median)
        && intervals.last().is_some_and(|&hi| hi <= 1.1 * median);
    Some(if even {
        SampleRate::Even(1.0 / median)
    } else {
        SampleRate::Uneven(1.0 / median)
    })
}

/// Grid samples per median frame interval where an uneven series is smoothed: read back at the
/// frames' own times from a grid as coarse as the frames, each peak was cut twice by straight
/// lines (a leg swung to 60 deg every 0.8 s, filmed at 12 frames/s with frames up to 20 % early
/// or late, read 57.8; at 8 frames/s, where the filter does nothing, 53.1).
const UNEVEN_GRID_PER_FRAME: f64 = 4.0;

/// Butterworth smoothing of an unevenly sampled series: resample onto an even grid at
/// [`UNEVEN_GRID_PER_FRAME`] times the median rate, filter there, and read the result back at
/// the original timestamps; nothing where the filter would pass everything the frames can show
/// (a cutoff near or above half the median rate). Each stretch of time between gaps (intervals
/// over three median intervals) gets its own grid, so that memory and time follow the number of
/// frames, never the span of the timestamps (one absurd timestamp must not ask for a grid of
/// billions of samples).
fn smooth_uneven(
    time_s: &[f64],
    values: &mut [f32],
    frame_rate_hz: f64,
    cutoff_hz: f64,
    scratch: &mut Vec<f32>,
) {
    if !(cutoff_hz > 0.0 && cutoff_hz < NYQUIST_SHARE * frame_rate_hz) {
        return;
    }
    let rate_hz = UNEVEN_GRID_PER_FRAME * frame_rate_hz;
    let step = 1.0 / rate_hz;
    if !(step.is_finite() && step > 0.0) {
        return;
    }
    let mut start = 0;
    while start < time_s.len() {
        let end = (start + 1..time_s.len())
            .find(|&k| {
                let gap = time_s[k] - time_s[k - 1];
                gap.is_nan() || gap > 3.0 * UNEVEN_GRID_PER_FRAME * step
            })
            .unwrap_or(time_s.len());
        smooth_stretch(
            &time_s[start..end],
            &mut values[start..end],
            step,
            rate_hz,
            cutoff_hz,
            scratch,
        );
        start = end;
    }
}

/// [`smooth_uneven`] on one stretch without gaps: at most about three times
/// [`UNEVEN_GRID_PER_FRAME`] grid samples per frame.
fn smooth_stretch(
    time_s: &[f64],
    values: &mut [f32],
    step: f64,
    rate_hz: f64,
    cutoff_hz: f64,
    scratch: &mut Vec<f32>,
) {
    let (Some(&t0), Some(&t1)) = (time_s.first(), time_s.last()) else {
        return;
    };
    let span = (t1 - t0) / step;
    if time_s.len() < 3 || !(span.is_finite() && span >= 0.0) {
        return;
    }
    let count = span.floor() as usize + 1;
    let mut grid = Vec::with_capacity(count);
    let mut j = 0;
    for k in 0..count {
        let t = t0 + k as f64 * step;
        while j + 1 < time_s.len() && time_s[j + 1] <= t {
            j += 1;
        }
        let v = if j + 1 < time_s.len() {
            let (a, b) = (values[j], values[j + 1]);
            let w = ((t - time_s[j]) / (time_s[j + 1] - time_s[j])) as f32;
            a + (b - a) * w // NaN when either side is missing, which keeps gaps as gaps
        } else {
            values[j]
        };
        grid.push(v);
    }
    butterworth_zero_phase(&mut grid, rate_hz, cutoff_hz, scratch);
    let last = grid.len() - 1;
    for (v, &t) in values.iter_mut().zip(time_s) {
        if v.is_nan() {
            continue;
        }
        let pos = (t - t0) / step;
        let k = (pos.floor() as usize).min(last);
        let k1 = (k + 1).min(last);
        let w = (pos - k as f64) as f32;
        let smoothed = grid[k] + (grid[k1] - grid[k]) * w;
        if smoothed.is_finite() {
            *v = smoothed;
        }
    }
}

/// The left/right pairs whose labels a model may exchange, in two groups that are corrected
/// separately.
const SWAP_GROUPS: [[(BodyPart, BodyPart); 3]; 2] = {
    use BodyPart::*;
    [
        [
            (LeftHip, RightHip),
            (LeftKnee, RightKnee),
            (LeftAnkle, RightAnkle),
        ],
        [
            (LeftShoulder, RightShoulder),
            (LeftElbow, RightElbow),
            (LeftWrist, RightWrist),
        ],
    ]
};

/// Restores left/right continuity: a frame whose legs (or arms) sit much closer to the other
/// side's previous positions than to their own is taken as swapped by the model. If most frames
/// would be swapped, the first frames were the swapped ones, and the decision is reversed.
/// Returns the number of frames changed.
pub fn correct_swaps(poses: &mut [Pose], min_confidence: f32) -> usize {
    let mut changed = vec![false; poses.len()];
    for group in SWAP_GROUPS {
        let mut swapped = vec![false; poses.len()];
        // Last reliable position of each pair member, in corrected labels.
        let mut last: [[Option<Point>; 2]; 3] = [[None; 2]; 3];
        for (i, pose) in poses.iter().enumerate() {
            let current = group.map(|(l, r)| {
                let get = |part: BodyPart| {
                    let k = pose.get(part);
                    (k.confidence >= min_confidence).then_some((k.x, k.y))
                };
                [get(l), get(r)]
            });
            let (mut keep, mut swap, mut compared) = (0.0f32, 0.0f32, 0);
            for (cur, prev) in current.iter().zip(&last) {
                if let ([Some(cl), Some(cr)], [Some(pl), Some(pr)]) = (cur, prev) {
                    keep += distance(*cl, *pl) + distance(*cr, *pr);
                    swap += distance(*cl, *pr) + distance(*cr, *pl);
                    compared += 1;
                }
            }
            // Clear evidence only: when the limbs cross, both costs are alike and labels stay.
            swapped[i] = compared > 0 && swap < 0.5 * keep;
            for (slot, cur) in last.iter_mut().zip(current) {
                let [l, r] = if swapped[i] { [cur[1], cur[0]] } else { cur };
                slot[0] = l.or(slot[0]);
                slot[1] = r.or(slot[1]);
            }
        }
        let swapped_count = swapped.iter().filter(|&&s| s).count();
        let invert = 2 * swapped_count > poses.len();
        for (i, pose) in poses.iter_mut().enumerate() {
            if swapped[i] != invert {
                for (l, r) in group {
                    pose.keypoints.swap(l.index(), r.index());
                }
                changed[i] = true;
            }
        }
    }
    changed.iter().filter(|&&c| c).count()
}

/// A stretch without a trunk at least this long, seconds, is the person out of the picture (a
/// turn may have happened then), not a dropout.
const TURN_GAP_S: f64 = 0.3;

/// Whether a shoulder and the hip of its side are both reliable.
fn trunk_seen(pose: &Pose, min_confidence: f32) -> bool {
    let reliable = |part: BodyPart| pose.get(part).confidence >= min_confidence;
    Side::BOTH.into_iter().any(|side| {
        let parts = side.parts();
        reliable(parts.shoulder) && reliable(parts.hip)
    })
}

/// Median over frames of [`frame_lateral_spread`].
fn lateral_spread(poses: &[Pose], min_confidence: f32) -> Option<f32> {
    let mut ratios: Vec<f32> = poses
        .iter()
        .filter_map(|pose| frame_lateral_spread(pose, min_confidence))
        .collect();
    if ratios.is_empty() {
        return None;
    }
    ratios.sort_by(f32::total_cmp);
    Some(ratios[ratios.len() / 2])
}

/// Per frame: the hips' midpoint x divided by the median trunk length (mid-hip to
/// mid-shoulder) over the frames; NaN where a hip is unknown, all NaN without a known trunk.
fn hips_across(poses: &[Pose], min_confidence: f32) -> Vec<f32> {
    use BodyPart::*;
    let get = |pose: &Pose, part: BodyPart| {
        let k = pose.get(part);
        (k.confidence >= min_confidence).then_some((k.x, k.y))
    };
    let mid = |pose: &Pose, a: BodyPart, b: BodyPart| Some(midpoint(get(pose, a)?, get(pose, b)?));
    let trunks: Vec<f32> = poses
        .iter()
        .filter_map(|p| {
            Some(distance(
                mid(p, LeftShoulder, RightShoulder)?,
                mid(p, LeftHip, RightHip)?,
            ))
        })
        .filter(|t| *t > 0.0)
        .collect();
    let trunk = crate::stats::median(&trunks);
    poses
        .iter()
        .map(|p| match mid(p, LeftHip, RightHip) {
            Some(hips) if trunk > 0.0 => hips.0 / trunk,
            _ => f32::NAN,
        })
        .collect()
}

/// Per frame: how far `side`'s ankle stood above the floor where the foot stood, beyond what
/// its jitter explains, in shank lengths (the median knee-to-ankle distance over the series),
/// positive up the picture; NaN where the ankle is unknown or its floor was not seen, all NaN
/// without a known shank.
///
/// A heel lifted turns the foot about the toes and raises the ankle (some 2 cm for a heel 3 cm
/// up), and lets the knee go further forward than the ankle bends: the lunge test keeps the heel
/// down. Each frame's ankle height and place across the picture are the median of five frames
/// around it. A foot's stay is a run of frames with its ankle within [`FOOT_PLACE_SHANKS`]
/// across the picture of where the stay began (unseen for at most [`FLOOR_GAP_S`] between
/// them); a frame's floor is the lowest level the ankle kept for [`FLOOR_HELD_S`] earlier in
/// the stay, seen at the same scale (see [`judge_stay`]): the heel set down, however briefly,
/// before a lift. A frame with no such level before it has no floor (a foot never seen down
/// there, or in the air). Only the stay's own frames count, so the floor of a foot planted
/// elsewhere is not this one's. The rise is counted past three times the jitter of the smoothed
/// height (the ankle's frame-to-frame scatter; 2 px on a shank of 100 px reads no lift under
/// about 3 %), so that jitter is not a heel lifted.
fn ankle_lifts(time_s: &[f64], poses: &[Pose], side: Side, min_confidence: f32) -> Vec<f32> {
    let n = time_s.len().min(poses.len());
    let parts = side.parts();
    let seen = |pose: &Pose, part: BodyPart| {
        let k = pose.get(part);
        (k.confidence >= min_confidence && k.x.is_finite() && k.y.is_finite()).then_some((k.x, k.y))
    };
    let ankles: Vec<Option<Point>> = poses[..n].iter().map(|p| seen(p, parts.ankle)).collect();
    // Each frame's shank length, pixels: the body's scale (in the picture's plane in a side
    // view; nearer the camera, the floor itself lies lower in the picture), and its median the
    // unit of a lift.
    let shank_px: Vec<f32> = poses[..n]
        .iter()
        .zip(&ankles)
        .map(|(p, ankle)| {
            seen(p, parts.knee)
                .zip(*ankle)
                .map_or(f32::NAN, |(k, a)| distance(k, a))
        })
        .collect();
    let shanks: Vec<f32> = shank_px.iter().copied().filter(|d| *d > 0.0).collect();
    let mut lifts = vec![f32::NAN; n];
    if shanks.is_empty() {
        return lifts;
    }
    let shank = crate::stats::median(&shanks);
    let raw_y: Vec<f32> = ankles.iter().map(|a| a.map_or(f32::NAN, |a| a.1)).collect();
    let height = median_of_five(&raw_y);
    let scale = median_of_five(&shank_px);
    // The jitter: the median absolute second difference of consecutive heights as seen, over
    // sqrt 6, as a standard deviation; the median of five scatters about half as much.
    let second: Vec<f32> = raw_y
        .windows(3)
        .map(|w| (w[0] - 2.0 * w[1] + w[2]).abs())
        .filter(|d| !d.is_nan())
        .collect();
    let jitter = if second.is_empty() {
        0.0
    } else {
        1.4826 * crate::stats::median(&second) / 6f32.sqrt()
    };
    let margin = 3.0 * 0.55 * jitter;
    // Where the foot stood across the picture, as the median of five frames: one frame's
    // misplaced ankle does not end its stay.
    let raw_x: Vec<f32> = ankles.iter().map(|a| a.map_or(f32::NAN, |a| a.0)).collect();
    let across = median_of_five(&raw_x);
    let mut start = 0;
    while start < n {
        if across[start].is_nan() {
            start += 1;
            continue;
        }
        let anchor = across[start];
        // The stay: frames near where it began, unseen for FLOOR_GAP_S at most between them
        // (the floor where the foot stands is that floor still: with half a second, unseen for
        // 0.6 s as the heel came up, the stay ended, and the heel held up became the next
        // stay's floor, a lunge held at 35 with the heel down and driven on to 45 with it
        // lifted reading 45, good).
        let mut end = start;
        for (i, x) in across.iter().enumerate().take(n).skip(start + 1) {
            if time_s[i] - time_s[end] > FLOOR_GAP_S {
                break;
            }
            if x.is_nan() {
                continue;
            }
            if (x - anchor).abs() > FOOT_PLACE_SHANKS * shank {
                break;
            }
            end = i;
        }
        judge_stay(
            &time_s[start..=end],
            &height[start..=end],
            &scale[start..=end],
            margin,
            shank,
            &mut lifts[start..=end],
        );
        start = end + 1;
    }
    lifts
}

/// The lifts of one stay of a foot (see [`ankle_lifts`]): each frame's height (pixels, the
/// picture's y) against the lowest level the ankle kept for [`FLOOR_HELD_S`] before it, at its
/// own scale (`scale`, the shank's length in pixels, within [`SCALE_TOLERANCE`]), less `margin`
/// (pixels), in shank lengths (`shank`, pixels), into `lifts`. Only levels kept before a frame
/// count: a camera nudged down as the recording is stopped moves the floor for the frames after
/// it, not for the stretch before.
fn judge_stay(
    time_s: &[f64],
    height: &[f32],
    scale: &[f32],
    margin: f32,
    shank: f32,
    lifts: &mut [f32],
) {
    let n = time_s
        .len()
        .min(height.len())
        .min(scale.len())
        .min(lifts.len());
    // Each window of FLOOR_HELD_S, by the frame it ends on: the level the ankle kept over it
    // (its highest height: the picture's y grows downwards) and the body's scale then.
    let mut ending: Vec<Vec<(f32, f32)>> = vec![Vec::new(); n];
    let mut last = 0;
    for first in 0..n {
        last = last.max(first);
        while last + 1 < n && time_s[last + 1] - time_s[first] <= FLOOR_HELD_S {
            last += 1;
        }
        if time_s[last] - time_s[first] < 0.9 * FLOOR_HELD_S {
            continue;
        }
        let window = first..=last;
        let top = height[window.clone()]
            .iter()
            .copied()
            .filter(|h| !h.is_nan())
            .fold(f32::INFINITY, f32::min);
        let scales: Vec<f32> = scale[window]
            .iter()
            .copied()
            .filter(|s| !s.is_nan())
            .collect();
        if top.is_finite() && !scales.is_empty() {
            ending[last].push((top, crate::stats::median(&scales)));
        }
    }
    // The lowest level kept so far, per scale (bins of a hundredth of the shank).
    let bin = |px: f32| (px / (0.01 * shank)).round() as i64;
    let reach = (SCALE_TOLERANCE / 0.01).round() as i64;
    let mut lowest: std::collections::BTreeMap<i64, f32> = Default::default();
    for i in 0..n {
        for &(level, at) in &ending[i] {
            let floor = lowest.entry(bin(at)).or_insert(f32::NEG_INFINITY);
            *floor = floor.max(level);
        }
        if height[i].is_nan() || scale[i].is_nan() {
            continue;
        }
        let here = bin(scale[i]);
        let floor = lowest
            .range(here - reach..=here + reach)
            .map(|(_, &level)| level)
            .fold(f32::NEG_INFINITY, f32::max);
        if floor.is_finite() {
            lifts[i] = ((floor - height[i] - margin) / shank).max(0.0);
        }
    }
}

/// How far across the picture (shank lengths) a planted foot's ankle stays from where it stood
/// first (see [`ankle_lifts`]): jitter, and the ankle moving forward as the heel lifts (some
/// 0.1-0.2 shank), stay within it; a foot placed again elsewhere does not.
const FOOT_PLACE_SHANKS: f32 = 0.5;

/// How far (a share) the body's scale in the picture (its shank's length) may differ from where
/// the floor was seen for the floor to stand (see [`ankle_lifts`]): the same spot seen 5 %
/// nearer from a camera at hip height puts the floor a tenth of a shank lower. A shank's length
/// over five frames scatters a few percent with keypoint jitter.
const SCALE_TOLERANCE: f32 = 0.04;

/// How long (seconds) an ankle may go unseen within one stay of its foot (see [`ankle_lifts`]):
/// a heel lifted while the ankle was not found is judged against the floor before; longer, the
/// camera or the person may have moved.
const FLOOR_GAP_S: f64 = 2.0;

/// How long (seconds) an ankle must keep a level for it to be its floor (see [`ankle_lifts`]):
/// the heel set down before a lift, not a frame's dip.
const FLOOR_HELD_S: f64 = 0.5;

/// Per frame: the median of the known values among the five frames around it (two either
/// side); NaN where the frame's own is unknown. One keypoint misplaced for a frame is not the
/// body's movement.
fn median_of_five(values: &[f32]) -> Vec<f32> {
    (0..values.len())
        .map(|i| {
            if values[i].is_nan() {
                return f32::NAN;
            }
            let mut near = [0.0f32; 5];
            let mut count = 0;
            for &v in &values[i.saturating_sub(2)..(i + 3).min(values.len())] {
                if !v.is_nan() {
                    near[count] = v;
                    count += 1;
                }
            }
            let near = &mut near[..count];
            near.sort_unstable_by(f32::total_cmp);
            near[count / 2]
        })
        .collect()
}

/// The keypoints of `side`'s leg segments that the body's own proportions in this frame rule out
/// (see [`overlong_limbs`]; bit `i` for [`BodyPart`] index `i`), judged from keypoints with
/// `min_confidence` or more only: a body whose upper half is hidden or guessed is not judged.
/// The own-length rule ([`OVERLONG_RATIO`]) is finer but cannot see a misread that lasts (it
/// becomes the segment's own length) or one in a recording too short to know the length; this
/// one needs no history.
fn out_of_proportion(pose: &Pose, side: Side, min_confidence: f32) -> u32 {
    overlong_limbs(pose, min_confidence)
        .into_iter()
        .filter(|limb| limb.segment.is_left() == (side == Side::Left))
        .map(|limb| limb.segment.parts())
        .fold(0, |parts, (a, b)| parts | 1 << a.index() | 1 << b.index())
}

/// A thigh or shank turned at least this far in the picture from one frame to the next,
/// degrees, and at least [`JUMP_DEG_PER_S`] fast, jumped; further where its direction scatters
/// more from frame to frame (see [`JUMP_JITTERS`]). Keypoint jitter seldom turns a segment so
/// far (1-3 px on a 100-px thigh scatter its direction 1-2 deg a frame), and a jump alone is
/// not enough (see [`jump_islands`]). 20 let a therapist's knee read as the patient's for 1.5 s,
/// 15 deg behind her own, be a kneeling lunge's hip extension of 30 for 15, graded good.
pub const JUMP_DEG: f32 = 10.0;

/// A jump is at least this many times the segment's typical turn from one frame to the next from
/// jitter alone over the recording (see [`jump_islands`]): keypoints jittering ±12 deg a frame
/// (a thigh of 20 px) turn it by about 7 deg a frame typically and up to 24, and must jump
/// about 21.
pub const JUMP_JITTERS: f32 = 3.0;

/// The least speed of a jump (see [`JUMP_DEG`]), degrees per second: no stretch turns a leg
/// segment so fast in a frame and stops there (a vigorous leg swing turns the thigh at about
/// 300-500 deg/s, a shank let fall to the table about 450, each speeding up and slowing down
/// over several frames). At 30 frames/s a jump is 10 deg or more in a frame; at 15 frames/s,
/// 20; at 5 frames/s, 60.
pub const JUMP_DEG_PER_S: f32 = 300.0;

/// The longest stretch one or two jumps (see [`jump_islands`]) mark as misread, as a share of
/// the recording: a longer one may be the body, and what lies beyond the jumps the misread.
pub const JUMP_MAX_SHARE: f64 = 0.25;

/// The shortest stretch at the start or end of a recording that one jump marks as misread,
/// seconds: a leg swung fast was still for two frames at its peak as a recording ended, and
/// no shorter stretch can be held as a result.
pub const JUMP_END_MIN_S: f64 = 0.5;

/// The keypoints of `side`'s thigh and shank (both ends, as either may be the misplaced one;
/// bit `i` for [`BodyPart`] index `i`), and of its trunk from hip to shoulder (the shoulder), to
/// leave out in each frame because the segment jumped there and back (see [`jump_islands`]): a
/// toe touch held at 100 deg with the shoulders read 12 deg further down for 1.2 s (half-way
/// down the hanging upper arms) read 112, good. Judged from keypoints with `min_confidence` or
/// more and from frames where the segment is drawn from half to [`OVERLONG_RATIO`] times its own
/// length (`lengths`; a segment pointing at the camera turns with every pixel of jitter).
fn jumped_parts(
    time_s: &[f64],
    poses: &[Pose],
    side: Side,
    lengths: &SegmentLengths,
    min_confidence: f32,
) -> Vec<u32> {
    let parts = side.parts();
    let mut dropped = vec![0u32; poses.len()];
    for (k, (from, to)) in [
        (parts.hip, parts.knee),
        (parts.knee, parts.ankle),
        (parts.hip, parts.shoulder),
    ]
    .into_iter()
    .enumerate()
    {
        let own_px = lengths.own_px[k];
        let direction_deg: Vec<f32> = poses
            .iter()
            .enumerate()
            .map(|(i, pose)| {
                let (a, b) = (pose.get(from), pose.get(to));
                let seen = a.confidence >= min_confidence && b.confidence >= min_confidence;
                let drawn_px = lengths.per_frame_px.get(i).map_or(f32::NAN, |l| l[k]);
                // (NaN compares false: an unknown own length judges no frame's length.)
                let in_plane = !(drawn_px < 0.5 * own_px || drawn_px > OVERLONG_RATIO * own_px);
                if seen && in_plane && (a.x, a.y) != (b.x, b.y) {
                    (b.y - a.y).atan2(b.x - a.x).to_degrees()
                } else {
                    f32::NAN
                }
            })
            .collect();
        // The trunk's misplaced end is its shoulder (on the upper arm, a therapist's hand): a
        // hip misplaced moves the thigh too, judged there.
        let ends = if to == parts.shoulder {
            1 << to.index()
        } else {
            1 << from.index() | 1 << to.index()
        };
        for island in jump_islands(time_s, &direction_deg) {
            for i in island {
                if direction_deg[i].is_finite() {
                    dropped[i] |= ends;
                }
            }
        }
    }
    dropped
}

/// The stretches of frames (first to last, indices) where a segment's direction in the picture
/// (`direction_deg`, degrees, NaN unknown) jumped away and jumped back: a keypoint read on
/// another limb or person (a therapist's leg beside the patient's) and then found again. A
/// jump is a turn between two frames with the direction known of at least [`JUMP_DEG`] (or
/// [`JUMP_JITTERS`] times the typical turn a frame, if more: the least jump) at
/// [`JUMP_DEG_PER_S`] or more, from a frame that follows on from the one before it (after it,
/// for the jump back) within half the least jump. The stretch between is at least two frames
/// and at most [`JUMP_MAX_SHARE`] of the recording, each frame turned from the levels on both
/// sides by half a jump or more the same way, all within half the smaller jump of one another
/// (still: a leg swung fast reaches its peak and turns back within the swing). Such a stretch
/// held at another level was read as the stretch's hold (a straight-leg raise held at 70 deg
/// read 95, good). At the recording's start or end, one jump is enough where the stretch beyond
/// it (from [`JUMP_END_MIN_S`] to [`JUMP_MAX_SHARE`] of the recording) is as still (a misread
/// until the end, after the leg was let down, read 85 for 0). A movement made while frames
/// were lost is no jump: the frames around the loss are further apart in time.
fn jump_islands(time_s: &[f64], direction_deg: &[f32]) -> Vec<RangeInclusive<usize>> {
    let n = direction_deg.len().min(time_s.len());
    let known: Vec<usize> = (0..n).filter(|&i| direction_deg[i].is_finite()).collect();
    let (Some(&first), Some(&last)) = (known.first(), known.last()) else {
        return Vec::new();
    };
    let longest_s = JUMP_MAX_SHARE * (time_s[last] - time_s[first]);
    // The turn from frame `a` to frame `b`, degrees within ±180.
    let turn = |a: usize, b: usize| wrap_deg(direction_deg[b] - direction_deg[a]);
    // The typical turn a frame from jitter alone: from the turns' changes over three frames
    // (a movement turns a leg on alike from frame to frame: a leg swung at 400 deg/s turns 13
    // deg a frame at 30 frames/s, and a jump of 40 would have been needed), scaled to a turn
    // over two frames (for jitter alone, the change is about 1.7 times the turn).
    let typical = crate::stats::median_of_seen(known.windows(3).map(|w| {
        let change = turn(w[1], w[2]) - turn(w[0], w[1]);
        change.abs() / 3f32.sqrt()
    }));
    let least = typical.map_or(JUMP_DEG, |t| (JUMP_JITTERS * t).max(JUMP_DEG));
    // The jump from known[k] to known[k + 1], signed, where it is one (index k).
    let jumps: Vec<Option<f32>> = known
        .windows(2)
        .map(|w| {
            let dt = (time_s[w[1]] - time_s[w[0]]) as f32;
            let d = turn(w[0], w[1]);
            (dt > 0.0 && d.abs() >= least && d.abs() >= JUMP_DEG_PER_S * dt).then_some(d)
        })
        .collect();
    let jump = |k: usize| jumps[k];
    // Whether known[k] follows on from the known frame next to it on the side `towards` (-1
    // before, 1 after), within half a jump: a one-frame flicker is no level to jump from (two
    // flickers around a hold made the hold a stretch jumped to and back).
    let still = |k: usize, towards: isize| {
        k.checked_add_signed(towards)
            .filter(|&j| j < known.len())
            .is_some_and(|j| turn(known[k], known[j]).abs() < least / 2.0)
    };
    // Whether `frames` (two or more) all lie turned `way` from `reference` by half of `jump` or
    // more, and within half of it of one another.
    let apart = |frames: &[usize], reference: usize, way: f32, jump: f32| {
        let offsets = frames.iter().map(|&i| turn(reference, i) * way);
        let (low, high) = offsets
            .clone()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), d| {
                (lo.min(d), hi.max(d))
            });
        frames.len() >= 2 && low >= jump / 2.0 && high - low <= jump / 2.0
    };
    let mut islands = Vec::new();
    let mut k = 0;
    while k + 1 < known.len() {
        let Some(out) = jump(k).filter(|_| still(k, -1)) else {
            k += 1;
            continue;
        };
        let (before, way) = (known[k], out.signum());
        // The frames after the jump while they stay turned from the frame before it.
        let mut end = k + 1;
        let mut back = None;
        while end + 1 < known.len() && turn(before, known[end]) * way >= least / 2.0 {
            if let Some(b) = jump(end).filter(|b| b.signum() != way) {
                back = Some(b);
                break;
            }
            end += 1;
        }
        let island = &known[k + 1..=end];
        let found = back.is_some_and(|b| {
            let smaller = out.abs().min(b.abs());
            still(end + 1, 1)
                && time_s[known[end]] - time_s[island[0]] <= longest_s
                && apart(island, before, way, smaller)
                && apart(island, known[end + 1], way, smaller)
        });
        if found {
            islands.push(island[0]..=known[end]);
            k = end + 1;
        } else {
            k += 1;
        }
    }
    // At the ends: the stretch after the last jump, and before the first, where no island
    // above holds the frame on the other side of the jump (an island's jump back is no start
    // of another).
    let ends_within = |a: usize, b: usize| {
        let span_s = time_s[b] - time_s[a];
        span_s >= JUMP_END_MIN_S && span_s <= longest_s
    };
    let in_island = |i: usize| islands.iter().any(|r| r.contains(&i));
    let made: Vec<(usize, f32)> = jumps
        .iter()
        .enumerate()
        .filter_map(|(k, d)| d.map(|d| (k, d)))
        .collect();
    let mut ends = Vec::new();
    if let Some(&(k, d)) = made.last() {
        let after = &known[k + 1..];
        if !in_island(known[k])
            && still(k, -1)
            && apart(after, known[k], d.signum(), d.abs())
            && ends_within(after[0], last)
        {
            ends.push(after[0]..=last);
        }
    }
    if let Some(&(k, d)) = made.first() {
        let before = &known[..=k];
        if !in_island(known[k + 1])
            && still(k + 1, 1)
            && apart(before, known[k + 1], -d.signum(), d.abs())
            && ends_within(first, known[k])
        {
            ends.push(first..=known[k]);
        }
    }
    islands.extend(ends);
    islands
}

/// `pose` with confidence 0 for the keypoints in `parts` (bit `i` for [`BodyPart`] index `i`).
fn without_parts(pose: &Pose, parts: u32) -> Pose {
    let mut pose = *pose;
    for (i, k) in pose.keypoints.iter_mut().enumerate() {
        if parts & (1 << i) != 0 {
            k.confidence = 0.0;
        }
    }
    pose
}

/// A segment read longer than this many times its own length (the 90th percentile of its
/// lengths over the series) is misread: at one distance from the camera, a body segment's
/// picture can be shorter than the segment (pointing out of the picture's plane), never longer.
/// Frames where the subject came nearer the camera than in most of the recording (walking up to
/// it before the test) read long too: protocols count misreads only during the test. Clear
/// side-view videos of the development set stay under 1.11 in every frame; the frames over 1.3
/// there had a knee or an ankle off the leg for a frame, or a trunk as the subject changed to
/// another person.
pub const OVERLONG_RATIO: f32 = 1.3;

/// One side's thigh, shank and trunk lengths per frame, pixels (NaN unknown), and each
/// segment's own length: the 90th percentile over the series (NaN with fewer than 5 frames).
struct SegmentLengths {
    per_frame_px: Vec<[f32; 3]>,
    own_px: [f32; 3],
    /// Per frame: whether the thigh hung within [`HANGING_DEG`] of straight down in the picture.
    thigh_hanging: Vec<bool>,
}

/// A thigh drawn within this of straight down in the picture (degrees) hangs: standing, its
/// length drawn is its own length whichever way it would swing.
const HANGING_DEG: f32 = 5.0;

/// A thigh's own length is taken from the frames where it hung within this of a frame
/// (seconds, either side): a swinging leg passes straight down twice a swing.
const HANGING_NEAR_S: f64 = 2.0;

impl SegmentLengths {
    /// `side`'s thigh (hip-knee), shank (knee-ankle) and trunk (mid-hip to mid-shoulder, else
    /// this side's hip to shoulder) in each frame, from keypoints at `min_confidence` or more.
    fn of(poses: &[Pose], side: Side, min_confidence: f32) -> Self {
        use BodyPart::*;
        let parts = side.parts();
        let segments = |pose: &Pose| -> [f32; 3] {
            let get = |part: BodyPart| {
                let k = pose.get(part);
                (k.confidence >= min_confidence).then_some((k.x, k.y))
            };
            let length = |a: Option<Point>, b: Option<Point>| match (a, b) {
                (Some(a), Some(b)) => distance(a, b),
                _ => f32::NAN,
            };
            let mid = |a: BodyPart, b: BodyPart| Some(midpoint(get(a)?, get(b)?));
            let trunk = match (mid(LeftShoulder, RightShoulder), mid(LeftHip, RightHip)) {
                (Some(s), Some(h)) => distance(s, h),
                _ => length(get(parts.shoulder), get(parts.hip)),
            };
            [
                length(get(parts.hip), get(parts.knee)),
                length(get(parts.knee), get(parts.ankle)),
                trunk,
            ]
        };
        let per_frame_px: Vec<[f32; 3]> = poses.iter().map(segments).collect();
        let thigh_hanging = poses
            .iter()
            .map(|pose| {
                let (hip, knee) = (pose.get(parts.hip), pose.get(parts.knee));
                let (across, down) = (knee.x - hip.x, knee.y - hip.y);
                hip.confidence >= min_confidence
                    && knee.confidence >= min_confidence
                    && across.abs() <= HANGING_DEG.to_radians().tan() * down
            })
            .collect();
        let own_px = std::array::from_fn(|k| {
            let mut known: Vec<f32> = per_frame_px
                .iter()
                .map(|l| l[k])
                .filter(|v| v.is_finite() && *v > 0.0)
                .collect();
            // Too few frames to know the segment's own length: no judgement.
            if known.len() < 5 {
                return f32::NAN;
            }
            let at = ((known.len() - 1) as f32 * 0.9).round() as usize;
            *known.select_nth_unstable_by(at, f32::total_cmp).1
        });
        SegmentLengths {
            per_frame_px,
            own_px,
            thigh_hanging,
        }
    }

    /// The keypoints of frame `i` to leave out as misread (bit `b` for [`BodyPart`] index `b`):
    /// both ends of each of `side`'s leg segments read longer than [`OVERLONG_RATIO`] times its
    /// own length, as either may be the misplaced one; for the trunk, the shoulders only (a hip
    /// placed wrongly also makes its thigh too long, and dropping the hips would cost the knee
    /// angles too).
    fn overlong_parts(&self, i: usize, side: Side) -> u32 {
        use BodyPart::*;
        let parts = side.parts();
        let ends: [&[BodyPart]; 3] = [
            &[parts.hip, parts.knee],
            &[parts.knee, parts.ankle],
            &[LeftShoulder, RightShoulder],
        ];
        let mut dropped = 0;
        for (k, ends) in ends.into_iter().enumerate() {
            // NaN compares false: an unknown length or own length drops nothing.
            if self.per_frame_px[i][k] > OVERLONG_RATIO * self.own_px[k] {
                for &part in ends {
                    dropped |= 1 << part.index();
                }
            }
        }
        dropped
    }

    /// Per frame: the shortest of the thigh, shank and trunk as a share of that segment's own
    /// length, as the median of five frames around it; NaN where no segment is known. A body
    /// segment has one length: a shorter projection means it points out of the picture's
    /// plane, and the angles drawn from it are not the body's.
    fn in_plane_ratios(&self) -> Vec<f32> {
        let ratios: Vec<f32> = self
            .per_frame_px
            .iter()
            .map(|l| {
                (0..3)
                    .map(|k| l[k] / self.own_px[k])
                    .filter(|r| !r.is_nan())
                    .fold(f32::NAN, f32::min)
            })
            .collect();
        // One keypoint misplaced for a frame (a hand over the ankle) is not a leg turned out of
        // the plane, and must not cut a hold in two.
        median_of_five(&ratios)
    }

    /// Per frame (at `time_s`, seconds): the thigh's length as the median of five frames
    /// around it, as a share of its median length in the frames where it hung straight down
    /// within [`HANGING_NEAR_S`] of it (with fewer than 5 such frames, in the whole series;
    /// NaN unknown, and everywhere with fewer than 5 in all). A percentile of every frame's
    /// length would be read long by the keypoints' jitter, and a thigh in the picture's plane
    /// read short; the whole series' length, by a person who stood nearer the camera before
    /// (a thigh 15% longer in the picture).
    fn thigh_ratios(&self, time_s: &[f64]) -> Vec<f32> {
        let lengths: Vec<f32> = self.per_frame_px.iter().map(|l| l[0]).collect();
        let hanging: Vec<(f64, f32)> = time_s
            .iter()
            .zip(&lengths)
            .zip(&self.thigh_hanging)
            .filter(|&((_, l), &hanging)| hanging && l.is_finite())
            .map(|((&t, &l), _)| (t, l))
            .collect();
        if hanging.len() < 5 {
            return vec![f32::NAN; lengths.len()];
        }
        let all: Vec<f32> = hanging.iter().map(|&(_, l)| l).collect();
        let everywhere = crate::stats::median(&all);
        let mut near = Vec::new();
        median_of_five(&lengths)
            .iter()
            .zip(time_s)
            .map(|(l, &t)| {
                let from = hanging.partition_point(|&(h, _)| h < t - HANGING_NEAR_S);
                let to = hanging.partition_point(|&(h, _)| h <= t + HANGING_NEAR_S);
                near.clear();
                near.extend(hanging[from..to].iter().map(|&(_, l)| l));
                let own = if near.len() >= 5 {
                    crate::stats::median(&near)
                } else {
                    everywhere
                };
                l / own
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_fps(fps: f64, seconds: f64) -> Vec<f64> {
        (0..(fps * seconds) as usize)
            .map(|i| i as f64 / fps)
            .collect()
    }

    /// A thigh held at 70 deg read at 95 for 1.5 s, reached and left in a frame: those frames;
    /// running to the end of the recording: those too; the same read over the whole last half:
    /// not (which side of the jump is the leg is not known).
    #[test]
    fn a_segment_that_jumps_away_and_back_is_found() {
        let time_s = at_fps(30.0, 10.0);
        let held = |from: f64, to: f64| -> Vec<f32> {
            time_s
                .iter()
                .map(|&t| if (from..to).contains(&t) { 95.0 } else { 70.0 })
                .collect()
        };
        let islands = jump_islands(&time_s, &held(4.0, 5.5));
        assert_eq!(islands, vec![120..=164]);
        assert_eq!(jump_islands(&time_s, &held(8.5, 99.0)), vec![255..=299]);
        assert_eq!(jump_islands(&time_s, &held(0.0, 1.0)), vec![0..=29]);
        assert!(jump_islands(&time_s, &held(5.0, 99.0)).is_empty());
        // Across ±180 deg.
        let wrapped: Vec<f32> = held(4.0, 5.5)
            .iter()
            .map(|d| if *d > 80.0 { -165.0 } else { 170.0 })
            .collect();
        assert_eq!(jump_islands(&time_s, &wrapped), vec![120..=164]);
        // A jump of 12 deg, with the keypoints jittering ±1 deg a frame: a therapist's knee
        // beside the patient's. (That jitter raises the least jump is held by
        // `a_body_moving_does_not_jump`.)
        let jittered = |size: f32, jitter: f32| -> Vec<f32> {
            let mut state = 11u64;
            time_s
                .iter()
                .map(|&t| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let noise = 2.0 * jitter * ((state % 1000) as f32 / 1000.0 - 0.5);
                    70.0 + noise + if (4.0..5.5).contains(&t) { size } else { 0.0 }
                })
                .collect()
        };
        assert_eq!(jump_islands(&time_s, &jittered(12.0, 1.0)), vec![120..=164]);
    }

    #[test]
    fn directions_across_180_deg_are_filtered_as_turns() {
        assert_eq!(wrap_deg(190.0), -170.0);
        assert_eq!(wrap_deg(-180.0), 180.0);
        assert_eq!(wrap_deg(-540.0), 180.0);
        assert!(wrap_deg(f32::NAN).is_nan());
        let mut values = vec![178.0, -179.0, f32::NAN, 177.0, -176.0, -178.0];
        unwrap_deg(&mut values);
        let expected = [178.0, 181.0, f32::NAN, 177.0, 184.0, 182.0];
        for (v, e) in values.iter().zip(expected) {
            assert!(
                (v.is_nan() && e.is_nan()) || (v - e).abs() < 1e-4,
                "{values:?}"
            );
        }
        // Two frames misread far off stay a spike: the outlier rejection takes them out.
        let mut values = vec![0.0, 0.0, 0.0, 120.0, -120.0, 0.0, 0.0, 0.0];
        unwrap_deg(&mut values);
        assert_eq!(values, [0.0, 0.0, 0.0, 120.0, -120.0, 0.0, 0.0, 0.0]);
    }

    /// What a body does is no jump: a leg swung fast (up to 90 deg either way, up to 800 deg/s,
    /// at 10 to 60 frames/s), a raise made while the keypoints were lost for a quarter of a
    /// second, keypoints jittering by up to ±12 deg a frame, a shank let fall to the table. (Swung ±90 deg twice a second, 1100 deg/s,
    /// filmed at 10 frames/s, the leg is seen at five places a swing, over 100 deg apart, and
    /// looks like jumps.)
    #[test]
    fn a_body_moving_does_not_jump() {
        for fps in [10.0, 15.0, 25.0, 30.0, 60.0] {
            let time_s = at_fps(fps, 10.0);
            for amplitude in [30.0f64, 60.0, 90.0] {
                for hz in [0.5, 1.0, 2.0] {
                    if 2.0 * std::f64::consts::PI * hz * amplitude > 800.0 {
                        continue;
                    }
                    let swing: Vec<f32> = time_s
                        .iter()
                        .map(|&t| {
                            (90.0 + amplitude * (2.0 * std::f64::consts::PI * hz * t).sin()) as f32
                        })
                        .collect();
                    let found = jump_islands(&time_s, &swing);
                    assert!(
                        found.is_empty(),
                        "{fps} fps, ±{amplitude} at {hz} Hz: {found:?}"
                    );
                }
            }
        }
        let time_s = at_fps(30.0, 10.0);
        let raised: Vec<f32> = time_s
            .iter()
            .map(|&t| match t {
                t if (3.0..3.25).contains(&t) => f32::NAN,
                t if !(3.0..7.0).contains(&t) => 0.0,
                _ => 40.0,
            })
            .collect();
        assert!(jump_islands(&time_s, &raised).is_empty());
        // Jitter of up to ±12 deg a frame (a thigh of 20 px): steps of up to 24 deg.
        let mut state = 7u64;
        let jitter: Vec<f32> = time_s
            .iter()
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                70.0 + 24.0 * ((state % 1000) as f32 / 1000.0 - 0.5)
            })
            .collect();
        assert!(
            jitter
                .windows(2)
                .any(|w| (w[1] - w[0]).abs() >= 2.0 * JUMP_DEG),
            "steps twice as large as a jump on a steady leg"
        );
        assert!(jump_islands(&time_s, &jitter).is_empty());
        // A shank let fall to the table at 500 deg/s, filmed at 15 frames/s with phone-like
        // timestamps (up to 30 % of a frame off the moment captured: 33 deg between frames
        // stamped 0.027 s apart read 1250 deg/s), then at rest to the end: the rest is the
        // leg's.
        let captured_s: Vec<f64> = (0..150).map(|i| i as f64 / 15.0).collect();
        let stamped_s: Vec<f64> = (0..150)
            .map(|i| (i as f64 + [0.0, 0.3, -0.3, 0.15][i % 4]) / 15.0)
            .collect();
        let fall: Vec<f32> = captured_s
            .iter()
            .map(|&t| (120.0 - 500.0 * (t - 8.0).max(0.0) as f32).max(0.0))
            .collect();
        assert!(jump_islands(&stamped_s, &fall).is_empty());
    }

    /// A knee flickering onto the other leg for one frame before and after a hold gives no
    /// level to jump from: the hold between is the leg's (the flickers were taken for the level
    /// the hold jumped from and back to, and the hold left out).
    #[test]
    fn a_hold_between_two_flickers_is_kept() {
        // (20 s: the hold is under a quarter of the recording.)
        let time_s = at_fps(30.0, 20.0);
        let direction: Vec<f32> = time_s
            .iter()
            .enumerate()
            .map(|(i, &t)| match (i, t) {
                (87 | 213, _) => 0.0,
                (_, t) if (3.0..7.0).contains(&t) => 70.0,
                (_, t) if (2.0..3.0).contains(&t) => 70.0 * (t - 2.0) as f32,
                (_, t) if (7.0..8.0).contains(&t) => 70.0 * (8.0 - t) as f32,
                _ => 0.0,
            })
            .collect();
        assert!(jump_islands(&time_s, &direction).is_empty());
    }
}
