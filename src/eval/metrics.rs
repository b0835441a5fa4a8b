//! PCK, normalised keypoint error and joint-angle error.

use std::collections::HashMap;

use serde::Serialize;

use super::{CocoPerson, PoseType};
use crate::angles::geometry::{interior_angle_deg, knee_flexion_deg, Point};
use crate::angles::joints::{Side, SideParts, DEFAULT_MIN_CONFIDENCE};
use crate::pose::{overlong_limb, BodyPart, OverlongLimb, Pose, KEYPOINT_COUNT, KEYPOINT_NAMES};

/// PCK threshold as a fraction of torso length.
pub const PCK_THRESHOLD: f32 = 0.2;

/// One evaluated person.
#[derive(Debug, Clone, Serialize)]
pub struct PersonResult {
    pub image: String,
    pub annotation_id: u64,
    /// The kind of pose the annotation shows, as the photo was taken.
    pub pose_type: PoseType,
    /// Mid-shoulder to mid-hip distance of the annotation, pixels; None when those points are
    /// not labelled (the person then counts for angles only).
    pub torso_px: Option<f32>,
    /// Distance of each labelled keypoint to its annotation, pixels.
    pub distance_px: [Option<f32>; KEYPOINT_COUNT],
    /// Predicted minus annotated knee flexion, degrees, for the left and right leg.
    pub knee_flexion_error_deg: [Option<f32>; 2],
    /// Predicted minus annotated hip angle (shoulder-hip-knee), degrees, left and right.
    pub hip_angle_error_deg: [Option<f32>; 2],
    /// Model runs spent on this person (one per crop or quarter turn looked at).
    pub model_runs: u64,
    /// The leg segment that makes the reading implausible, if one does (see
    /// [`overlong_limb`]): gonio's warning, judged without the annotation.
    pub overlong_limb: Option<OverlongLimb>,
    /// What gonio read, per keypoint in COCO order: x and y in pixels of the photo as evaluated
    /// (after any turn), and the model's confidence 0..1.
    pub predicted: [[f32; 3]; KEYPOINT_COUNT],
}

/// Absolute-error statistics.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct ErrorStats {
    pub count: usize,
    pub mean: f32,
    pub median: f32,
    pub p90: f32,
}

/// The angle errors of the people of one [`PoseType`].
#[derive(Debug, Clone, Serialize)]
pub struct PoseTypeFigures {
    pub pose_type: PoseType,
    pub people: usize,
    /// Absolute knee-flexion error, degrees.
    pub knee_flexion_error_deg: ErrorStats,
    /// Absolute hip-angle error (shoulder-hip-knee), degrees.
    pub hip_angle_error_deg: ErrorStats,
    /// Mean model runs per person.
    pub model_runs_per_person: f32,
}

/// The figures of one evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub people: usize,
    /// People whose torso is labelled, over whom PCK and normalised error are computed.
    pub people_with_torso: usize,
    /// PCK@0.2 per keypoint in COCO order (fraction 0..1), None where no labelled instance.
    pub pck_per_keypoint: [Option<f32>; KEYPOINT_COUNT],
    /// Labelled instances behind each PCK figure.
    pub labelled_per_keypoint: [usize; KEYPOINT_COUNT],
    /// PCK@0.2 over all labelled keypoints (fraction 0..1).
    pub pck: f32,
    /// Per-person mean keypoint distance over torso length, statistics over people.
    pub normalized_error: ErrorStats,
    /// Absolute knee-flexion error, degrees, over legs with hip, knee and ankle labelled.
    pub knee_flexion_error_deg: ErrorStats,
    /// Absolute hip-angle error (shoulder-hip-knee), degrees.
    pub hip_angle_error_deg: ErrorStats,
    /// Absolute knee-flexion error, degrees, over the legs whose predicted hip, knee and ankle
    /// all have a confidence of [`DEFAULT_MIN_CONFIDENCE`] or more: the angles gonio's
    /// protocols would use. Its count against `knee_flexion_error_deg`'s is the coverage.
    pub confident_knee_flexion_error_deg: ErrorStats,
    /// Absolute hip-angle error, degrees, where the predicted shoulder, hip and knee are all
    /// that confident.
    pub confident_hip_angle_error_deg: ErrorStats,
    /// Mean model runs per person: the cost of finding the upright view.
    pub model_runs_per_person: f32,
    /// The angle errors per kind of pose, for the types with at least one person.
    pub per_pose_type: Vec<PoseTypeFigures>,
    /// The angle errors of the readings gonio flags as implausible against the rest's: what
    /// the warning is worth.
    pub implausible: FlaggedFigures,
    pub per_person: Vec<PersonResult>,
}

