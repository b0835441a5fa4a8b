//! `gonio cameras` and `gonio live`: measuring while the person stretches in front of a camera,
//! in a window or with a status line in the terminal.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use comfy_table::{Cell, CellAlignment};
use image::Rgb;
use std::cell::RefCell;
use std::rc::Rc;

use minifb::{InputCallback, Key, MouseButton, MouseMode, Window, WindowOptions};

use gonio::angles::Side;
use gonio::capture::camera::NO_CAMERA_HINT;
use gonio::capture::{list_cameras, CameraError, CameraRequest, Frame, VideoFrames, Y4mFrames};
use gonio::live::{
    self, status_text, Command, Ending, LatencySummary, LiveConfig, LiveError, LiveMeter, LiveSink,
    LoopStats, Pacing, Reading, StopRequest, Trial,
};
use gonio::pose::{Device, ModelKind};
use gonio::protocols::{Measurement, Protocol, Warning};
use gonio::report::live_view::{fit_within, LiveViewRenderer};
use gonio::run::save::{picture_of, save_results, Recording, SaveTo};
use gonio::store::file_sha256;

use super::analyze::parse_protocol;
use super::store::SaveArgs;
use super::{
    deg, load_estimator, new_table, result_cells, MeasureArgs, ModelArgs, PeopleArgs,
    RESULT_HEADERS,
};

#[derive(Args)]
pub struct CamerasArgs {
    /// Print JSON for programs: {"cameras": [{"index", "name", "description"}]}
    #[arg(long)]
    json: bool,
}

/// `gonio cameras`: no camera is not an error (exit 0), only a fact to report.
pub fn cameras(args: &CamerasArgs) -> anyhow::Result<ExitCode> {
    let (cameras, problem) = match list_cameras() {
        Ok(cameras) => (cameras, None),
        Err(e) => (Vec::new(), Some(e.to_string())),
    };
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "cameras": cameras, "problem": problem }),
        )?;
        writeln!(out)?;
    } else if cameras.is_empty() {
        writeln!(out, "no camera found")?;
        if let Some(problem) = problem {
            writeln!(out, "  {problem}")?;
        }
        writeln!(out, "  {NO_CAMERA_HINT}")?;
        writeln!(
            out,
            "  Without a camera, `gonio live --source VIDEO` plays a recording through the same loop."
        )?;
    } else {
        let mut table = new_table();
        table.set_header(["camera", "name", "description"]);
        for c in &cameras {
            table.add_row(vec![
                Cell::new(c.index).set_alignment(CellAlignment::Right),
                Cell::new(&c.name),
                Cell::new(&c.description),
            ]);
        }
        writeln!(out, "{table}")?;
        writeln!(out, "Use one with `gonio live --camera N --protocol ...`.")?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Clone, Copy, ValueEnum)]
enum LiveSide {
    /// The leg the protocol says (usually the one that moves); may change during the run
    Auto,
    Left,
    Right,
}

