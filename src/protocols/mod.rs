//! Stretch protocols: which angle each test measures, which frames count, which side, and the one
//! clinical result per side (the sustained maximum with its quality).
//!
//! Each protocol is a declarative [`Protocol`] value in its own file, so that it can be checked
//! line by line against the clinical description in the README.

mod ake;
mod hip_extension;
pub mod hold;
mod prone_hip_extension;
mod slr;
mod thomas;
mod toe_touch;

use crate::pose::PeopleSeen;
pub use crate::pose::Posture;
pub use hold::{sustained_maximum, Hold, HoldCriteria};

use serde::{Deserialize, Serialize};

use crate::angles::{AngleSeries, Channel, Side};

/// Every protocol gonio knows, in the order `gonio protocols` lists them.
pub const ALL: [&Protocol; 6] = [
    &hip_extension::PROTOCOL,
    &prone_hip_extension::PROTOCOL,
    &thomas::PROTOCOL,
    &slr::PROTOCOL,
    &ake::PROTOCOL,
    &toe_touch::PROTOCOL,
];

/// Looks a protocol up by its id (`slr`, `hip-extension`, ...).
pub fn find(id: &str) -> Option<&'static Protocol> {
    ALL.into_iter().find(|p| p.id.eq_ignore_ascii_case(id))
}

/// One angle of one leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegAngle {
    KneeFlexion,
    HipFlexion,
    ThighToHorizontal,
    LegToHorizontal,
}

impl LegAngle {
    /// The series channel of this angle on `side`.
    pub fn channel(self, side: Side) -> Channel {
        match self {
            LegAngle::KneeFlexion => Channel::KneeFlexion(side),
            LegAngle::HipFlexion => Channel::HipFlexion(side),
            LegAngle::ThighToHorizontal => Channel::ThighToHorizontal(side),
            LegAngle::LegToHorizontal => Channel::LegToHorizontal(side),
        }
    }
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
    Trunk,
}

/// The test a frame's angle must pass, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Test {
    AtMost(f32),
    AtLeast(f32),
    Within(f32, f32),
    AbsAtMost(f32),
}

impl Test {
    fn passes(self, deg: f32) -> bool {
        match self {
            Test::AtMost(limit) => deg <= limit,
            Test::AtLeast(limit) => deg >= limit,
            Test::Within(lo, hi) => (lo..=hi).contains(&deg),
            Test::AbsAtMost(limit) => deg.abs() <= limit,
        }
    }
}

/// A condition a frame must meet to count, for example "raised knee flexion under 20 degrees".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Criterion {
    pub subject: Subject,
    pub test: Test,
    /// What failing it means, for warnings: "knee bent over 20 deg".
    pub failure: &'static str,
    /// What to tell the person while measuring live: "keep the knee straight".
    pub hint: &'static str,
    /// What it means when it cannot be checked: "knee angle unknown".
    pub unknown: &'static str,
}

/// How `--side auto` picks the side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SideRule {
    /// The leg whose measured angle moves most (5th to 95th percentile).
    MostMovement,
    /// The leg with the higher median of the measured value (the back leg in a lunge).
    HigherMedian,
    /// The leg with the lower median of this angle (the hanging leg in the Thomas test, whose
    /// other hip is held flexed).
    LowerMedianOf(LegAngle),
    /// The leg with more frames where the measured angle is known (the one nearer the camera).
    MostReliable,
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
    pub side_rule: SideRule,
    /// The subject's posture, to tell the subject from others in view (a therapist standing
    /// beside a patient lying down).
    pub posture: Posture,
    /// Typical values, with their source.
    pub norm: &'static str,
}

/// Which side(s) to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideChoice {
    Auto,
    Named(Side),
    Both,
}

/// Overall trust in a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// One clinical result: one measure of one side of one trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The file or stream measured.
    pub source: String,
    pub protocol: String,
    /// What was measured, for example `hip_extension`.
    pub measure: String,
    pub side: Side,
    /// The sustained maximum (or minimum, for deficits), degrees; None when never held.
    pub value_deg: Option<f32>,
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
    /// Why the quality is not good, and anything else worth knowing.
    pub warnings: Vec<String>,
    /// Typical values for comparison.
    pub norm: String,
    /// Pose model id (`name@sha256:<hex>`), when gonio ran the model.
    pub model: Option<String>,
    /// The most people seen in one frame; None when not known (keypoints from a file).
    #[serde(default)]
    pub people_seen: Option<usize>,
}

