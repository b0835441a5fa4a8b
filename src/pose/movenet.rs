//! MoveNet SinglePose: pre-processing into the model's square input, inference, and
//! post-processing back to frame pixels.

use std::path::Path;

use fast_image_resize::Resizer;
use image::RgbImage;
use ort::session::{builder::GraphOptimizationLevel, Session};

use super::input::{Layout, ModelInput};
use super::{
    model::find_model_file, runtime::Provider, BodyPart, CropTurn, Keypoint, ModelId, ModelKind,
    Pose, PoseError, QuarterTurns, Runtime, SquareCrop, KEYPOINT_COUNT,
};

/// Scale of the square crop around a ground-truth or detected box (top-down protocol).
pub const BOX_CROP_SCALE: f32 = 1.25;
/// Mean keypoint confidence from which a consistent view is trusted without trying the other
/// quarter turns (see `upright_view`). 0.3 would cost fewer runs (2.1 instead of 3.0 per person
/// on the upright COCO val2017 photos) but trusted a misread lying body (a hip 174 deg off).
const CONFIDENT_SCORE: f32 = 0.4;
/// A body leaning more than this many degrees away from every quarter turn is also read turned
/// by its own axis (see `upright_view`). 15 turned some upright people wrongly; 30 left more
/// of the bodies at 30 degrees tilted (development photos turned by 30 degrees: knee-error mean
/// 7.7 / 9.7 / 10.1 at 15 / 25 / 30 on COCO val2017, and val2017 upright unchanged from 25 on).
const LEVEL_MIN_DEG: f32 = 25.0;
/// The second look of the photo pipeline is taken only when its square is at most this share of
/// the first look's side: it then shows the person at least 1.4 times larger. A person who
/// already fills the first look gains nothing from a second (measured on the development
/// photos cut out around each person: knee-error means of 17.5 / 16.4 / 22.0 deg against 12.6 /
/// 2.9 / 15.9 for the single look on three sets), while a small one does (people at a third of
/// the view: knee-error mean 18.6 to 10.6 deg on COCO val2017).
const REFINE_MAX_SIDE: f32 = 0.7;
/// Keypoint confidence used to place the refinement crop.
const CROP_MIN_CONFIDENCE: f32 = 0.2;
/// A turned view whose reading spans less than this share of the first look's reading (see
/// [`extent`]) reads something else, not the same body: turning a crop does not shrink a body.
/// Without this rule a blurred skier seen from behind (the first look under
/// [`CONFIDENT_SCORE`]) was replaced by a confident "person" read in a speck at the crop's
/// edge, a seventh of the skier's size.
const SAME_BODY_MIN_SHARE: f32 = 0.25;

/// Runs one MoveNet model. Holds its buffers so that a frame costs no allocation beyond the
/// runtime's own.
pub struct PoseEstimator {
    session: Session,
    kind: ModelKind,
    id: ModelId,
    resizer: Resizer,
    /// Scratch buffers, reused from frame to frame.
    input_image: RgbImage,
    input: ModelInput,
    /// Model runs so far (see [`PoseEstimator::model_runs`]).
    runs: u64,
    steps: Steps,
}

/// The steps of the photo pipeline ([`PoseEstimator::estimate`]) after the first look, each of
/// which can be switched off to measure what it buys (`gonio eval --without`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// Search square windows of a wide or tall frame when the whole frame shows nobody.
    pub windows: bool,
    /// Turn the crop until the body stands upright in the model input (quarter turns, and a
    /// leaning body by its own axis).
    pub turns: bool,
    /// Look again in a square around the person found, so that a small figure fills the input.
    pub refine: bool,
}

impl Default for Steps {
    fn default() -> Self {
        Steps {
            windows: true,
            turns: true,
            refine: true,
        }
    }
}

impl PoseEstimator {
    /// Loads `kind` from the first folder of the model search path that holds it (see
    /// [`super::install`]), running inference on `threads` threads (0 = runtime's choice).
    pub fn new(runtime: &Runtime, kind: ModelKind, threads: usize) -> Result<Self, PoseError> {
        Self::from_file(runtime, &find_model_file(kind.file_name())?, kind, threads)
    }

