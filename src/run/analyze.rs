//! Batch analysis of recordings: each input through the stages (frames -> tracked poses ->
//! angle series -> protocol results), then its outputs (per-frame CSV, result JSON, plot and
//! evidence picture) and its rows in the session store, saved as soon as it is measured.
//! Inputs are shared out to `jobs` threads, each with its own models. Progress is reported as
//! [`Progress`] events; nothing is printed.

use std::collections::{HashMap, HashSet};
use std::io;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::pipeline::{
    sources_from, track_source, LeftOut, PipelineError, Source, Timings, Tracked,
};
use super::resume::{self, Analysis, Earlier, InputStamp, NotTaken, ResultsFile};
use super::save::{
    check_destination, check_recording, picture_of, save_results, Recording, SaveTo, Saved,
};
use super::shard::Shard;
use super::{batch_key, StopRequest};
use crate::angles::{AngleSeries, SeriesOptions, Side};
use crate::capture::video::{frame_at, frame_number};
use crate::capture::{load_image, CaptureError, VideoError};
use crate::pose::MULTIPOSE_FILE;
use crate::pose::{
    find_model_file, Device, ModelKind, PeopleSeen, PersonDetector, Pick, PoseError, PoseEstimator,
    Runtime, SubjectFinder,
};
use crate::protocols::{
    self, HoldCriteria, Measurement, Protocol, SideChoice, Warning, WarningKind,
};
use crate::report::evidence::{draw_result_evidence, ResultInFrame};
use crate::report::frames_csv::{is_frames_csv, write_frames_csv};
use crate::report::plot::result_plot;
use crate::report::{output_folder, save_png, write_atomically, WriteError};
use crate::store::{file_sha256, StoreError};

/// Who is measured when several people may be in view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum People {
    /// Only one person is ever in view: no person detector.
    Single,
    /// A person detector finds everyone; `Pick` chooses the subject and the lock follows them.
    Several(Pick),
}

impl People {
    /// The subject finder for this choice, its person detector (if any) on `threads` threads.
    pub fn finder(self, threads: usize) -> Result<SubjectFinder, PoseError> {
        Ok(match self {
            People::Single => SubjectFinder::single(),
            People::Several(pick) => {
                SubjectFinder::multi(PersonDetector::new(Runtime::load()?, threads)?, pick)
            }
        })
    }
}

/// How a batch is analysed.
#[derive(Debug, Clone)]
pub struct AnalyzeConfig {
    pub protocol: &'static Protocol,
    pub side: SideChoice,
    pub hold: HoldCriteria,
    pub series: SeriesOptions,
    /// Folder for the outputs of each input; None writes none.
    pub out: Option<PathBuf>,
    /// Frame rate of folders of frames, frames per second.
    pub frames_fps: Option<f64>,
    /// Analyse at most this many video frames per second; None = every frame.
    pub max_fps: Option<f64>,
    /// Inputs analysed at once, each job with its own models.
    pub jobs: usize,
    pub model: ModelKind,
    /// Inference threads per job; 0 = share the cores out (see [`super::inference_threads`]).
    pub threads: usize,
    /// Where inference runs (the process's runtime is loaded for it once).
    pub device: Device,
    pub people: People,
    /// Where results are saved as each input is measured; None saves nothing.
    pub save: Option<SaveTo>,
    /// Names inputs are shown and saved under instead of their paths (an uploaded file's own
    /// name rather than the temporary file it was written to).
    pub names: HashMap<PathBuf, String>,
    /// Ends the batch early when requested (Ctrl-C): the inputs under way are finished, written
    /// and saved, and no other is started.
    pub stop: Option<StopRequest>,
    /// Ends the batch at once when requested, the input under way too, between two frames (the
    /// clinic app's "Cancel"): that input fails as stopped, nothing of it is written or saved.
    pub abandon: Option<StopRequest>,
    /// Takes an input's results from an earlier result JSON in `out` instead of analysing it
    /// again, when the input, gonio and the settings are the same and its outputs are all there
    /// (see [`super::resume`]).
    pub resume: bool,
}

/// What one input produced.
#[derive(Debug, serde::Serialize)]
pub struct FileReport {
    pub source: String,
    pub frames: usize,
    pub frames_with_person: usize,
    /// Frames per second of the whole analysis of this input.
    pub frames_per_second: f64,
    pub timings: Timings,
    /// People in view and the subject lock's certainty.
    pub people: PeopleSeen,
    /// Seconds spent on the angle series and the protocol.
    pub angles_s: f64,
    /// Files written for this input.
    pub outputs: Vec<PathBuf>,
    /// Why the outputs could not all be written (a full disk, a folder made read-only during
    /// the batch); the results are kept and reported all the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_error: Option<String>,
    /// Other subjects this recording is saved for too (when saving): most often the wrong
    /// subject was given for one of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_saved_for: Vec<String>,
    /// The earlier result JSON the results were taken from (`resume`): the input was not
    /// analysed again, and the timings are zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<PathBuf>,
    #[serde(skip)]
    pub results: Vec<Measurement>,
    /// The error behind `output_error`, moved into the batch's errors.
    #[serde(skip)]
    pub not_written: Option<RunError>,
}

/// Why an input (or the whole batch) could not be analysed. Every variant names its file.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Model(#[from] PoseError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Video(#[from] VideoError),
    #[error("{source_name}: not saved: {error}")]
    NotSaved {
        source_name: String,
        #[source]
        error: StoreError,
    },
    /// The input's recording is saved in another session of the subject: refused before it was
    /// analysed (see [`super::save::check_recording`]).
    #[error("{source_name}: not analysed: {error}")]
    NotAnalysed {
        source_name: String,
        #[source]
        error: StoreError,
    },
    /// The results could not be saved where asked (checked before any input is analysed).
    // (The store's error is in the message, not the source: `{:#}` would print it twice.)
    #[error("nothing analysed: the results could not be saved: {error}")]
    CannotSave { error: StoreError },
    #[error("{path}: {source}")]
    Output {
        path: PathBuf,
        source: crate::report::DrawError,
    },
    /// A shard's output name holds another input's results, or files written since the batch
    /// started: the batch changed since other shards ran, or another run writes into the same
    /// folder. Nothing is written over.
    #[error("{}: not written over: {holds}; give each batch its own --out folder", path.display())]
    OutputTaken { path: PathBuf, holds: String },
    #[error("a job stopped unexpectedly: the results of this batch that were saved are in the database, the rest are lost")]
    JobDied,
}

