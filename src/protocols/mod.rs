//! Stretch protocols: which angle each test measures, which frames count, which side, and the one
//! clinical result per side (the sustained maximum with its quality).
//!
//! Each protocol is a declarative [`Protocol`] value in its own file, so that it can be checked
//! line by line against the clinical description in the README. This file defines what a
//! protocol is; `measuring.rs` measures a series by one ([`measure`]).

mod ake;
mod hip_extension;
pub mod hold;
mod knee_to_chest;
mod leg_swing;
mod lunge_ankle;
mod measuring;
mod prone_hip_extension;
mod prone_knee_bend;
mod slr;
mod thomas;
mod toe_touch;
mod warning;

pub use crate::pose::Posture;
pub use hold::{sustained_maximum, Hold, HoldCriteria};
pub use measuring::{
    measure, note_people, note_recording_fault, note_retimed, subject_size_px, unmet_criteria,
    valid_frames, FORESHORTENED_RATIO, OTHER_LEG_HELD_DEG, SMALL_SUBJECT_PX, TILTED_BODY_DEG,
    TILTED_TRUNK_DEG, TINY_SUBJECT_PX, TRUNK_TURN_DEG, UNSTEADY_DEG,
};
pub use warning::{Warning, WarningKind};

use serde::{Deserialize, Serialize};

pub use crate::angles::LegAngle;
use crate::angles::{AngleSeries, Channel, Side};

/// Every protocol gonio knows, in the order `gonio protocols` lists them.
pub const ALL: [&Protocol; 10] = [
    &hip_extension::PROTOCOL,
    &prone_hip_extension::PROTOCOL,
    &thomas::PROTOCOL,
    &slr::PROTOCOL,
    &ake::PROTOCOL,
    &toe_touch::PROTOCOL,
    &knee_to_chest::PROTOCOL,
    &prone_knee_bend::PROTOCOL,
    &lunge_ankle::PROTOCOL,
    &leg_swing::PROTOCOL,
];

/// Looks a protocol up by its id (`slr`, `hip-extension`, ...).
pub fn find(id: &str) -> Option<&'static Protocol> {
    ALL.into_iter().find(|p| p.id.eq_ignore_ascii_case(id))
}

/// Which way is better for a measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Best {
    /// The result is the sustained maximum.
    Highest,
    /// The result is the sustained minimum (for example the knee-extension deficit).
    Lowest,
}

/// A quantity a protocol reports, per side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// Name in output, for example `hip_extension`.
    pub name: &'static str,
    pub angle: LegAngle,
    /// Report the negated angle (hip extension = −hip flexion).
    pub negate: bool,
    pub best: Best,
    /// Whether a higher value means more flexibility (false for deficits, and for the Thomas
    /// test's thigh, whose rise above horizontal means tightness).
    pub higher_is_better: bool,
    /// Minimal detectable change (MDC95) of this measure in degrees, from published figures,
    /// with its source; None where no figure is known.
    pub mdc95: Option<(f32, &'static str)>,
    /// What a clinician would call it, for help texts.
    pub description: &'static str,
}

/// Where a validity criterion reads its angle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The measured leg.
    SameLeg(LegAngle),
    /// The other leg.
    OtherLeg(LegAngle),
    /// The other leg's angle minus the measured leg's, degrees (for example: how far the front
    /// thigh is ahead of the measured back thigh in a lunge).
    OtherMinusSame(LegAngle),
    Trunk,
}

impl Subject {
    /// This subject's angle in one frame, degrees, NaN when unknown. `angle_of` gives each
    /// channel's angle in that frame, NaN when unknown.
    pub fn value(self, side: Side, angle_of: impl Fn(Channel) -> f32) -> f32 {
        match self {
            Subject::SameLeg(angle) => angle_of(angle.channel(side)),
            Subject::OtherLeg(angle) => angle_of(angle.channel(side.other())),
            Subject::OtherMinusSame(angle) => {
                angle_of(angle.channel(side.other())) - angle_of(angle.channel(side))
            }
            Subject::Trunk => angle_of(Channel::TrunkToVertical),
        }
    }
}

