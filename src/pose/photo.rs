//! Finding the subject in a photo: the person detector chooses who, the single-person model
//! reads them.

use fast_image_resize::Resizer;
use image::RgbImage;

use super::lock::{choose_subject, pose_distance, torso_from_box, torso_length, Pick};
use super::multipose::{Person, PersonDetector};
use super::{
    BodyPart, Keypoint, Pose, PoseError, PoseEstimator, SquareCrop, PERSON_MIN_CONFIDENCE,
};

/// Reads the subject of a photo.
///
/// The single-person model first reads the photo on its own ([`PoseEstimator::estimate`]: the
/// most prominent person). With a person detector and two or more people in the photo, `pick`
/// chooses the subject among them: when the model's reading is of that person it is kept,
/// otherwise the model reads the subject again in a square around the detector's reading
/// ([`PoseEstimator::estimate_near`]). A keypoint that lands on a neighbour rather than on
/// the subject is then replaced by the detector's reading of the subject's keypoint.
///
/// Measured on the development photos with each person cut out at three times their box (so
/// that neighbours are in view), PCK@0.2 of the person at the centre against a single look:
/// crowds of OCHuman 60 against 12 %, CrowdPose 91 against 71 %, COCO val2017 69 against 59 %.
pub struct PhotoReader {
    detector: Option<PersonDetector>,
    pick: Pick,
    resizer: Resizer,
}

/// Side of the square a view of a photo is shown to the detector at, pixels (at most).
const DETECTOR_VIEW_PX: u32 = 512;

impl PhotoReader {
    /// One person per photo: the single-person model alone.
    pub fn single() -> Self {
        PhotoReader {
            detector: None,
            pick: Pick::Center,
            resizer: Resizer::new(),
        }
    }

    /// Several people may be in a photo: `pick` chooses whom to read.
    pub fn multi(detector: PersonDetector, pick: Pick) -> Self {
        PhotoReader {
            detector: Some(detector),
            pick,
            resizer: Resizer::new(),
        }
    }

    /// The subject's pose in `photo`, frame pixels; no person ([`Pose::has_person`] false)
    /// when nobody was found.
    pub fn read(
        &mut self,
        estimator: &mut PoseEstimator,
        photo: &RgbImage,
    ) -> Result<Pose, PoseError> {
        let own = estimator.estimate(photo)?;
        let people = match &mut self.detector {
            Some(detector) => detector.detect(photo)?,
            None => Vec::new(),
        };
        let whole = SquareCrop::letterbox(photo.width(), photo.height(), 1);
        self.choose(estimator, photo, own, &people, whole)
    }

    /// The subject's pose in the square `view` of `photo` (frame pixels, as a box the user or
    /// an annotation gives): [`PhotoReader::read`] as if the photo were that square.
    pub fn read_in(
        &mut self,
        estimator: &mut PoseEstimator,
        photo: &RgbImage,
        view: SquareCrop,
    ) -> Result<Pose, PoseError> {
        let own = estimator.estimate_in_square(photo, view)?;
        let people = match &mut self.detector {
            Some(detector) => {
                // The detector sees the square alone, at a size it reads well (its input is 256
                // pixels), and its readings are mapped back to the photo.
                let side = (view.side_in_frame.round() as u32).clamp(1, DETECTOR_VIEW_PX);
                let square = SquareCrop {
                    input_size: side,
                    ..view
                };
                let mut pixels = RgbImage::new(side, side);
                square.render(photo, &mut self.resizer, &mut pixels);
                let mut people = detector.detect(&pixels)?;
                for person in &mut people {
                    person.map_points(|x, y| square.frame_from_input(x, y));
                }
                people
            }
            None => Vec::new(),
        };
        self.choose(estimator, photo, own, &people, view)
    }