#[derive(Args)]
#[command(
    after_help = "In the window: space starts a trial and ends it (the result is printed, \
shown and saved), s saves a snapshot, l shows each stage's latency, q or Escape quits; a click on \
a person makes them the subject.\n\nExamples:\n  gonio live --protocol slr --subject P-017\n  \
gonio live --protocol ake --headless --duration 30 --out trials/\n  \
gonio live --protocol hip-extension --source trial.mp4"
)]
pub struct LiveArgs {
    /// Stretch protocol (see `gonio protocols`)
    #[arg(long, value_parser = parse_protocol)]
    protocol: &'static Protocol,
    /// Which leg to measure
    #[arg(long, value_enum, default_value = "auto")]
    side: LiveSide,
    /// Camera number (see `gonio cameras`)
    #[arg(long, default_value_t = 0, value_name = "N")]
    camera: u32,
    /// Camera resolution to ask for, WIDTHxHEIGHT pixels (the camera gives the closest it has)
    #[arg(long, default_value = "1280x720", value_parser = parse_resolution, value_name = "WxH")]
    resolution: (u32, u32),
    /// Frames per second: asked of the camera; a --source video is thinned to at most this
    #[arg(long, default_value_t = 30, value_name = "FPS")]
    fps: u32,
    /// Play this video through the live loop instead of a camera (in real time; frames the loop
    /// is too slow for are dropped, as with a camera); `-` reads a YUV4MPEG2 stream from standard
    /// input (an IP camera through `ffmpeg -i URL -f yuv4mpegpipe -`), at the sender's pace
    #[arg(long, value_name = "VIDEO", conflicts_with = "camera")]
    source: Option<PathBuf>,
    /// With --source: every frame, none dropped (a video as fast as possible; a stream waits
    /// for the loop), instead of in real time
    #[arg(long, requires = "source")]
    no_realtime: bool,
    /// No window: a status line in the terminal; the trial runs from the first frame to the end
    /// of the source, --duration, or Ctrl-C
    #[arg(long)]
    headless: bool,
    /// Start the first trial with the first frame (always so with --headless)
    #[arg(long)]
    autostart: bool,
    /// Stop after this many seconds of frames
    #[arg(long, value_name = "SECONDS")]
    duration: Option<f64>,
    /// Write each trial's result (JSON) and per-frame keypoints and angles (CSV, which `gonio
    /// analyze` reads back) into DIR; snapshots (key s) go there too
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print JSON for programs at the end: {"trials": [...], "latency": {...}}
    #[arg(long)]
    json: bool,
    /// Pose model: lightning (fast, default for live) or thunder (more accurate, about 3x slower)
    #[arg(long, default_value = "lightning", value_parser = parse_model)]
    model: ModelKind,
    /// Inference threads (0 = all cores; they sleep while they wait, leaving time to the camera
    /// or the video decoder)
    #[arg(long, default_value_t = 0, value_parser = super::parse_threads)]
    threads: usize,
    /// Where inference runs: cpu (default), cuda (an NVIDIA GPU) or auto (the GPU when there is
    /// one)
    #[arg(long, default_value = "cpu", value_parser = super::parse_device)]
    device: Device,
    #[command(flatten)]
    people: PeopleArgs,
    #[command(flatten)]
    measure: MeasureArgs,
    /// Without a new frame for this long, the camera counts as stopped (an error), seconds
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    stall_s: f64,
    #[command(flatten)]
    save: SaveArgs,
}

/// Whether `--source` names standard input (`-`).
fn is_stdin(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

fn parse_model(s: &str) -> Result<ModelKind, String> {
    s.parse()
}

fn parse_resolution(s: &str) -> Result<(u32, u32), String> {
    let parsed = s
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.trim().parse().ok()?, h.trim().parse().ok()?)));
    match parsed {
        Some((w, h)) if w > 0 && h > 0 => Ok((w, h)),
        _ => Err(format!("`{s}` is not WIDTHxHEIGHT, for example 1280x720")),
    }
}

/// The largest view the window opens with, pixels; frames are scaled down to fit.
const MAX_VIEW: (u32, u32) = (1280, 900);