/// What a criterion is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// It defines the test (lying on the back, half-kneeling with the front knee bent, the
    /// measured leg behind): a frame that fails it is not the test at all. Such frames are left
    /// out without lowering the quality (getting into position is normal); with none left there
    /// is no result, and the failure is the reason.
    Posture,
    /// It keeps the test clean (knee straight, no compensation): frames that fail do not count,
    /// and many of them lower the quality.
    Form,
    /// It is worth knowing but does not make the angle wrong (a trunk lean during leg swings):
    /// frames that fail still count; the failure is reported, and many of them lower the quality.
    Flag,
}

/// The test a frame's angle must pass, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Test {
    AtMost(f32),
    AtLeast(f32),
    Within(f32, f32),
    AbsAtMost(f32),
    /// The test, or the angle not seen: for a condition that rules out wrong movements but
    /// whose keypoints (the far, resting leg's) often drop out in a genuine test.
    IfSeen(&'static Test),
}

impl Test {
    fn passes(self, deg: f32) -> bool {
        match self {
            Test::AtMost(limit) => deg <= limit,
            Test::AtLeast(limit) => deg >= limit,
            Test::Within(lo, hi) => (lo..=hi).contains(&deg),
            Test::AbsAtMost(limit) => deg.abs() <= limit,
            Test::IfSeen(test) => test.passes(deg),
        }
    }

    /// The highest angle that passes, degrees; None for no bound.
    fn highest(self) -> Option<f32> {
        match self {
            Test::AtMost(limit) | Test::AbsAtMost(limit) | Test::Within(_, limit) => Some(limit),
            Test::AtLeast(_) => None,
            Test::IfSeen(test) => test.highest(),
        }
    }

    /// Whether a frame whose angle is not seen passes.
    fn passes_unseen(self) -> bool {
        matches!(self, Test::IfSeen(_))
    }
}

/// A condition a frame must meet to count, for example "raised knee flexion under 20 degrees".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criterion {
    pub subject: Subject,
    pub test: Test,
    pub role: Role,
    /// What failing it means, for warnings: "knee bent over 20 deg".
    pub failure: &'static str,
    /// What to tell the person while measuring live: "keep the knee straight".
    pub hint: &'static str,
    /// What it means when it cannot be checked: "knee angle unknown".
    pub unknown: &'static str,
}

/// Lying on the back: the trunk within 30 degrees of horizontal, face up (a position criterion
/// of the supine tests). Reclined on the elbows at 42 deg, a thigh resting on the table was read
/// as a Thomas test's hanging thigh.
pub const LYING_ON_THE_BACK: Criterion = Criterion {
    subject: Subject::Trunk,
    test: Test::Within(-120.0, -60.0),
    role: Role::Posture,
    failure: "not lying on the back",
    hint: "lie on your back",
    unknown: "trunk position unknown",
};

/// Lying face down: the trunk within 30 degrees of horizontal, face down (a position criterion
/// of the prone tests).
pub const LYING_FACE_DOWN: Criterion = Criterion {
    subject: Subject::Trunk,
    test: Test::Within(60.0, 120.0),
    role: Role::Posture,
    failure: "not lying face down",
    hint: "lie face down",
    unknown: "trunk position unknown",
};

/// The resting leg in line with the trunk, within 20 degrees (a position criterion of the tests
/// lying with one leg flat). Propped on the elbows, curled up or arched, the trunk line tilts by
/// as much and its tilt is read as the measured hip's movement: lying propped up 35 deg with both
/// legs flat was a straight-leg raise of 35 deg, a cobra push-up a hip extension of 30 deg, both
/// graded good. The resting hip's own angle, unlike the trunk's against the horizontal, does not
/// change with a camera that is not level. It bends as much with the other leg lifted and the
/// trunk flat, which its failure names too (it blamed the trunk alone).
pub const RESTING_LEG_IN_LINE: Criterion = Criterion {
    subject: Subject::OtherLeg(LegAngle::HipFlexion),
    // 20: a pillow or a rounded upper back raises the shoulders 15-18 deg. A far leg not seen
    // for a moment passes: it broke every hold into pieces shorter than the hold time.
    test: Test::IfSeen(&Test::AbsAtMost(20.0)),
    role: Role::Posture,
    failure: "the other hip bent over 20 deg: the trunk raised off the table (propped up, curled up or arched) or the other leg lifted, not lying flat",
    hint: "lie flat, the other leg straight in line with the trunk",
    unknown: "the other hip unknown",
};

