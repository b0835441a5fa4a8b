//! `gonio analyze`: one clinical result per side from recorded videos, frame folders, images or
//! keypoint CSVs, in batch, with the evidence written per input.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use clap::{Args, ValueEnum};
use comfy_table::{Cell, CellAlignment};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use gonio::angles::Side;
use gonio::pose::{Device, Runtime};
use gonio::protocols::{self, Measurement, Protocol, ResultKind, SideChoice};
use gonio::run::analyze::{analyze_batch, batch, AnalyzeConfig, FileReport, Progress, RunError};
use gonio::run::pipeline::{PipelineError, Source};
use gonio::run::shard::Shard;
use gonio::run::StopRequest;

use super::store::SaveArgs;
use super::{
    new_table, result_cells, MeasureArgs, ModelArgs, PeopleArgs, EXIT_INTERRUPTED, EXIT_PARTIAL,
    RESULT_HEADERS,
};

#[derive(Clone, Copy, ValueEnum)]
enum SideArg {
    /// The leg the protocol says (usually the one that moves)
    Auto,
    Left,
    Right,
    /// Both legs, one result each
    Both,
}

#[derive(Args)]
pub struct AnalyzeArgs {
    /// Videos (mp4, mov, mkv, avi, webm...), folders of videos, folders of frames (with --fps),
    /// images, or keypoint CSVs
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Stretch protocol (see `gonio protocols`)
    #[arg(long, value_parser = parse_protocol)]
    protocol: &'static Protocol,
    /// Which leg to measure
    #[arg(long, value_enum, default_value = "auto")]
    side: SideArg,
    /// Write per input: per-frame CSV, result JSON, evidence picture and angle plot into DIR
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Frame rate of folders of frames, frames per second (frames numbered in their names are
    /// timed by their numbers: a hole in the numbering is time without frames)
    #[arg(long, value_name = "FPS")]
    fps: Option<f64>,
    /// Inputs analysed in parallel (each runs its own model; at most four times the cores)
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = super::parse_jobs)]
    jobs: usize,
    /// Analyse at most this many frames per second of video (0 = every frame); stretches move
    /// slowly, and 30 frames/s halves the work on 60 frames/s phone videos
    #[arg(long, default_value_t = 30.0, value_name = "FPS")]
    max_fps: f64,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    people: PeopleArgs,
    #[command(flatten)]
    measure: MeasureArgs,
    /// Print JSON for programs: {"results": [...], "errors": [...], "files": [...]}
    #[arg(long, conflicts_with = "json_lines")]
    json: bool,
    /// Print one JSON object per input as soon as it is done: {"source", "results", ...} or
    /// {"source", "error"} (or, after a stop, {"source", "not_analysed"}); the outputs of several
    /// jobs concatenate
    #[arg(long)]
    json_lines: bool,
    /// Take the results of inputs already analysed into --out by an earlier run of this batch
    /// (stopped, or extended with new inputs) instead of analysing them again; an input is
    /// analysed again when it changed, gonio or a setting differs, or an output is missing
    #[arg(long, requires = "out")]
    resume: bool,
    /// Analyse only shard K of N (from 1): every N-th input of the batch sorted by path, so that
    /// N jobs given the same inputs cover each input exactly once (a cluster's job array)
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,
    #[command(flatten)]
    save: SaveArgs,
}