    /// The subject among `people` (the detector's readings of a square `view` of `photo`),
    /// given the model's own reading `own` of that square.
    fn choose(
        &self,
        estimator: &mut PoseEstimator,
        photo: &RgbImage,
        own: Pose,
        people: &[Person],
        view: SquareCrop,
    ) -> Result<Pose, PoseError> {
        if people.len() < 2 {
            return Ok(own);
        }
        let read_by_model = own
            .has_person()
            .then(|| same_person(&own, people))
            .flatten();
        let centre =
            view.frame_from_input(0.5 * view.input_size as f32, 0.5 * view.input_size as f32);
        let subject = match self.pick {
            // The person at the view's centre; the model's own reading when it read one of
            // the people whose box holds the centre (a box's centre is a poor guide for a
            // person cut off by the edge or bent over).
            Pick::Center => match read_by_model {
                Some(i) if people[i].bbox.contains(centre.0, centre.1) => Some(i),
                _ => {
                    let off = |(x, y): (f32, f32)| (x - centre.0).hypot(y - centre.1);
                    let nearest = people
                        .iter()
                        .enumerate()
                        .min_by(|a, b| off(a.1.bbox.centre()).total_cmp(&off(b.1.bbox.centre())))
                        .map(|(i, _)| i);
                    // The detector misses people the model reads (cut off by the edge, seen
                    // from behind): keep the model's reading when it is the nearer.
                    let own_nearer = read_by_model.is_none()
                        && body_centre(&own).is_some_and(|own_centre| {
                            nearest.is_some_and(|i| off(own_centre) < off(people[i].bbox.centre()))
                        });
                    if own_nearer {
                        return Ok(own);
                    }
                    nearest
                }
            },
            pick => choose_subject(people, pick, photo.width(), photo.height()),
        };
        let Some(subject) = subject else {
            return Ok(own);
        };
        let pose = if read_by_model == Some(subject) {
            own
        } else {
            estimator.estimate_near(photo, &people[subject].pose, view)?
        };
        Ok(without_neighbours(pose, subject, people))
    }
}

/// Largest distance (torso lengths) between the model's reading and a detection of the same
/// person.
const SAME_PERSON: f32 = 0.5;

/// The detected person that `pose` reads, if one is near enough.
fn same_person(pose: &Pose, people: &[Person]) -> Option<usize> {
    people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let torso = torso_length(&p.pose).unwrap_or_else(|| torso_from_box(p.bbox));
            (i, pose_distance(pose, &p.pose, torso))
        })
        .filter(|&(_, d)| d <= SAME_PERSON)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Keypoint confidence from which the detector's reading of a keypoint is trusted.
const DETECTED_MIN_CONFIDENCE: f32 = 0.3;
/// A keypoint nearer than this to a neighbour's same keypoint (in the subject's torso lengths)
/// may be the neighbour's.
const ON_NEIGHBOUR: f32 = 0.15;
/// ...and it is taken as the neighbour's when it is this many times farther from the
/// detector's reading of the subject's keypoint...
const FARTHER_FROM_SUBJECT: f32 = 3.0;
/// ...and more than this many torso lengths from it (nearer, both readings may be of the
/// subject: measured, replacing those too made a person's knees worse than they were).
const OFF_SUBJECT: f32 = 1.0;

/// `pose` (the single-person model's reading of `people[subject]`) with each keypoint that the
/// detector places on a neighbour, not on the subject, replaced by the detector's reading of
/// the subject's keypoint.
fn without_neighbours(mut pose: Pose, subject: usize, people: &[Person]) -> Pose {
    let detected = &people[subject].pose;
    let Some(torso) = torso_length(detected).or_else(|| torso_length(&pose)) else {
        return pose;
    };
    let mut changed = false;
    for part in BodyPart::ALL {
        let k = pose.get(part);
        let own = detected.get(part);
        if own.confidence < DETECTED_MIN_CONFIDENCE {
            continue;
        }
        let from_own = distance(k, own);
        let on_neighbour = people.iter().enumerate().any(|(i, other)| {
            let theirs = other.pose.get(part);
            i != subject
                && theirs.confidence >= DETECTED_MIN_CONFIDENCE
                && distance(k, theirs) < ON_NEIGHBOUR * torso
                && from_own > FARTHER_FROM_SUBJECT * distance(k, theirs).max(0.05 * torso)
                && from_own > OFF_SUBJECT * torso
        });
        if on_neighbour {
            pose.keypoints[part.index()] = own;
            changed = true;
        }
    }
    if changed {
        pose = Pose::from_keypoints(pose.keypoints);
    }
    pose
}

/// The mean of a pose's confident keypoints, frame pixels (None without a person).
fn body_centre(pose: &Pose) -> Option<(f32, f32)> {
    if !pose.has_person() {
        return None;
    }
    let found: Vec<&Keypoint> = pose
        .keypoints
        .iter()
        .filter(|k| k.confidence >= PERSON_MIN_CONFIDENCE)
        .collect();
    let n = found.len() as f32;
    Some((
        found.iter().map(|k| k.x).sum::<f32>() / n,
        found.iter().map(|k| k.y).sum::<f32>() / n,
    ))
}

fn distance(a: Keypoint, b: Keypoint) -> f32 {
    (a.x - b.x).hypot(a.y - b.y)
}
