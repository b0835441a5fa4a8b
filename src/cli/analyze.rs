//! `gonio analyze`: one clinical result per side from recorded videos, frame folders, images or
//! keypoint CSVs, in batch, with the evidence written per input.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use clap::{Args, ValueEnum};
use comfy_table::{Cell, CellAlignment};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use gonio::angles::{AngleSeries, SeriesOptions, Side};
use gonio::capture::{load_image, video::frame_at};
use gonio::pipeline::{sources_from, track_source, PipelineError, Source, Timings, Tracked};
use gonio::pose::{PeopleSeen, PoseEstimator, SubjectFinder};
use gonio::protocols::{self, HoldCriteria, Measurement, Protocol, SideChoice};
use gonio::report::evidence::draw_evidence;
use gonio::report::frames_csv::write_frames_csv;
use gonio::report::plot::{render_angle_plot, AnglePlot};
use gonio::report::{save_png, write_atomically};

use super::store::SaveArgs;
use super::{
    load_estimator, new_table, result_cells, MeasureArgs, ModelArgs, PeopleArgs, EXIT_PARTIAL,
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
    /// Frame rate of folders of frames, frames per second
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
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    save: SaveArgs,
}

pub(crate) fn parse_protocol(id: &str) -> Result<&'static Protocol, String> {
    protocols::find(id).ok_or_else(|| {
        let ids: Vec<&str> = protocols::ALL.iter().map(|p| p.id).collect();
        format!("unknown protocol `{id}` (one of: {})", ids.join(", "))
    })
}

/// What one input produced.
#[derive(serde::Serialize)]
struct FileReport {
    source: String,
    frames: usize,
    frames_with_person: usize,
    /// Frames per second of the whole analysis of this input.
    frames_per_second: f64,
    timings: Timings,
    /// People in view and the subject lock's certainty.
    people: PeopleSeen,
    angles_s: f64,
    outputs: Vec<PathBuf>,
    #[serde(skip)]
    results: Vec<Measurement>,
}