pub(crate) fn parse_protocol(id: &str) -> Result<&'static Protocol, String> {
    protocols::find(id).ok_or_else(|| {
        let ids: Vec<&str> = protocols::ALL.iter().map(|p| p.id).collect();
        format!("unknown protocol `{id}` (one of: {})", ids.join(", "))
    })
}

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let (hold, series) = args.measure.settings()?;
    if args.fps.is_some_and(|f| !(1.0..=1000.0).contains(&f)) {
        anyhow::bail!("--fps must be between 1 and 1000 frames per second");
    }
    if args.max_fps.is_nan() || args.max_fps < 0.0 {
        anyhow::bail!("--max-fps must be 0 (every frame) or positive");
    }
    let config = AnalyzeConfig {
        protocol: args.protocol,
        side: match args.side {
            SideArg::Auto => SideChoice::Auto,
            SideArg::Left => SideChoice::Named(Side::Left),
            SideArg::Right => SideChoice::Named(Side::Right),
            SideArg::Both => SideChoice::Both,
        },
        hold,
        series,
        out: args.out.clone(),
        frames_fps: args.fps,
        max_fps: (args.max_fps > 0.0).then_some(args.max_fps),
        jobs: args.jobs,
        model: args.model.model,
        threads: args.model.threads,
        device: args.model.device,
        people: args.people.people(args.protocol.posture),
        save: args.save.target(),
        names: HashMap::new(),
        abandon: None,
        stop: Some(StopRequest::new()),
        resume: args.resume,
    };
    // A GPU asked for is checked before any input; the CPU runtime loads only when a model runs
    // (keypoint CSVs need none).
    let noted = if args.model.device == Device::Cpu {
        false
    } else {
        super::load_runtime(&args.model)?.note().is_some()
    };
    let batch = batch(&args.inputs, args.fps);
    // A missing --fps is the command's fault, not an input's: said before anything is analysed.
    if let Some(folder) = batch.unusable.iter().find_map(|e| match e {
        RunError::Pipeline(PipelineError::FramesNeedFps { path }) => Some(path),
        _ => None,
    }) {
        anyhow::bail!(
            "{}: a folder of frames needs --fps (frames per second); nothing analysed",
            folder.display()
        );
    }
    for note in &batch.left_out {
        eprintln!("gonio: {note}");
    }
    if !batch.repeated.is_empty() {
        eprintln!(
            "gonio: given more than once, analysed once: {}",
            super::first_few(batch.repeated.iter().map(|p| p.display().to_string()))
        );
    }
    if args.fps.is_some()
        && !batch
            .sources
            .iter()
            .any(|s| matches!(s, Source::Frames { .. }))
    {
        // A video keeps its own timestamps; saying nothing would let a user believe --fps
        // re-timed it.
        eprintln!("gonio: --fps is for folders of frames and none was given: ignored (videos are timed by their own timestamps, keypoint CSVs by their time_s column; --max-fps thins a video)");
    }
    let batch = match args.shard {
        Some(shard) => batch.shard(shard),
        None => batch,
    };

    // One spinner per input (shown while it is analysed) under a bar for the batch.
    let multi = MultiProgress::new();
    let overall = multi.add(ProgressBar::new(batch.sources.len() as u64));
    if let Ok(style) =
        ProgressStyle::with_template("{msg:12} [{bar:30}] {pos}/{len} inputs ({elapsed})")
    {
        overall.set_style(style.progress_chars("=> "));
    }
    overall.set_message(match args.shard {
        Some(shard) => format!("shard {shard}"),
        None => "analyze".to_string(),
    });
    let spinners: Vec<ProgressBar> = batch
        .sources
        .iter()
        .map(|source| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} {msg} {pos} frames ({per_sec})")
            {
                bar.set_style(style);
            }
            bar.set_message(source.path().display().to_string());
            bar
        })
        .collect();
    // On a terminal, messages go above the progress bars; otherwise plain log lines.
    let log_lines = !io::stderr().is_terminal();
    let say = |message: String| {
        let message = super::one_line(&message);
        if log_lines {
            eprintln!("{message}");
        } else {
            let _ = multi.println(message);
        }
    };
    let shown = |index: usize| {
        spinners
            .get(index)
            .map_or_else(String::new, |bar| bar.message())
    };
    // One line per input for programs, written whole (one write) as soon as the input is done,
    // and saved when saving: a killed job leaves only complete lines.
    let lines = Arc::new(JsonLines::new(
        args.json_lines,
        config.save.is_some(),
        batch.sources.iter().map(|s| s.path().display().to_string()),
    ));
    let on_progress = |event: Progress| match event {
        Progress::Unusable { error } => {
            lines.error(error.source_name(), error);
            say(format!("gonio: {error}"));
        }
        Progress::Started { index, .. } => {
            if let Some(bar) = spinners.get(index) {
                multi.insert_before(&overall, bar.clone());
                bar.reset_elapsed();
            }
        }
        Progress::Frames { index, frames } => {
            if let Some(bar) = spinners.get(index) {
                bar.set_position(frames as u64);
            }
        }
        Progress::NotResumed { index, why } => {
            say(format!("gonio: {}: analysed again: {why}", shown(index)));
        }
        Progress::Finished { index, file } => {
            lines.finished(index, file);
            finish(&multi, &overall, spinners.get(index));
            if let Some(json) = &file.resumed_from {
                if log_lines {
                    say(format!(
                        "gonio: {}: taken from {} (analysed before; --resume)",
                        shown(index),
                        json.display()
                    ));
                }
                return;
            }
            if let Some(error) = &file.not_written {
                say(format!(
                    "gonio: {error} (the results of {} are kept)",
                    shown(index)
                ));
            }
            if log_lines {
                let seconds = spinners
                    .get(index)
                    .map_or(0.0, |bar| bar.elapsed().as_secs_f64());
                // Keypoints read from a file ran no model: their speed says nothing.
                let read_from_file = file.results.iter().all(|r| r.people_seen.is_none());
                say(if read_from_file {
                    format!("gonio: {}: {} frames read", shown(index), file.frames)
                } else {
                    format!(
                        "gonio: {}: {} frames in {seconds:.1} s ({:.1} frames/s)",
                        shown(index),
                        file.frames,
                        file.frames_per_second
                    )
                });
            }
        }
        Progress::Failed { index, error } => {
            lines.error(shown(index), error);
            lines.done(index);
            finish(&multi, &overall, spinners.get(index));
            say(format!("gonio: {error}"));
        }
        Progress::NotSaved { index, error } => {
            lines.saved(index, Err(error));
            say(format!("gonio: {error}"));
        }
        Progress::Saved {
            index,
            session,
            replaced,
            replaced_from,
            also_for,
        } => {
            lines.saved(index, Ok((session, also_for)));
            if replaced > 0 && replaced_from.is_empty() {
                say(format!(
                    "gonio: {}: replaced {replaced} earlier result(s) of the same file in session \"{session}\" (one recording is one trial)",
                    shown(index)
                ));
            } else if replaced > 0 {
                say(format!(
                    "gonio: {}: replaced {replaced} earlier result(s) in session \"{session}\" measured from {}: a copy of the same recording (identical content), and one recording is one trial",
                    shown(index),
                    replaced_from.join(", ")
                ));
            }
            if !also_for.is_empty() {
                say(format!(
                    "gonio: warning: {}: this recording is also saved for {}: check that it is this subject's",
                    shown(index),
                    also_for.join(", ")
                ));
            }
        }
    };
    let new_database = args.save.new_database();
    // The signal that stopped the batch, for its exit status (0 while none has).
    let stopped_by = Arc::new(AtomicI32::new(0));
    if let Some(stop) = config.stop.clone() {
        // Ctrl-C (or SIGTERM) ends the batch cleanly: the inputs under way are finished, written
        // and saved, what was measured is printed (`--json` too), and no other input is started.
        // A second one stops at once.
        let multi = multi.clone();
        let lines = Arc::clone(&lines);
        let stopped_by = Arc::clone(&stopped_by);
        super::on_stop_signals(move |signal| {
            if stop.requested() {
                // What is left is said, on stderr and in the JSON lines, before going.
                let left = lines.abandon();
                if !left.is_empty() {
                    eprintln!(
                        "\ngonio: stopped at once: {} input(s) not finished: {}",
                        left.len(),
                        super::first_few(left.into_iter())
                    );
                }
                super::exit_now(super::exit_status_of_signal(signal).into());
            }
            stopped_by.store(signal, Ordering::SeqCst);
            stop.request();
            let message = "gonio: stopping: the inputs under way are finished and kept, no other is started (Ctrl-C again to stop at once)";
            if log_lines {
                eprintln!("{message}");
            } else {
                let _ = multi.println(message);
            }
        });
    }
    let report = analyze_batch(batch, &config, &on_progress)?;
    overall.finish_and_clear();
    if args.model.device == Device::Auto && !noted {
        if let Some(note) = Runtime::load_on(Device::Auto).ok().and_then(Runtime::note) {
            eprintln!("gonio: {note}");
        }
    }
    if let (Some(subject), Some(label)) = (&args.save.subject, &report.saved_to) {
        eprintln!("gonio: saved for subject {subject}, session \"{label}\" (see `gonio history --subject {subject}`)");
        if args.save.date.is_none() {
            if let Some(day) =
                super::store::session_of_another_day(&args.save.db.path(), subject, label)
            {
                eprintln!(
                    "gonio: note: session \"{label}\" is dated {day}, not today: these results were added to it (one batch run across midnight); a new visit needs a label of its own"
                );
            }
        }
        if let Some(path) = new_database.filter(|path| path.exists()) {
            eprintln!("{}", super::store::new_database_note(&path));
        }
    }

    if !report.not_started.is_empty() {
        eprintln!(
            "gonio: stopped: {} input(s) not analysed: {}",
            report.not_started.len(),
            super::first_few(report.not_started.iter().map(|p| p.display().to_string()))
        );
    }

    let files = &report.files;
    let results: Vec<&Measurement> = files.iter().flat_map(|f| f.results.iter()).collect();
    let mut out = io::stdout().lock();
    if args.json_lines {
        // Written input by input; those a stop left out get a line each, so that a program
        // reading the lines knows every input's fate.
        for path in &report.not_started {
            lines.write(&serde_json::json!({
                "source": path,
                "not_analysed": "stopped before this input was started",
            }));
        }
    } else if args.json {
        let mut json = serde_json::json!({
            "results": results,
            "errors": report.errors.iter().map(|f| serde_json::json!({"source": f.input, "error": f.error.to_string()})).collect::<Vec<_>>(),
            "files": files,
        });
        if !report.not_started.is_empty() {
            json["not_analysed"] = serde_json::json!(report.not_started);
        }
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else if !files.is_empty() {
        print_summary(&mut out, args.protocol, files)?;
    }
    if let Some(error) = lines.failure() {
        return Err(anyhow::Error::from(error).context("cannot write the JSON lines"));
    }
    Ok(if !report.not_started.is_empty() {
        ExitCode::from(match stopped_by.load(Ordering::SeqCst) {
            0 => EXIT_INTERRUPTED,
            signal => super::exit_status_of_signal(signal),
        })
    } else if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// `--json-lines`: one JSON object per input on stdout, each written with one write.
struct JsonLines {
    enabled: bool,
    /// When saving, an input's line waits for its save to say whether it was saved.
    saving: bool,
    waiting: Mutex<HashMap<usize, serde_json::Value>>,
    /// The inputs of the batch whose line is not written yet, by index: what a stop at once
    /// leaves (see [`JsonLines::abandon`]).
    pending: Mutex<BTreeMap<usize, String>>,
    /// The first write error other than a closed pipe: the command then fails.
    failed: Mutex<Option<io::Error>>,
    closed: AtomicBool,
}

impl JsonLines {
    /// `sources` are the batch's inputs, in order, as they are named.
    fn new(enabled: bool, saving: bool, sources: impl Iterator<Item = String>) -> Self {
        JsonLines {
            enabled,
            saving,
            waiting: Mutex::new(HashMap::new()),
            pending: Mutex::new(sources.enumerate().collect()),
            failed: Mutex::new(None),
            closed: AtomicBool::new(false),
        }
    }

    /// Input `index` is measured: its report with its results.
    fn finished(&self, index: usize, file: &FileReport) {
        if !self.enabled {
            self.done(index);
            return;
        }
        let mut line = serde_json::to_value(file).unwrap_or_default();
        if let (Some(fields), Ok(results)) =
            (line.as_object_mut(), serde_json::to_value(&file.results))
        {
            fields.insert("results".to_string(), results);
        }
        if self.saving {
            if let Ok(mut waiting) = self.waiting.lock() {
                waiting.insert(index, line);
                return;
            }
        }
        self.write(&line);
        self.done(index);
    }

    /// Input `index` has its line (or needs none).
    fn done(&self, index: usize) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(&index);
        }
    }

    /// A stop at once: writes what each input without a line has (its results when measured
    /// but not yet saved, else that it was not analysed) and returns their names.
    fn abandon(&self) -> Vec<String> {
        let pending = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Vec::new(),
        };
        let mut waiting = self
            .waiting
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        let mut left = Vec::new();
        for (index, source) in pending {
            match waiting.remove(&index) {
                Some(line) => self.write(&line),
                None => {
                    if self.enabled {
                        self.write(&serde_json::json!({
                            "source": source,
                            "not_analysed": "stopped at once (Ctrl-C twice) before this input was finished",
                        }));
                    }
                    left.push(source);
                }
            }
        }
        left
    }

    /// Input `index`'s save: its line goes out with the session, or the reason it was not saved.
    fn saved(&self, index: usize, outcome: Result<(&str, &[String]), &RunError>) {
        let Some(mut line) = self.waiting.lock().ok().and_then(|mut w| w.remove(&index)) else {
            return;
        };
        if let Some(fields) = line.as_object_mut() {
            match outcome {
                Ok((session, also_for)) => {
                    fields.insert("saved_to_session".to_string(), session.into());
                    if !also_for.is_empty() {
                        fields.insert("also_saved_for".to_string(), also_for.into());
                    }
                }
                Err(error) => {
                    fields.insert("save_error".to_string(), error.to_string().into());
                }
            }
        }
        self.write(&line);
        self.done(index);
    }

    /// An input that failed.
    fn error(&self, source: String, error: &RunError) {
        if self.enabled {
            self.write(&serde_json::json!({"source": source, "error": error.to_string()}));
        }
    }

    fn write(&self, line: &serde_json::Value) {
        if self.closed.load(Ordering::Relaxed) {
            return;
        }
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        let written = {
            let mut out = io::stdout().lock();
            out.write_all(&bytes).and_then(|()| out.flush())
        };
        match written {
            Ok(()) => {}
            // Whoever reads stopped (`| head`): the batch goes on, quietly.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed.store(true, Ordering::Relaxed);
            }
            Err(e) => {
                self.closed.store(true, Ordering::Relaxed);
                if let Ok(mut failed) = self.failed.lock() {
                    failed.get_or_insert(e);
                }
            }
        }
    }

    /// The write error that makes the command fail, if any.
    fn failure(&self) -> Option<io::Error> {
        self.failed.lock().ok().and_then(|mut f| f.take())
    }
}

