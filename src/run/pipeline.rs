//! The stages wired together for recorded media: frames are decoded on their own thread and
//! handed over through a bounded channel, so that decoding overlaps inference and memory stays
//! bounded however long the video; the subject is tracked frame to frame.
//!
//! This is the only module that knows every stage; each stage still knows only the one before.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use crate::capture::{
    collect_image_paths, frame_times_s, is_gonio_picture, is_hidden, load_image, CaptureError,
    Frame, Retimed, VideoError, VideoFrames, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS,
};
use crate::pose::csv::{read_keypoints_csv, PoseCsvError, PoseTrack};
use crate::pose::{PeopleSeen, Pose, PoseError, PoseEstimator, SubjectFinder};
use crate::report::frames_csv::is_frames_csv;

/// A video's clock going back by more than this many frame intervals (and at least
/// [`CLOCK_RESTART_MIN_S`]) is a restart (clips joined), not the jitter of a broken muxer.
const CLOCK_RESTART_FRAMES: f64 = 2.5;
const CLOCK_RESTART_MIN_S: f64 = 0.05;

/// Frames decoded ahead of inference; bounds memory to a few frames.
const FRAMES_IN_FLIGHT: usize = 4;

/// One input to analyse.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A video file (anything ffmpeg decodes).
    Video(PathBuf),
    /// A folder of frames in name order, taken `fps` frames per second.
    Frames {
        dir: PathBuf,
        files: Vec<PathBuf>,
        fps: f64,
    },
    /// One still image.
    Image(PathBuf),
    /// A keypoint CSV (pose already estimated).
    Keypoints(PathBuf),
}

impl Source {
    /// The path the user gave.
    pub fn path(&self) -> &Path {
        match self {
            Source::Video(p) | Source::Image(p) | Source::Keypoints(p) => p,
            Source::Frames { dir, .. } => dir,
        }
    }

    /// Whether this input needs the pose model.
    pub fn needs_model(&self) -> bool {
        !matches!(self, Source::Keypoints(_))
    }
}

/// Why an input could not be analysed. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The analysis was stopped on request before its end (see [`track_source`]).
    #[error("{}: stopped before its end, as asked", path.display())]
    Stopped { path: PathBuf },
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Video(#[from] VideoError),
    #[error(transparent)]
    Keypoints(#[from] PoseCsvError),
    #[error("{path}: {source}")]
    Pose {
        path: PathBuf,
        #[source]
        source: PoseError,
    },
    #[error("{path}: no frames")]
    NoFrames { path: PathBuf },
    #[error("{path}: the decoding thread stopped unexpectedly; the frames after it are unknown")]
    DecoderDied { path: PathBuf },
    #[error("{path}: no person found in any frame")]
    NoPerson { path: PathBuf },
    #[error("{path}: no videos, frames or keypoint CSVs in this folder (gonio's own outputs are left out; subfolders are not read)")]
    NothingInFolder { path: PathBuf },
    #[error("{path}: a folder of frames needs --fps (frames per second)")]
    FramesNeedFps { path: PathBuf },
    #[error("{path}: frame is {width}x{height} pixels, the folder's first frame {first_width}x{first_height}: a folder of frames must hold one recording (move the other pictures out)")]
    FrameSize {
        path: PathBuf,
        width: u32,
        height: u32,
        first_width: u32,
        first_height: u32,
    },
    #[error("{path}: not a video, image, keypoint CSV or folder of them")]
    Unsupported { path: PathBuf },
    /// A link in a folder given as input whose target is not there (moved, or on a drive not
    /// mounted): an input meant, that cannot be read.
    #[error("{path}: a link to a file that is not there ({target})")]
    BrokenLink { path: PathBuf, target: String },
    #[error("{path}: cannot read folder: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn extension_of(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Files of a folder given as input that were not read, and why: said, not skipped silently.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    pub folder: PathBuf,
    /// The files (or subfolders) left out, in the folder's order.
    pub files: Vec<PathBuf>,
    /// What they are, plural: "file(s)", "subfolder(s)".
    pub what: &'static str,
    pub why: &'static str,
}

/// Files a [`LeftOut`] names in its message; the rest are counted.
const LEFT_OUT_NAMED: usize = 5;

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .files
            .iter()
            .take(LEFT_OUT_NAMED)
            .map(|p| {
                p.file_name()
                    .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
            })
            .collect();
        write!(
            f,
            "{}: {} {} left out ({}",
            self.folder.display(),
            self.files.len(),
            self.what,
            names.join(", ")
        )?;
        if self.files.len() > LEFT_OUT_NAMED {
            write!(f, " and {} more", self.files.len() - LEFT_OUT_NAMED)?;
        }
        write!(f, "): {}", self.why)
    }
}