    /// Loads `kind` from `model_dir`, running inference on `threads` threads (0 = runtime's
    /// choice).
    pub fn from_dir(
        runtime: &Runtime,
        model_dir: &Path,
        kind: ModelKind,
        threads: usize,
    ) -> Result<Self, PoseError> {
        Self::from_file(runtime, &kind.path_in(model_dir), kind, threads)
    }

    /// Loads the model file at `path`, which must be a MoveNet `kind`.
    fn from_file(
        runtime: &Runtime,
        path: &Path,
        kind: ModelKind,
        threads: usize,
    ) -> Result<Self, PoseError> {
        let path = path.to_path_buf();
        let (bytes, session) = load_model(runtime, &path, threads)?;
        let n = kind.input_size();
        // Another model under the expected name would fail at its first frame with a message
        // about tensor dimensions: say here what the file is not.
        let layout = Layout::of(&session)
            .filter(|(_, [h, w])| [*h, *w].iter().all(|&d| d == i64::from(n) || d < 0))
            .map(|(layout, _)| layout);
        let Some(layout) = layout else {
            let shape: Vec<i64> = session
                .inputs()
                .first()
                .and_then(|input| input.dtype().tensor_shape())
                .map(|shape| shape.to_vec())
                .unwrap_or_default();
            return Err(PoseError::ModelLoad {
                path,
                message: format!(
                    "not a MoveNet {} model: its input is {shape:?}, expected an image of {n}x{n} pixels ([1, 3, {n}, {n}] float or [1, {n}, {n}, 3] int32)",
                    kind.name()
                ),
            });
        };
        let id = ModelId::of_bytes(kind, &bytes);
        Ok(PoseEstimator {
            session,
            kind,
            id,
            resizer: Resizer::new(),
            input_image: RgbImage::new(n, n),
            input: ModelInput::new(layout),
            runs: 0,
            steps: Steps::default(),
        })
    }

    /// The model's name and hash, to store with every result.
    pub fn model_id(&self) -> &ModelId {
        &self.id
    }

    /// Which model this is.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// Switches steps of the photo pipeline on or off (all on by default).
    pub fn set_steps(&mut self, steps: Steps) {
        self.steps = steps;
    }

    /// How many times the model has run since this estimator was made: the cost of a frame is
    /// the difference across it (one run per crop or turn looked at).
    pub fn model_runs(&self) -> u64 {
        self.runs
    }

    /// The pose of the most prominent person in a whole frame: the letterboxed frame first
    /// (square windows of it when that shows nobody), then the view in which the body stands
    /// upright and, for a small person, a second look around them (see `zoom_and_stand_up`).
    pub fn estimate(&mut self, frame: &RgbImage) -> Result<Pose, PoseError> {
        let n = self.kind.input_size();
        let whole = SquareCrop::letterbox(frame.width(), frame.height(), n);
        let mut first = self.estimate_in_crop(frame, whole)?;
        if !first.has_person() && self.steps.windows {
            // A person small in a wide frame can vanish in the letterbox: look again in square
            // windows as high as the frame's shorter side, half overlapping.
            for window in sliding_windows(frame.width(), frame.height(), n) {
                let pose = self.estimate_in_crop(frame, window)?;
                if pose.has_person() && pose.score > first.score {
                    first = pose;
                }
            }
        }
        self.zoom_and_stand_up(frame, whole, first)
    }

    /// The photo pipeline of [`PoseEstimator::estimate`] on a square `view` of the frame
    /// instead of the whole frame (frame pixels, as a box the user or an annotation gives).
    pub fn estimate_in_square(
        &mut self,
        frame: &RgbImage,
        view: SquareCrop,
    ) -> Result<Pose, PoseError> {
        let look = self.estimate_in_crop(frame, view)?;
        self.zoom_and_stand_up(frame, view, look)
    }