pub fn run(args: &LiveArgs) -> anyhow::Result<ExitCode> {
    let (hold, options) = args.measure.settings()?;
    if args.fps == 0 || args.duration.is_some_and(|d| d.is_nan() || d <= 0.0) {
        anyhow::bail!("--fps and --duration must be positive");
    }
    if args.stall_s.is_nan() || args.stall_s <= 0.0 {
        anyhow::bail!("--stall-s must be positive");
    }
    if let Some(out) = &args.out {
        gonio::report::output_folder(out)?;
    }
    // Say at once when there is no camera, before loading a model or opening a window.
    if args.source.is_none() {
        let cameras = list_cameras()?;
        if cameras.is_empty() {
            return Err(CameraError::NoCamera).with_context(|| format!("camera {}", args.camera));
        }
    }

    let threads = gonio::run::inference_threads(args.threads, 1);
    let mut estimator = load_estimator(&ModelArgs {
        model: args.model,
        threads,
        device: args.device,
    })?;
    let source_name = match &args.source {
        Some(path) if is_stdin(path) => "stdin".to_string(),
        Some(path) => path.display().to_string(),
        None => format!("camera {}", args.camera),
    };
    // Slow motion is replayed and timed in real seconds (see `VideoInfo::retimed`).
    let retimed = args
        .source
        .as_ref()
        .filter(|path| !is_stdin(path))
        .and_then(|path| gonio::capture::video::probe(path).ok())
        .and_then(|info| info.retimed());
    if let (Some(retimed), Some(path)) = (retimed, &args.source) {
        let note = Warning::retimed(retimed.capture_fps, retimed.playback_fps);
        eprintln!("gonio: note: {}: {note}", path.display());
    }
    let config = LiveConfig {
        protocol: args.protocol,
        side: match args.side {
            LiveSide::Auto => None,
            LiveSide::Left => Some(Side::Left),
            LiveSide::Right => Some(Side::Right),
        },
        hold,
        options,
        source_name: source_name.clone(),
        // A video decoder starting up is not a stalled camera.
        stall_after: Duration::from_secs_f64(if args.source.is_some() {
            args.stall_s.max(10.0)
        } else {
            args.stall_s
        }),
        retimed,
    };
    let mut finder = args.people.finder(args.protocol.posture, threads)?;
    let mut meter = LiveMeter::new(config, Some(estimator.model_id().to_string()));

    // Refused now, not after the trial: a database that cannot be opened, a name that differs
    // from a saved one only in letter case, a date of another day.
    if let Some(to) = live_target(&args.save) {
        gonio::run::save::check_destination(&to)
            .map_err(|e| anyhow::anyhow!("nothing measured: the trials could not be saved: {e}"))?;
    }
    let stop = StopRequest::new();
    {
        let stop = stop.clone();
        // Ctrl-C (or a terminating signal) ends the run cleanly: the trial is measured and saved.
        super::on_stop_signals(move |_| stop.request());
    }
    let frames = match &args.source {
        Some(path) if is_stdin(path) => live::start_capture(
            || {
                let frames = Y4mFrames::new(io::stdin().lock(), "stdin")?;
                Ok(frames.map(|f| f.map_err(LiveError::from)))
            },
            if args.no_realtime {
                Pacing::EveryFrame
            } else {
                Pacing::Live
            },
        ),
        Some(path) => {
            let (path, fps) = (path.clone(), f64::from(args.fps));
            let pacing = if args.no_realtime {
                Pacing::EveryFrame
            } else {
                Pacing::RealTime
            };
            live::start_capture(
                move || {
                    let frames = VideoFrames::open_at_most(&path, fps)?;
                    Ok(frames.map(|f| f.map_err(LiveError::from)))
                },
                pacing,
            )
        }
        None => {
            let request = CameraRequest {
                index: args.camera,
                resolution: args.resolution,
                fps: args.fps,
            };
            live::start_camera(request)
        }
    };

    let trials = TrialOutput::new(args);
    let headless = args.headless;
    let mut sink = Sink {
        trials,
        stop,
        duration_s: args.duration,
        first_timestamp_s: None,
        display: if headless {
            Display::Terminal(TerminalStatus::new())
        } else {
            Display::Window(Box::new(WindowView {
                min_confidence: args.measure.min_confidence,
                ..WindowView::default()
            }))
        },
    };
    let run = live::run(
        &frames,
        &mut estimator,
        &mut finder,
        &mut meter,
        &mut sink,
        args.autostart || headless,
    );
    let (ending, stats) = match run {
        Ok(done) => done,
        // A stream that stalls or breaks after trials were measured and saved: `--json` gives
        // them with the error (one document: the error alone left them out).
        Err(error) if args.json => {
            if let Display::Terminal(status) = &mut sink.display {
                status.finish();
            }
            let message = super::one_line(&format!("{:#}", anyhow::Error::from(error)));
            eprintln!("gonio: {message}");
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({
                    "source": source_name,
                    "trials": sink.trials.done,
                    "error": message,
                }),
            )?;
            writeln!(out)?;
            return Ok(ExitCode::from(super::EXIT_FATAL));
        }
        Err(error) => return Err(error.into()),
    };
    if let Display::Terminal(status) = &mut sink.display {
        status.finish();
    }
    let summary = stats.summary();
    if let Display::Window(view) = &mut sink.display {
        if ending == Ending::SourceEnded && !sink.stop.requested() {
            // A recording has ended: keep its last picture and the result up until the user quits.
            let trials = &sink.trials;
            view.linger(&sink.stop, || trials.snapshot_path())?;
        }
    }
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "source": source_name,
                "trials": sink.trials.done,
                "latency": summary,
            }),
        )?;
        writeln!(out)?;
    } else {
        print_latency(&mut io::stderr().lock(), &summary, args.model)?;
    }
    if sink.trials.failed {
        return Ok(ExitCode::from(super::EXIT_PARTIAL));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_latency(out: &mut impl Write, s: &LatencySummary, model: ModelKind) -> io::Result<()> {
    if s.frames == 0 {
        return Ok(());
    }
    let mut table = new_table();
    table.set_header(["stage (ms)", "median", "90th percentile"]);
    type Stage = fn(&live::StageTimes) -> f64;
    let rows: [(&str, Stage); 5] = [
        ("waiting for the loop", |t| t.queue_ms),
        ("pose model", |t| t.pose_ms),
        ("angles and guidance", |t| t.angles_ms),
        ("drawing and display", |t| t.display_ms),
        ("capture to angle shown", |t| t.total_ms),
    ];
    for (name, get) in rows {
        table.add_row(vec![
            Cell::new(name),
            Cell::new(format!("{:.1}", get(&s.median))).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.1}", get(&s.p90))).set_alignment(CellAlignment::Right),
        ]);
    }
    writeln!(
        out,
        "gonio: {} frames shown at {:.1} frames/s ({} dropped as stale), model {}",
        s.frames,
        s.frames_per_second,
        s.dropped,
        model.name()
    )?;
    writeln!(out, "{table}")
}

