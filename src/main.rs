//! The `gonio` command line: parses arguments, wires the library's stages together, prints.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use indicatif::{ProgressBar, ProgressStyle};

use gonio::capture::{collect_image_paths, load_image};
use gonio::eval::{evaluate, CocoDataset, ErrorStats, EvalReport};
use gonio::pose::{ModelKind, PoseEstimator, Runtime, PERSON_MIN_CONFIDENCE};
use gonio::report::json::{ImagePosesJson, PersonJson};
use gonio::report::overlay::draw_pose;

/// Exit status when some inputs failed and the others were processed.
const EXIT_PARTIAL: u8 = 1;
/// Exit status when the command could not run at all.
const EXIT_FATAL: u8 = 2;

#[derive(Parser)]
#[command(
    name = "gonio",
    version,
    about = "Measure joint range of motion (hip extension, hamstring range) from a camera",
    long_about = "gonio finds a person's keypoints with a pose model (MoveNet, run by ONNX Runtime) and \
                  turns them into joint angles.\n\nExit status: 0 when everything succeeded, 1 when some \
                  inputs failed (the others were still processed), 2 when the command could not run."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find the keypoints of the person in each image
    Pose(PoseArgs),
    /// Measure the pose model's accuracy on annotated photos (COCO keypoints JSON)
    Eval(EvalArgs),
}

#[derive(Args)]
struct ModelArgs {
    /// Pose model: thunder (accurate, default) or lightning (about 3x faster)
    #[arg(long, default_value = "thunder", value_parser = parse_model)]
    model: ModelKind,
    /// Inference threads (0 = all cores)
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Args)]
struct PoseArgs {
    /// Image files or folders of images (jpg, png, webp, bmp, tiff)
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    /// Print one JSON array with an entry per image instead of a table
    #[arg(long)]
    json: bool,
    /// Write each image with the skeleton drawn as DIR/<name>.png
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
}

#[derive(Args)]
struct EvalArgs {
    /// COCO keypoints JSON with the ground truth
    #[arg(long, value_name = "FILE")]
    annotations: PathBuf,
    /// Folder holding the annotated images (their file_name is relative to it)
    #[arg(long, value_name = "DIR")]
    images: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    /// Print the figures as JSON (with per-person detail) instead of tables
    #[arg(long)]
    json: bool,
}