    /// The pose of the person that `near` (a detector's reading of them, frame pixels) shows
    /// in the square `view` of the frame: the photo pipeline of
    /// [`PoseEstimator::estimate_in_square`] with its first look on a square around `near`
    /// (at most the view's size), so that the model reads this person and not a more
    /// prominent one.
    pub fn estimate_near(
        &mut self,
        frame: &RgbImage,
        near: &Pose,
        whole: SquareCrop,
    ) -> Result<Pose, PoseError> {
        let whole = SquareCrop {
            input_size: self.kind.input_size(),
            ..whole
        };
        // The square around the subject even when it is nearly the whole view: the whole view
        // is what the model read someone else in.
        let view = refinement_crop(near, whole).unwrap_or(whole);
        self.estimate_in_square(frame, view)
    }

    /// The rest of the photo pipeline after the model's first reading `look` of the square
    /// `view` of the frame: the view in which the body stands upright, then, when the person is
    /// small in it, a second look in a square around them ([`REFINE_MAX_SIDE`]). When no view
    /// was trusted (a small body is hard to orient), the upright view is searched for in that
    /// square instead, where the model sees the body at a size it reads well.
    fn zoom_and_stand_up(
        &mut self,
        frame: &RgbImage,
        view: SquareCrop,
        look: Pose,
    ) -> Result<Pose, PoseError> {
        let (first, turn, trusted) = self.upright_view(frame, view, look)?;
        let Some(crop) = refinement_crop(&first, view)
            .filter(|_| self.steps.refine)
            .filter(|c| c.side_in_frame < REFINE_MAX_SIDE * view.side_in_frame)
        else {
            return Ok(first);
        };
        let second = if trusted {
            self.estimate_in_view(frame, crop, turn)?
        } else {
            let seed = self.estimate_in_crop(frame, crop)?;
            self.upright_view(frame, crop, seed)?.0
        };
        Ok(if second.score >= first.score {
            second
        } else {
            first
        })
    }

