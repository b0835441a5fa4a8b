//! MoveNet MultiPose: every person in a frame (up to six), each with keypoints and a box, in
//! frame pixels. Used to find and follow the subject when several people are in view; the
//! subject's keypoints are then refined by the single-person model on its crop.

use std::path::Path;

use fast_image_resize::{self as fr, images::Image, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use ort::session::Session;

use super::input::{Layout, ModelInput};
use super::model::{find_model_file, MULTIPOSE_FILE};
use super::movenet::{load_model, run_image_model, Output};
use super::{Keypoint, ModelId, Pose, PoseError, Runtime, KEYPOINT_COUNT};
/// The detector input's longer side, pixels: the model's recommended size (a multiple of 32).
const INPUT_LONG_SIDE: u32 = 256;
/// People the model reports at most.
const MAX_PEOPLE: usize = 6;
/// Person score under which a detection is dropped.
const MIN_PERSON_SCORE: f32 = 0.2;

/// Values per person in the output: 17 x (y, x, score), the box, the person score.
const PER_PERSON: usize = KEYPOINT_COUNT * 3 + 5;

/// A box in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct BoxInFrame {
    pub left: f32,
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
}

impl BoxInFrame {
    pub fn width(&self) -> f32 {
        (self.right - self.left).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.bottom - self.top).max(0.0)
    }

    pub fn centre(&self) -> (f32, f32) {
        (
            (self.left + self.right) / 2.0,
            (self.top + self.bottom) / 2.0,
        )
    }

    pub fn contains(&self, x: f32, y: f32) -> bool {
        (self.left..=self.right).contains(&x) && (self.top..=self.bottom).contains(&y)
    }
}

/// One person the detector found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Person {
    /// Keypoints in frame pixels.
    pub pose: Pose,
    /// The person's box, frame pixels.
    pub bbox: BoxInFrame,
    /// The detector's confidence that this is a person, 0..1.
    pub score: f32,
}

impl Person {
    /// Moves the keypoints and the box's corners through `to_frame(x, y)` (from the pixels of
    /// the image the detector saw to those of the frame it was cut from; a move and a uniform
    /// scale, so the box stays a box).
    pub fn map_points(&mut self, to_frame: impl Fn(f32, f32) -> (f32, f32)) {
        for k in &mut self.pose.keypoints {
            (k.x, k.y) = to_frame(k.x, k.y);
        }
        (self.bbox.left, self.bbox.top) = to_frame(self.bbox.left, self.bbox.top);
        (self.bbox.right, self.bbox.bottom) = to_frame(self.bbox.right, self.bbox.bottom);
    }
}

/// Runs MoveNet MultiPose Lightning on whole frames.
pub struct PersonDetector {
    session: Session,
    id: ModelId,
    resizer: Resizer,
    input: ModelInput,
}

impl PersonDetector {
    /// Loads the detector from the first folder of the model search path that holds it (see
    /// [`super::install`]), running on `threads` threads (0 = runtime's choice).
    pub fn new(runtime: &Runtime, threads: usize) -> Result<Self, PoseError> {
        Self::from_file(runtime, &find_model_file(MULTIPOSE_FILE)?, threads)
    }

    /// Loads the detector from `model_dir`, running on `threads` threads (0 = runtime's choice).
    pub fn from_dir(
        runtime: &Runtime,
        model_dir: &Path,
        threads: usize,
    ) -> Result<Self, PoseError> {
        Self::from_file(runtime, &model_dir.join(MULTIPOSE_FILE), threads)
    }

    fn from_file(runtime: &Runtime, path: &Path, threads: usize) -> Result<Self, PoseError> {
        let (bytes, session) = load_model(runtime, path, threads)?;
        let Some((layout, _)) = Layout::of(&session) else {
            return Err(PoseError::ModelLoad {
                path: path.to_path_buf(),
                message: "not MoveNet MultiPose: its input is not an RGB image".to_string(),
            });
        };
        Ok(PersonDetector {
            session,
            id: ModelId::named("movenet-multipose", &bytes),
            resizer: Resizer::new(),
            input: ModelInput::new(layout),
        })
    }

    /// The detector's name and hash.
    pub fn model_id(&self) -> &ModelId {
        &self.id
    }

    /// Every person in `frame` with a person score of at least 0.2, most confident first.
    pub fn detect(&mut self, frame: &RgbImage) -> Result<Vec<Person>, PoseError> {
        let (width, height) = frame.dimensions();
        if width == 0 || height == 0 {
            return Ok(Vec::new());
        }
        // The frame scaled so that its longer side fills the input, at the input's top left;
        // the input padded with black to multiples of 32.
        let scale = INPUT_LONG_SIDE as f32 / width.max(height) as f32;
        let scaled_w = ((width as f32 * scale).round() as u32).clamp(1, INPUT_LONG_SIDE);
        let scaled_h = ((height as f32 * scale).round() as u32).clamp(1, INPUT_LONG_SIDE);
        let input_w = scaled_w.div_ceil(32) * 32;
        let input_h = scaled_h.div_ceil(32) * 32;
        let mut scaled = Image::new(scaled_w, scaled_h, PixelType::U8x3);
        let options =
            ResizeOptions::new().resize_alg(ResizeAlg::Convolution(fr::FilterType::Bilinear));
        self.resizer
            .resize(frame, &mut scaled, &options)
            .map_err(|e| PoseError::Inference(e.to_string()))?;
        self.input.fill(
            [input_h as usize, input_w as usize],
            scaled.buffer(),
            scaled_w as usize,
        );
        let output = Output {
            values: MAX_PEOPLE * PER_PERSON,
            shape: "[1, 6, 56]",
        };
        // Outputs are in 0..1 of the padded input; pixel centres map through the scale.
        let frame_from_input = |u: f32, v: f32| {
            (
                (u * input_w as f32 + 0.5) / scale - 0.5,
                (v * input_h as f32 + 0.5) / scale - 0.5,
            )
        };
        let mut people = run_image_model(&mut self.session, &self.input, output, |values| {
            values
                .chunks_exact(PER_PERSON)
                .filter_map(|p| person_in_frame(p, &frame_from_input))
                .collect::<Vec<Person>>()
        })?;
        people.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(people)
    }
}

/// One person of the model's output (`PER_PERSON` values, coordinates in 0..1 of the input) in
/// frame pixels through `frame_from_input(x, y)`; None under the person score threshold.
fn person_in_frame(
    p: &[f32],
    frame_from_input: &impl Fn(f32, f32) -> (f32, f32),
) -> Option<Person> {
    let score = p[PER_PERSON - 1];
    if score < MIN_PERSON_SCORE {
        return None;
    }
    let mut keypoints = [Keypoint::default(); KEYPOINT_COUNT];
    for (k, yxs) in keypoints.iter_mut().zip(p.chunks_exact(3)) {
        let (x, y) = frame_from_input(yxs[1], yxs[0]);
        *k = Keypoint {
            x,
            y,
            confidence: yxs[2],
        };
    }
    let b = &p[KEYPOINT_COUNT * 3..];
    let (left, top) = frame_from_input(b[1], b[0]);
    let (right, bottom) = frame_from_input(b[3], b[2]);
    Some(Person {
        pose: Pose::from_keypoints(keypoints),
        bbox: BoxInFrame {
            left,
            top,
            right,
            bottom,
        },
        score,
    })
}