/// Lying face down, the resting leg in line with the trunk, within 12 degrees: the trunk raised
/// (a cobra or sphinx push-up, the lower back arched as the leg lifts) added its tilt to the
/// hip extension (a lift of 10 deg with the back arched 15 read 24.8, graded good). Face down
/// nothing raises the shoulders as a pillow or a rounded back does lying on the back; the
/// forehead on the hands raises them 7-10 deg.
pub const RESTING_LEG_IN_LINE_FACE_DOWN: Criterion = Criterion {
    subject: Subject::OtherLeg(LegAngle::HipFlexion),
    test: Test::IfSeen(&Test::AbsAtMost(12.0)),
    role: Role::Posture,
    failure: "the other hip bent over 12 deg: the trunk raised off the table (propped up or the back arched) or the other leg lifted, not lying flat",
    hint: "lie flat, the other leg straight in line with the trunk",
    unknown: "the other hip unknown",
};

/// The measured knee straight, within 20 degrees (a form criterion).
pub const KNEE_STRAIGHT: Criterion = Criterion {
    subject: Subject::SameLeg(LegAngle::KneeFlexion),
    test: Test::AtMost(20.0),
    role: Role::Form,
    failure: "knee bent over 20 deg",
    hint: "keep the knee straight",
    unknown: "knee angle unknown",
};

/// How `--side auto` picks the side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SideRule {
    /// The leg whose measured angle moves most (5th to 95th percentile).
    MostMovement,
    /// The leg whose angle moves most (5th to 95th percentile): for leg swings the thigh
    /// against the horizontal, which a trunk lean does not move (it moves the standing leg's
    /// hip flexion too).
    MostMovementOf(LegAngle),
    /// The leg with the higher median of the measured value (the back leg in a lunge).
    HigherMedian,
    /// The leg with the higher median of this angle (the front leg of a lunge: its hip is the
    /// flexed one).
    HigherMedianOf(LegAngle),
    /// The leg with the lower median of this angle (the hanging leg in the Thomas test, whose
    /// other hip is held flexed).
    LowerMedianOf(LegAngle),
    /// The leg with more frames where the measured angle is known (the one nearer the camera).
    MostReliable,
}

/// The movement that makes a test: the measured angle must rise from its resting level (its
/// 5th percentile over the frames that count) by at least `rise_deg` (for measures where lower is
/// better: fall by it), both at its peak and at the held level. Without it there is no result:
/// a person lying still or standing at ease is not doing the test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Movement {
    /// Degrees.
    pub rise_deg: f32,
    /// The reason given when it is missing: "no leg was raised".
    pub absent: &'static str,
    /// The test's starting position, degrees of the measure (0: the leg flat on the table, the
    /// knee straight; 90: the knee bent at a right angle), where it has one: the resting level
    /// is never taken past it, away from the stretch. A leg hanging off the table and then laid
    /// flat, a lean back before standing up, a knee bent further before it came back, moved
    /// away from the stretch, not into it (each gave the starting position, graded good).
    pub from_deg: Option<f32>,
    /// The other leg's angle that must stay within [`OTHER_LEG_HELD_DEG`] in any stretch of the
    /// hold's length (`--hold-s`) through the hold, where the test holds both legs still (a
    /// fold, a lunge). Leaning forward on one leg while the other swung through (a leg swing
    /// filmed in slow motion) held the standing leg for over a second: a toe touch and a lunge
    /// of 20-40 deg, graded fair.
    pub other_leg_still: Option<Subject>,
    /// The movement is the measured thigh's own (a leg lifted face down or face up, a knee
    /// drawn to the chest, the hips pushed forward over the back knee), and its measures
    /// against the trunk line ([`LegAngle::HipFlexion`]) count the trunk's turn as the hip's:
    /// the rise from the rest to the hold, less the trunk's turn past upright or level (the
    /// back arched, a lean back, the head and shoulders raised), must be at least `rise_deg`,
    /// and a turn of [`TRUNK_TURN_DEG`] or more is said and graded fair. Arching the back 9 deg
    /// with no leg lifted was a prone hip extension of 8.9 deg on both legs, and curling up 8
    /// deg a straight-leg raise of 68 for a leg raised to 60, each graded good. (A forward lean
    /// straightened to upright is no such turn.)
    pub thigh_moves: bool,
}

