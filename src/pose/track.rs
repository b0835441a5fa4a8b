//! Following the subject from frame to frame in a video.

use image::RgbImage;

use super::multipose::{BoxInFrame, Person, PersonDetector};
use super::{BodyPart, Keypoint, Pose, PoseError, PoseEstimator};

/// Tracks one person through a video: each frame is cropped around the previous frame's
/// keypoints (with room for the limbs to move), so the person fills the model's input instead of
/// being squeezed out of a whole frame, and turned so that a body lying down stands upright in
/// the model input; when the person is lost, the whole frame is searched again.
#[derive(Debug, Default, Clone)]
pub struct SubjectTracker {
    last: Option<Pose>,
    /// Frames in which the track was lost and the whole frame searched.
    pub searches: usize,
}

impl SubjectTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// The subject's pose in this frame (frame pixels). A pose without a person
    /// ([`Pose::has_person`] false) means nobody was found even by a whole-frame search.
    pub fn next(
        &mut self,
        estimator: &mut PoseEstimator,
        frame: &RgbImage,
    ) -> Result<Pose, PoseError> {
        if let Some(previous) = self.last {
            if let Some(pose) = estimator.estimate_around(frame, &previous)? {
                if pose.has_person() {
                    self.last = Some(pose);
                    return Ok(pose);
                }
            }
        }
        self.searches += 1;
        let pose = estimator.estimate(frame)?;
        self.last = pose.has_person().then_some(pose);
        Ok(pose)
    }

    /// Forgets the subject (a new video).
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// The posture a protocol's subject is in, for choosing the subject among several people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posture {
    /// Lying on a table or the floor (trunk within 35 degrees of horizontal).
    Lying,
    /// Kneeling or lunging: trunk upright, a knee bent more than 60 degrees.
    Kneeling,
    /// Standing: trunk within 35 degrees of vertical, knees nearly straight.
    Standing,
}

/// How the subject is chosen among the people in view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pick {
    /// The person in the protocol's posture (the patient lying on the table while the
    /// therapist stands); the largest when none or several are.
    Auto(Posture),
    /// The largest person (longest torso: nearest the camera).
    Largest,
    /// The leftmost person in the picture.
    Left,
    /// The rightmost person in the picture.
    Right,
    /// The person nearest the centre of the picture.
    Center,
    /// The person at this point of the frame (pixels), for example where the user clicked.
    At(f32, f32),
}

/// The subject in one frame, and how sure the lock is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    /// The subject's pose, frame pixels; no person ([`Pose::has_person`] false) when the
    /// subject was not found in this frame.
    pub pose: Pose,
    /// The subject's id, the same for as long as it is followed; a new id means another person
    /// was chosen (a new lock).
    pub subject_id: Option<u32>,
    /// People the detector saw in this frame.
    pub people: usize,
    /// Another person was about as likely to be the subject as the one chosen (two bodies
    /// overlapping), or the single-person model drifted onto another body and was overruled.
    pub ambiguous: bool,
}

impl Found {
    /// A pose found with one person assumed in view (no detector).
    pub fn alone(pose: Pose) -> Found {
        let person = pose.has_person();
        Found {
            pose,
            subject_id: person.then_some(1),
            people: usize::from(person),
            ambiguous: false,
        }
    }
}

/// Keypoint confidence for matching people between frames.
const MATCH_MIN_CONFIDENCE: f32 = 0.3;
/// A person whose keypoints moved on average more than this (in torso lengths) since the last
/// frame is not the subject.
const MAX_MATCH_DISTANCE: f32 = 0.8;
/// A rival within this factor of the best match's distance makes the frame ambiguous.
const AMBIGUITY_RATIO: f32 = 1.5;
/// With the subject alone in view, the detector looks for newcomers every this many frames
/// (about 0.15 s at 30 frames/s); with others in view, it runs on every frame.
const DETECT_EVERY_ALONE: usize = 5;
/// Frames the subject may go unseen before it is chosen afresh.
const MAX_MISSED_FRAMES: usize = 30;

/// A torso length guessed from a body's box, pixels: for a person without confident shoulders
/// and hips.
fn torso_from_box(bbox: BoxInFrame) -> f32 {
    0.3 * bbox.width().hypot(bbox.height())
}