    /// Given a pose found without rotation, finds the turn of the crop under which the body
    /// stands upright in the model input (upright-trained models fail on many lying and
    /// leaning bodies) and returns the pose found there.
    ///
    /// A view is *consistent* when the pose it finds stands upright in it: the turn that pose
    /// asks for ([`turn_to_stand_up`]) is within 45 degrees of the view's own. A model shown a
    /// body upside down or sideways often reads it confidently but wrongly (head and feet
    /// swapped, a leg folded), so consistency decides, not confidence. A view is *trusted* when
    /// it is consistent with a mean confidence of [`CONFIDENT_SCORE`] or more.
    ///
    /// Views are tried in the order none, the quarter turn the first pose asks for, the other
    /// quarter turns, stopping at the first trusted view. A body leaning more than
    /// [`LEVEL_MIN_DEG`] away from every quarter turn is first read turned by its own axis, and
    /// the views up to its nearest quarter turn (that one, no turn, and the axis) are compared:
    /// the most confident trusted one wins, the earlier on a tie. Without a trusted view (a
    /// small, hidden or cut-off body), the most confident consistent view, else the most
    /// confident view. Measured per development set when this rule was made (`gonio eval
    /// --reference single-pass`): turned by 90 degrees, knee-error means of 3.8 to 12.3 deg
    /// instead of 13.3 to 45.0; turned by 30 degrees, 3.1 to 11.7 instead of 6.7 to 16.5
    /// (quarter turns alone: 5.2 to 17.9). The current figures are in the README. A view whose
    /// reading spans less than [`SAME_BODY_MIN_SHARE`] of the first look's is not of the same
    /// body and counts as none of these.
    ///
    /// Last, when the body still leans more than [`LEVEL_MIN_DEG`] in the view chosen, the crop
    /// is read once more turned by the axis *that* view gives: a tilted body read in the first
    /// look gives a poor axis, the view nearest upright a better one. The new view replaces the
    /// chosen one when it is trusted and more confident (or, with no trusted view, consistent
    /// and more confident). Pooled over twelve development sets: 0.09 to 0.16 more model runs
    /// per person, knee / hip error means of 22.8 / 17.6 instead of 23.1 / 17.8 deg at 30
    /// degrees and 19.6 / 17.9 instead of 19.9 / 18.2 among others (OCHuman's crowds: 8.6 / 11.5
    /// instead of 12.3 / 17.4), upright photos unchanged, no set worse. Pooled over the seven
    /// sets `cargo test` reads, at 60 degrees: 19.3 / 16.7 instead of 19.8 / 17.4.
    fn upright_view(
        &mut self,
        frame: &RgbImage,
        crop: SquareCrop,
        first: Pose,
    ) -> Result<(Pose, CropTurn, bool), PoseError> {
        let first_extent = extent(&first);
        let (pose, turn, trusted) =
            self.upright_view_from_first(frame, crop, first, first_extent)?;
        if !self.steps.turns || !pose.has_person() {
            return Ok((pose, turn, trusted));
        }
        // The turn that stands the body up as the chosen view read it (keypoints are in frame
        // pixels, so this is a turn of the frame's crop, like the view's own).
        let axis = turn_to_stand_up(&pose);
        if axis.difference(turn) <= LEVEL_MIN_DEG {
            return Ok((pose, turn, trusted));
        }
        let second = self.estimate_in_view(frame, crop, axis)?;
        if !same_body(first_extent, &second) {
            return Ok((pose, turn, trusted));
        }
        let consistent = turn_to_stand_up(&second).difference(axis) < 45.0;
        let second_trusted = consistent && second.score >= CONFIDENT_SCORE;
        // Even over a chosen view that was only the most confident (not consistent), the new
        // view must be more confident: letting consistency alone decide there read the
        // development set's acrobats worse (upside down, knee-error mean 29.1 against 8.3 deg).
        let better = if trusted {
            second_trusted && second.score > pose.score
        } else {
            consistent && second.score > pose.score
        };
        Ok(if better {
            (second, axis, second_trusted)
        } else {
            (pose, turn, trusted)
        })
    }

    /// The view of [`Self::upright_view`] before its last step: the views the first look's axis
    /// leads to. `first_extent` is the first look's [`extent`].
    fn upright_view_from_first(
        &mut self,
        frame: &RgbImage,
        crop: SquareCrop,
        first: Pose,
        first_extent: Option<f32>,
    ) -> Result<(Pose, CropTurn, bool), PoseError> {
        if !self.steps.turns {
            let trusted = first.score >= CONFIDENT_SCORE;
            return Ok((first, CropTurn::NONE, trusted));
        }
        let asked = turn_to_stand_up(&first);
        let quarter = CropTurn::from(asked.nearest_quarter());
        let leaning = asked.difference(quarter) > LEVEL_MIN_DEG;
        let mut order = Vec::with_capacity(5);
        if leaning {
            order.push(asked);
        }
        order.push(CropTurn::NONE);
        for turn in
            std::iter::once(quarter).chain((1..4).map(|q| CropTurn::from(QuarterTurns::new(q))))
        {
            if !order.contains(&turn) {
                order.push(turn);
            }
        }
        // With a leaning body, the views up to its nearest quarter turn are compared before any
        // is taken.
        let mut compare_until = leaning
            .then(|| order.iter().position(|&t| t == quarter))
            .flatten();
        let mut best_trusted: Option<(Pose, CropTurn)> = None;
        let mut most_consistent: Option<(Pose, CropTurn)> = None;
        let mut most_confident: Option<(Pose, CropTurn)> = None;
        let mut first = Some(first);
        for (i, turn) in order.into_iter().enumerate() {
            let pose = match (turn == CropTurn::NONE).then(|| first.take()).flatten() {
                Some(pose) => pose,
                None => self.estimate_in_view(frame, crop, turn)?,
            };
            let other_body = !same_body(first_extent, &pose);
            let consistent = !other_body && turn_to_stand_up(&pose).difference(turn) < 45.0;
            if consistent && pose.score >= CONFIDENT_SCORE {
                if compare_until.is_none() {
                    return Ok((pose, turn, true));
                }
                if best_trusted.is_none_or(|(best, _)| pose.score > best.score) {
                    best_trusted = Some((pose, turn));
                }
            }
            if compare_until == Some(i) {
                if let Some((pose, turn)) = best_trusted {
                    return Ok((pose, turn, true));
                }
                compare_until = None;
            }
            // On a tie the later view wins.
            if consistent && most_consistent.is_none_or(|(best, _)| pose.score >= best.score) {
                most_consistent = Some((pose, turn));
            }
            if !other_body && most_confident.is_none_or(|(best, _)| pose.score >= best.score) {
                most_confident = Some((pose, turn));
            }
        }
        let (pose, turn) = most_consistent
            .or(most_confident)
            .unwrap_or((Pose::nobody(), CropTurn::NONE));
        Ok((pose, turn, false))
    }

