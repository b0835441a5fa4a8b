//! PCK, normalised keypoint error and joint-angle error.

use serde::Serialize;

use super::{CocoPerson, PoseType};
use crate::angles::geometry::{interior_angle_deg, knee_flexion_deg, Point};
use crate::angles::joints::{Side, SideParts};
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
}