/// One stretch or clinical test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Protocol {
    /// Command-line id, for example `slr`.
    pub id: &'static str,
    pub title: &'static str,
    /// Position and camera placement, for the user.
    pub instructions: &'static str,
    /// What is reported per side; the first is the main result.
    pub measures: &'static [Measure],
    /// Conditions a frame must meet to count.
    pub criteria: &'static [Criterion],
    /// The movement the test needs; None for tests defined by a position alone (the Thomas
    /// test: the hanging leg is not moved).
    pub movement: Option<Movement>,
    pub side_rule: SideRule,
    /// The subject's posture, to tell the subject from others in view (a therapist standing
    /// beside a patient lying down).
    pub posture: Posture,
    /// Typical values, with their source.
    pub norm: &'static str,
    /// What one result is: a held level, or the peaks of a repeated movement.
    pub result: ResultKind,
    /// Whether the measured leg's heel must stay down (the lunge test): a frame whose ankle
    /// stood more than [`HEEL_LIFT_SHANKS`] above the floor where the foot stood does not count.
    pub heel_down: bool,
}

/// How far above the floor where the foot stood (in shank lengths, knee to ankle, past what the
/// ankle's jitter explains) an ankle may stand with the heel down (see
/// [`crate::angles::AngleSeries::ankle_lift`]): about 3 cm on a shank of 40, the ankle's rise
/// with the heel some 4 cm up. An ankle keypoint jitters about 1-2 % of the shank from frame to
/// frame (the sample video: 1.9 and 2.3 px on shanks of 125 and 170). A heel lifted less than
/// that is not seen. Chosen, not measured: no recording of a lunge test is in the development
/// data.
pub const HEEL_LIFT_SHANKS: f32 = 0.08;

/// Fewer swings than this give a result graded fair at best, with a warning: a mean and a spread
/// need several.
pub const MIN_SWINGS: usize = 5;

/// Fewer swings seen clearly than this give no result: one or two crests are not told from a
/// step, a kick or a jump (walking past, stepping onto a box).
pub const MIN_RESULT_SWINGS: usize = 3;

/// Share of frames whose face points against the majority or at the camera (or away from it)
/// above which, in a view that is not side-on ([`OBLIQUE_SPREAD`]), forward and back cannot be
/// told apart: a swing's flexion and extension would be a coin toss (the same recording
/// re-encoded gave one or the other).
pub const SWING_FACING_UNCLEAR: f32 = 0.2;

/// Lateral spread above which the view is square on to the body (a result graded poor for
/// holds): a swing forward and back moves towards and away from the camera, not across it.
pub use crate::angles::joints::FRONTAL_SPREAD;

/// What a protocol's result is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ResultKind {
    /// The sustained maximum: the highest level held (a stretch, a clinical test). A level
    /// reached only by repetitions is refused.
    SustainedMaximum,
    /// A position test (the Thomas test: the hanging leg placed and relaxed, not moved): the
    /// last level held, where the relaxed leg settled. Reached only by repetitions, refused.
    LastHold,
    /// A dynamic movement (leg swings): the mean and spread of the peaks of its repetitions, each
    /// a crest that rose and fell by at least `prominence_deg`; none is a refusal, fewer than
    /// [`MIN_SWINGS`] a warning.
    Swings { prominence_deg: f32 },
}