impl RunError {
    /// The input or file this error is about, for listing errors by input.
    pub fn source_name(&self) -> String {
        match self {
            RunError::Pipeline(PipelineError::Folder { path, .. })
            | RunError::Pipeline(PipelineError::FramesNeedFps { path })
            | RunError::Pipeline(PipelineError::NothingInFolder { path })
            | RunError::Pipeline(PipelineError::Unsupported { path })
            | RunError::Pipeline(PipelineError::BrokenLink { path, .. })
            | RunError::Output { path, .. }
            | RunError::OutputTaken { path, .. } => path.display().to_string(),
            RunError::Pipeline(PipelineError::Capture(e)) | RunError::Capture(e) => {
                e.path().display().to_string()
            }
            RunError::Write(e) => e.path.display().to_string(),
            RunError::NotSaved { source_name, .. } | RunError::NotAnalysed { source_name, .. } => {
                source_name.clone()
            }
            RunError::Video(e) => e
                .path()
                .map_or_else(|| e.to_string(), |p| p.display().to_string()),
            other => other.to_string(),
        }
    }
}

/// What happens during a batch, as it happens (from the jobs' threads).
#[derive(Debug)]
pub enum Progress<'a> {
    /// An input that cannot be analysed at all (a folder without frames or videos); the others
    /// go on.
    Unusable { error: &'a RunError },
    /// Input `index` (of [`Batch::sources`]) is being analysed.
    Started { index: usize, source: &'a Path },
    /// Input `index` has this many frames analysed so far.
    Frames { index: usize, frames: usize },
    /// Input `index` is measured (and its outputs written).
    Finished { index: usize, file: &'a FileReport },
    /// Input `index` failed; the others go on.
    Failed { index: usize, error: &'a RunError },
    /// Input `index` had an earlier result in the output folder that could not be taken
    /// (`resume`): it is analysed again.
    NotResumed { index: usize, why: &'a NotTaken },
    /// Input `index` was measured, but its results could not be saved.
    NotSaved { index: usize, error: &'a RunError },
    /// Input `index`'s results are in the database.
    Saved {
        index: usize,
        session: &'a str,
        /// Earlier results of the same file replaced.
        replaced: usize,
        /// The other file names they were measured from (copies of the same recording).
        replaced_from: &'a [String],
        /// Other subjects measured from the same file (a warning: most often a mistake).
        also_for: &'a [String],
    },
}

/// The inputs of a batch, expanded (folders into their videos or frames).
pub struct Batch {
    pub sources: Vec<Source>,
    /// Inputs that cannot be analysed at all.
    pub unusable: Vec<RunError>,
    /// Files in folders given that were not read, and why.
    pub left_out: Vec<LeftOut>,
    /// Inputs given more than once (also spelled `./a` and `a`, through a link, or named and in
    /// a folder given): each is analysed once, where it first came.
    pub repeated: Vec<PathBuf>,
    /// When this is one shard of a bigger batch: every source path of the whole batch, sorted,
    /// so that an input's output files get the same name whichever job writes them.
    whole: Vec<PathBuf>,
}

impl Batch {
    /// This job's part of the batch (see [`Shard`]): its sources and its unusable inputs, each
    /// reported by exactly one of the shards. An input given twice (also spelled `./a` and `a`)
    /// is taken once.
    pub fn shard(self, shard: Shard) -> Batch {
        enum Input {
            Source(Source),
            Unusable(RunError),
        }
        let key = |input: &Input| match input {
            Input::Source(source) => batch_key(source.path()),
            Input::Unusable(error) => batch_key(Path::new(&error.source_name())),
        };
        let mut inputs: Vec<(PathBuf, Input)> = self
            .sources
            .into_iter()
            .map(Input::Source)
            .chain(self.unusable.into_iter().map(Input::Unusable))
            .map(|input| (key(&input), input))
            .collect();
        inputs.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        inputs.dedup_by(|a, b| a.0 == b.0);
        let whole: Vec<PathBuf> = inputs
            .iter()
            .filter(|(_, input)| matches!(input, Input::Source(_)))
            .map(|(path, _)| path.clone())
            .collect();
        let mut sources = Vec::new();
        let mut unusable = Vec::new();
        for (_, input) in shard.take(inputs, |(path, _)| path.as_path()) {
            match input {
                Input::Source(source) => sources.push(source),
                Input::Unusable(error) => unusable.push(error),
            }
        }
        Batch {
            sources,
            unusable,
            left_out: self.left_out,
            repeated: self.repeated,
            whole,
        }
    }
}

/// An input that failed, or whose outputs or save failed, and why.
#[derive(Debug)]
pub struct Failure {
    /// The input as the user gave it (a folder of frames, not the frame that failed).
    pub input: PathBuf,
    pub error: RunError,
}

/// What a batch produced, in input order.
pub struct BatchReport {
    pub files: Vec<FileReport>,
    /// Inputs that failed (unusable ones first), each with its error; an input measured whose
    /// outputs or save failed is both here and in `files`.
    pub errors: Vec<Failure>,
    /// The session the results were saved into, when any were.
    pub saved_to: Option<String>,
    /// Inputs not analysed because the batch was stopped ([`AnalyzeConfig::stop`]).
    pub not_started: Vec<PathBuf>,
}

/// Expands `inputs` (folders of videos, folders of frames at `frames_fps`, files).
pub fn batch(inputs: &[PathBuf], frames_fps: Option<f64>) -> Batch {
    let mut sources = Vec::new();
    let mut unusable = Vec::new();
    let mut repeated = Vec::new();
    let mut seen = HashSet::new();
    let found = sources_from(inputs, frames_fps);
    for source in found.sources {
        match source {
            // One recording is one trial: given twice, it would be two rows of one result
            // (and written twice).
            Ok(s) if !seen.insert(super::same_file(s.path())) => {
                repeated.push(s.path().to_path_buf())
            }
            Ok(s) => sources.push(s),
            Err(e) => unusable.push(RunError::from(e)),
        }
    }
    Batch {
        sources,
        unusable,
        left_out: found.left_out,
        repeated,
        whole: Vec::new(),
    }
}

/// Analyses every source of `batch`, `config.jobs` at a time, reporting each step to
/// `progress`. An input that fails is reported and the batch goes on; the error returned is for
/// what stops the whole batch (no model, an output folder that cannot be made).
pub fn analyze_batch(
    batch: Batch,
    config: &AnalyzeConfig,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<BatchReport, RunError> {
    // The save is checked first: a refused run leaves no empty output folder behind.
    if let Some(to) = &config.save {
        check_destination(to).map_err(|error| RunError::CannotSave { error })?;
    }
    if let Some(out) = &config.out {
        output_folder(out)?;
    }
    for error in &batch.unusable {
        progress(Progress::Unusable { error });
    }
    let sources = &batch.sources;
    let mut stems = output_stems(sources, &batch.whole, config.out.as_deref());
    let sharded = !batch.whole.is_empty();
    let model_files = ModelFiles::default();
    let resumed = resumed(
        sources,
        &mut stems,
        !batch.whole.is_empty(),
        config,
        &model_files,
        progress,
    );
    let next = AtomicUsize::new(0);
    // An input's report and, when saving, its session and the other subjects saved from it.
    type Done = (
        usize,
        Result<FileReport, RunError>,
        Option<Result<(String, Vec<String>), RunError>>,
    );
    let done: Mutex<Vec<Done>> = Mutex::new(Vec::new());
    let jobs = config.jobs.clamp(1, sources.len().max(1));
    let threads = super::inference_threads(config.threads, jobs);
    let model_failure: Mutex<Option<RunError>> = Mutex::new(None);
    let stopped = || {
        [&config.stop, &config.abandon]
            .into_iter()
            .flatten()
            .any(StopRequest::requested)
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut models: Option<(PoseEstimator, SubjectFinder)> = None;
                loop {
                    if stopped() {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(source) = sources.get(index) else {
                        break;
                    };
                    // The recording as saved, read once for the check before the analysis and the
                    // save after it (a long video's hash is a second of reading).
                    let recording = config.save.as_ref().map(|_| recording_of(source));
                    if let Some(earlier) = &resumed[index] {
                        let file = resumed_report(earlier, shown_name(source, config));
                        progress(Progress::Finished { index, file: &file });
                        let saved =
                            save_and_report(config, recording.as_ref(), &file, index, progress);
                        match done.lock() {
                            Ok(mut done) => done.push((index, Ok(file), saved)),
                            Err(_) => break,
                        }
                        continue;
                    }
                    // One recording is one visit: a recording saved in another session of the
                    // subject is refused before it is analysed, not after.
                    if let Some((to, recording)) = config.save.as_ref().zip(recording.as_ref()) {
                        if let Err(error) = check_recording(to, recording) {
                            let error = RunError::NotAnalysed {
                                source_name: source.path().display().to_string(),
                                error,
                            };
                            progress(Progress::Failed {
                                index,
                                error: &error,
                            });
                            match done.lock() {
                                Ok(mut done) => done.push((index, Err(error), None)),
                                Err(_) => break,
                            }
                            continue;
                        }
                    }
                    if source.needs_model() && models.is_none() {
                        match load_models(config, threads) {
                            Ok(loaded) => models = Some(loaded),
                            Err(e) => {
                                if let Ok(mut failure) = model_failure.lock() {
                                    failure.get_or_insert(e);
                                }
                                break;
                            }
                        }
                    }
                    // (Loading the models takes a while: a stop asked meanwhile is heeded.)
                    if stopped() {
                        break;
                    }
                    progress(Progress::Started {
                        index,
                        source: source.path(),
                    });
                    let (estimator, finder) = match &mut models {
                        Some((e, f)) => (Some(e), f),
                        None => (None, &mut SubjectFinder::single()),
                    };
                    let report = analyze_one(
                        source,
                        GivenName {
                            stem: &stems[index],
                            sharded,
                        },
                        estimator,
                        finder,
                        config,
                        &model_files,
                        &|n| progress(Progress::Frames { index, frames: n }),
                    );
                    match &report {
                        Ok(file) => progress(Progress::Finished { index, file }),
                        Err(error) => progress(Progress::Failed { index, error }),
                    }
                    // Saved as soon as measured, each input in its own transaction: a crash, a
                    // kill or a bad input later in the batch loses nothing measured before.
                    let saved = report.as_ref().ok().and_then(|file| {
                        save_and_report(config, recording.as_ref(), file, index, progress)
                    });
                    match done.lock() {
                        Ok(mut done) => done.push((index, report, saved)),
                        Err(_) => break,
                    }
                }
            });
        }
    });
    if let Some(failure) = model_failure.into_inner().ok().flatten() {
        return Err(failure);
    }
    let mut done = done.into_inner().map_err(|_| RunError::JobDied)?;
    done.sort_by_key(|(i, _, _)| *i);
    let not_started: Vec<PathBuf> = if stopped() {
        let finished: HashSet<usize> = done.iter().map(|(i, _, _)| *i).collect();
        (0..sources.len())
            .filter(|i| !finished.contains(i))
            .map(|i| sources[i].path().to_path_buf())
            .collect()
    } else if done.len() < sources.len() {
        return Err(RunError::JobDied);
    } else {
        Vec::new()
    };
    let mut report = BatchReport {
        files: Vec::new(),
        errors: batch
            .unusable
            .into_iter()
            .map(|error| Failure {
                input: PathBuf::from(error.source_name()),
                error,
            })
            .collect(),
        saved_to: None,
        not_started,
    };
    for (index, file, saved) in done {
        let input = || sources[index].path().to_path_buf();
        match file {
            Ok(mut file) => {
                if let Some(error) = file.not_written.take() {
                    report.errors.push(Failure {
                        input: input(),
                        error,
                    });
                }
                match saved {
                    Some(Ok((session, also_for))) => {
                        report.saved_to = report.saved_to.or(Some(session));
                        file.also_saved_for = also_for;
                    }
                    Some(Err(error)) => report.errors.push(Failure {
                        input: input(),
                        error,
                    }),
                    None => {}
                }
                report.files.push(file);
            }
            Err(error) => report.errors.push(Failure {
                input: input(),
                error,
            }),
        }
    }
    Ok(report)
}

/// An input's session and the other subjects saved from it, or why it was not saved.
type SaveOutcome = Result<(String, Vec<String>), RunError>;

/// Saves `file`'s results, measured from `recording`, when the batch saves (and so has the
/// recording), reporting it to `progress`.
fn save_and_report(
    config: &AnalyzeConfig,
    recording: Option<&Recording>,
    file: &FileReport,
    index: usize,
    progress: &(dyn Fn(Progress) + Sync),
) -> Option<SaveOutcome> {
    let (to, recording) = config.save.as_ref().zip(recording)?;
    let saved = save_file(to, recording, file);
    match &saved {
        Ok(done) => progress(Progress::Saved {
            index,
            session: &to.session,
            replaced: done.replaced,
            replaced_from: &done.replaced_from,
            also_for: &done.also_for,
        }),
        Err(error) => progress(Progress::NotSaved { index, error }),
    }
    Some(saved.map(|done| (to.session.clone(), done.also_for)))
}

/// The earlier result to take for each source (`config.resume`); each source whose earlier
/// result cannot be taken is reported to `progress`, and analysed again. A resumed source's
/// stem becomes its earlier outputs' name; a shard (`fixed_names`) takes only outputs of the
/// name it gives the input, so that no other input of the batch can be given that name.
fn resumed(
    sources: &[Source],
    stems: &mut [String],
    fixed_names: bool,
    config: &AnalyzeConfig,
    model_files: &ModelFiles,
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<Option<Earlier>> {
    let (Some(out), true) = (&config.out, config.resume) else {
        return vec![None; sources.len()];
    };
    let earlier = resume::earlier_results(out, is_results_json);
    sources
        .iter()
        .zip(stems.iter_mut())
        .enumerate()
        .map(|(index, (source, stem))| {
            let found = resume::absolute(source.path())
                .and_then(|input| earlier.by_input.get(&input))
                .and_then(|candidates| {
                    let files = files_of(source);
                    let hash = || resume::content_sha256(source.path(), &files);
                    let settings = settings_of(config, source, model_files);
                    let fixed = fixed_names.then_some(stem.as_str());
                    resume::choose(candidates, resume::bytes_of(&files), hash, &settings, fixed)
                })
                .or_else(|| {
                    // A result JSON cut short or edited says nothing of its input: one of the
                    // input's own name is said.
                    let own = source.path().file_stem()?.to_string_lossy().into_owned();
                    earlier
                        .unreadable
                        .iter()
                        .find(|(json, _)| {
                            json.file_stem().is_some_and(|s| s.to_string_lossy() == own)
                        })
                        .map(|(json, error)| {
                            Err(NotTaken::Unreadable {
                                json: json.clone(),
                                error: error.clone(),
                            })
                        })
                })?;
            match found {
                Ok(taken) => {
                    if let Some(name) = taken.stem() {
                        *stem = name.to_string();
                    }
                    Some(taken.clone())
                }
                Err(why) => {
                    progress(Progress::NotResumed { index, why: &why });
                    None
                }
            }
        })
        .collect()
}

/// The report of an input whose results are taken from an earlier run. The results are shown and saved under the name the input is given now (the earlier run may
/// have spelled its path from another folder).
fn resumed_report(earlier: &Earlier, source: String) -> FileReport {
    let analysis = earlier.analysis.as_ref();
    let mut results = earlier.results.clone();
    for r in &mut results {
        r.source.clone_from(&source);
    }
    FileReport {
        source,
        frames: analysis.map_or(0, |a| a.frames),
        frames_with_person: analysis.map_or(0, |a| a.frames_with_person),
        frames_per_second: 0.0,
        timings: Timings::default(),
        people: analysis.map(|a| a.people).unwrap_or_default(),
        angles_s: 0.0,
        outputs: earlier.outputs(),
        output_error: None,
        also_saved_for: Vec::new(),
        resumed_from: Some(earlier.json.clone()),
        results,
        not_written: None,
    }
}

/// How `source` is as it is analysed: its name, place, size and content hash.
fn stamp_of(source: &Source, config: &AnalyzeConfig) -> Option<InputStamp> {
    InputStamp::of(
        &shown_name(source, config),
        source.path(),
        &files_of(source),
    )
}

/// The recording `source` is, as saved: a file by its content, a folder of frames by its
/// frames' names and content (see [`resume::content_sha256`]), so that one recording is one
/// visit and one trial for frames too.
fn recording_of(source: &Source) -> Recording {
    match source {
        Source::Frames { .. } => Recording {
            sha256: resume::content_sha256(source.path(), &files_of(source)),
            span_s: None,
            gonio_output: false,
        },
        _ => Recording::file(source.path()),
    }
}

/// The files `source` is read from: itself, or a folder's frames in order.
fn files_of(source: &Source) -> Vec<PathBuf> {
    match source {
        Source::Frames { files, .. } => files.clone(),
        other => vec![other.path().to_path_buf()],
    }
}

/// The name `source` is shown and saved under.
fn shown_name(source: &Source, config: &AnalyzeConfig) -> String {
    config
        .names
        .get(source.path())
        .cloned()
        .unwrap_or_else(|| super::shown_path(source.path()))
}

/// What `--resume` compares for `source`: the gonio build and every setting that shapes its
/// result, named by the options that set them. Settings that do not apply to it are left out (a
/// keypoint CSV runs no model; only a video is thinned by `--max-fps`, only a folder of frames
/// timed by `--fps`), and so are the jobs, threads and device: the same model gives the same
/// keypoints on the CPU and the GPU within rounding. A model is its file's content.
fn settings_of(
    config: &AnalyzeConfig,
    source: &Source,
    model_files: &ModelFiles,
) -> serde_json::Value {
    let mut shaping: Vec<(&str, serde_json::Value)> = vec![
        ("--protocol", config.protocol.id.into()),
        ("--side", format!("{:?}", config.side).into()),
        ("--hold-s, --band-deg", format!("{:?}", config.hold).into()),
        ("--min-confidence", format!("{:?}", config.series).into()),
    ];
    if source.needs_model() {
        let (pose, detector) = model_files.sha256(config);
        let model = pose
            .as_ref()
            .map(|sha256| format!("{:?}, sha256 {sha256}", config.model));
        shaping.push(("--model", model.into()));
        let people = match config.people {
            People::Single => "Single".to_string(),
            People::Several(pick) => format!(
                "{pick:?}, detector sha256 {}",
                detector.as_deref().unwrap_or_default()
            ),
        };
        shaping.push(("--pick, --single-person", people.into()));
    }
    match source {
        Source::Video(_) => shaping.push(("--max-fps", config.max_fps.into())),
        Source::Frames { fps, .. } => shaping.push(("--fps", (*fps).into())),
        Source::Image(_) | Source::Keypoints(_) => {}
    }
    resume::settings(&shaping)
}

/// The sha256 of the pose model's and the person detector's files, hashed once per batch when
/// first needed (about 35 MB read): another file under the same name is another model.
#[derive(Default)]
struct ModelFiles(std::sync::OnceLock<(Option<String>, Option<String>)>);

impl ModelFiles {
    fn sha256(&self, config: &AnalyzeConfig) -> &(Option<String>, Option<String>) {
        self.0.get_or_init(|| {
            let hash = |file| {
                find_model_file(file)
                    .ok()
                    .and_then(|path| file_sha256(&path))
            };
            (hash(config.model.file_name()), hash(MULTIPOSE_FILE))
        })
    }
}

/// The pose model and the subject finder one job uses.
fn load_models(
    config: &AnalyzeConfig,
    threads: usize,
) -> Result<(PoseEstimator, SubjectFinder), RunError> {
    let estimator = PoseEstimator::new(Runtime::load_on(config.device)?, config.model, threads)?;
    Ok((estimator, config.people.finder(threads)?))
}

/// Saves one input's results (with its recording's hash and each result's picture).
fn save_file(to: &SaveTo, recording: &Recording, file: &FileReport) -> Result<Saved, RunError> {
    let evidence = |m: &Measurement| picture_of(m, &file.outputs);
    save_results(to, &file.results, recording, evidence, &file.outputs).map_err(|error| {
        RunError::NotSaved {
            source_name: file.source.clone(),
            error,
        }
    })
}

/// The output file name (without extension) of each source: its file stem, numbered when
/// another input of the batch or a file already in `out` has it, so that an earlier run's
/// evidence (the "before" picture a report shows) and the inputs themselves are never
/// overwritten.
///
/// With `whole` (a shard's whole batch, sorted), names are given over the whole batch, and only
/// the files in `out` that gonio did not write, or that are inputs, count as taken: every shard
/// then gives each input the same name, however the shards' starts interleave, a shard run
/// again writes over its own earlier outputs, and an input or a user's file of an output's name
/// is never written over.
fn output_stems(sources: &[Source], whole: &[PathBuf], out: Option<&Path>) -> Vec<String> {
    if !whole.is_empty() {
        let stems = stems_of(whole, &foreign_names(out, whole));
        let place: HashMap<&Path, usize> = whole
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_path(), i))
            .collect();
        return sources
            .iter()
            .map(|s| {
                place
                    .get(batch_key(s.path()).as_path())
                    .map_or_else(|| "input".to_string(), |&i| stems[i].clone())
            })
            .collect();
    }
    let paths: Vec<PathBuf> = sources.iter().map(|s| s.path().to_path_buf()).collect();
    let existing = out.map(file_names).unwrap_or_default();
    stems_of(&paths, &existing)
}

/// The names of the files in `dir` (read once: a batch of thousands of same-named files must
/// not stat each candidate name six times).
fn file_names(dir: &Path) -> HashSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The files in `out` a shard must not write over: the inputs, and any CSV or JSON file gonio
/// did not write (a user's notes or labels of an output's name). Pictures of gonio's names are
/// taken as gonio's.
fn foreign_names(out: Option<&Path>, inputs: &[PathBuf]) -> HashSet<String> {
    let Some(dir) = out else {
        return HashSet::new();
    };
    let inputs: HashSet<PathBuf> = inputs
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    file_names(dir)
        .into_iter()
        .filter(|name| {
            let path = dir.join(name);
            let gonio_wrote = match name.rsplit_once('.').map(|(_, ext)| ext) {
                Some("csv") => is_frames_csv(&path),
                Some("json") => is_results_json(&path),
                _ => true,
            };
            !gonio_wrote || std::fs::canonicalize(&path).is_ok_and(|p| inputs.contains(&p))
        })
        .collect()
}

/// Whether `path` is a result JSON that gonio wrote (see [`write_outputs`]).
fn is_results_json(path: &Path) -> bool {
    let mut start = [0u8; RESULTS_JSON_START.len()];
    std::fs::File::open(path)
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut start))
        .is_ok_and(|()| start == RESULTS_JSON_START.as_bytes())
}

