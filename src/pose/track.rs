//! Following the subject from frame to frame in a video.

use image::RgbImage;

use super::lock::{Ask, Found, Pick, Seen, Step, SubjectLock};
use super::multipose::PersonDetector;
use super::{Pose, PoseError, PoseEstimator};

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

/// Finds the subject frame by frame: with one person assumed in view (the single-person model
/// alone, [`SubjectTracker`]) or among several (the person detector and the single-person model
/// answering a [`SubjectLock`]).
pub struct SubjectFinder {
    single: SubjectTracker,
    multi: Option<Box<(PersonDetector, SubjectLock)>>,
}

/// More questions than the lock asks in one frame (it asks at most three).
const MAX_ASKS_PER_FRAME: usize = 4;

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
            multi: Some(Box::new((detector, SubjectLock::new(pick)))),
        }
    }

    /// The subject in `frame`, taken at `time_s` (seconds on the frames' clock; it paces the
    /// person detector while the subject is alone, see [`super::DETECT_EVERY_ALONE_S`]).
    pub fn next(
        &mut self,
        estimator: &mut PoseEstimator,
        frame: &RgbImage,
        time_s: f64,
    ) -> Result<Found, PoseError> {
        let Some(multi) = &mut self.multi else {
            return Ok(Found::alone(self.single.next(estimator, frame)?));
        };
        let (detector, lock) = &mut **multi;
        let mut ask = lock.start_frame(frame.width(), frame.height(), time_s);
        for _ in 0..MAX_ASKS_PER_FRAME {
            let seen = match ask {
                Ask::People => Seen::People(detector.detect(frame)?),
                Ask::CropAround(pose) => Seen::Crop(estimator.estimate_around(frame, &pose)?),
                Ask::Search => Seen::Search(self.single.next(estimator, frame)?),
            };
            match lock.answer(seen) {
                Step::Ask(next) => ask = next,
                Step::Done(found) => return Ok(found),
            }
        }
        // Unreachable while the lock keeps to its three questions; a frame without the subject
        // is the safe answer if it ever does not.
        Ok(Found::alone(Pose::nobody()))
    }

    /// Chooses the subject afresh (multi-person only).
    pub fn repick(&mut self, pick: Pick) {
        if let Some(multi) = &mut self.multi {
            multi.1.repick(pick);
        }
    }

    /// Forgets the subject (a new video).
    pub fn reset(&mut self) {
        self.single.reset();
        if let Some(multi) = &mut self.multi {
            multi.1.reset();
        }
    }
}
