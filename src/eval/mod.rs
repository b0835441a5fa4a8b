//! Accuracy of the pose stage against annotated photos (COCO keypoint format).
//!
//! The protocol is the standard top-down one: each annotated person is cropped from its
//! ground-truth box, the model runs on the crop, and its keypoints are compared with the
//! annotation. Users run this on their own annotated frames to validate gonio for their setting.

mod coco;
mod metrics;
mod pose_type;
mod turn;

pub use coco::{CocoDataset, CocoImage, CocoPerson};
pub use metrics::{
    ErrorStats, EvalReport, FlaggedFigures, PairedCounts, PairedFigures, PersonResult,
    PoseTypeFigures, SharedAngles, PCK_THRESHOLD,
};
pub use pose_type::PoseType;
pub use turn::{point_in_turned_image, turn_image, PhotoTurn};

use std::path::{Path, PathBuf};

use crate::capture::{load_image, CaptureError};
use crate::pose::{PhotoReader, PoseError, PoseEstimator, SquareCrop, BOX_CROP_SCALE};

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

/// How each annotated person is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// gonio's own photo pipeline ([`PhotoReader::read`], as `gonio pose` runs it) on the
    /// person's crop, with the steps the estimator has switched on.
    #[default]
    Pipeline,
    /// The reference: the model once on the person's crop, nothing else.
    SinglePass,
}

/// How an evaluation reads the photos.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalOptions {
    /// Each photo and its annotations are turned clockwise by this first: turned photos stand
    /// in for bodies lying down or leaning.
    pub turn: PhotoTurn,
    /// Each person is cut out of the photo as a square this many times its ground-truth box's
    /// longer side (black beyond the photo's edges): 1.25 is the standard top-down protocol;
    /// larger values leave the person small in a wider view, as in a whole photo.
    pub box_scale: f32,
    /// gonio's pipeline or the single-look reference.
    pub method: Method,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            turn: PhotoTurn::NONE,
            box_scale: BOX_CROP_SCALE,
            method: Method::Pipeline,
        }
    }
}

/// Reads every annotated person of `dataset` with `estimator` (and `reader`, for gonio's
/// pipeline), taking photos from `images_dir` as `options` say. `on_person` is called after
/// each person (for progress).
pub fn evaluate(
    estimator: &mut PoseEstimator,
    reader: &mut PhotoReader,
    dataset: &CocoDataset,
    images_dir: &Path,
    options: EvalOptions,
    mut on_person: impl FnMut(),
) -> Result<(EvalReport, Vec<SkippedImage>), EvalError> {
    let EvalOptions {
        turn: rotation,
        box_scale,
        method,
    } = options;
    let mut people = Vec::new();
    let mut skipped = Vec::new();
    for image in &dataset.images {
        let annotated: Vec<&CocoPerson> = dataset.people_in(image.id).collect();
        if annotated.is_empty() {
            continue;
        }
        let frame = match load_image(&photo_path(images_dir, &image.file_name)) {
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
            let pose_type = PoseType::of(person);
            let person = &person.turned(rotation, width, height);
            let [left, top, width, height] = person.bbox;
            let crop = SquareCrop::around_box(left, top, width, height, box_scale, 1);
            let runs_before = estimator.model_runs();
            let predicted = match method {
                Method::Pipeline => reader.read_in(estimator, &photo, crop)?,
                Method::SinglePass => estimator.estimate_in_crop(&photo, crop)?,
            };
            let runs = estimator.model_runs() - runs_before;
            people.push(PersonResult::new(
                &image.file_name,
                person,
                pose_type,
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

/// Where a photo named `file_name` in the annotations lies under `images_dir`: the path as
/// given, else with leading folders dropped one by one (exports often name photos from a root
/// of their own, such as `HumanArt/images/...` for a folder holding `images/...`).
fn photo_path(images_dir: &Path, file_name: &str) -> PathBuf {
    let given = images_dir.join(file_name);
    if given.exists() {
        return given;
    }
    let parts: Vec<&str> = file_name
        .split(['/', '\\'])
        .filter(|p| !p.is_empty())
        .collect();
    (1..parts.len())
        .map(|skip| images_dir.join(parts[skip..].join("/")))
        .find(|p| p.is_file())
        .unwrap_or(given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_found_below_a_root_the_annotations_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("images/a")).unwrap();
        std::fs::write(dir.path().join("images/a/1.jpg"), b"x").unwrap();
        let found = photo_path(dir.path(), "Root/images/a/1.jpg");
        assert_eq!(found, dir.path().join("images/a/1.jpg"));
        // Not there under any root: the path as given, for the error message.
        assert_eq!(
            photo_path(dir.path(), "b/2.jpg"),
            dir.path().join("b/2.jpg")
        );
    }
}