/// Lateral spread (see [`AngleSeries::lateral_spread`]) above which the view counts as oblique.
pub const OBLIQUE_SPREAD: f32 = 0.35;

impl Protocol {
    /// The measure called `name`.
    pub fn measure_named(&self, name: &str) -> Option<&'static Measure> {
        self.measures.iter().find(|m| m.name == name)
    }
}

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

impl Measure {
    /// This measure's value in one frame (negated where the measure says), degrees; NaN when
    /// unknown. `angle_of` gives each channel's angle in that frame, NaN when unknown.
    pub fn value_in_frame(&self, side: Side, angle_of: impl Fn(Channel) -> f32) -> f32 {
        let value = angle_of(self.angle.channel(side));
        if self.negate {
            -value
        } else {
            value
        }
    }
}

/// Adds to each result what finding the subject showed over its `frames` frames: with `people`
/// (a model ran), how many people were in view and any doubt about which one was measured; and
/// the frames without a person, when `frames_with_person` is fewer.
pub fn note_people(
    results: &mut [Measurement],
    people: Option<&PeopleSeen>,
    frames_with_person: usize,
    frames: usize,
) {
    let missing = (frames_with_person < frames).then(|| {
        format!(
            "no person found in {} of {frames} frames",
            frames - frames_with_person
        )
    });
    for r in results {
        if let Some(people) = people {
            r.people_seen = Some(people.most);
            r.warnings.extend(people.warnings(frames));
        }
        r.warnings.extend(missing.clone());
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
            let value = angle_of(subject_channel(criterion.subject, side));
            if value.is_nan() {
                Some((criterion, true))
            } else {
                (!criterion.test.passes(value)).then_some((criterion, false))
            }
        })
        .collect()
}

/// Per frame: whether it counts for `protocol` on `side` (every criterion passes).
pub fn valid_frames(protocol: &Protocol, series: &AngleSeries, side: Side) -> Vec<bool> {
    valid_mask(protocol, series, side).frame_ok
}

/// Per frame: whether every criterion passes. Also the per-criterion failure and unknown counts.
struct Validity {
    frame_ok: Vec<bool>,
    failures: Vec<(usize, usize, f32)>, // (failed, unknown, worst value) per criterion
}

fn subject_channel(subject: Subject, side: Side) -> Channel {
    match subject {
        Subject::SameLeg(angle) => angle.channel(side),
        Subject::OtherLeg(angle) => angle.channel(side.other()),
        Subject::Trunk => Channel::TrunkToVertical,
    }
}

fn valid_mask(protocol: &Protocol, series: &AngleSeries, side: Side) -> Validity {
    let n = series.len();
    let mut frame_ok = vec![true; n];
    let mut failures = Vec::with_capacity(protocol.criteria.len());
    for criterion in protocol.criteria {
        let values = series.channel(subject_channel(criterion.subject, side));
        let (mut failed, mut unknown, mut worst) = (0, 0, f32::NAN);
        for (ok, &v) in frame_ok.iter_mut().zip(values) {
            if v.is_nan() {
                unknown += 1;
                *ok = false;
            } else if !criterion.test.passes(v) {
                failed += 1;
                *ok = false;
                if worst.is_nan() || v.abs() > worst.abs() {
                    worst = v;
                }
            }
        }
        failures.push((failed, unknown, worst));
    }
    Validity { frame_ok, failures }
}

/// The measured value of one frame (negated where the measure says), NaN where missing.
fn measured_values<'a>(
    measure: &Measure,
    series: &'a AngleSeries,
    side: Side,
) -> impl Iterator<Item = f32> + 'a {
    let sign = if measure.negate { -1.0 } else { 1.0 };
    series
        .channel(measure.angle.channel(side))
        .iter()
        .map(move |v| v * sign)
}