    /// The pose in a square crop around `near` (a pose of the same person in frame pixels: the
    /// previous frame's, or a detector's), turned so that the body stands upright in the model
    /// input; None when `near` shows no person to crop around.
    pub fn estimate_around(
        &mut self,
        frame: &RgbImage,
        near: &Pose,
    ) -> Result<Option<Pose>, PoseError> {
        let whole = SquareCrop::letterbox(frame.width(), frame.height(), self.kind.input_size());
        let Some(crop) = refinement_crop(near, whole) else {
            return Ok(None);
        };
        // Quarter turns only: a video's crop follows the body from frame to frame, and a turn by
        // the body's own axis would sway with every movement of the trunk.
        let turn = CropTurn::from(turn_to_stand_up(near).nearest_quarter());
        self.estimate_in_view(frame, crop, turn).map(Some)
    }

    /// Runs the model on one square crop of the frame; keypoints come back in frame pixels.
    pub fn estimate_in_crop(
        &mut self,
        frame: &RgbImage,
        crop: SquareCrop,
    ) -> Result<Pose, PoseError> {
        self.estimate_in_view(frame, crop, CropTurn::NONE)
    }

    /// Runs the model on one square crop of the frame turned by `turn` (see [`CropTurn`]);
    /// keypoints come back in frame pixels.
    pub fn estimate_in_view(
        &mut self,
        frame: &RgbImage,
        crop: SquareCrop,
        turn: CropTurn,
    ) -> Result<Pose, PoseError> {
        let n = self.kind.input_size();
        let crop = SquareCrop {
            input_size: n,
            ..crop
        };
        let mut rendered = std::mem::take(&mut self.input_image);
        turn.render(crop, frame, &mut self.resizer, &mut rendered);
        let keypoints_in_input = self.infer(&rendered);
        self.input_image = rendered;
        let keypoints_in_crop = keypoints_in_input?.map(|k| {
            let (x, y) = turn.crop_from_input(k.x, k.y, n);
            Keypoint { x, y, ..k }
        });
        Ok(pose_in_frame(&crop, &keypoints_in_crop))
    }

    /// Runs the model on an image already at input size (see [`SquareCrop::render`]); keypoints
    /// come back in input pixels.
    pub fn infer(&mut self, input: &RgbImage) -> Result<[Keypoint; KEYPOINT_COUNT], PoseError> {
        let n = self.kind.input_size() as usize;
        if input.width() as usize != n || input.height() as usize != n {
            return Err(PoseError::Inference(format!(
                "input is {}x{} pixels, the model takes {n}x{n}",
                input.width(),
                input.height()
            )));
        }
        self.input.fill([n, n], input.as_raw(), n);
        self.runs += 1;
        let output = Output {
            values: KEYPOINT_COUNT * 3,
            shape: "[1, 1, 17, 3]",
        };
        run_image_model(&mut self.session, &self.input, output, |values| {
            let mut keypoints_in_input = [Keypoint::default(); KEYPOINT_COUNT];
            for (k, yxs) in keypoints_in_input.iter_mut().zip(values.chunks_exact(3)) {
                // MoveNet emits (y, x, score) with y and x in 0..1 of the input.
                *k = Keypoint {
                    x: yxs[1] * n as f32,
                    y: yxs[0] * n as f32,
                    confidence: yxs[2],
                };
            }
            keypoints_in_input
        })
    }
}