/// Which side(s) to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideChoice {
    Auto,
    Named(Side),
    Both,
}

/// Overall trust in a result, ordered from good to poor (the larger, the lower the grade).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quality {
    Good,
    Fair,
    Poor,
}

impl Quality {
    pub fn name(self) -> &'static str {
        match self {
            Quality::Good => "good",
            Quality::Fair => "fair",
            Quality::Poor => "poor",
        }
    }
}

/// Why gonio gives no number for a measure, by kind, so that programs can filter on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalKind {
    /// The source had no frames.
    NoFrames,
    /// No frame showed the protocol's posture (standing instead of lunging, sitting instead of
    /// lying, the front leg instead of the back leg).
    NotThePosture,
    /// Frames showed the posture, but none met the test's other conditions (knee bent, trunk
    /// leaning, leg foreshortened, heel lifted, keypoints unreliable), or none of those where
    /// the stretch was held (the frames at rest may have counted).
    NoValidFrames,
    /// The limb that the test moves never moved.
    NoMovement,
    /// The stretch was never held (or only the resting level was).
    NotHeld,
    /// The level was reached repeatedly and briefly (rocking, repetitions): a dynamic movement,
    /// not a hold. Its repetitions are in [`Measurement::repetitions`].
    Repetitions,
}

/// Why there is no result, in words and by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    pub kind: RefusalKind,
    /// For people: "no leg was raised (the angle rose 2 deg from its resting level, at least 15
    /// needed)".
    pub reason: String,
}

/// One crest of a repeated movement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Repetition {
    /// Seconds from the start of the source.
    pub time_s: f64,
    /// The measure's value at the crest, degrees.
    pub peak_deg: f32,
    pub frame: usize,
}

/// One clinical result: one measure of one side of one trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The file or stream measured.
    pub source: String,
    pub protocol: String,
    /// What was measured, for example `hip_extension`.
    pub measure: String,
    pub side: Side,
    /// The sustained maximum (or minimum, for deficits), degrees; for a dynamic protocol
    /// ([`ResultKind::Swings`]) the mean of the swing peaks; None when there is no result.
    pub value_deg: Option<f32>,
    /// For a dynamic protocol: the spread of the swing peaks (sample standard deviation),
    /// degrees; the peaks themselves are the `repetitions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_deg: Option<f32>,
    /// For a dynamic protocol: how many swings were made (every one is in `repetitions`); the
    /// mean and spread are over those whose peak was seen clearly and is not far from the others,
    /// and a warning says so when that is fewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swings: Option<usize>,
    /// The extreme reached in any valid frame, degrees.
    pub peak_deg: Option<f32>,
    /// The frame of that peak.
    pub peak_frame: Option<usize>,
    /// How long the result was held within the band, seconds.
    pub hold_s: f64,
    /// When that hold started and ended, seconds from the start of the source.
    pub hold_start_s: Option<f64>,
    pub hold_end_s: Option<f64>,
    /// The frame in the middle of the hold, for the evidence picture.
    pub hold_frame: Option<usize>,
    pub valid_frames: usize,
    pub total_frames: usize,
    pub quality: Quality,
    /// Why the quality is not good, and anything else worth knowing. A refusal's reason comes
    /// first, after "no result: ".
    pub warnings: Vec<Warning>,
    /// Why there is no result (`value_deg` is None), when gonio refused one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// The crests of a repeated movement, when the movement was repeated rather than held.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repetitions: Vec<Repetition>,
    /// The frame that shows the result or, for a refusal, its reason best (the middle of the
    /// hold, else the peak of the frames that count, else the highest value in any frame).
    #[serde(default)]
    pub evidence_frame: Option<usize>,
    /// Typical values for comparison.
    pub norm: String,
    /// Pose model id (`name@sha256:<hex>`), when gonio ran the model.
    pub model: Option<String>,
    /// The most people seen in one frame; None when not known (keypoints from a file).
    #[serde(default)]
    pub people_seen: Option<usize>,
    /// The settings the result was measured with; None in results saved before they were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
}