/// One finished trial as printed and saved.
#[derive(serde::Serialize)]
struct TrialReport {
    number: usize,
    frames: usize,
    results: Vec<Measurement>,
    outputs: Vec<PathBuf>,
    saved_to_subject: Option<String>,
}

/// Prints each finished trial and saves it (session store, --out).
struct TrialOutput<'a> {
    args: &'a LiveArgs,
    stem: String,
    /// sha256 of the video file standing in for the camera (when saving).
    recording_sha: Option<String>,
    done: Vec<TrialReport>,
    failed: bool,
    /// The database when none was there before the run: said at the first save.
    new_database: Option<PathBuf>,
}

impl<'a> TrialOutput<'a> {
    fn new(args: &'a LiveArgs) -> Self {
        let stem = match &args.source {
            Some(path) if is_stdin(path) => "stdin".to_string(),
            Some(path) => path
                .file_stem()
                .map_or_else(|| "live".to_string(), |s| s.to_string_lossy().into_owned()),
            None => format!("camera{}", args.camera),
        };
        // A video standing in for the camera is one recording: its trials are told apart by
        // their span, so that replaying it replaces its trials instead of adding copies.
        let recording_sha = match &args.source {
            Some(path) if !is_stdin(path) && args.save.target().is_some() => file_sha256(path),
            _ => None,
        };
        TrialOutput {
            args,
            stem,
            recording_sha,
            done: Vec::new(),
            failed: false,
            new_database: args.save.new_database(),
        }
    }

    fn finished(&mut self, trial: &Trial) {
        let mut report = TrialReport {
            number: trial.number,
            frames: trial.track.poses.len(),
            results: trial.results.clone(),
            outputs: Vec::new(),
            saved_to_subject: None,
        };
        if let Some(dir) = &self.args.out {
            match trial.write_files(dir, &self.stem) {
                Ok(outputs) => report.outputs = outputs,
                Err(e) => {
                    eprintln!("gonio: trial {}: not written: {e:#}", trial.number);
                    self.failed = true;
                }
            }
        }
        // From a file a trial is a part of it; from a camera, a recording of its own, known by
        // its keypoints.
        let recording = match &self.recording_sha {
            Some(sha) => Recording {
                sha256: Some(sha.clone()),
                span_s: trial
                    .track
                    .time_s
                    .first()
                    .zip(trial.track.time_s.last())
                    .map(|(&start, &end)| [start, end]),
                gonio_output: false,
            },
            None => Recording {
                sha256: Some(trial.camera_sha256()),
                span_s: None,
                gonio_output: false,
            },
        };
        let saved = live_target(&self.args.save).map(|to| {
            save_results(
                &to,
                &trial.results,
                &recording,
                |r| picture_of(r, &report.outputs),
                &report.outputs,
            )
            .map(|saved| (to.session, saved.replaced))
        });
        match saved.transpose() {
            Ok(Some((label, replaced))) => {
                let subject = self.args.save.subject.clone().unwrap_or_default();
                let again = if replaced > 0 {
                    format!(
                        " (replaced {replaced} earlier result(s) of this part of the recording)"
                    )
                } else {
                    String::new()
                };
                eprintln!(
                    "gonio: trial {} saved for subject {subject}, session \"{label}\"{again}",
                    trial.number
                );
                // Once, at the first trial saved: a session of the day before, joined.
                if report.saved_to_subject.is_none() && self.args.save.date.is_none() {
                    if let Some(day) = super::store::session_of_another_day(
                        &self.args.save.db.path(),
                        &subject,
                        &label,
                    ) {
                        eprintln!("gonio: note: session \"{label}\" is dated {day}, not today: these trials were added to it; a new visit needs a label of its own");
                    }
                }
                report.saved_to_subject = Some(subject);
                if let Some(path) = self.new_database.take() {
                    eprintln!("{}", super::store::new_database_note(&path));
                }
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("gonio: trial {}: not saved: {e:#}", trial.number);
                self.failed = true;
            }
        }
        if !self.args.json {
            let _ = print_trial(&mut io::stdout().lock(), self.args.protocol, &report);
        }
        self.done.push(report);
    }