/// Mid-shoulder to mid-hip distance of a pose, pixels (None without those keypoints).
fn torso_length(pose: &Pose) -> Option<f32> {
    let mid = |a: BodyPart, b: BodyPart| {
        let (ka, kb) = (pose.get(a), pose.get(b));
        (ka.confidence >= MATCH_MIN_CONFIDENCE && kb.confidence >= MATCH_MIN_CONFIDENCE)
            .then(|| ((ka.x + kb.x) / 2.0, (ka.y + kb.y) / 2.0))
    };
    let shoulders = mid(BodyPart::LeftShoulder, BodyPart::RightShoulder)?;
    let hips = mid(BodyPart::LeftHip, BodyPart::RightHip)?;
    let length = (shoulders.0 - hips.0).hypot(shoulders.1 - hips.1);
    (length > 1.0).then_some(length)
}

/// How far apart two poses of (maybe) the same person are: the mean distance of the keypoints
/// confident in both, in units of `scale` pixels. Left and right are compared both ways round
/// (a model may swap them) and the nearer reading taken. Infinite with fewer than 4 keypoints in
/// common.
fn pose_distance(a: &Pose, b: &Pose, scale: f32) -> f32 {
    let mean = |mirror: bool| {
        let (mut sum, mut count) = (0.0, 0);
        for part in BodyPart::ALL {
            let other = if mirror { part.mirrored() } else { part };
            let (ka, kb) = (a.get(part), b.get(other));
            if ka.confidence >= MATCH_MIN_CONFIDENCE && kb.confidence >= MATCH_MIN_CONFIDENCE {
                sum += (ka.x - kb.x).hypot(ka.y - kb.y);
                count += 1;
            }
        }
        if count >= 4 {
            sum / count as f32 / scale.max(1.0)
        } else {
            f32::INFINITY
        }
    };
    mean(false).min(mean(true))
}