/// Angle errors of the readings with an [`OverlongLimb`] and of the others.
#[derive(Debug, Clone, Serialize)]
pub struct FlaggedFigures {
    /// People whose reading is flagged.
    pub flagged: usize,
    /// Absolute knee-flexion error of the flagged readings, degrees.
    pub flagged_knee_flexion_error_deg: ErrorStats,
    /// Absolute hip-angle error of the flagged readings, degrees.
    pub flagged_hip_angle_error_deg: ErrorStats,
    /// Absolute knee-flexion error of the other readings, degrees.
    pub other_knee_flexion_error_deg: ErrorStats,
    /// Absolute hip-angle error of the other readings, degrees.
    pub other_hip_angle_error_deg: ErrorStats,
}

impl PersonResult {
    /// Compares `predicted` (found with `model_runs` model runs) with the annotation `truth`, a
    /// body in a pose of `pose_type`.
    pub fn new(
        image: &str,
        truth: &CocoPerson,
        pose_type: PoseType,
        predicted: &Pose,
        model_runs: u64,
    ) -> Self {
        use BodyPart::*;
        let gt = |p: BodyPart| truth.labelled(p.index());
        let pred = |p: BodyPart| {
            let k = predicted.get(p);
            (k.x, k.y)
        };
        let torso_px = match (
            gt(LeftShoulder),
            gt(RightShoulder),
            gt(LeftHip),
            gt(RightHip),
        ) {
            (Some(ls), Some(rs), Some(lh), Some(rh)) => {
                Some(distance(midpoint(ls, rs), midpoint(lh, rh)))
            }
            _ => None,
        }
        .filter(|&t| t > 1.0);
        let mut distance_px = [None; KEYPOINT_COUNT];
        for part in BodyPart::ALL {
            distance_px[part.index()] = gt(part).map(|g| distance(g, pred(part)));
        }
        let mut knee_flexion_error_deg = [None; 2];
        let mut hip_angle_error_deg = [None; 2];
        // In Side::BOTH's order: left, right.
        for (
            side,
            SideParts {
                shoulder,
                hip,
                knee,
                ankle,
            },
        ) in Side::BOTH.map(Side::parts).into_iter().enumerate()
        {
            if let (Some(h), Some(k), Some(a)) = (gt(hip), gt(knee), gt(ankle)) {
                knee_flexion_error_deg[side] = knee_flexion_deg(h, k, a)
                    .zip(knee_flexion_deg(pred(hip), pred(knee), pred(ankle)))
                    .map(|(t, p)| p - t);
            }
            if let (Some(s), Some(h), Some(k)) = (gt(shoulder), gt(hip), gt(knee)) {
                hip_angle_error_deg[side] = interior_angle_deg(s, h, k)
                    .zip(interior_angle_deg(pred(shoulder), pred(hip), pred(knee)))
                    .map(|(t, p)| p - t);
            }
        }
        PersonResult {
            image: image.to_string(),
            annotation_id: truth.id,
            pose_type,
            torso_px,
            distance_px,
            knee_flexion_error_deg,
            hip_angle_error_deg,
            model_runs,
            overlong_limb: overlong_limb(predicted),
            predicted: predicted.keypoints.map(|k| [k.x, k.y, k.confidence]),
        }
    }
}