    /// Where the next snapshot goes: --out, else the current folder; never over another file.
    fn snapshot_path(&self) -> PathBuf {
        let dir = self.args.out.clone().unwrap_or_default();
        (1..)
            .map(|n| dir.join(format!("{}.snapshot{n}.png", self.stem)))
            .find(|p| !p.exists())
            .unwrap_or_else(|| dir.join(format!("{}.snapshot.png", self.stem)))
    }
}

fn print_trial(out: &mut impl Write, protocol: &Protocol, report: &TrialReport) -> io::Result<()> {
    let mut table = new_table();
    table.set_header(RESULT_HEADERS);
    for r in &report.results {
        table.add_row(result_cells(r));
    }
    writeln!(
        out,
        "trial {} ({} frames) - {}: {}",
        report.number, report.frames, protocol.id, protocol.title
    )?;
    writeln!(out, "{table}")?;
    for r in &report.results {
        for w in &r.warnings {
            writeln!(out, "  {} {}: {w}", r.side.name(), r.measure)?;
        }
    }
    for path in &report.outputs {
        writeln!(out, "  -> {}", path.display())?;
    }
    out.flush()
}

enum Display {
    Window(Box<WindowView>),
    Terminal(TerminalStatus),
}

struct Sink<'a> {
    trials: TrialOutput<'a>,
    stop: StopRequest,
    duration_s: Option<f64>,
    first_timestamp_s: Option<f64>,
    display: Display,
}

impl LiveSink for Sink<'_> {
    fn show(
        &mut self,
        frame: &Frame,
        reading: &Reading,
        stats: &LoopStats,
    ) -> Result<Vec<Command>, LiveError> {
        let first = *self.first_timestamp_s.get_or_insert(frame.timestamp_s);
        let mut commands = Vec::new();
        match &mut self.display {
            Display::Terminal(status) => status.show(reading, stats),
            Display::Window(view) => {
                view.show(frame, reading, stats)?;
                commands.extend(window_commands(view, &self.trials));
                if let Some((x, y)) = view.clicked_in_frame(frame) {
                    eprintln!(
                        "gonio: clicked at ({x:.0}, {y:.0}) px: the person there is the subject now"
                    );
                    commands.push(Command::PickAt { x, y });
                }
            }
        }
        if self
            .duration_s
            .is_some_and(|d| frame.timestamp_s - first >= d)
            || self.stop.requested()
        {
            commands.push(Command::Quit);
        }
        Ok(commands)
    }

    fn idle(&mut self) -> Result<Vec<Command>, LiveError> {
        let mut commands = Vec::new();
        if let Display::Window(view) = &mut self.display {
            view.refresh();
            commands.extend(window_commands(view, &self.trials));
        }
        if self.stop.requested() {
            commands.push(Command::Quit);
        }
        Ok(commands)
    }

    fn trial_started(&mut self, number: usize) -> Result<(), LiveError> {
        if let Display::Window(_) = &self.display {
            eprintln!("gonio: trial {number} started (space ends it)");
        }
        Ok(())
    }

    fn trial_finished(&mut self, trial: &Trial) -> Result<(), LiveError> {
        if let Display::Terminal(status) = &mut self.display {
            status.finish();
        }
        if let Display::Window(view) = &mut self.display {
            view.result = trial.results.first().map(|m| match m.swings {
                Some(n) => format!(
                    "trial {}: {} {} {} over {n} swing{} (peak {}, {})",
                    trial.number,
                    m.side.name(),
                    m.measure.replace('_', " "),
                    match (m.value_deg, m.spread_deg) {
                        (Some(v), Some(s)) => format!("{v:.1}° ± {s:.1}"),
                        (v, _) => deg(v),
                    },
                    if n == 1 { "" } else { "s" },
                    deg(m.peak_deg),
                    m.quality.name()
                ),
                None => format!(
                    "trial {}: {} {} {} (peak {}, held {:.1} s, {})",
                    trial.number,
                    m.side.name(),
                    m.measure.replace('_', " "),
                    m.value_deg
                        .map_or_else(|| "not held".to_string(), |v| format!("{v:.1}°")),
                    deg(m.peak_deg),
                    m.hold_s,
                    m.quality.name()
                ),
            });
        }
        self.trials.finished(trial);
        Ok(())
    }
}