fn parse_model(s: &str) -> Result<ModelKind, String> {
    s.parse()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Pose(args) => run_pose(&args),
        Command::Eval(args) => run_eval(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gonio: {error:#}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}

/// Output cut short by a closed pipe (`gonio ... | head`) is not an error.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn load_estimator(args: &ModelArgs) -> anyhow::Result<PoseEstimator> {
    let runtime = Runtime::load()?;
    Ok(PoseEstimator::new(runtime, args.model, args.threads)?)
}

fn progress_bar(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn run_pose(args: &PoseArgs) -> anyhow::Result<ExitCode> {
    let mut estimator = load_estimator(&args.model)?;
    let model_id = estimator.model_id().to_string();
    if let Some(dir) = &args.overlay {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create overlay folder", dir.display()))?;
    }
    let inputs = collect_image_paths(&args.images);
    let bar = progress_bar(inputs.len(), "pose");
    let mut records = Vec::with_capacity(inputs.len());
    let mut failures = 0usize;
    for input in inputs {
        let record = match input {
            Ok(path) => pose_one(&mut estimator, &path, &model_id, args.overlay.as_deref()),
            Err(error) => Err((error.path().to_path_buf(), error.to_string())),
        };
        match record {
            Ok((record, _)) if record.people.is_empty() => {
                bar.suspend(|| eprintln!("gonio: {}: no person found", record.image));
                failures += 1;
                records.push(record);
            }
            Ok((record, _)) => records.push(record),
            Err((path, message)) => {
                bar.suspend(|| eprintln!("gonio: {message}"));
                failures += 1;
                records.push(ImagePosesJson {
                    image: path.display().to_string(),
                    width: 0,
                    height: 0,
                    model: model_id.clone(),
                    people: Vec::new(),
                    error: Some(message),
                });
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &records)?;
        writeln!(out)?;
    } else {
        print_pose_table(&mut out, &records, &model_id, args.overlay.as_deref())?;
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// Runs the model on one image and writes its overlay. Errors carry the path and a message
/// that names it.
fn pose_one(
    estimator: &mut PoseEstimator,
    path: &Path,
    model_id: &str,
    overlay_dir: Option<&Path>,
) -> Result<(ImagePosesJson, Option<PathBuf>), (PathBuf, String)> {
    let fail = |message: String| (path.to_path_buf(), message);
    let frame = load_image(path).map_err(|e| fail(e.to_string()))?;
    let pose = estimator
        .estimate(&frame.image)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let people = if pose.has_person() {
        vec![PersonJson::from(&pose)]
    } else {
        Vec::new()
    };
    let mut overlay_path = None;
    if let Some(dir) = overlay_dir {
        let mut canvas = frame.image.clone();
        if pose.has_person() {
            draw_pose(&mut canvas, &pose);
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".into());
        let target = dir.join(format!("{stem}.png"));
        save_png_atomically(&canvas, &target)
            .map_err(|e| fail(format!("{}: cannot write overlay: {e}", target.display())))?;
        overlay_path = Some(target);
    }
    Ok((
        ImagePosesJson {
            image: path.display().to_string(),
            width: frame.image.width(),
            height: frame.image.height(),
            model: model_id.to_string(),
            people,
            error: None,
        },
        overlay_path,
    ))
}

/// Writes to a temporary name, then renames, so that no half-written PNG is left looking whole.
fn save_png_atomically(image: &image::RgbImage, target: &Path) -> anyhow::Result<()> {
    let partial = target.with_extension("png.partial");
    image.save_with_format(&partial, image::ImageFormat::Png)?;
    std::fs::rename(&partial, target)?;
    Ok(())
}

fn print_pose_table(
    out: &mut impl Write,
    records: &[ImagePosesJson],
    model_id: &str,
    overlay_dir: Option<&Path>,
) -> io::Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header([
        "image",
        "size (px)",
        "person",
        "score",
        "confident keypoints",
    ]);
    for record in records {
        let (person, score, confident) = match (record.people.first(), &record.error) {
            (_, Some(_)) => ("error".to_string(), String::new(), String::new()),
            (None, None) => ("none found".to_string(), String::new(), String::new()),
            (Some(p), None) => {
                let confident = p
                    .keypoints
                    .iter()
                    .filter(|k| k.confidence >= PERSON_MIN_CONFIDENCE)
                    .count();
                (
                    "yes".to_string(),
                    format!("{:.2}", p.score),
                    format!("{confident}/17"),
                )
            }
        };
        let size = if record.width > 0 {
            format!("{}x{}", record.width, record.height)
        } else {
            String::new()
        };
        table.add_row(vec![
            Cell::new(&record.image),
            Cell::new(size),
            Cell::new(person),
            Cell::new(score).set_alignment(CellAlignment::Right),
            Cell::new(confident).set_alignment(CellAlignment::Right),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(out, "model: {model_id}")?;
    writeln!(out, "keypoints confident at >= {PERSON_MIN_CONFIDENCE}; --json prints every keypoint in frame pixels")?;
    if let Some(dir) = overlay_dir {
        writeln!(out, "overlays: {}", dir.display())?;
    }
    Ok(())
}

fn run_eval(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let dataset = CocoDataset::load(&args.annotations)?;
    if !args.images.is_dir() {
        anyhow::bail!("{}: image folder not found", args.images.display());
    }
    let mut estimator = load_estimator(&args.model)?;
    let bar = progress_bar(dataset.people_count(), "eval");
    let (report, skipped) = evaluate(&mut estimator, &dataset, &args.images, || bar.inc(1))?;
    bar.finish_and_clear();
    for s in &skipped {
        eprintln!("gonio: skipped {}: {}", s.file_name, s.error);
    }
    let model_id = estimator.model_id().to_string();
    let mut out = io::stdout().lock();
    if args.json {
        let json = serde_json::json!({
            "annotations": args.annotations.display().to_string(),
            "model": model_id,
            "skipped_images": skipped.iter().map(|s| s.error.to_string()).collect::<Vec<_>>(),
            "report": report,
        });
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else {
        print_eval_tables(&mut out, &report, &model_id)?;
    }
    Ok(if skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn print_eval_tables(out: &mut impl Write, report: &EvalReport, model_id: &str) -> io::Result<()> {
    let mut pck = Table::new();
    pck.load_preset(UTF8_FULL_CONDENSED);
    pck.set_header(["keypoint", "PCK@0.2 (%)", "labelled"]);
    for (name, value, labelled) in report.pck_rows() {
        pck.add_row(vec![
            Cell::new(name),
            Cell::new(
                value
                    .map(|v| format!("{:.1}", 100.0 * v))
                    .unwrap_or_else(|| "-".into()),
            )
            .set_alignment(CellAlignment::Right),
            Cell::new(labelled).set_alignment(CellAlignment::Right),
        ]);
    }
    pck.add_row(vec![
        Cell::new("all"),
        Cell::new(format!("{:.1}", 100.0 * report.pck)).set_alignment(CellAlignment::Right),
        Cell::new(report.labelled_per_keypoint.iter().sum::<usize>())
            .set_alignment(CellAlignment::Right),
    ]);
    writeln!(out, "{pck}")?;

    let mut errors = Table::new();
    errors.load_preset(UTF8_FULL_CONDENSED);
    errors.set_header(["error", "n", "mean", "median", "90th pct"]);
    let row = |name: &str, s: &ErrorStats, precision: usize| {
        vec![
            Cell::new(name),
            Cell::new(s.count).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.*}", precision, s.mean)).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.*}", precision, s.median)).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.*}", precision, s.p90)).set_alignment(CellAlignment::Right),
        ]
    };
    errors.add_row(row(
        "keypoint distance / torso length (per person)",
        &report.normalized_error,
        3,
    ));
    errors.add_row(row("knee flexion (deg)", &report.knee_flexion_error_deg, 1));
    errors.add_row(row(
        "hip angle shoulder-hip-knee (deg)",
        &report.hip_angle_error_deg,
        1,
    ));
    writeln!(out, "{errors}")?;
    writeln!(
        out,
        "people: {} ({} with a labelled torso); model: {model_id}",
        report.people, report.people_with_torso
    )?;
    writeln!(out, "each person cropped square from its ground-truth box x1.25; PCK threshold 0.2 x mid-shoulder-to-mid-hip length")
}