/// The inputs as sources, with what folders held that was not read.
#[derive(Debug, Default)]
pub struct Sources {
    pub sources: Vec<Result<Source, PipelineError>>,
    pub left_out: Vec<LeftOut>,
}

/// Turns command-line inputs into sources: a folder holding videos gives one source per video
/// (nothing else in it is read); a folder holding images is one sequence of frames (needs
/// `fps`; keypoint CSVs beside them are not read); a folder of keypoint CSVs alone gives one
/// source per CSV, leaving out the per-frame CSVs gonio wrote (analysed again, they would be
/// the same trials twice); files go by extension, whatever they are. Each input that cannot be
/// used gives an error and the others go on.
pub fn sources_from(inputs: &[PathBuf], fps: Option<f64>) -> Sources {
    let mut out = Sources::default();
    for input in inputs {
        if input.is_dir() {
            folder_sources(input, fps, &mut out);
            continue;
        }
        let ext = extension_of(input);
        out.sources.push(if ext == "csv" {
            Ok(Source::Keypoints(input.clone()))
        } else if IMAGE_EXTENSIONS.contains(&ext.as_str()) {
            Ok(Source::Image(input.clone()))
        } else if VIDEO_EXTENSIONS.contains(&ext.as_str()) || ext.is_empty() || !input.exists() {
            // Unknown or missing: let the decoder say what is wrong with it.
            Ok(Source::Video(input.clone()))
        } else {
            Err(PipelineError::Unsupported {
                path: input.clone(),
            })
        });
    }
    out
}