/// What the keys pressed and the window's state ask for; a snapshot is taken at once.
fn window_commands(view: &mut WindowView, trials: &TrialOutput) -> Vec<Command> {
    let mut commands = Vec::new();
    for key in view.keys() {
        match key {
            Key::Space => commands.push(Command::ToggleTrial),
            Key::Q | Key::Escape => commands.push(Command::Quit),
            Key::S => view.snapshot(&trials.snapshot_path()),
            _ => {}
        }
    }
    if view.was_closed() {
        commands.push(Command::Quit);
    }
    commands
}

/// The live window: created with the first frame, sized to it.
#[derive(Default)]
struct WindowView {
    window: Option<Window>,
    /// The keypoint confidence the angles were computed with: the arc is drawn from the same
    /// keypoints.
    min_confidence: f32,
    renderer: LiveViewRenderer,
    buffer: Vec<u32>,
    size: (u32, u32),
    /// The last trial's result, shown until the next trial starts.
    result: Option<String>,
    show_stages: bool,
    /// Keys pressed and not yet handled, as the window system reported them.
    presses: KeyPresses,
    /// Where the left mouse button went down since the last frame, view pixels.
    click: Option<(f32, f32)>,
    mouse_was_down: bool,
}

/// Key presses in the order the window system reported them, kept until handled. minifb's
/// polled key state misses a key pressed and released between two window updates (while a trial
/// is being measured and saved, or on a busy machine); its event callback sees every press. A key
/// held down counts once, however long the keyboard repeats it.
#[derive(Clone, Default)]
struct KeyPresses(Rc<RefCell<KeyState>>);

#[derive(Default)]
struct KeyState {
    down: Vec<Key>,
    pressed: Vec<Key>,
}

impl KeyPresses {
    /// The keys pressed since the last call, oldest first.
    fn take(&self) -> Vec<Key> {
        std::mem::take(&mut self.0.borrow_mut().pressed)
    }

    /// Whether `key` was pressed since it was last handled; handles it.
    fn take_if(&self, key: Key) -> bool {
        let mut state = self.0.borrow_mut();
        let before = state.pressed.len();
        state.pressed.retain(|&k| k != key);
        state.pressed.len() < before
    }
}

impl InputCallback for KeyPresses {
    fn add_char(&mut self, _uni_char: u32) {}

    fn set_key_state(&mut self, key: Key, down: bool) {
        let mut state = self.0.borrow_mut();
        if !down {
            state.down.retain(|&k| k != key);
        } else if !state.down.contains(&key) {
            state.down.push(key);
            state.pressed.push(key);
        }
    }
}

const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const YELLOW: Rgb<u8> = Rgb([255, 230, 0]);
const ORANGE: Rgb<u8> = Rgb([255, 150, 60]);
const GREY: Rgb<u8> = Rgb([170, 170, 170]);
const GREEN: Rgb<u8> = Rgb([120, 230, 120]);