/// How a result JSON gonio writes begins.
const RESULTS_JSON_START: &str = "{\n  \"results\": [";

/// Longest output stem, bytes: a file name holds at most 255, and the longest output adds
/// `.right.knee_extension_deficit.evidence.png.partial` (50) and numbers (`-2`, then `-9999` if
/// that name is taken since) to it. An input of a longer name (a 250-byte one) had every
/// output refused by the file system.
const MAX_STEM_BYTES: usize = 160;

/// `name` cut to at most [`MAX_STEM_BYTES`], between two characters.
fn fitting_stem(mut name: String) -> String {
    if name.len() > MAX_STEM_BYTES {
        let mut end = MAX_STEM_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

/// The names of the pictures of both sides written under `stem` (see [`write_outputs`]).
fn picture_names(stem: &str) -> impl Iterator<Item = String> + '_ {
    Side::BOTH.iter().flat_map(move |side| {
        [
            format!("{stem}.{}.evidence.png", side.name()),
            format!("{stem}.{}.plot.png", side.name()),
        ]
    })
}

fn stems_of(paths: &[PathBuf], existing: &HashSet<String>) -> Vec<String> {
    let in_use = |stem: &str| {
        [format!("{stem}.csv"), format!("{stem}.json")]
            .into_iter()
            .chain(picture_names(stem))
            .any(|name| existing.contains(&name))
    };
    let mut taken: HashSet<String> = HashSet::new();
    // The next number to try per base name: many inputs of one name stay linear.
    let mut next: HashMap<String, usize> = HashMap::new();
    paths
        .iter()
        .map(|path| {
            let base = path.file_stem().map_or_else(
                || "input".to_string(),
                |x| fitting_stem(x.to_string_lossy().into_owned()),
            );
            let start = next.get(&base).copied().unwrap_or(1);
            let stem = (start..)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        format!("{base}-{n}")
                    }
                })
                .zip(start..)
                .find(|(stem, _)| !taken.contains(stem) && !in_use(stem));
            let (stem, n) = stem.unwrap_or_else(|| (base.clone(), start));
            next.insert(base, n + 1);
            taken.insert(stem.clone());
            stem
        })
        .collect()
}