fn choose_side(protocol: &Protocol, series: &AngleSeries) -> Side {
    let Some(main) = protocol.measures.first() else {
        return Side::Left;
    };
    let score = |side: Side| -> f32 {
        let mut values: Vec<f32> = match protocol.side_rule {
            SideRule::LowerMedianOf(angle) => series
                .channel(angle.channel(side))
                .iter()
                .map(|v| -v)
                .collect(),
            _ => measured_values(main, series, side).collect(),
        };
        values.retain(|v| !v.is_nan());
        if values.is_empty() {
            return f32::NEG_INFINITY;
        }
        values.sort_by(f32::total_cmp);
        let at = |q: f32| values[((values.len() - 1) as f32 * q).round() as usize];
        match protocol.side_rule {
            SideRule::MostMovement => at(0.95) - at(0.05),
            SideRule::HigherMedian | SideRule::LowerMedianOf(_) => at(0.5),
            SideRule::MostReliable => values.len() as f32,
        }
    };
    if score(Side::Right) > score(Side::Left) {
        Side::Right
    } else {
        Side::Left
    }
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
    let total = series.len();
    // Hold detection looks for a maximum: flip the sign for measures where lower is better.
    let flip = if measure.best == Best::Lowest {
        -1.0
    } else {
        1.0
    };
    let values: Vec<f32> = measured_values(measure, series, side)
        .zip(&validity.frame_ok)
        .map(|(v, &ok)| if ok { v * flip } else { f32::NAN })
        .collect();
    let valid_frames = values.iter().filter(|v| !v.is_nan()).count();
    let peak = values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.is_nan())
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, v)| (i, v * flip));
    let hold = sustained_maximum(&series.time_s, &values, criteria);

    let mut warnings = Vec::new();
    let mut quality = Quality::Good;
    let mut lower = |q: Quality| quality = quality.max_by_severity(q);
    let pct = |count: usize| {
        if total == 0 {
            0.0
        } else {
            100.0 * count as f32 / total as f32
        }
    };

    if total == 0 {
        warnings.push("no frames".to_string());
        lower(Quality::Poor);
    }
    let missing = measured_values(measure, series, side)
        .filter(|v| v.is_nan())
        .count();
    if missing > 0 && total > 0 {
        warnings.push(format!(
            "{} {} unknown in {:.0}% of frames (keypoints not reliable)",
            side.name(),
            measure.name,
            pct(missing)
        ));
    }
    for (criterion, &(failed, unknown, worst)) in protocol.criteria.iter().zip(&validity.failures) {
        if failed > 0 {
            warnings.push(format!(
                "{} in {:.0}% of frames (up to {:.0} deg)",
                criterion.failure,
                pct(failed),
                worst
            ));
            if pct(failed) > 10.0 {
                lower(Quality::Fair);
            }
        }
        if unknown > missing {
            warnings.push(format!(
                "{} in {:.0}% of frames",
                criterion.unknown,
                pct(unknown)
            ));
        }
    }
    let valid_share = if total == 0 {
        0.0
    } else {
        valid_frames as f32 / total as f32
    };
    if valid_share < 0.3 {
        lower(Quality::Poor);
    } else if valid_share < 0.7 {
        lower(Quality::Fair);
    }
    if let Some(spread) = series.lateral_spread {
        if spread > OBLIQUE_SPREAD {
            warnings.push(format!(
                "view looks oblique (left-right spacing {:.0}% of trunk length): turn sideways to the camera",
                100.0 * spread
            ));
            lower(if spread > 0.6 {
                Quality::Poor
            } else {
                Quality::Fair
            });
        }
    }
    if series.swaps_corrected > 0 {
        warnings.push(format!(
            "left and right swapped by the pose model in {} frames (corrected)",
            series.swaps_corrected
        ));
        if pct(series.swaps_corrected) > 10.0 {
            lower(Quality::Fair);
        }
    }
    if series.facing_disagreements > 0 && pct(series.facing_disagreements) > 10.0 {
        warnings.push(format!(
            "facing direction unclear in {:.0}% of frames (the face pointed the other way)",
            pct(series.facing_disagreements)
        ));
        lower(Quality::Fair);
    }
    if hold.is_none() {
        warnings.push(format!(
            "never held for {:.1} s within ±{:.0} deg: no sustained {}",
            criteria.min_hold_s,
            criteria.band_deg,
            if flip > 0.0 { "maximum" } else { "minimum" }
        ));
        lower(Quality::Poor);
    }

    Measurement {
        source: source.to_string(),
        protocol: protocol.id.to_string(),
        measure: measure.name.to_string(),
        side,
        value_deg: hold.map(|h| h.level_deg * flip),
        peak_deg: peak.map(|p| p.1),
        peak_frame: peak.map(|p| p.0),
        hold_s: hold.map_or(0.0, |h| h.duration_s),
        hold_start_s: hold.map(|h| h.start_s),
        hold_end_s: hold.map(|h| h.end_s),
        hold_frame: hold.map(|h| h.frame_index),
        valid_frames,
        total_frames: total,
        quality,
        warnings,
        norm: protocol.norm.to_string(),
        model: model.map(str::to_string),
        people_seen: None,
    }
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