/// The size a model's first output must have: its number of values, and its shape for messages.
pub(crate) struct Output {
    pub values: usize,
    pub shape: &'static str,
}

/// Runs a MoveNet model on one image (see [`ModelInput`]) and hands its first output, checked
/// against `output`, to `read`.
pub(crate) fn run_image_model<T>(
    session: &mut Session,
    input: &ModelInput,
    output: Output,
    read: impl FnOnce(&[f32]) -> T,
) -> Result<T, PoseError> {
    let error = |e: ort::Error| PoseError::Inference(e.to_string());
    let outputs = session.run([input.tensor()?]).map_err(error)?;
    let (shape, values) = outputs[0].try_extract_tensor::<f32>().map_err(error)?;
    if values.len() != output.values {
        return Err(PoseError::UnexpectedOutput {
            shape: shape.to_vec(),
            expected: output.shape,
        });
    }
    Ok(read(values))
}

/// The turn that would stand this pose's body upright: from its hips towards its shoulders
/// (else its nose), using keypoints with confidence 0.2 or more. No turn when the pose gives no
/// direction.
pub fn turn_to_stand_up(pose: &Pose) -> CropTurn {
    let mean = |parts: &[BodyPart]| {
        let found: Vec<Keypoint> = parts
            .iter()
            .map(|&p| pose.get(p))
            .filter(|k| k.confidence >= CROP_MIN_CONFIDENCE)
            .collect();
        (!found.is_empty()).then(|| {
            let n = found.len() as f32;
            (
                found.iter().map(|k| k.x).sum::<f32>() / n,
                found.iter().map(|k| k.y).sum::<f32>() / n,
            )
        })
    };
    let hips = mean(&[BodyPart::LeftHip, BodyPart::RightHip]);
    let head_end = mean(&[BodyPart::LeftShoulder, BodyPart::RightShoulder])
        .or_else(|| mean(&[BodyPart::Nose]));
    match (hips, head_end) {
        (Some(h), Some(s)) if (s.0 - h.0).hypot(s.1 - h.1) > 1.0 => {
            CropTurn::to_stand_up(s.0 - h.0, s.1 - h.1)
        }
        _ => CropTurn::NONE,
    }
}

/// How far a pose's keypoints spread: the diagonal of the box around those with confidence
/// [`CROP_MIN_CONFIDENCE`] or more, pixels; None with fewer than two of them.
fn extent(pose: &Pose) -> Option<f32> {
    if pose.confident_count(CROP_MIN_CONFIDENCE) < 2 {
        return None;
    }
    confident_box(pose).map(|(left, top, right, bottom)| (right - left).hypot(bottom - top))
}

/// The box around the keypoints with confidence [`CROP_MIN_CONFIDENCE`] or more, frame pixels
/// (left, top, right, bottom); None without such keypoints.
fn confident_box(pose: &Pose) -> Option<(f32, f32, f32, f32)> {
    pose.keypoints
        .iter()
        .filter(|k| k.confidence >= CROP_MIN_CONFIDENCE)
        .fold(None, |found, k| {
            let (left, top, right, bottom) = found.unwrap_or((k.x, k.y, k.x, k.y));
            Some((left.min(k.x), top.min(k.y), right.max(k.x), bottom.max(k.y)))
        })
}

/// Whether `other`, a turned view of a crop whose first look spanned `first_extent` pixels (see
/// [`extent`]), may read the same body: it spans at least [`SAME_BODY_MIN_SHARE`] of that.
/// True when the first look gives no extent (fewer than two keypoints to measure it by); false
/// when `other` gives none.
fn same_body(first_extent: Option<f32>, other: &Pose) -> bool {
    first_extent.is_none_or(|e| extent(other).is_some_and(|x| x >= SAME_BODY_MIN_SHARE * e))
}