/// A folder's sources (see [`sources_from`]).
fn folder_sources(input: &Path, fps: Option<f64>, out: &mut Sources) {
    let entries = match std::fs::read_dir(input) {
        Ok(entries) => entries,
        Err(source) => {
            out.sources.push(Err(PipelineError::Folder {
                path: input.to_path_buf(),
                source,
            }));
            return;
        }
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    alphanumeric_sort::sort_path_slice(&mut entries);
    // A link whose target is gone was meant as an input: it fails by name, as a missing file
    // named on the command line does.
    for link in entries.iter().filter(|p| !p.exists() && !is_hidden(p)) {
        if let Ok(target) = std::fs::read_link(link) {
            out.sources.push(Err(PipelineError::BrokenLink {
                path: link.clone(),
                target: target.display().to_string(),
            }));
        }
    }
    let subfolders: Vec<PathBuf> = entries
        .iter()
        .filter(|p| p.is_dir() && !is_hidden(p))
        .cloned()
        .collect();
    if !subfolders.is_empty() {
        out.left_out.push(LeftOut {
            folder: input.to_path_buf(),
            files: subfolders,
            what: "subfolder(s)",
            why: "subfolders are not read (name a subfolder to analyse what it holds)",
        });
    }
    // A FIFO would wait for ever for a writer and a device (a link to `/dev/zero`) never end:
    // not read, but said (they were passed over in silence).
    let special: Vec<PathBuf> = entries
        .iter()
        .filter(|p| p.exists() && !p.is_dir() && !p.is_file() && !is_hidden(p))
        .cloned()
        .collect();
    if !special.is_empty() {
        out.left_out.push(LeftOut {
            folder: input.to_path_buf(),
            files: special,
            what: "file(s)",
            why: "not regular files (a FIFO, a socket or a device) are not read",
        });
    }
    // Hidden files are no inputs (a Mac's `._trial2.mp4` beside each video copied to a USB
    // stick failed as a video, and the batch with it).
    let files: Vec<PathBuf> = entries
        .into_iter()
        .filter(|p| p.is_file() && !is_hidden(p))
        .collect();
    let with_extension = |wanted: &[&str]| -> Vec<PathBuf> {
        files
            .iter()
            .filter(|p| wanted.contains(&extension_of(p).as_str()))
            .cloned()
            .collect()
    };
    let mut left_out = |files: Vec<PathBuf>, why: &'static str| {
        if !files.is_empty() {
            out.left_out.push(LeftOut {
                folder: input.to_path_buf(),
                files,
                what: "file(s)",
                why,
            });
        }
    };
    // Files of no kind gonio reads (an audio track, a document) are said, not passed over in
    // silence; hidden files and gonio's own result JSONs are not worth a note.
    let other_kinds = files
        .iter()
        .filter(|p| {
            let ext = extension_of(p);
            ext != "json"
                && ext != "csv"
                && !IMAGE_EXTENSIONS.contains(&ext.as_str())
                && !VIDEO_EXTENSIONS.contains(&ext.as_str())
        })
        .cloned()
        .collect();
    left_out(
        other_kinds,
        "not videos, pictures or keypoint CSVs by their names (name a file to have it tried)",
    );
    // gonio's own outputs are never inputs of a folder, and not worth a note.
    let not_gonio = |p: &&PathBuf| !is_gonio_picture(p) && !is_frames_csv(p);
    let csvs = with_extension(&["csv"]);
    let pictures = with_extension(IMAGE_EXTENSIONS);
    let videos = with_extension(VIDEO_EXTENSIONS);
    if !videos.is_empty() {
        left_out(
            csvs.iter().chain(&pictures).filter(not_gonio).cloned().collect(),
            "pictures and keypoint CSVs beside videos are not read (a folder of videos is its videos; name the others)",
        );
        out.sources
            .extend(videos.into_iter().map(|v| Ok(Source::Video(v))));
        return;
    }
    let frames: Result<Vec<PathBuf>, CaptureError> = collect_image_paths(&[input.to_path_buf()])
        .into_iter()
        .collect();
    if let Err(CaptureError::EmptyFolder { .. }) = frames {
        let (own, keypoints): (Vec<PathBuf>, Vec<PathBuf>) =
            csvs.into_iter().partition(|c| is_frames_csv(c));
        if keypoints.is_empty() {
            out.sources.push(Err(PipelineError::NothingInFolder {
                path: input.to_path_buf(),
            }));
        } else {
            out.sources
                .extend(keypoints.into_iter().map(|c| Ok(Source::Keypoints(c))));
        }
        left_out(
            own,
            "gonio's own per-frame CSVs are not read from a folder (they are trials already measured; name one to analyse it again)",
        );
        return;
    }
    left_out(
        csvs.iter().filter(not_gonio).cloned().collect(),
        "keypoint CSVs beside frames are not read (a folder of pictures is one recording; name the CSVs)",
    );
    out.sources.push(match (frames, fps) {
        (Err(e), _) => Err(e.into()),
        (Ok(_), None) => Err(PipelineError::FramesNeedFps {
            path: input.to_path_buf(),
        }),
        (Ok(files), Some(fps)) => Ok(Source::Frames {
            dir: input.to_path_buf(),
            files,
            fps,
        }),
    });
}

/// Where the time went, seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Timings {
    /// Decoding (and reading frames from the decoder), on the decode thread.
    pub decode_s: f64,
    /// Pose estimation, crop to keypoints, on the inference thread.
    pub inference_s: f64,
    /// Time the inference thread waited for decoded frames.
    pub wait_s: f64,
    /// From start to the last pose.
    pub wall_s: f64,
}

/// The subject's pose in every frame of a source.
#[derive(Debug, Clone, Default)]
pub struct Tracked {
    /// Poses and timestamps; frames without a person have all confidences 0.
    pub track: PoseTrack,
    /// Frame size, pixels (0 for keypoint CSVs).
    pub width: u32,
    pub height: u32,
    /// Stream time of the first frame, for seeking back to a frame of a video.
    pub origin_pts: Option<f64>,
    /// Frames where a person was found.
    pub frames_with_person: usize,
    /// Times the video's clock went back (joined clips): the frames after were re-timed to
    /// follow on, so `track.time_s` is no longer the stream's time.
    pub clock_restarts: usize,
    /// Errors the video's decoder reported in damaged data it went on past (see
    /// [`crate::capture::VideoFrames::decode_errors`]).
    pub decode_errors: usize,
    /// A slow-motion or time-lapse video, timed in real seconds (see
    /// [`crate::capture::VideoInfo::retimed`]): `track.time_s` is not the player's time.
    pub retimed: Option<Retimed>,
    pub people: PeopleSeen,
    pub timings: Timings,
}