impl EvalReport {
    pub fn from_people(per_person: Vec<PersonResult>) -> Self {
        let mut hits = [0usize; KEYPOINT_COUNT];
        let mut labelled = [0usize; KEYPOINT_COUNT];
        let mut normalized = Vec::new();
        for person in &per_person {
            let Some(torso) = person.torso_px else {
                continue;
            };
            let mut sum = 0.0;
            let mut n = 0;
            for (i, d) in person.distance_px.iter().enumerate() {
                if let Some(d) = d {
                    labelled[i] += 1;
                    hits[i] += usize::from(*d <= PCK_THRESHOLD * torso);
                    sum += d / torso;
                    n += 1;
                }
            }
            if n > 0 {
                normalized.push(sum / n as f32);
            }
        }
        let pck_per_keypoint =
            std::array::from_fn(|i| (labelled[i] > 0).then(|| hits[i] as f32 / labelled[i] as f32));
        let total_labelled: usize = labelled.iter().sum();
        let pck = if total_labelled > 0 {
            hits.iter().sum::<usize>() as f32 / total_labelled as f32
        } else {
            0.0
        };
        let per_pose_type = PoseType::ALL
            .into_iter()
            .filter_map(|pose_type| {
                let people: Vec<&PersonResult> = per_person
                    .iter()
                    .filter(|p| p.pose_type == pose_type)
                    .collect();
                (!people.is_empty()).then(|| PoseTypeFigures {
                    pose_type,
                    people: people.len(),
                    knee_flexion_error_deg: angle_errors(&people, |p| p.knee_flexion_error_deg),
                    hip_angle_error_deg: angle_errors(&people, |p| p.hip_angle_error_deg),
                    model_runs_per_person: mean_runs(&people),
                })
            })
            .collect();
        let everyone: Vec<&PersonResult> = per_person.iter().collect();
        let (flagged, others): (Vec<&PersonResult>, Vec<&PersonResult>) =
            everyone.iter().partition(|p| p.overlong_limb.is_some());
        let implausible = FlaggedFigures {
            flagged: flagged.len(),
            flagged_knee_flexion_error_deg: angle_errors(&flagged, |p| p.knee_flexion_error_deg),
            flagged_hip_angle_error_deg: angle_errors(&flagged, |p| p.hip_angle_error_deg),
            other_knee_flexion_error_deg: angle_errors(&others, |p| p.knee_flexion_error_deg),
            other_hip_angle_error_deg: angle_errors(&others, |p| p.hip_angle_error_deg),
        };
        EvalReport {
            people: per_person.len(),
            people_with_torso: normalized.len(),
            pck_per_keypoint,
            labelled_per_keypoint: labelled,
            pck,
            normalized_error: ErrorStats::of(normalized),
            knee_flexion_error_deg: angle_errors(&everyone, |p| p.knee_flexion_error_deg),
            hip_angle_error_deg: angle_errors(&everyone, |p| p.hip_angle_error_deg),
            confident_knee_flexion_error_deg: confident_angle_errors(
                &everyone,
                |p| p.knee_flexion_error_deg,
                knee_parts,
            ),
            confident_hip_angle_error_deg: confident_angle_errors(
                &everyone,
                |p| p.hip_angle_error_deg,
                hip_parts,
            ),
            model_runs_per_person: mean_runs(&everyone),
            per_pose_type,
            implausible,
            per_person,
        }
    }