/// Maps keypoints from crop pixels (the unrotated `input_size` square) back to frame pixels.
pub fn pose_in_frame(crop: &SquareCrop, keypoints_in_crop: &[Keypoint; KEYPOINT_COUNT]) -> Pose {
    Pose::from_keypoints(keypoints_in_crop.map(|k| {
        let (x, y) = crop.frame_from_input(k.x, k.y);
        Keypoint {
            x,
            y,
            confidence: k.confidence,
        }
    }))
}

/// Reads an ONNX file and builds its session on `threads` threads (0 = runtime's choice);
/// returns the file's bytes too (for its id).
pub(crate) fn load_model(
    runtime: &Runtime,
    path: &Path,
    threads: usize,
) -> Result<(Vec<u8>, Session), PoseError> {
    let load_error = |message: String| PoseError::ModelLoad {
        path: path.to_path_buf(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PoseError::ModelNotFound {
            file: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            searched: path
                .parent()
                .map_or_else(String::new, |d| d.display().to_string()),
        },
        _ => load_error(e.to_string()),
    })?;
    let session = match runtime.provider() {
        Provider::Cpu => build_session(runtime, &bytes, threads, Provider::Cpu)
            .map_err(|e| load_error(e.to_string()))?,
        Provider::Cuda => match build_session(runtime, &bytes, threads, Provider::Cuda) {
            Ok(session) => session,
            // `auto` takes the CPU when the GPU fails (no driver, no device); `cuda` says why.
            Err(e) if runtime.asked_for_auto() => {
                runtime.fell_back(e.to_string().trim());
                build_session(runtime, &bytes, threads, Provider::Cpu)
                    .map_err(|e| load_error(e.to_string()))?
            }
            Err(e) => return Err(PoseError::CudaFailed(e.to_string().trim().to_string())),
        },
    };
    Ok((bytes, session))
}

fn build_session(
    runtime: &Runtime,
    model: &[u8],
    threads: usize,
    provider: Provider,
) -> ort::Result<Session> {
    let mut builder = Session::builder(&runtime.environment)?
        .with_optimization_level(GraphOptimizationLevel::Level3)?
        .with_inter_threads(1)?
        // Threads that spin between runs take the core the decoder (or the camera, or the
        // browser) needs: measured on 2 cores, two spinning threads were 1.34x slower in batch
        // than two that sleep, and slower than one.
        .with_intra_op_spinning(false)?;
    if threads > 0 {
        builder = builder.with_intra_threads(threads)?;
    }
    if provider == Provider::Cuda {
        builder = builder
            .with_execution_providers([ort::ep::CUDA::default().build().error_on_failure()])?;
    }
    builder.commit_from_memory(model)
}

/// Fewest pixels on the shorter side of a frame that can show a person worth measuring.
const MIN_WINDOW_PX: f32 = 32.0;
/// Most windows searched in one frame: the cost of a panorama or a strip stays bounded.
const MAX_WINDOWS: usize = 16;

/// Square windows of the frame's shorter side, stepping half a side along the longer one (the
/// last one flush with the far edge), at most [`MAX_WINDOWS`] (then further apart). Empty for a
/// square frame, which the letterbox covers, and for a strip too thin to hold a person.
fn sliding_windows(width: u32, height: u32, input_size: u32) -> Vec<SquareCrop> {
    let (short, long) = (width.min(height) as f32, width.max(height) as f32);
    if long - short < 1.0 || short < MIN_WINDOW_PX {
        return Vec::new();
    }
    let step = (short / 2.0).max((long - short) / (MAX_WINDOWS - 1) as f32);
    let steps = ((long - short) / step).ceil() as usize;
    (0..=steps)
        .map(|i| {
            let offset = (i as f32 * step).min(long - short);
            let (left, top) = if width >= height {
                (offset, 0.0)
            } else {
                (0.0, offset)
            };
            SquareCrop {
                left_in_frame: left,
                top_in_frame: top,
                side_in_frame: short,
                input_size,
            }
        })
        .collect()
}