impl WindowView {
    fn show(
        &mut self,
        frame: &Frame,
        reading: &Reading,
        stats: &LoopStats,
    ) -> Result<(), LiveError> {
        let size = fit_within(
            frame.image.width(),
            frame.image.height(),
            MAX_VIEW.0,
            MAX_VIEW.1,
        );
        if self.window.is_none() || self.size != size {
            let mut window = Window::new(
                "gonio live",
                size.0 as usize,
                size.1 as usize,
                WindowOptions::default(),
            )
            .map_err(|e| {
                LiveError::Display(format!(
                    "cannot open a window ({e}); without a display use --headless"
                ))
            })?;
            // The loop paces itself by the frames; the window must not add a wait of its own.
            window.set_target_fps(0);
            window.set_input_callback(Box::new(self.presses.clone()));
            self.window = Some(window);
            self.size = size;
        }
        if reading.recording_s.is_some() {
            self.result = None;
        }
        let (headline, trial) = status_text(reading);
        let latency =
            match stats.last() {
                Some(t) if self.show_stages => format!(
                "{:.0} ms: wait {:.0} + pose {:.0} + angles {:.1} + display {:.0} | {:.0} frames/s",
                t.total_ms, t.queue_ms, t.pose_ms, t.angles_ms, t.display_ms, stats.recent_fps()
            ),
                _ => format!(
                    "{:.0} ms, {:.0} frames/s   space: trial   s: snapshot   l: latency   q: quit",
                    stats.recent_median_ms(30).unwrap_or(0.0),
                    stats.recent_fps()
                ),
            };
        let mut lines: Vec<(&str, Rgb<u8>)> = vec![
            (headline.as_str(), YELLOW),
            (
                trial.as_str(),
                if reading.recording_s.is_some() {
                    GREEN
                } else {
                    WHITE
                },
            ),
        ];
        if let Some(result) = &self.result {
            lines.push((result.as_str(), GREEN));
        }
        for hint in reading.guidance.iter().take(2) {
            lines.push((hint.as_str(), ORANGE));
        }
        let people = if reading.ambiguous {
            "bodies overlap: check that the skeleton is on the person measured".to_string()
        } else if reading.subject_guessed {
            // Said while the guess stands, even once the others have left the picture.
            "the nearest person was taken (the test's position did not tell who the patient is): click the patient to measure them".to_string()
        } else {
            format!(
                "{} people in view: click a person to measure them",
                reading.people
            )
        };
        if reading.people > 1 || reading.ambiguous || reading.subject_guessed {
            let warn = reading.ambiguous || reading.subject_guessed;
            lines.push((people.as_str(), if warn { ORANGE } else { WHITE }));
        }
        lines.push((latency.as_str(), GREY));
        let value_text = reading.value_label();
        let measured = reading.angle_to_draw(self.min_confidence, &value_text);
        let view = self
            .renderer
            .render(&frame.image, size, &reading.pose, measured, &lines);
        set_pixels(&mut self.buffer, view);
        self.present()
    }

    fn present(&mut self) -> Result<(), LiveError> {
        let Some(window) = &mut self.window else {
            return Ok(());
        };
        window
            .update_with_buffer(&self.buffer, self.size.0 as usize, self.size.1 as usize)
            .map_err(|e| LiveError::Display(e.to_string()))?;
        if self.presses.take_if(Key::L) {
            self.show_stages = !self.show_stages;
        }
        let down = window.get_mouse_down(MouseButton::Left);
        if down && !self.mouse_was_down {
            self.click = window.get_mouse_pos(MouseMode::Discard);
        }
        self.mouse_was_down = down;
        Ok(())
    }