/// The settings that define a result (`--hold-s`, `--band-deg`, `--min-confidence`): the same
/// recording measured with others gives another number, so results measured with different
/// ones are not compared against measurement error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The shortest hold that counts, seconds.
    pub hold_s: f64,
    /// How far a hold may waver either side of its level, degrees.
    pub band_deg: f32,
    /// Keypoints under this confidence (0..1) were not used.
    pub min_confidence: f32,
}

impl Settings {
    /// The holds that may be asked for, seconds (`--hold-s`).
    pub const HOLD_S: std::ops::RangeInclusive<f64> = 0.1..=600.0;
    /// The bands that may be asked for, degrees (`--band-deg`).
    pub const BAND_DEG: std::ops::RangeInclusive<f32> = 0.5..=30.0;

    /// Whether these are settings gonio measures with: within [`Settings::HOLD_S`] and
    /// [`Settings::BAND_DEG`], a confidence from 0 to 1.
    pub fn is_plausible(&self) -> bool {
        Self::HOLD_S.contains(&self.hold_s)
            && Self::BAND_DEG.contains(&self.band_deg)
            && (0.0..=1.0).contains(&self.min_confidence)
    }

    /// Whether two results were measured alike (to the precision the settings are given in).
    pub fn alike(&self, other: &Settings) -> bool {
        (self.hold_s - other.hold_s).abs() < 1e-3
            && (self.band_deg - other.band_deg).abs() < 1e-3
            && (self.min_confidence - other.min_confidence).abs() < 1e-3
    }
}

impl std::fmt::Display for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "hold {} s within ±{} deg, keypoint confidence {}",
            self.hold_s, self.band_deg, self.min_confidence
        )
    }
}

/// How far the hips may travel across the picture during leg swings, trunk lengths: a swing in
/// place sways them a fraction of that; walking crosses several.
pub const MAX_SWING_TRAVEL: f32 = 1.0;

/// How much the standing leg may move during leg swings, as a share of the swinging leg's
/// movement (the thigh against the horizontal, 10th to 90th percentile over the swings): a leg
/// swung while standing on the other moves that one a little (the pelvis tilts); walking or
/// marching in place moves both legs alike, and each leg's swings were measured as a leg swing.
pub const MAX_STANDING_LEG_SHARE: f32 = 0.5;

/// Lateral spread (see [`AngleSeries::lateral_spread`]) above which the view counts as oblique.
pub use crate::angles::joints::OBLIQUE_SPREAD;

impl Protocol {
    /// The main result, the one the side is chosen by and the evidence picture shows (the first
    /// of [`Protocol::measures`], which every protocol has).
    pub fn main_measure(&self) -> &'static Measure {
        &self.measures[0]
    }

    /// The measure called `name`.
    pub fn measure_named(&self, name: &str) -> Option<&'static Measure> {
        self.measures.iter().find(|m| m.name == name)
    }
}

impl Measure {
    /// This measure's value in one frame (negated where the measure says), degrees; NaN when
    /// unknown. `angle_of` gives each channel's angle in that frame, NaN when unknown.
    pub fn value_in_frame(&self, side: Side, angle_of: impl Fn(Channel) -> f32) -> f32 {
        angle_of(self.angle.channel(side)) * self.sign()
    }

    /// This measure's value in every frame of `series` (negated where the measure says),
    /// degrees; NaN where unknown.
    pub fn values<'a>(
        &self,
        series: &'a AngleSeries,
        side: Side,
    ) -> impl Iterator<Item = f32> + 'a {
        let sign = self.sign();
        series
            .channel(self.angle.channel(side))
            .iter()
            .map(move |v| v * sign)
    }

    /// -1 where the measure is its angle negated, else 1.
    pub fn sign(&self) -> f32 {
        if self.negate {
            -1.0
        } else {
            1.0
        }
    }
}