/// Where to look again after a first pass on the whole frame: a square around the confident
/// keypoints, centred on the hips, with room for the limbs (the crop rule of the MoveNet
/// reference implementation). None when the first pass found no person.
fn refinement_crop(pose: &Pose, whole: SquareCrop) -> Option<SquareCrop> {
    if !pose.has_person() {
        return None;
    }
    let confident = |p: BodyPart| {
        let k = pose.get(p);
        (k.confidence >= CROP_MIN_CONFIDENCE).then_some(k)
    };
    let (lh, rh) = (confident(BodyPart::LeftHip), confident(BodyPart::RightHip));
    let (cx, cy) = match (lh, rh) {
        (Some(l), Some(r)) => ((l.x + r.x) / 2.0, (l.y + r.y) / 2.0),
        _ => {
            // No hips: centre on the confident keypoints' box.
            let (left, top, right, bottom) = confident_box(pose)?;
            ((left + right) / 2.0, (top + bottom) / 2.0)
        }
    };
    let torso = [
        BodyPart::LeftShoulder,
        BodyPart::RightShoulder,
        BodyPart::LeftHip,
        BodyPart::RightHip,
    ];
    let mut torso_range: f32 = 0.0;
    let mut body_range: f32 = 0.0;
    for part in BodyPart::ALL {
        if let Some(k) = confident(part) {
            let d = (k.x - cx).abs().max((k.y - cy).abs());
            body_range = body_range.max(d);
            if torso.contains(&part) {
                torso_range = torso_range.max(d);
            }
        }
    }
    let half_side = (torso_range * 1.9).max(body_range * 1.2);
    if half_side <= 0.0 {
        return None;
    }
    // Never larger than the whole-frame square: beyond that only padding is added.
    let side = (2.0 * half_side).min(whole.side_in_frame);
    Some(SquareCrop::centred(cx, cy, side, whole.input_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pose with its keypoints on a line from (x, y), `step` pixels apart, at `confidence`.
    fn pose_along(x: f32, y: f32, step: f32, confidence: f32) -> Pose {
        Pose::from_keypoints(std::array::from_fn(|i| Keypoint {
            x: x + step * i as f32,
            y: y + step * i as f32,
            confidence,
        }))
    }

    #[test]
    fn extent_is_the_diagonal_of_the_confident_keypoints() {
        let mut pose = pose_along(10.0, 20.0, 3.0, 0.9);
        // 16 steps of 3 pixels along x and y.
        assert!((extent(&pose).unwrap_or(0.0) - 48.0 * 2f32.sqrt()).abs() < 1e-3);
        // A far keypoint under CROP_MIN_CONFIDENCE does not count.
        pose.keypoints[16] = Keypoint {
            x: 500.0,
            y: 500.0,
            confidence: 0.1,
        };
        assert!((extent(&pose).unwrap_or(0.0) - 45.0 * 2f32.sqrt()).abs() < 1e-3);
        assert_eq!(extent(&pose_along(0.0, 0.0, 3.0, 0.1)), None);
    }

    #[test]
    fn a_speck_is_not_the_same_body() {
        let body = pose_along(100.0, 50.0, 10.0, 0.5);
        let first = extent(&body);
        assert!(same_body(first, &body), "the first look is its own body");
        // A body turned on its side spans as much.
        assert!(same_body(first, &pose_along(300.0, 50.0, 9.0, 0.5)));
        // A speck at the edge: a seventh of the body's size.
        assert!(!same_body(first, &pose_along(5.0, 120.0, 1.4, 0.8)));
        // A view that found no keypoints to measure is no view of the body...
        assert!(!same_body(first, &pose_along(5.0, 120.0, 1.4, 0.05)));
        // ...and a first look without them judges nothing.
        assert!(same_body(None, &pose_along(5.0, 120.0, 1.4, 0.8)));
    }
}