struct Settings<'a> {
    args: &'a AnalyzeArgs,
    side: SideChoice,
    hold: HoldCriteria,
    options: SeriesOptions,
}

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let (hold, options) = args.measure.settings()?;
    if args.fps.is_some_and(|f| !(1.0..=1000.0).contains(&f)) {
        anyhow::bail!("--fps must be between 1 and 1000 frames per second");
    }
    if args.max_fps.is_nan() || args.max_fps < 0.0 {
        anyhow::bail!("--max-fps must be 0 (every frame) or positive");
    }
    if let Some(out) = &args.out {
        gonio::report::output_folder(out)?;
    }
    let settings = Settings {
        args,
        side: match args.side {
            SideArg::Auto => SideChoice::Auto,
            SideArg::Left => SideChoice::Named(Side::Left),
            SideArg::Right => SideChoice::Named(Side::Right),
            SideArg::Both => SideChoice::Both,
        },
        hold,
        options,
    };

    let mut errors: Vec<(String, String)> = Vec::new();
    let mut sources = Vec::new();
    for source in sources_from(&args.inputs, args.fps) {
        match source {
            Ok(s) => sources.push(s),
            Err(e) => errors.push((error_source(&e), e.to_string())),
        }
    }
    let stems = output_stems(&sources, args.out.as_deref());

    let multi = MultiProgress::new();
    let overall = multi.add(ProgressBar::new(sources.len() as u64));
    if let Ok(style) =
        ProgressStyle::with_template("{msg:12} [{bar:30}] {pos}/{len} inputs ({elapsed})")
    {
        overall.set_style(style.progress_chars("=> "));
    }
    overall.set_message("analyze");
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
    for (_, message) in &errors {
        say(format!("gonio: {message}"));
    }

    let next = AtomicUsize::new(0);
    type Done = (
        usize,
        Result<FileReport, String>,
        Option<Result<Option<String>, String>>,
    );
    let done: Mutex<Vec<Done>> = Mutex::new(Vec::new());
    let jobs = args.jobs.clamp(1, sources.len().max(1));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let model_failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut estimator: Option<PoseEstimator> = None;
                let mut finder: Option<SubjectFinder> = None;
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(source) = sources.get(i) else { break };
                    if source.needs_model() && estimator.is_none() {
                        let model = ModelArgs {
                            model: args.model.model,
                            // Leave a core to each ffmpeg decoder: measured on 2 cores, one inference
                            // thread beside the decoder beats two (Lightning 2.99x vs 2.85x real time).
                            threads: if args.model.threads > 0 {
                                args.model.threads
                            } else {
                                (cores / jobs).saturating_sub(1).max(1)
                            },
                        };
                        let loaded = load_estimator(&model).and_then(|e| {
                            let f = args.people.finder(args.protocol.posture, model.threads)?;
                            Ok((e, f))
                        });
                        match loaded {
                            Ok((e, f)) => {
                                estimator = Some(e);
                                finder = Some(f);
                            }
                            Err(e) => {
                                if let Ok(mut failure) = model_failure.lock() {
                                    failure.get_or_insert(e);
                                }
                                break;
                            }
                        }
                    }
                    let bar = multi.insert_before(&overall, ProgressBar::new_spinner());
                    if let Ok(style) =
                        ProgressStyle::with_template("{spinner} {msg} {pos} frames ({per_sec})")
                    {
                        bar.set_style(style);
                    }
                    bar.set_message(source.path().display().to_string());
                    let started = Instant::now();
                    let finder = finder.get_or_insert_with(SubjectFinder::single);
                    let report = analyze_one(
                        source,
                        &stems[i],
                        estimator.as_mut(),
                        finder,
                        &settings,
                        &bar,
                    );
                    bar.finish_and_clear();
                    multi.remove(&bar);
                    overall.inc(1);
                    let shown = source.path().display();
                    match &report {
                        Ok(r) if log_lines => say(format!(
                            "gonio: {shown}: {} frames in {:.1} s ({:.1} frames/s)",
                            r.frames,
                            started.elapsed().as_secs_f64(),
                            r.frames_per_second
                        )),
                        Err(message) => say(format!("gonio: {message}")),
                        _ => {}
                    }
                    // Saved as soon as measured, each input in its own transaction: a crash, a
                    // kill or a bad input later in the batch loses nothing measured before.
                    let saved = report
                        .as_ref()
                        .ok()
                        .map(|r| save_report(&args.save, args.protocol, source, r));
                    match done.lock() {
                        Ok(mut done) => done.push((i, report, saved)),
                        Err(_) => say(format!("gonio: {shown}: result lost: another job failed")),
                    }
                }
            });
        }
    });
    overall.finish_and_clear();
    if let Some(failure) = model_failure.into_inner().ok().flatten() {
        return Err(failure);
    }
    let mut done = done
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a job failed: the batch's results were not collected"))?;
    done.sort_by_key(|(i, _, _)| *i);
    let mut files = Vec::new();
    let mut saved_to = None;
    for (i, report, saved) in done {
        match report {
            Ok(report) => {
                match saved {
                    Some(Ok(label)) => saved_to = saved_to.or(label),
                    Some(Err(message)) => {
                        eprintln!("gonio: {}", super::one_line(&message));
                        errors.push((report.source.clone(), message));
                    }
                    None => {}
                }
                files.push(report);
            }
            Err(message) => errors.push((sources[i].path().display().to_string(), message)),
        }
    }
    if let (Some(subject), Some(label)) = (&args.save.subject, &saved_to) {
        eprintln!("gonio: saved for subject {subject}, session \"{label}\" (see `gonio history --subject {subject}`)");
    }

    let results: Vec<&Measurement> = files.iter().flat_map(|f| f.results.iter()).collect();
    let mut out = io::stdout().lock();
    if args.json {
        let json = serde_json::json!({
            "results": results,
            "errors": errors.iter().map(|(s, e)| serde_json::json!({"source": s, "error": e})).collect::<Vec<_>>(),
            "files": files,
        });
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else if !files.is_empty() {
        print_summary(&mut out, args.protocol, &files)?;
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// Saves one input's results (with the input's hash and, for the main measure, its evidence
/// picture); the session label, or what went wrong.
fn save_report(
    save: &SaveArgs,
    protocol: &Protocol,
    source: &Source,
    report: &FileReport,
) -> Result<Option<String>, String> {
    let main_measure = protocol.main_measure().name;
    // The picture of the result: its evidence frame, else (keypoint files have no frames) its plot.
    let evidence = |m: &Measurement| {
        let written = |kind: &str| {
            let suffix = format!(".{}.{kind}.png", m.side.name());
            report
                .outputs
                .iter()
                .find(|p| p.to_string_lossy().ends_with(&suffix))
                .cloned()
        };
        (m.measure == main_measure)
            .then(|| written("evidence").or_else(|| written("plot")))
            .flatten()
    };
    let sha = gonio::store::file_sha256(source.path());
    save.save(&report.results, sha, evidence)
        .map_err(|e| format!("{}: not saved: {e:#}", report.source))
}

fn error_source(error: &PipelineError) -> String {
    match error {
        PipelineError::Folder { path, .. }
        | PipelineError::FramesNeedFps { path }
        | PipelineError::Unsupported { path } => path.display().to_string(),
        PipelineError::Capture(e) => e.path().display().to_string(),
        other => other.to_string(),
    }
}

/// Output file names: the input's file stem, made unique within the batch and against what is
/// already in `out`: an earlier run's evidence (the "before" picture a report shows) and the
/// inputs themselves are never overwritten.
fn output_stems(sources: &[Source], out: Option<&Path>) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    let in_use = |stem: &str| {
        out.is_some_and(|dir| {
            let names = [format!("{stem}.csv"), format!("{stem}.json")]
                .into_iter()
                .chain(Side::BOTH.iter().flat_map(|side| {
                    [
                        format!("{stem}.{}.evidence.png", side.name()),
                        format!("{stem}.{}.plot.png", side.name()),
                    ]
                }));
            names
                .into_iter()
                .any(|name| dir.join(name).symlink_metadata().is_ok())
        })
    };
    sources
        .iter()
        .map(|s| {
            let base = s
                .path()
                .file_stem()
                .map_or_else(|| "input".to_string(), |x| x.to_string_lossy().into_owned());
            let stem = std::iter::once(base.clone())
                .chain((2..).map(|n| format!("{base}-{n}")))
                .find(|stem| !taken.contains(stem) && !in_use(stem))
                .unwrap_or(base);
            taken.insert(stem.clone());
            stem
        })
        .collect()
}

fn analyze_one(
    source: &Source,
    stem: &str,
    estimator: Option<&mut PoseEstimator>,
    finder: &mut SubjectFinder,
    settings: &Settings,
    bar: &ProgressBar,
) -> Result<FileReport, String> {
    let started = Instant::now();
    let model_id = estimator
        .as_ref()
        .filter(|_| source.needs_model())
        .map(|e| e.model_id().to_string());
    let max_fps = (settings.args.max_fps > 0.0).then_some(settings.args.max_fps);
    let mut tracked = track_source(source, estimator, finder, max_fps, |n| {
        bar.set_position(n as u64)
    })
    .map_err(|e| e.to_string())?;
    let t = Instant::now();
    // Swap correction fixes the poses in place, so the CSV and pictures show corrected labels.
    let track = &mut tracked.track;
    let series = AngleSeries::from_poses(&track.time_s, &mut track.poses, &settings.options);
    let track = &tracked.track;
    let name = source.path().display().to_string();
    let mut results = protocols::measure(
        settings.args.protocol,
        &series,
        settings.side,
        &settings.hold,
        &name,
        model_id.as_deref(),
    );
    let angles_s = t.elapsed().as_secs_f64();
    protocols::note_people(
        &mut results,
        source.needs_model().then_some(&tracked.people),
        tracked.frames_with_person,
        track.poses.len(),
    );
    let mut outputs = Vec::new();
    if let Some(dir) = &settings.args.out {
        outputs = write_outputs(dir, stem, source, &tracked, &series, &results, settings)?;
    }
    let frames = track.poses.len();
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
        results,
    })
}