type FrameStream = Box<dyn Iterator<Item = Result<Frame, PipelineError>> + Send>;

/// What a video's decoding learns on its own thread: the stream time of the first frame, and
/// the decode errors once the last frame was read.
struct VideoNotes {
    origin: mpsc::Receiver<f64>,
    decode_errors: mpsc::Receiver<usize>,
    /// Known when the video is opened.
    retimed: Option<Retimed>,
}

fn frame_stream(
    source: &Source,
    max_fps: Option<f64>,
) -> Result<(FrameStream, Option<VideoNotes>), PipelineError> {
    Ok(match source {
        Source::Video(path) => {
            let mut frames = match max_fps {
                Some(fps) => VideoFrames::open_at_most(path, fps)?,
                None => VideoFrames::open(path)?,
            };
            // The origin is known once the first frame is read, the decode errors once the
            // last was, on the decode thread.
            let (origin_sender, origin) = mpsc::channel();
            let (errors_sender, decode_errors) = mpsc::channel();
            let retimed = frames.info().retimed();
            let mut sent = false;
            let stream = std::iter::from_fn(move || {
                let Some(next) = frames.next() else {
                    let _ = errors_sender.send(frames.decode_errors());
                    return None;
                };
                if !sent {
                    if let Some(pts) = frames.origin_pts() {
                        let _ = origin_sender.send(pts);
                        sent = true;
                    }
                }
                Some(next.map_err(PipelineError::from))
            });
            (
                Box::new(stream),
                Some(VideoNotes {
                    origin,
                    decode_errors,
                    retimed,
                }),
            )
        }
        Source::Frames { files, fps, .. } => {
            let (files, fps) = (files.clone(), *fps);
            // A picture of another size is not a frame of this recording (a stray photo, a
            // picture written into the folder): its keypoints would be scaled into the series.
            let mut first_size = None;
            let times_s = frame_times_s(&files, fps);
            let stream = files
                .into_iter()
                .zip(times_s)
                .map(move |(file, timestamp_s)| {
                    let frame = load_image(&file)?;
                    let size = frame.image.dimensions();
                    let (first_width, first_height) = *first_size.get_or_insert(size);
                    if size != (first_width, first_height) {
                        return Err(PipelineError::FrameSize {
                            path: file,
                            width: size.0,
                            height: size.1,
                            first_width,
                            first_height,
                        });
                    }
                    Ok(Frame {
                        image: frame.image,
                        timestamp_s,
                    })
                });
            (Box::new(stream), None)
        }
        Source::Image(path) => {
            let path = path.clone();
            (
                Box::new(std::iter::once_with(move || {
                    load_image(&path).map_err(PipelineError::from)
                })),
                None,
            )
        }
        Source::Keypoints(path) => return Err(PipelineError::Unsupported { path: path.clone() }),
    })
}