/// The name one input's outputs are written under in `dir`: `stem` (given when the batch
/// started), claimed as they are written. A shard writes over its input's own earlier outputs
/// (its result JSON made from the same file); nothing else is written over: another input's,
/// or files that appeared since the batch started (another run writing into the same folder
/// since took the name, even for the same input). A batch then
/// takes the next free name (`stem-2`, ...); a shard, whose names must agree with the other
/// shards', refuses to write ([`RunError::OutputTaken`]). `input` is the input's absolute path.
/// The claim is the CSV created new (no other run can create it too), which the outputs then
/// replace.
fn claim_stem(
    dir: &Path,
    stem: &str,
    input: Option<&str>,
    sharded: bool,
) -> Result<Claimed, RunError> {
    // Ok(true) where this call created the claim's CSV.
    let claim = |stem: &str| -> Result<bool, String> {
        let json = dir.join(format!("{stem}.json"));
        if json.exists() {
            // (A batch's names were free when it started: results there since are another
            // run's, even of the same input: another protocol's, say.)
            return match resume::written_for(&json) {
                Some(owner) if sharded && input == Some(owner.as_str()) => Ok(false),
                Some(owner) => Err(format!("it holds the results of {owner}")),
                None => Err("it is not a result of gonio's".to_string()),
            };
        }
        let csv = dir.join(format!("{stem}.csv"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&csv)
        {
            Ok(_) => Ok(true),
            // A shard stopped while writing this input left its keypoints without a result.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if sharded && is_frames_csv(&csv) {
                    Ok(false)
                } else {
                    Err(format!(
                        "{} was written since this batch started (another run writes into this folder)",
                        csv.display()
                    ))
                }
            }
            // Not writable: said when the outputs are written.
            Err(_) => Ok(false),
        }
    };
    let holds = match claim(stem) {
        Ok(created) => {
            return Ok(Claimed {
                stem: stem.to_string(),
                created,
            })
        }
        Err(holds) => holds,
    };
    if sharded {
        return Err(RunError::OutputTaken {
            path: dir.join(format!("{stem}.json")),
            holds,
        });
    }
    (2..10_000)
        .map(|n| format!("{stem}-{n}"))
        .find_map(|candidate| {
            if picture_names(&candidate).any(|name| dir.join(name).exists()) {
                return None;
            }
            let created = claim(&candidate).ok()?;
            Some(Claimed {
                stem: candidate,
                created,
            })
        })
        .ok_or(RunError::OutputTaken {
            path: dir.join(format!("{stem}.json")),
            holds,
        })
}