#[allow(clippy::too_many_arguments)]
fn write_outputs(
    dir: &Path,
    stem: &str,
    source: &Source,
    tracked: &Tracked,
    series: &AngleSeries,
    results: &[Measurement],
    settings: &Settings,
) -> Result<Vec<PathBuf>, String> {
    let track = &tracked.track;
    let mut outputs = Vec::new();
    let csv_path = dir.join(format!("{stem}.csv"));
    write_atomically(&csv_path, |file| {
        write_frames_csv(io::BufWriter::new(file), track, series).map_err(|e| e.to_string())
    })
    .map_err(|e| e.to_string())?;
    outputs.push(csv_path);

    let json_path = dir.join(format!("{stem}.json"));
    write_atomically(&json_path, |file| {
        serde_json::to_writer_pretty(
            io::BufWriter::new(file),
            &serde_json::json!({ "results": results }),
        )
        .map_err(|e| e.to_string())
    })
    .map_err(|e| e.to_string())?;
    outputs.push(json_path);

    let protocol = settings.args.protocol;
    let main = protocol.main_measure();
    for r in results.iter().filter(|r| r.measure == main.name) {
        let side = r.side;
        let values: Vec<f32> = series
            .channel(main.angle.channel(side))
            .iter()
            .map(|v| if main.negate { -v } else { *v })
            .collect();
        let valid = protocols::valid_frames(protocol, series, side);
        let title = format!(
            "{} · {} {} · {}",
            protocol.id,
            side.name(),
            r.measure,
            r.source
        );
        let y_label = format!("{} (deg)", r.measure);
        let note = r
            .refusal
            .as_ref()
            .map(|refusal| format!("no result: {}", refusal.reason));
        let plot = AnglePlot {
            title: &title,
            y_label: &y_label,
            time_s: &track.time_s,
            all: &values,
            valid: &valid,
            hold: r.hold_start_s.zip(r.hold_end_s),
            result_deg: r.value_deg,
            note: note.as_deref(),
        };
        let plot_path = dir.join(format!("{stem}.{}.plot.png", side.name()));
        let picture = render_angle_plot(&plot, 1200, 600)
            .map_err(|e| format!("{}: cannot draw plot: {e}", plot_path.display()))?;
        save_png(&picture, &plot_path).map_err(|e| e.to_string())?;
        outputs.push(plot_path);

        // The evidence: the frame in the middle of the hold, else the peak; for a refusal, the
        // frame that shows why.
        let Some(index) = r.evidence_frame.filter(|&i| i < track.time_s.len()) else {
            continue;
        };
        let frame = match source {
            Source::Video(path) => {
                frame_at(path, track.time_s[index], tracked.origin_pts.unwrap_or(0.0))
                    .map(|f| f.image)
                    .map_err(|e| e.to_string())
            }
            Source::Frames { files, .. } => load_image(&files[index])
                .map(|f| f.image)
                .map_err(|e| e.to_string()),
            Source::Image(path) => load_image(path).map(|f| f.image).map_err(|e| e.to_string()),
            Source::Keypoints(_) => continue,
        };
        let mut frame = frame?;
        // A refused result shows this frame's angle, never a result.
        let shown = r
            .value_deg
            .unwrap_or_else(|| main.value_in_frame(side, |c| series.channel(c)[index]));
        let value_text = if shown.is_nan() {
            "?".to_string()
        } else {
            format!("{shown:.1}°")
        };
        let mut caption = match &r.refusal {
            None => vec![format!(
                "{} {} {}: {value_text} (held {:.1} s), quality {}",
                protocol.id,
                side.name(),
                r.measure,
                r.hold_s,
                r.quality.name()
            )],
            Some(refusal) => vec![
                format!(
                    "{} {} {}: NO RESULT ({value_text} in this frame)",
                    protocol.id,
                    side.name(),
                    r.measure
                ),
                refusal.reason.clone(),
            ],
        };
        caption.push(format!("{} at {:.2} s", r.source, track.time_s[index]));
        // On a refusal the arc is labelled as what it is, so that no cropped picture shows a
        // number that looks like a result.
        let arc_label = if r.refusal.is_some() {
            "no result"
        } else {
            value_text.as_str()
        };
        draw_evidence(
            &mut frame,
            &track.poses[index],
            side,
            main.angle,
            arc_label,
            &caption,
        );
        let evidence_path = dir.join(format!("{stem}.{}.evidence.png", side.name()));
        save_png(&frame, &evidence_path).map_err(|e| e.to_string())?;
        outputs.push(evidence_path);
    }
    Ok(outputs)
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
                    Cell::new(format!("{:.1}", file.frames_per_second))
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
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
    }
    writeln!(out, "result = the highest angle held for the hold time within the band (sustained maximum); typical: {}", protocol.norm)
}