    /// (name, PCK, labelled count) per keypoint, for tables.
    pub fn pck_rows(&self) -> impl Iterator<Item = (&'static str, Option<f32>, usize)> + '_ {
        (0..KEYPOINT_COUNT).map(|i| {
            (
                KEYPOINT_NAMES[i],
                self.pck_per_keypoint[i],
                self.labelled_per_keypoint[i],
            )
        })
    }
}

impl ErrorStats {
    /// Statistics of non-negative values; all zero for an empty set.
    pub fn of(mut values: Vec<f32>) -> Self {
        if values.is_empty() {
            return ErrorStats::default();
        }
        values.sort_by(f32::total_cmp);
        ErrorStats {
            count: values.len(),
            mean: values.iter().sum::<f32>() / values.len() as f32,
            median: percentile(&values, 0.5),
            p90: percentile(&values, 0.9),
        }
    }
}

/// Statistics of the absolute angle errors `of` each person gives (both sides).
fn angle_errors(people: &[&PersonResult], of: fn(&PersonResult) -> [Option<f32>; 2]) -> ErrorStats {
    ErrorStats::of(
        people
            .iter()
            .flat_map(|p| of(p))
            .flatten()
            .map(f32::abs)
            .collect(),
    )
}

/// [`angle_errors`] over the sides whose three `parts` gonio read with a confidence of
/// [`DEFAULT_MIN_CONFIDENCE`] or more.
fn confident_angle_errors(
    people: &[&PersonResult],
    of: fn(&PersonResult) -> [Option<f32>; 2],
    parts: fn(&SideParts) -> [BodyPart; 3],
) -> ErrorStats {
    ErrorStats::of(
        people
            .iter()
            .flat_map(|p| {
                of(p)
                    .into_iter()
                    .zip(Side::BOTH)
                    .filter_map(|(error, side)| {
                        error.filter(|_| confident(p, parts(&side.parts())))
                    })
            })
            .map(f32::abs)
            .collect(),
    )
}

/// The keypoints a side's knee flexion is measured from: hip, knee, ankle.
fn knee_parts(side: &SideParts) -> [BodyPart; 3] {
    [side.hip, side.knee, side.ankle]
}

/// The keypoints a side's hip angle is measured from: shoulder, hip, knee.
fn hip_parts(side: &SideParts) -> [BodyPart; 3] {
    [side.shoulder, side.hip, side.knee]
}

/// Whether gonio read all three `parts` of `person` with a confidence of
/// [`DEFAULT_MIN_CONFIDENCE`] or more.
fn confident(person: &PersonResult, parts: [BodyPart; 3]) -> bool {
    parts
        .iter()
        .all(|part| person.predicted[part.index()][2] >= DEFAULT_MIN_CONFIDENCE)
}

/// Person by person, how gonio's angle errors compare with a reference method's read of the
/// same people. One person moves the mean of a set of four by tens of degrees; the count of
/// people each method reads better does not hang on one. Descriptive: the pipeline's rules were
/// chosen on the development sets these figures usually come from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct PairedFigures {
    /// Errors closer than this are the same, degrees.
    pub margin_deg: f32,
    /// People compared by their knee-flexion error.
    pub knee_flexion: PairedCounts,
    /// People compared by their hip-angle error.
    pub hip_angle: PairedCounts,
    /// The knee-flexion errors of the legs both methods read from confident keypoints.
    pub confident_knee_flexion: SharedAngles,
    /// The hip-angle errors of the sides both methods read from confident keypoints.
    pub confident_hip_angle: SharedAngles,
}

/// Absolute errors, degrees, of the same angles as read by gonio and by the reference: the
/// angles both read from keypoints at [`DEFAULT_MIN_CONFIDENCE`] or more, so that the two
/// statistics compare like with like (the `confident_*` figures of each report cover
/// different angles).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct SharedAngles {
    pub gonio_deg: ErrorStats,
    pub reference_deg: ErrorStats,
}

/// People whose angle error (the mean absolute error of the sides annotated and read by both
/// methods, degrees; each person counts once, as their two legs come from one reading) is
/// lower with gonio than with the reference by more than the margin (`better`), higher by more
/// (`worse`), or neither (`same`). Serialized with [`PairedCounts::worse_p`] beside them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairedCounts {
    /// People gonio reads better, count.
    pub better: usize,
    /// People gonio reads worse, count.
    pub worse: usize,
    /// People both read within the margin, count.
    pub same: usize,
}

