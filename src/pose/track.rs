//! Following the subject from frame to frame in a video.

use image::RgbImage;

use super::movenet::{refinement_crop, turns_to_stand_up};
use super::{Pose, PoseError, PoseEstimator, SquareCrop};

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
            let whole =
                SquareCrop::letterbox(frame.width(), frame.height(), estimator.kind().input_size());
            if let Some(crop) = refinement_crop(&previous, whole) {
                let pose = estimator.estimate_in_view(frame, crop, turns_to_stand_up(&previous))?;
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