/// Estimates the subject's pose in every frame of `source`, found by `finder`. Decoding runs on
/// its own thread, at most 4 frames ahead. `on_frame` is called after each
/// frame with the number done; breaking stops the analysis there ([`PipelineError::Stopped`]).
/// Videos faster than `max_fps` are thinned to it (see
/// [`VideoFrames::open_at_most`]). A keypoint CSV is read as it is.
pub fn track_source(
    source: &Source,
    estimator: Option<&mut PoseEstimator>,
    finder: &mut SubjectFinder,
    max_fps: Option<f64>,
    mut on_frame: impl FnMut(usize) -> std::ops::ControlFlow<()>,
) -> Result<Tracked, PipelineError> {
    let path = source.path().to_path_buf();
    if let Source::Keypoints(csv) = source {
        let track = read_keypoints_csv(csv)?;
        let frames_with_person = track.poses.iter().filter(|p| p.has_person()).count();
        if on_frame(track.poses.len()).is_break() {
            return Err(PipelineError::Stopped { path });
        }
        return Ok(Tracked {
            track,
            frames_with_person,
            ..Tracked::default()
        });
    }
    let Some(estimator) = estimator else {
        return Err(PipelineError::Unsupported { path });
    };
    let started = Instant::now();
    let (stream, notes) = frame_stream(source, max_fps)?;
    let (sender, receiver) = mpsc::sync_channel::<Result<Frame, PipelineError>>(FRAMES_IN_FLIGHT);
    let decoder = std::thread::spawn(move || {
        let mut decode_s = 0.0;
        let mut stream = stream;
        loop {
            let t = Instant::now();
            let Some(next) = stream.next() else { break };
            decode_s += t.elapsed().as_secs_f64();
            let failed = next.is_err();
            // The receiver hung up (it failed): stop decoding.
            if sender.send(next).is_err() || failed {
                break;
            }
        }
        decode_s
    });

    finder.reset();
    let mut last_id = None;
    let mut clock_offset_s = 0.0;
    // The last interval between frames, seconds (a guess until two frames were seen).
    let mut frame_step_s = 1.0 / 30.0;
    let mut tracked = Tracked::default();
    let mut wait_s = 0.0;
    let mut inference_s = 0.0;
    let result = (|| -> Result<(), PipelineError> {
        loop {
            let t = Instant::now();
            let Ok(frame) = receiver.recv() else { break };
            wait_s += t.elapsed().as_secs_f64();
            let frame = frame?;
            if tracked.track.poses.is_empty() {
                (tracked.width, tracked.height) = (frame.image.width(), frame.image.height());
            }
            // Timestamps must increase for the series filters and the detector's pace. A
            // repeated one (broken muxers) is nudged just past its predecessor; a clock gone
            // back further (clips joined) restarts one frame after the last, and every later
            // frame with it.
            let shifted = frame.timestamp_s + clock_offset_s;
            let restart_s = (CLOCK_RESTART_FRAMES * frame_step_s).max(CLOCK_RESTART_MIN_S);
            let time_s = match tracked.track.time_s.last() {
                Some(&last) if last - shifted > restart_s => {
                    clock_offset_s += last + frame_step_s - shifted;
                    tracked.clock_restarts += 1;
                    last + frame_step_s
                }
                Some(&last) if shifted <= last => last + 1e-4,
                _ => shifted,
            };
            if let Some(&last) = tracked.track.time_s.last() {
                if time_s - last > 1e-3 {
                    frame_step_s = time_s - last;
                }
            }
            let t = Instant::now();
            let found = finder
                .next(estimator, &frame.image, time_s)
                .map_err(|source| PipelineError::Pose {
                    path: path.clone(),
                    source,
                })?;
            inference_s += t.elapsed().as_secs_f64();
            tracked.people.add(&found, &mut last_id);
            let pose = found.pose;
            let pose = if pose.has_person() {
                tracked.frames_with_person += 1;
                pose
            } else {
                Pose::nobody()
            };
            tracked.track.time_s.push(time_s);
            tracked.track.poses.push(pose);
            if on_frame(tracked.track.poses.len()).is_break() {
                return Err(PipelineError::Stopped { path: path.clone() });
            }
        }
        Ok(())
    })();
    drop(receiver);
    // A decoder that died (a panic in a codec binding) must not pass for a short video.
    let decode_s = decoder
        .join()
        .map_err(|_| PipelineError::DecoderDied { path: path.clone() })?;
    result?;
    if let Some(notes) = notes {
        tracked.origin_pts = notes.origin.try_recv().ok();
        tracked.decode_errors = notes.decode_errors.try_recv().unwrap_or(0);
        tracked.retimed = notes.retimed;
    }
    tracked.timings = Timings {
        decode_s,
        inference_s,
        wait_s,
        wall_s: started.elapsed().as_secs_f64(),
    };
    if tracked.track.poses.is_empty() {
        return Err(PipelineError::NoFrames { path });
    }
    if tracked.frames_with_person == 0 {
        return Err(PipelineError::NoPerson { path });
    }
    Ok(tracked)
}