/// The name an input's outputs are written under ([`claim_stem`]).
#[derive(Debug)]
struct Claimed {
    stem: String,
    /// Whether the claim made its CSV (empty until the outputs replace it).
    created: bool,
}

/// The name an input's outputs were given when the batch started (see [`claim_stem`]).
struct GivenName<'a> {
    stem: &'a str,
    /// A shard's: it must agree with the other shards', and is never changed.
    sharded: bool,
}

/// Where one input's outputs go: `<dir>/<stem><suffix>`.
struct OutputNames<'a> {
    dir: &'a Path,
    stem: &'a str,
}

impl OutputNames<'_> {
    fn file(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}{suffix}", self.stem))
    }
}

/// One input through the stages, with its outputs written when `config.out` is set.
fn analyze_one(
    source: &Source,
    given: GivenName,
    estimator: Option<&mut PoseEstimator>,
    finder: &mut SubjectFinder,
    config: &AnalyzeConfig,
    model_files: &ModelFiles,
    on_frames: &dyn Fn(usize),
) -> Result<FileReport, RunError> {
    let started = Instant::now();
    // Stamped before it is read: an input changed during its analysis is analysed again by a
    // later `--resume`.
    let stamp = config.out.as_ref().and_then(|_| stamp_of(source, config));
    let model_id = estimator
        .as_ref()
        .filter(|_| source.needs_model())
        .map(|e| e.model_id().to_string());
    let abandoned = || config.abandon.as_ref().is_some_and(StopRequest::requested);
    let mut tracked = track_source(source, estimator, finder, config.max_fps, |n| {
        on_frames(n);
        if abandoned() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    let t = Instant::now();
    // Swap correction fixes the poses in place, so the CSV and pictures show corrected labels.
    let track = &mut tracked.track;
    let series = AngleSeries::from_poses(&track.time_s, &mut track.poses, &config.series);
    let name = shown_name(source, config);
    let mut results = protocols::measure(
        config.protocol,
        &series,
        config.side,
        &config.hold,
        &name,
        model_id.as_deref(),
    );
    let angles_s = t.elapsed().as_secs_f64();
    let frames = tracked.track.poses.len();
    protocols::note_people(
        &mut results,
        source.needs_model().then_some(&tracked.people),
        &tracked.track.poses,
    );
    for (kind, count) in [
        (WarningKind::ClockRestarted, tracked.clock_restarts),
        (WarningKind::DecodeErrors, tracked.decode_errors),
    ] {
        protocols::note_recording_fault(&mut results, kind, count);
    }
    if let Some(retimed) = tracked.retimed {
        protocols::note_retimed(&mut results, retimed.capture_fps, retimed.playback_fps);
    }
    // What was measured is never lost to an output that cannot be written: the results are
    // still printed and saved, the failure reported with them.
    let mut outputs = Vec::new();
    let analysis = Analysis {
        input: stamp,
        settings: settings_of(config, source, model_files),
        frames,
        frames_with_person: tracked.frames_with_person,
        people: tracked.people,
        outputs: Vec::new(),
        results_sha256: None,
    };
    let claimed = config.out.as_ref().map(|dir| {
        claim_stem(
            dir,
            given.stem,
            analysis.input.as_ref().map(|i| i.absolute.as_str()),
            given.sharded,
        )
    });
    let (stem, created, not_claimed) = match claimed {
        Some(Ok(claimed)) => (claimed.stem, claimed.created, None),
        Some(Err(e)) => (given.stem.to_string(), false, Some(e)),
        None => (given.stem.to_string(), false, None),
    };
    let stem = stem.as_str();
    let not_written = not_claimed.or_else(|| {
        config.out.as_ref().and_then(|dir| {
            let names = OutputNames { dir, stem };
            write_outputs(
                &names,
                source,
                &tracked,
                &series,
                &mut results,
                config,
                &mut outputs,
            )
            .and_then(|()| write_results_json(&names, &results, analysis, &mut outputs))
            .err()
        })
    });
    // The claim's empty CSV, where the outputs could not replace it (only this run's own: a
    // name refused is another run's claim).
    if let (Some(dir), Some(_), true) = (config.out.as_ref(), &not_written, created) {
        let csv = dir.join(format!("{stem}.csv"));
        if std::fs::metadata(&csv).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(csv);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(FileReport {
        source: name,
        frames,
        frames_with_person: tracked.frames_with_person,
        frames_per_second: if seconds > 0.0 {
            frames as f64 / seconds
        } else {
            0.0
        },
        timings: tracked.timings,
        people: tracked.people,
        angles_s,
        outputs,
        output_error: not_written.as_ref().map(|e| e.to_string()),
        also_saved_for: Vec::new(),
        resumed_from: None,
        results,
        not_written,
    })
}

/// Writes `<stem>.csv` (keypoints and angles per frame) and, per side of the main measure, `<stem>.<side>.plot.png` and `<stem>.<side>.evidence.png` (not for
/// keypoint files, which have no frames); the result JSON follows ([`write_results_json`]).
/// An evidence frame that cannot be read again is a warning on its result, not a lost input.
/// Adds each file to `outputs` once written; the files after one that cannot be written are
/// not tried.
fn write_outputs(
    names: &OutputNames,
    source: &Source,
    tracked: &Tracked,
    series: &AngleSeries,
    results: &mut [Measurement],
    config: &AnalyzeConfig,
    outputs: &mut Vec<PathBuf>,
) -> Result<(), RunError> {
    let track = &tracked.track;
    let csv_path = names.file(".csv");
    write_atomically(&csv_path, |file| {
        write_frames_csv(io::BufWriter::new(file), track, series).map_err(io::Error::other)
    })?;
    outputs.push(csv_path);

    let protocol = config.protocol;
    let main = protocol.main_measure();
    for r in results.iter_mut().filter(|r| r.measure == main.name) {
        let side = r.side;
        let plot_path = names.file(&format!(".{}.plot.png", side.name()));
        let picture = result_plot(protocol, series, r).map_err(|source| RunError::Output {
            path: plot_path.clone(),
            source,
        })?;
        save_png(&picture, &plot_path)?;
        outputs.push(plot_path);

        // The evidence: the frame in the middle of the hold, else the peak; for a refusal, the
        // frame that shows why.
        let evidence_path = names.file(&format!(".{}.evidence.png", side.name()));
        draw_evidence_file(source, tracked, series, r, config, &evidence_path, outputs)?;
    }
    // A result of another measure gets a picture of its own where the side's picture does not
    // show it: the main measure refused there, or a swing's back and front (different frames
    // by nature). Every number printed can be checked.
    let main_frames: Vec<(Side, Option<usize>)> = results
        .iter()
        .filter(|r| r.measure == main.name)
        .map(|r| (r.side, r.value_deg.and(r.evidence_frame)))
        .collect();
    let swings = matches!(protocol.result, protocols::ResultKind::Swings { .. });
    for r in results
        .iter_mut()
        .filter(|r| r.measure != main.name && r.value_deg.is_some())
    {
        let shown = main_frames.iter().any(|&(side, frame)| {
            side == r.side && frame.is_some() && (!swings || frame == r.evidence_frame)
        });
        if shown {
            continue;
        }
        let evidence_path = names.file(&format!(".{}.{}.evidence.png", r.side.name(), r.measure));
        draw_evidence_file(source, tracked, series, r, config, &evidence_path, outputs)?;
    }
    Ok(())
}

/// Writes `<stem>.json`: the results, then `analysis` with the names of `outputs`. Written
/// after every other output: a result JSON says that every output it lists is complete
/// (`--resume`).
fn write_results_json(
    names: &OutputNames,
    results: &[Measurement],
    mut analysis: Analysis,
    outputs: &mut Vec<PathBuf>,
) -> Result<(), RunError> {
    analysis.outputs = outputs
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    analysis.results_sha256 = resume::results_sha256(results);
    let json_path = names.file(".json");
    write_atomically(&json_path, |file_writer| {
        let file = ResultsFile {
            results,
            analysis: &analysis,
        };
        serde_json::to_writer_pretty(io::BufWriter::new(file_writer), &file)
            .map_err(io::Error::from)
    })?;
    outputs.push(json_path);
    Ok(())
}

/// Draws `r`'s evidence picture (its evidence frame read again from `source`) into `path`, and
/// adds it to `outputs`. A frame that cannot be read again is a warning on `r`; keypoint files
/// have no frames, and draw nothing.
fn draw_evidence_file(
    source: &Source,
    tracked: &Tracked,
    series: &AngleSeries,
    r: &mut Measurement,
    config: &AnalyzeConfig,
    path: &Path,
    outputs: &mut Vec<PathBuf>,
) -> Result<(), RunError> {
    let track = &tracked.track;
    let Some(index) = r.evidence_frame.filter(|&i| i < track.time_s.len()) else {
        return Ok(());
    };
    let frame = match source {
        // Re-timed frames are not at their stream time: counted, not sought.
        Source::Video(path) if tracked.clock_restarts > 0 => {
            frame_number(path, index, config.max_fps)
                .map(|f| f.image)
                .map_err(RunError::from)
        }
        Source::Video(path) => {
            frame_at(path, track.time_s[index], tracked.origin_pts.unwrap_or(0.0))
                .map(|f| f.image)
                .map_err(RunError::from)
        }
        Source::Frames { files, .. } => load_image(&files[index])
            .map(|f| f.image)
            .map_err(RunError::from),
        Source::Image(path) => load_image(path).map(|f| f.image).map_err(RunError::from),
        Source::Keypoints(_) => return Ok(()),
    };
    let frame = match frame {
        Ok(frame) => frame,
        Err(e) => {
            r.warnings
                .push(Warning::new(WarningKind::EvidenceNotDrawn).detail(e.to_string()));
            return Ok(());
        }
    };
    let picture = draw_result_evidence(
        &frame,
        &track.poses[index],
        &ResultInFrame {
            protocol: config.protocol,
            result: r,
            series,
            index,
            time_s: track.time_s[index],
            player_time_s: tracked
                .retimed
                .map(|r| track.time_s[index] * r.capture_fps / r.playback_fps),
            min_confidence: config.series.min_confidence,
        },
    );
    save_png(&picture, path)?;
    outputs.push(path.to_path_buf());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A result JSON as gonio writes it, made from `input` (an absolute path).
    fn results_of(dir: &Path, stem: &str, input: &str) {
        let analysis = serde_json::json!({
            "input": {"path": input, "absolute": input, "bytes": 1, "sha256": "00"},
            "settings": {}, "frames": 0, "frames_with_person": 0,
            "people": serde_json::to_value(PeopleSeen::default()).unwrap(),
            "outputs": [],
        });
        let json = format!("{RESULTS_JSON_START}], \"analysis\": {analysis}}}");
        std::fs::write(dir.join(format!("{stem}.json")), json).unwrap();
    }

    /// Inputs of names too long for an output's name (`.right.<measure>.evidence.png.partial`
    /// added)
    /// get a shorter stem, cut between characters, and two of one beginning stay apart.
    #[test]
    fn outputs_of_long_names_fit_a_file_name() {
        let long = |end: &str| PathBuf::from(format!("{}{end}.mp4", "ü".repeat(125)));
        let stems = stems_of(&[long("a"), long("b")], &HashSet::new());
        assert_eq!(stems[0], "ü".repeat(80));
        assert_eq!(stems[1], format!("{}-2", "ü".repeat(80)));
        let longest = format!(
            "{}-9999.right.knee_extension_deficit.evidence.png.partial",
            stems[1]
        );
        assert!(longest.len() <= 255, "{}", longest.len());
        let short = stems_of(&[PathBuf::from("trial.mp4")], &HashSet::new());
        assert_eq!(short, ["trial"]);
    }

    /// An input abandoned while it is analysed (the clinic app's "Cancel") stops there: it
    /// fails as stopped, and nothing of it is written.
    #[test]
    fn an_abandoned_input_stops_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("trial.csv");
        let mut text = String::from("time_s");
        for part in crate::pose::BodyPart::ALL {
            text += &format!(",{0}_x,{0}_y,{0}_conf", part.name());
        }
        for i in 0..60 {
            text += &format!("\n{}", f64::from(i) / 30.0);
            for _ in crate::pose::BodyPart::ALL {
                text += ",300,400,0.9";
            }
        }
        std::fs::write(&csv, text + "\n").unwrap();
        let out = dir.path().join("out");
        let abandon = StopRequest::new();
        let config = AnalyzeConfig {
            protocol: crate::protocols::find("slr").unwrap(),
            side: SideChoice::Auto,
            hold: HoldCriteria::default(),
            series: SeriesOptions::default(),
            out: Some(out.clone()),
            frames_fps: None,
            max_fps: None,
            jobs: 1,
            model: ModelKind::Lightning,
            threads: 1,
            device: Device::Cpu,
            people: People::Single,
            save: None,
            names: HashMap::new(),
            stop: None,
            abandon: Some(abandon.clone()),
            resume: false,
        };
        // Asked as soon as the first frames are read.
        let progress = |event: Progress| {
            if let Progress::Frames { .. } = event {
                abandon.request();
            }
        };
        let report = analyze_batch(batch(&[csv], None), &config, &progress).unwrap();
        assert!(report.files.is_empty(), "{:?}", report.files);
        assert!(
            matches!(
                report.errors.first().map(|f| &f.error),
                Some(RunError::Pipeline(PipelineError::Stopped { .. }))
            ),
            "{:?}",
            report.errors
        );
        let written = std::fs::read_dir(&out).map_or(0, |d| d.count());
        assert_eq!(written, 0, "nothing written");
    }

    /// Names are claimed as the outputs are written: another run's files that appeared since
    /// the batch started are never written over (the batch takes the next name, a shard
    /// refuses); a shard run again writes over its input's own earlier outputs.
    #[test]
    fn an_output_name_taken_since_the_batch_started_is_not_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path();
        // Free: claimed by creating the CSV; the next claim of it is another run's.
        let stem = |claimed: Result<Claimed, RunError>| claimed.unwrap().stem;
        assert_eq!(stem(claim_stem(dir, "a", Some("/in/a.csv"), false)), "a");
        assert!(dir.join("a.csv").is_file());
        assert_eq!(
            stem(claim_stem(dir, "a", Some("/in/b/a.csv"), false)),
            "a-2"
        );
        assert!(matches!(
            claim_stem(dir, "a", Some("/in/b/a.csv"), true),
            Err(RunError::OutputTaken { .. })
        ));
        // Another input's results: the next free name, or a shard's refusal naming the owner.
        results_of(dir, "x", "/in/x.csv");
        assert_eq!(
            stem(claim_stem(dir, "x", Some("/in/new/x.csv"), false)),
            "x-2"
        );
        match claim_stem(dir, "x", Some("/in/new/x.csv"), true) {
            Err(e @ RunError::OutputTaken { .. }) => {
                assert!(e.to_string().contains("/in/x.csv"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        // Its own earlier results are written over by a shard run again; a batch's names were
        // free when it started, so results there since are another run's, even of the same
        // input (another protocol's).
        assert_eq!(stem(claim_stem(dir, "x", Some("/in/x.csv"), true)), "x");
        assert_eq!(stem(claim_stem(dir, "x", Some("/in/x.csv"), false)), "x-3");
    }
}