/// The trunk's angle from vertical, degrees (0 upright, 90 lying), and the larger knee bend,
/// degrees (0 straight); None without shoulders and hips.
fn trunk_and_knee(pose: &Pose) -> Option<(f32, f32)> {
    let point = |part: BodyPart| {
        let k = pose.get(part);
        (k.confidence >= MATCH_MIN_CONFIDENCE).then_some((k.x, k.y))
    };
    let mid = |a: BodyPart, b: BodyPart| match (point(a), point(b)) {
        (Some(p), Some(q)) => Some(((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0)),
        (p, q) => p.or(q),
    };
    let shoulders = mid(BodyPart::LeftShoulder, BodyPart::RightShoulder)?;
    let hips = mid(BodyPart::LeftHip, BodyPart::RightHip)?;
    let trunk = (shoulders.0 - hips.0)
        .abs()
        .atan2((hips.1 - shoulders.1).abs())
        .to_degrees();
    let bend = |hip: BodyPart, knee: BodyPart, ankle: BodyPart| -> Option<f32> {
        let (h, k, a) = (point(hip)?, point(knee)?, point(ankle)?);
        let (u, v) = ((k.0 - h.0, k.1 - h.1), (a.0 - k.0, a.1 - k.1));
        let cos = (u.0 * v.0 + u.1 * v.1) / (u.0.hypot(u.1) * v.0.hypot(v.1)).max(1e-6);
        Some(cos.clamp(-1.0, 1.0).acos().to_degrees())
    };
    let knee = bend(BodyPart::LeftHip, BodyPart::LeftKnee, BodyPart::LeftAnkle)
        .into_iter()
        .chain(bend(
            BodyPart::RightHip,
            BodyPart::RightKnee,
            BodyPart::RightAnkle,
        ))
        .fold(0.0f32, f32::max);
    Some((trunk, knee))
}

/// Whether a pose is in `posture`.
pub fn is_in_posture(pose: &Pose, posture: Posture) -> bool {
    let Some((trunk, knee)) = trunk_and_knee(pose) else {
        return false;
    };
    match posture {
        Posture::Lying => trunk >= 55.0,
        Posture::Kneeling => trunk <= 35.0 && knee >= 60.0,
        Posture::Standing => trunk <= 35.0 && knee <= 30.0,
    }
}

/// The index of the person `pick` chooses among `people` in a `width` x `height` frame (None
/// when there is nobody).
pub fn choose_subject(people: &[Person], pick: Pick, width: u32, height: u32) -> Option<usize> {
    let by = |key: &dyn Fn(&Person) -> f32| {
        people
            .iter()
            .enumerate()
            .max_by(|a, b| key(a.1).total_cmp(&key(b.1)))
            .map(|(i, _)| i)
    };
    // Size as nearness to the camera: the torso's length (a box's area depends on the posture:
    // a person lying with a leg raised has a larger box than one standing nearer).
    let size = |p: &Person| torso_length(&p.pose).unwrap_or_else(|| torso_from_box(p.bbox));
    match pick {
        Pick::Largest => by(&size),
        Pick::Left => by(&|p: &Person| -p.bbox.centre().0),
        Pick::Right => by(&|p: &Person| p.bbox.centre().0),
        Pick::Center => {
            let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
            by(&|p: &Person| {
                let c = p.bbox.centre();
                -(c.0 - cx).hypot(c.1 - cy)
            })
        }
        Pick::At(x, y) => by(&|p: &Person| {
            let c = p.bbox.centre();
            // Inside a box beats outside; among those, the nearer centre.
            let inside = if p.bbox.contains(x, y) { 1e6 } else { 0.0 };
            inside - (c.0 - x).hypot(c.1 - y)
        }),
        Pick::Auto(posture) => {
            let max_size = people.iter().map(size).fold(0.0, f32::max);
            by(&|p: &Person| {
                let fits = if is_in_posture(&p.pose, posture) {
                    1.0
                } else {
                    0.0
                };
                fits + 0.5 * size(p) / max_size.max(1.0)
            })
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Lock {
    id: u32,
    pose: Pose,
    missed: usize,
}

/// Follows one subject among several people: every frame the multi-person detector finds
/// everyone; the subject is the person nearest the subject's last pose (so the lock holds while
/// bodies overlap); its keypoints are then refined by the single-person model on a crop around
/// it, as accurate as with one person in view. A refined keypoint that landed on another person
/// is overruled by the detector's own keypoint for the subject.
pub struct SubjectLock {
    detector: PersonDetector,
    pick: Pick,
    lock: Option<Lock>,
    next_id: u32,
    /// The other people lately seen, with the frames since each was last seen: a person hidden
    /// behind the subject still claims the keypoints near where it was.
    rivals: Vec<(Pose, usize)>,
    /// The detector's last run saw the subject alone (and nobody lately).
    alone: bool,
    frames_since_detection: usize,
    /// Used while the detector sees nobody (for example a small figure in a wide frame).
    fallback: SubjectTracker,
}

impl SubjectLock {
    pub fn new(detector: PersonDetector, pick: Pick) -> Self {
        SubjectLock {
            detector,
            pick,
            lock: None,
            next_id: 1,
            rivals: Vec::new(),
            alone: false,
            frames_since_detection: 0,
            fallback: SubjectTracker::new(),
        }
    }

    /// The detector's model id.
    pub fn detector_id(&self) -> &super::ModelId {
        self.detector.model_id()
    }

    /// Chooses the subject afresh by `pick` at the next frame (for example after a click).
    pub fn repick(&mut self, pick: Pick) {
        self.pick = pick;
        self.lock = None;
        self.alone = false;
    }

    /// Forgets the subject (a new video).
    pub fn reset(&mut self) {
        self.lock = None;
        self.rivals.clear();
        self.alone = false;
        self.fallback.reset();
    }

    /// The subject in this frame.
    pub fn next(
        &mut self,
        estimator: &mut PoseEstimator,
        frame: &RgbImage,
    ) -> Result<Found, PoseError> {
        if let Some(found) = self.between_detections(estimator, frame)? {
            return Ok(found);
        }
        self.frames_since_detection = 0;
        let detected = self.detector.detect(frame)?;
        // A detection without a clear person is often two bodies the detector could not tell
        // apart.
        let unclear = detected.iter().any(|p| !p.pose.has_person());
        let people: Vec<Person> = detected
            .into_iter()
            .filter(|p| p.pose.has_person())
            .collect();
        let count = people.len();
        self.alone = count == 1 && !unclear && self.rivals.is_empty();
        if people.is_empty() {
            // The detector saw nobody clearly: the single-person search (sliding windows,
            // tracking crop) may still find a small or unusual figure.
            let pose = self.fallback.next(estimator, frame)?;
            return Ok(self.keep(pose, count, unclear));
        }
        let (chosen, ambiguous) = match self.lock {
            Some(lock) => {
                let scale =
                    torso_length(&lock.pose).unwrap_or_else(|| torso_from_box(box_of(&lock.pose)));
                let mut distances: Vec<(usize, f32)> = people
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (i, pose_distance(&p.pose, &lock.pose, scale)))
                    .collect();
                distances.sort_by(|a, b| a.1.total_cmp(&b.1));
                let (best, best_distance) = distances[0];
                if best_distance > MAX_MATCH_DISTANCE {
                    // The detector did not see the subject (or merged it with someone): look
                    // where it was with the single-person model, never jumping to someone else.
                    return self.follow_unseen(estimator, frame, lock, &people);
                }
                let rival = distances.get(1).is_some_and(|&(_, d)| {
                    d < MAX_MATCH_DISTANCE && d < AMBIGUITY_RATIO * best_distance.max(0.05)
                });
                (best, rival)
            }
            None => match choose_subject(&people, self.pick, frame.width(), frame.height()) {
                Some(i) => (i, false),
                None => return Ok(self.missed(count)),
            },
        };
        let person = people[chosen];
        let refined = estimator
            .estimate_around(frame, &person.pose)?
            .unwrap_or(person.pose);
        let others: Vec<&Person> = people
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != chosen)
            .map(|(_, p)| p)
            .collect();
        let (pose, overruled) = if refined.has_person() {
            overrule_drift(&refined, &person, &others)
        } else {
            (person.pose, false)
        };
        self.remember_rivals(&others);
        let (pose, disowned) = match &self.lock {
            Some(lock) => disown_rival_keypoints(&pose, &lock.pose, &self.rivals),
            None => (pose, false),
        };
        Ok(self.keep(pose, count, ambiguous || overruled || disowned))
    }

    /// While the subject has been alone in view, the detector runs only every
    /// [`DETECT_EVERY_ALONE`] frames; in between the subject is followed with the single-person
    /// model on a crop around its last pose. None when the detector should run now.
    fn between_detections(
        &mut self,
        estimator: &mut PoseEstimator,
        frame: &RgbImage,
    ) -> Result<Option<Found>, PoseError> {
        let Some(lock) = self.lock else {
            return Ok(None);
        };
        if !self.alone || self.frames_since_detection + 1 >= DETECT_EVERY_ALONE {
            return Ok(None);
        }
        let Some(pose) = near_last(estimator, frame, &lock.pose, MAX_MATCH_DISTANCE)? else {
            return Ok(None);
        };
        self.frames_since_detection += 1;
        Ok(Some(self.keep(pose, 1, false)))
    }

    /// The subject where the detector missed it: the single-person model on a crop around its
    /// last pose, accepted only near that pose, keypoints claimed by others dropped.
    fn follow_unseen(
        &mut self,
        estimator: &mut PoseEstimator,
        frame: &RgbImage,
        lock: Lock,
        people: &[Person],
    ) -> Result<Found, PoseError> {
        let count = people.len();
        // Looser than a detector match: the crop is already centred on the subject.
        let Some(pose) = near_last(estimator, frame, &lock.pose, 1.5 * MAX_MATCH_DISTANCE)? else {
            return Ok(self.missed(count));
        };
        // What the detector saw now may be the subject merged with someone: only the people
        // remembered from before claim keypoints.
        let (pose, _) = disown_rival_keypoints(&pose, &lock.pose, &self.rivals);
        for rival in &mut self.rivals {
            rival.1 += 1;
        }
        self.rivals.retain(|r| r.1 <= MAX_MISSED_FRAMES);
        Ok(self.keep(pose, count, true))
    }

    /// Updates the other people: those seen now, and those seen lately that no one seen now is
    /// (hidden, or merged with the subject by the detector).
    fn remember_rivals(&mut self, others: &[&Person]) {
        let mut rivals: Vec<(Pose, usize)> = others.iter().map(|p| (p.pose, 0)).collect();
        for &(pose, age) in &self.rivals {
            let scale = torso_length(&pose).unwrap_or(100.0);
            let seen_now = others
                .iter()
                .any(|p| pose_distance(&p.pose, &pose, scale) < MAX_MATCH_DISTANCE);
            if !seen_now && age < MAX_MISSED_FRAMES {
                rivals.push((pose, age + 1));
            }
        }
        self.rivals = rivals;
    }

    fn keep(&mut self, pose: Pose, people: usize, ambiguous: bool) -> Found {
        if !pose.has_person() {
            return self.missed(people);
        }
        let id = match &mut self.lock {
            Some(lock) => {
                // A keypoint not seen now keeps its last place, for matching the next frame.
                for (kept, new) in lock.pose.keypoints.iter_mut().zip(pose.keypoints) {
                    if new.confidence >= MATCH_MIN_CONFIDENCE
                        || kept.confidence < MATCH_MIN_CONFIDENCE
                    {
                        *kept = new;
                    }
                }
                lock.missed = 0;
                lock.id
            }
            None => {
                let id = self.next_id;
                self.next_id += 1;
                self.lock = Some(Lock {
                    id,
                    pose,
                    missed: 0,
                });
                id
            }
        };
        Found {
            pose,
            subject_id: Some(id),
            people,
            ambiguous,
        }
    }

    fn missed(&mut self, people: usize) -> Found {
        if let Some(lock) = &mut self.lock {
            lock.missed += 1;
            if lock.missed > MAX_MISSED_FRAMES {
                self.lock = None;
            }
        }
        Found {
            pose: Pose::nobody(),
            subject_id: None,
            people,
            ambiguous: false,
        }
    }
}

/// The single-person model on a crop around the subject's `last` pose, when it finds a person
/// within `max_distance` torso lengths of that pose (see [`pose_distance`]).
fn near_last(
    estimator: &mut PoseEstimator,
    frame: &RgbImage,
    last: &Pose,
    max_distance: f32,
) -> Result<Option<Pose>, PoseError> {
    let Some(pose) = estimator.estimate_around(frame, last)? else {
        return Ok(None);
    };
    let scale = torso_length(last).unwrap_or(100.0);
    Ok((pose.has_person() && pose_distance(&pose, last, scale) <= max_distance).then_some(pose))
}

/// The box around a pose's confident keypoints.
fn box_of(pose: &Pose) -> BoxInFrame {
    let mut b = BoxInFrame {
        left: f32::MAX,
        top: f32::MAX,
        right: f32::MIN,
        bottom: f32::MIN,
    };
    for k in pose
        .keypoints
        .iter()
        .filter(|k| k.confidence >= MATCH_MIN_CONFIDENCE)
    {
        b.left = b.left.min(k.x);
        b.top = b.top.min(k.y);
        b.right = b.right.max(k.x);
        b.bottom = b.bottom.max(k.y);
    }
    if b.left > b.right {
        BoxInFrame::default()
    } else {
        b
    }
}

/// The refined pose, with each keypoint that moved onto another person (far from the subject's
/// own detected keypoint, near one of the other person's) replaced by the detector's keypoint;
/// the whole detected pose when the refined one is nearer another person than the subject.
/// Returns whether anything was overruled.
fn overrule_drift(refined: &Pose, subject: &Person, others: &[&Person]) -> (Pose, bool) {
    if others.is_empty() {
        return (*refined, false);
    }
    let scale = torso_length(&subject.pose)
        .or_else(|| torso_length(refined))
        .unwrap_or_else(|| torso_from_box(subject.bbox));
    let own = pose_distance(refined, &subject.pose, scale);
    if others
        .iter()
        .any(|o| pose_distance(refined, &o.pose, scale) < own)
    {
        return (subject.pose, true);
    }
    let mut keypoints = refined.keypoints;
    let mut overruled = false;
    for (i, k) in keypoints.iter_mut().enumerate() {
        let detected = subject.pose.keypoints[i];
        if k.confidence < MATCH_MIN_CONFIDENCE || detected.confidence < MATCH_MIN_CONFIDENCE {
            continue;
        }
        let from_own = (k.x - detected.x).hypot(k.y - detected.y) / scale;
        if from_own < 0.35 {
            continue;
        }
        let on_other = others.iter().any(|o| {
            o.pose.keypoints.iter().any(|ok| {
                ok.confidence >= MATCH_MIN_CONFIDENCE
                    && (k.x - ok.x).hypot(k.y - ok.y) / scale < 0.25
            })
        });
        if on_other {
            *k = Keypoint {
                confidence: k.confidence.min(detected.confidence),
                ..detected
            };
            overruled = true;
        }
    }
    (Pose::from_keypoints(keypoints), overruled)
}

/// The pose with each keypoint dropped (confidence 0) that lies on a rival's keypoint of the
/// same part (within a fifth of a torso), at most half as far from it as from the subject's last
/// place for it, which is more than a quarter of a torso away: where two bodies overlap, the
/// models take a hidden limb from the body in front. Returns whether any was dropped.
fn disown_rival_keypoints(pose: &Pose, last: &Pose, rivals: &[(Pose, usize)]) -> (Pose, bool) {
    if rivals.is_empty() {
        return (*pose, false);
    }
    let Some(scale) = torso_length(last).or_else(|| torso_length(pose)) else {
        return (*pose, false);
    };
    let mut keypoints = pose.keypoints;
    let mut dropped = false;
    for part in BodyPart::ALL {
        let k = &mut keypoints[part.index()];
        let own = last.get(part);
        if k.confidence < MATCH_MIN_CONFIDENCE || own.confidence < MATCH_MIN_CONFIDENCE {
            continue;
        }
        let from_own = (k.x - own.x).hypot(k.y - own.y);
        if from_own < 0.25 * scale {
            continue;
        }
        let from_rival = rivals
            .iter()
            .map(|(r, _)| r.get(part))
            .filter(|r| r.confidence >= MATCH_MIN_CONFIDENCE)
            .map(|r| (k.x - r.x).hypot(k.y - r.y))
            .fold(f32::INFINITY, f32::min);
        // On the rival's own keypoint, and clearly nearer it than the subject's last place.
        if from_rival < 0.2 * scale && from_rival < 0.5 * from_own {
            k.confidence = 0.0;
            dropped = true;
        }
    }
    (Pose::from_keypoints(keypoints), dropped)
}

/// Finds the subject frame by frame: with one person assumed in view ([`SubjectTracker`]) or
/// among several ([`SubjectLock`]).
pub struct SubjectFinder {
    single: SubjectTracker,
    multi: Option<Box<SubjectLock>>,
}

impl SubjectFinder {
    /// One person in view: the single-person model alone, fastest.
    pub fn single() -> Self {
        SubjectFinder {
            single: SubjectTracker::new(),
            multi: None,
        }
    }

    /// Several people may be in view: the detector finds them, `pick` chooses the subject.
    pub fn multi(detector: PersonDetector, pick: Pick) -> Self {
        SubjectFinder {
            single: SubjectTracker::new(),
            multi: Some(Box::new(SubjectLock::new(detector, pick))),
        }
    }

    /// The subject in this frame.
    pub fn next(
        &mut self,
        estimator: &mut PoseEstimator,
        frame: &RgbImage,
    ) -> Result<Found, PoseError> {
        match &mut self.multi {
            Some(lock) => lock.next(estimator, frame),
            None => Ok(Found::alone(self.single.next(estimator, frame)?)),
        }
    }

    /// Chooses the subject afresh (multi-person only).
    pub fn repick(&mut self, pick: Pick) {
        if let Some(lock) = &mut self.multi {
            lock.repick(pick);
        }
    }

    /// Forgets the subject (a new video).
    pub fn reset(&mut self) {
        self.single.reset();
        if let Some(lock) = &mut self.multi {
            lock.reset();
        }
    }
}

/// Who else was in view, and how sure the subject lock was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PeopleSeen {
    /// The most people seen in one frame.
    pub most: usize,
    /// Frames with more than one person.
    pub frames_with_several: usize,
    /// Frames where another person was about as likely to be the subject, or where the
    /// single-person model drifted onto another body and was overruled.
    pub ambiguous_frames: usize,
    /// Times a subject was chosen: more than one means the subject was lost and another (or the
    /// same) person chosen again.
    pub locks: usize,
}

impl PeopleSeen {
    /// Counts one frame.
    pub fn add(&mut self, found: &Found, last_id: &mut Option<u32>) {
        self.most = self.most.max(found.people);
        self.frames_with_several += usize::from(found.people > 1);
        self.ambiguous_frames += usize::from(found.ambiguous);
        if found.subject_id.is_some() && found.subject_id != *last_id {
            self.locks += 1;
            *last_id = found.subject_id;
        }
    }

    /// Warnings for a result: several people and doubts about which one was measured.
    pub fn warnings(&self, frames: usize) -> Vec<String> {
        let mut out = Vec::new();
        if self.most > 1 {
            out.push(format!(
                "up to {} people in view ({} of {frames} frames with several): check that the skeleton is on the person meant",
                self.most, self.frames_with_several
            ));
        }
        if self.locks > 1 {
            let again = self.locks - 1;
            out.push(format!(
                "the subject was chosen again {again} time{} (lost, or picked by a click): check that the same person was measured throughout",
                if again == 1 { "" } else { "s" }
            ));
        }
        if self.ambiguous_frames > 0 {
            out.push(format!(
                "subject lock ambiguous in {} of {frames} frames (bodies overlapping, or a person the detector could not make out): check the evidence picture",
                self.ambiguous_frames
            ));
        }
        out
    }
}