/// Ends an input's spinner and counts it.
fn finish(multi: &MultiProgress, overall: &ProgressBar, bar: Option<&ProgressBar>) {
    if let Some(bar) = bar {
        bar.finish_and_clear();
        multi.remove(bar);
    }
    overall.inc(1);
}

fn print_summary(
    out: &mut impl Write,
    protocol: &Protocol,
    files: &[FileReport],
) -> io::Result<()> {
    let mut table = new_table();
    table.set_header(
        ["source", "frames", "frames/s", "people"]
            .into_iter()
            .chain(RESULT_HEADERS),
    );
    for file in files {
        for r in &file.results {
            table.add_row(
                [
                    Cell::new(&file.source),
                    Cell::new(file.frames).set_alignment(CellAlignment::Right),
                    // Keypoints read from a file ran no model, and a result taken from an
                    // earlier run ran nothing now: their speed says nothing.
                    Cell::new(
                        r.people_seen
                            .filter(|_| file.resumed_from.is_none())
                            .map_or_else(
                                || "-".to_string(),
                                |_| format!("{:.1}", file.frames_per_second),
                            ),
                    )
                    .set_alignment(CellAlignment::Right),
                    Cell::new(
                        r.people_seen
                            .map_or_else(|| "-".to_string(), |n| n.to_string()),
                    )
                    .set_alignment(CellAlignment::Right),
                ]
                .into_iter()
                .chain(result_cells(r)),
            );
        }
    }
    writeln!(out, "{}: {}", protocol.id, protocol.title)?;
    writeln!(out, "{table}")?;
    let resumed = files.iter().filter(|f| f.resumed_from.is_some()).count();
    if resumed > 0 {
        writeln!(
            out,
            "  {resumed} of {} input(s) taken from an earlier run's results (--resume), not analysed again",
            files.len()
        )?;
    }
    for file in files {
        for r in &file.results {
            for w in &r.warnings {
                writeln!(
                    out,
                    "  {} {} {}: {w}",
                    file.source,
                    r.side.name(),
                    r.measure
                )?;
            }
        }
        if !file.outputs.is_empty() {
            writeln!(
                out,
                "  {} -> {}",
                file.source,
                file.outputs
                    .iter()
                    .map(|p| gonio::run::shown_path(p))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
    }
    let result = match protocol.result {
        ResultKind::SustainedMaximum => {
            "the highest angle held for the hold time within the band (sustained maximum)"
        }
        ResultKind::LastHold => {
            "the last angle held within the band (where the relaxed leg settled)"
        }
        ResultKind::Swings { .. } => {
            "the mean ± spread (standard deviation) of each swing's peak, over the swings counted"
        }
    };
    writeln!(out, "result = {result}; typical: {}", protocol.norm)
}