impl PairedFigures {
    /// Errors this close are the same, degrees: about the spread of two clinicians'
    /// goniometer readings of one joint.
    pub const MARGIN_DEG: f32 = 5.0;

    /// Compares `gonio` with `reference`, two evaluations of the same annotated people (people
    /// are matched by annotation and photo; one found in only one of them is left out).
    pub fn of(gonio: &EvalReport, reference: &EvalReport) -> Self {
        let mut knee_flexion = PairedCounts::default();
        let mut hip_angle = PairedCounts::default();
        // (gonio's, the reference's) absolute errors of the shared confident angles.
        let mut shared_knees: (Vec<f32>, Vec<f32>) = Default::default();
        let mut shared_hips: (Vec<f32>, Vec<f32>) = Default::default();
        // By annotation and photo; the first of any repeated one, as a search would find it.
        let mut references: HashMap<(u64, &str), &PersonResult> = HashMap::new();
        for r in &reference.per_person {
            references
                .entry((r.annotation_id, r.image.as_str()))
                .or_insert(r);
        }
        for ours in &gonio.per_person {
            let Some(&theirs) = references.get(&(ours.annotation_id, ours.image.as_str())) else {
                continue;
            };
            knee_flexion.add(ours.knee_flexion_error_deg, theirs.knee_flexion_error_deg);
            hip_angle.add(ours.hip_angle_error_deg, theirs.hip_angle_error_deg);
            for (side, parts) in Side::BOTH.map(Side::parts).into_iter().enumerate() {
                for (errors, o, t, parts) in [
                    (
                        &mut shared_knees,
                        ours.knee_flexion_error_deg[side],
                        theirs.knee_flexion_error_deg[side],
                        knee_parts(&parts),
                    ),
                    (
                        &mut shared_hips,
                        ours.hip_angle_error_deg[side],
                        theirs.hip_angle_error_deg[side],
                        hip_parts(&parts),
                    ),
                ] {
                    let both_confident = confident(ours, parts) && confident(theirs, parts);
                    if let Some((o, t)) = o.zip(t).filter(|_| both_confident) {
                        errors.0.push(o.abs());
                        errors.1.push(t.abs());
                    }
                }
            }
        }
        let shared = |(gonio, reference): (Vec<f32>, Vec<f32>)| SharedAngles {
            gonio_deg: ErrorStats::of(gonio),
            reference_deg: ErrorStats::of(reference),
        };
        PairedFigures {
            margin_deg: Self::MARGIN_DEG,
            knee_flexion,
            hip_angle,
            confident_knee_flexion: shared(shared_knees),
            confident_hip_angle: shared(shared_hips),
        }
    }
}

impl Serialize for PairedCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("PairedCounts", 4)?;
        s.serialize_field("better", &self.better)?;
        s.serialize_field("worse", &self.worse)?;
        s.serialize_field("same", &self.same)?;
        s.serialize_field("worse_p", &self.worse_p())?;
        s.end()
    }
}

impl PairedCounts {
    /// The chance of this many `worse` or more among the people read differently (`better` +
    /// `worse`) if gonio and the reference were equally good: the one-sided sign test, 0..1
    /// (1 when none differ). Under 0.05, gonio reads more people worse than chance explains;
    /// over it, the figures do not show that gonio is worse, which is not showing it is as
    /// good (with five people or fewer read differently it is never under 0.05).
    pub fn worse_p(&self) -> f64 {
        let n = self.better + self.worse;
        // Binomial(n, 1/2) probabilities in logs, so that a large n does not underflow.
        let mut ln_pmf = -(n as f64) * std::f64::consts::LN_2;
        let mut tail = 0.0;
        for k in 0..=n {
            if k >= self.worse {
                tail += ln_pmf.exp();
            }
            ln_pmf += ((n - k) as f64 / (k + 1) as f64).ln();
        }
        tail.min(1.0)
    }