    /// Where the user clicked since the last frame, in `frame`'s pixels.
    fn clicked_in_frame(&mut self, frame: &Frame) -> Option<(f32, f32)> {
        let (x, y) = self.click.take()?;
        let (sx, sy) = (
            frame.image.width() as f32 / self.size.0.max(1) as f32,
            frame.image.height() as f32 / self.size.1.max(1) as f32,
        );
        Some(((x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5))
    }

    /// Handles window events without a new picture.
    fn refresh(&mut self) {
        if let Some(window) = &mut self.window {
            window.update();
        }
    }

    fn keys(&mut self) -> Vec<Key> {
        self.presses.take()
    }

    /// Whether the user closed the window (false before it first opens).
    fn was_closed(&self) -> bool {
        self.window.as_ref().is_some_and(|w| !w.is_open())
    }

    /// What the window shows now.
    fn picture(&self) -> image::RgbImage {
        let (w, h) = self.size;
        let mut image = image::RgbImage::new(w, h);
        for (pixel, &rgb) in image.pixels_mut().zip(&self.buffer) {
            *pixel = Rgb([(rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8]);
        }
        image
    }

    /// Saves what the window shows to `path` and says so (or why not) on stderr.
    fn snapshot(&self, path: &Path) {
        match gonio::report::save_png(&self.picture(), path) {
            Ok(()) => eprintln!("gonio: snapshot saved: {}", path.display()),
            Err(e) => eprintln!("gonio: snapshot not saved: {e:#}"),
        }
    }

    /// After a recording ends: the last picture and the result stay until q, Escape, closing
    /// the window, or Ctrl-C.
    fn linger(
        &mut self,
        stop: &StopRequest,
        next_snapshot: impl Fn() -> PathBuf,
    ) -> anyhow::Result<()> {
        if self.window.is_none() {
            return Ok(());
        }
        eprintln!("gonio: the recording has ended; press q in the window to close it");
        // The last picture was drawn before the trial was measured: put the result on it.
        let result = self.result.clone().unwrap_or_default();
        let picture = self.renderer.recaption(&[
            (result.as_str(), GREEN),
            ("the recording has ended   s: snapshot   q: close", WHITE),
        ]);
        set_pixels(&mut self.buffer, picture);
        self.present().map_err(anyhow::Error::from)?;
        while !self.was_closed() && !stop.requested() {
            self.refresh();
            let keys = self.keys();
            if keys.iter().any(|k| matches!(k, Key::Q | Key::Escape)) {
                break;
            }
            if keys.contains(&Key::S) {
                self.snapshot(&next_snapshot());
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        Ok(())
    }
}

/// Writes an RGB image into the window's 0RGB pixels, reusing the buffer from frame to frame.
fn set_pixels(buffer: &mut Vec<u32>, image: &image::RgbImage) {
    buffer.clear();
    buffer.extend(
        image
            .pixels()
            .map(|p| (u32::from(p[0]) << 16) | (u32::from(p[1]) << 8) | u32::from(p[2])),
    );
}

/// The status line on the terminal: rewritten in place on a terminal, one line a second
/// otherwise (a log).
struct TerminalStatus {
    on_terminal: bool,
    last_at: Option<Instant>,
    width: usize,
}

impl TerminalStatus {
    fn new() -> Self {
        TerminalStatus {
            on_terminal: io::stderr().is_terminal(),
            last_at: None,
            width: 0,
        }
    }

    fn show(&mut self, reading: &Reading, stats: &LoopStats) {
        let every = if self.on_terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        if self.last_at.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        self.last_at = Some(Instant::now());
        let (headline, trial) = status_text(reading);
        let mut line = format!(
            "{headline} | {trial} | {:.0} ms, {:.0} frames/s",
            stats.recent_median_ms(30).unwrap_or(0.0),
            stats.recent_fps()
        );
        if let Some(hint) = reading.guidance.first() {
            line.push_str(&format!(" | {hint}"));
        }
        if reading.subject_guessed {
            line.push_str(" | the nearest person was taken as the subject: --pick chooses");
        }
        let mut err = io::stderr().lock();
        if self.on_terminal {
            let pad = self.width.saturating_sub(line.chars().count());
            let _ = write!(err, "\r{line}{}", " ".repeat(pad));
            self.width = line.chars().count();
        } else {
            let _ = writeln!(err, "gonio: {line}");
        }
        let _ = err.flush();
    }

    /// Ends the status line so that what follows starts on a new line.
    fn finish(&mut self) {
        if self.on_terminal && self.width > 0 {
            eprintln!();
            self.width = 0;
        }
    }
}

/// Where live trials are saved: dated, unless `--date` says otherwise, by the time they are
/// measured (a live trial's time is its session's; see `SaveTo::recorded_at`).
fn live_target(save: &SaveArgs) -> Option<SaveTo> {
    let mut to = save.target()?;
    to.recorded_at.get_or_insert_with(gonio::store::now_utc);
    Some(to)
}
