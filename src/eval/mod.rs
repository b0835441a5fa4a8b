//! Accuracy of the pose stage against annotated photos (COCO keypoint format).
//!
//! The protocol is the standard top-down one: each annotated person is cropped from its
//! ground-truth box, the model runs on the crop, and its keypoints are compared with the
//! annotation. Users run this on their own annotated frames to validate gonio for their setting.

mod coco;
mod metrics;
mod turn;

pub use coco::{CocoDataset, CocoImage, CocoPerson};
pub use metrics::{ErrorStats, EvalReport, PersonResult, PCK_THRESHOLD};
pub use turn::{point_in_turned_image, turn_image, PhotoTurn};

use std::path::{Path, PathBuf};

use crate::capture::{load_image, CaptureError};
use crate::pose::{PoseError, PoseEstimator};

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: cannot read annotations: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a COCO keypoints file: {detail}")]
    Format { path: PathBuf, detail: String },
    #[error("{path}: no annotated person with keypoints")]
    NoPeople { path: PathBuf },
    #[error("{images_dir}: nothing to score: none of the {photos} annotated photos could be read (first: {first})")]
    NothingScored {
        images_dir: PathBuf,
        photos: usize,
        first: String,
    },
    #[error(transparent)]
    Pose(#[from] PoseError),
}

/// A photo that could not be evaluated; the evaluation goes on without it.
#[derive(Debug)]
pub struct SkippedImage {
    pub file_name: String,
    pub error: CaptureError,
}

/// Runs `estimator` on every annotated person of `dataset`, reading photos from `images_dir`
/// and turning each photo and its annotations clockwise by `rotation` first (turned photos
/// stand in for bodies lying down or leaning). `on_person` is called after each person (for
/// progress).
pub fn evaluate(
    estimator: &mut PoseEstimator,
    dataset: &CocoDataset,
    images_dir: &Path,
    rotation: impl Into<PhotoTurn>,
    mut on_person: impl FnMut(),
) -> Result<(EvalReport, Vec<SkippedImage>), EvalError> {
    let rotation = rotation.into();
    let mut people = Vec::new();
    let mut skipped = Vec::new();
    for image in &dataset.images {
        let annotated: Vec<&CocoPerson> = dataset.people_in(image.id).collect();
        if annotated.is_empty() {
            continue;
        }
        let frame = match load_image(&images_dir.join(&image.file_name)) {
            Ok(frame) => frame,
            Err(error) => {
                skipped.push(SkippedImage {
                    file_name: image.file_name.clone(),
                    error,
                });
                annotated.iter().for_each(|_| on_person());
                continue;
            }
        };
        let (width, height) = (frame.image.width(), frame.image.height());
        let photo = turn_image(&frame.image, rotation);
        for person in annotated {
            let person = &person.turned(rotation, width, height);
            let [left, top, width, height] = person.bbox;
            let runs_before = estimator.model_runs();
            let predicted = estimator.estimate_in_box(&photo, left, top, width, height)?;
            let runs = estimator.model_runs() - runs_before;
            people.push(PersonResult::new(
                &image.file_name,
                person,
                &predicted,
                runs,
            ));
            on_person();
        }
    }
    if people.is_empty() {
        // Figures over nobody would read as a perfect score.
        return Err(EvalError::NothingScored {
            images_dir: images_dir.to_path_buf(),
            photos: skipped.len(),
            first: skipped
                .first()
                .map_or_else(|| "no photo".to_string(), |s| s.error.to_string()),
        });
    }
    Ok((EvalReport::from_people(people), skipped))
}