    /// Counts one person, given both methods' errors for their left and right side.
    fn add(&mut self, ours: [Option<f32>; 2], theirs: [Option<f32>; 2]) {
        let both: Vec<(f32, f32)> = ours
            .into_iter()
            .zip(theirs)
            .filter_map(|(o, t)| o.zip(t))
            .collect();
        if both.is_empty() {
            return;
        }
        let gain = both.iter().map(|(o, t)| t.abs() - o.abs()).sum::<f32>() / both.len() as f32;
        if gain > PairedFigures::MARGIN_DEG {
            self.better += 1;
        } else if gain < -PairedFigures::MARGIN_DEG {
            self.worse += 1;
        } else {
            self.same += 1;
        }
    }
}

/// Mean model runs per person; 0 for nobody.
fn mean_runs(people: &[&PersonResult]) -> f32 {
    people.iter().map(|p| p.model_runs as f32).sum::<f32>() / people.len().max(1) as f32
}

/// Linear-interpolated percentile of sorted values, `q` in 0..1.
fn percentile(sorted: &[f32], q: f32) -> f32 {
    let pos = q * (sorted.len() - 1) as f32;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f32)
}

fn midpoint(a: Point, b: Point) -> Point {
    ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0)
}

fn distance(a: Point, b: Point) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let s = ErrorStats::of(vec![4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!((s.count, s.mean, s.median), (5, 3.0, 3.0));
        assert!((s.p90 - 4.6).abs() < 1e-5);
        assert_eq!(ErrorStats::of(vec![]), ErrorStats::default());
    }

    /// A person read with every keypoint at `confidence`, with these angle errors.
    fn person(
        id: u64,
        knee: [Option<f32>; 2],
        hip: [Option<f32>; 2],
        confidence: f32,
    ) -> PersonResult {
        PersonResult {
            image: "a.jpg".into(),
            annotation_id: id,
            pose_type: PoseType::Upright,
            torso_px: None,
            distance_px: [None; KEYPOINT_COUNT],
            knee_flexion_error_deg: knee,
            hip_angle_error_deg: hip,
            model_runs: 1,
            overlong_limb: None,
            predicted: [[0.0, 0.0, confidence]; KEYPOINT_COUNT],
        }
    }

    #[test]
    fn confident_angles_leave_out_the_guessed_keypoints() {
        let mut guessed_knee = person(2, [Some(-40.0), Some(2.0)], [Some(30.0), None], 0.9);
        // The left knee guessed: both left angles go, the right ones stay.
        guessed_knee.predicted[BodyPart::LeftKnee.index()][2] = 0.1;
        let report = EvalReport::from_people(vec![
            person(1, [Some(4.0), None], [Some(-6.0), Some(8.0)], 0.9),
            guessed_knee,
            person(3, [Some(90.0), Some(80.0)], [Some(70.0), Some(60.0)], 0.2),
        ]);
        assert_eq!(report.knee_flexion_error_deg.count, 5);
        assert_eq!(report.confident_knee_flexion_error_deg.count, 2);
        assert_eq!(report.confident_knee_flexion_error_deg.mean, 3.0);
        assert_eq!(report.hip_angle_error_deg.count, 5);
        assert_eq!(report.confident_hip_angle_error_deg.count, 2);
        assert_eq!(report.confident_hip_angle_error_deg.mean, 7.0);
    }

    #[test]
    fn paired_figures_count_each_person_once() {
        let gonio = EvalReport::from_people(vec![
            person(1, [Some(2.0), Some(-30.0)], [Some(1.0), None], 0.9),
            person(2, [Some(10.0), None], [Some(-4.0), Some(9.0)], 0.9),
            person(4, [Some(1.0), Some(1.0)], [None, None], 0.9),
        ]);
        let reference = EvalReport::from_people(vec![
            person(2, [Some(-16.0), Some(3.0)], [Some(8.0), Some(1.0)], 0.9),
            person(1, [Some(20.0), Some(31.0)], [Some(-1.0), Some(5.0)], 0.9),
            person(3, [Some(50.0), Some(50.0)], [None, None], 0.9),
        ]);
        let paired = PairedFigures::of(&gonio, &reference);
        // Knees, one count per person: person 1 has errors 2 and 30 against 20 and 31, a mean
        // gain of 9.5, better; person 2 has 10 against 16 (its right knee read by the reference
        // only), better. Person 4 is not in the reference, person 3 not in gonio's.
        assert_eq!(
            paired.knee_flexion,
            PairedCounts {
                better: 2,
                worse: 0,
                same: 0
            }
        );
        // Hips: person 1 has 1 against 1, the same; person 2 has 4 and 9 against 8 and 1, a
        // mean loss of 2, the same.
        assert_eq!(
            paired.hip_angle,
            PairedCounts {
                better: 0,
                worse: 0,
                same: 2
            }
        );
        // Every keypoint is confident here, so the shared angles are those both read: knees 2,
        // 30 and 10 against 20, 31 and 16.
        assert_eq!(paired.confident_knee_flexion.gonio_deg.count, 3);
        assert_eq!(paired.confident_knee_flexion.gonio_deg.mean, 14.0);
        assert_eq!(paired.confident_knee_flexion.reference_deg.mean, 67.0 / 3.0);
        // A person read worse on one side by more than twice the margin, the same on the other.
        let gonio =
            EvalReport::from_people(vec![person(1, [Some(13.0), Some(2.0)], [None; 2], 0.9)]);
        let reference =
            EvalReport::from_people(vec![person(1, [Some(1.0), Some(3.0)], [None; 2], 0.9)]);
        assert_eq!(
            PairedFigures::of(&gonio, &reference).knee_flexion,
            PairedCounts {
                better: 0,
                worse: 1,
                same: 0
            }
        );
    }

    #[test]
    fn shared_angles_are_those_both_read_confidently() {
        let mut ours = person(1, [Some(3.0), Some(4.0)], [Some(5.0), Some(6.0)], 0.9);
        let mut theirs = person(1, [Some(30.0), Some(40.0)], [Some(50.0), Some(60.0)], 0.9);
        // gonio unsure of the left ankle (the left knee angle goes), the reference of the
        // right shoulder (the right hip angle goes).
        ours.predicted[BodyPart::LeftAnkle.index()][2] = 0.2;
        theirs.predicted[BodyPart::RightShoulder.index()][2] = 0.1;
        let paired = PairedFigures::of(
            &EvalReport::from_people(vec![ours]),
            &EvalReport::from_people(vec![theirs]),
        );
        let knees = paired.confident_knee_flexion;
        assert_eq!((knees.gonio_deg.count, knees.gonio_deg.mean), (1, 4.0));
        assert_eq!(knees.reference_deg.mean, 40.0);
        let hips = paired.confident_hip_angle;
        assert_eq!((hips.gonio_deg.count, hips.gonio_deg.mean), (1, 5.0));
        assert_eq!(hips.reference_deg.mean, 50.0);
    }

    #[test]
    fn the_sign_test_gives_binomial_tails() {
        let p = |better, worse| {
            PairedCounts {
                better,
                worse,
                same: 3,
            }
            .worse_p()
        };
        assert_eq!(p(0, 0), 1.0);
        assert!((p(0, 1) - 0.5).abs() < 1e-12);
        assert!((p(1, 1) - 0.75).abs() < 1e-12);
        // P(X >= 9) for X ~ Binomial(14, 1/2) = 3473 / 16384.
        assert!((p(5, 9) - 3473.0 / 16384.0).abs() < 1e-12);
        assert!((p(0, 5) - 1.0 / 32.0).abs() < 1e-12);
        assert!(p(400, 0) == 1.0 && p(0, 400) > 0.0 && p(0, 400) < 1e-100);
    }
}
