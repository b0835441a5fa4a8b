//! `gonio eval`: the pose model's accuracy on annotated photos.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use comfy_table::{Cell, CellAlignment};

use gonio::eval::{evaluate, CocoDataset, ErrorStats, EvalReport, PhotoTurn};

use super::{load_estimator, new_table, progress_bar, ModelArgs, EXIT_PARTIAL};

#[derive(Args)]
pub struct EvalArgs {
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
    /// Turn every photo (and its annotations) clockwise by this many degrees first (0 to 359;
    /// 90, 180, 270 are exact): turned photos stand in for bodies lying down or leaning
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..360), value_name = "DEGREES")]
    rotate: u32,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let dataset = CocoDataset::load(&args.annotations)?;
    if !args.images.is_dir() {
        anyhow::bail!("{}: image folder not found", args.images.display());
    }
    let mut estimator = load_estimator(&args.model)?;
    let bar = progress_bar(dataset.people_count(), "eval");
    let (report, skipped) = evaluate(
        &mut estimator,
        &dataset,
        &args.images,
        PhotoTurn::degrees(args.rotate as f32),
        || bar.inc(1),
    )?;
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
            "rotate_deg": args.rotate,
            "skipped_images": skipped.iter().map(|s| s.error.to_string()).collect::<Vec<_>>(),
            "report": report,
        });
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else {
        print_eval_tables(&mut out, &report, &model_id)?;
        if args.rotate != 0 {
            writeln!(out, "photos turned {} degrees clockwise", args.rotate)?;
        }
    }
    Ok(if skipped.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn print_eval_tables(out: &mut impl Write, report: &EvalReport, model_id: &str) -> io::Result<()> {
    let mut pck = new_table();
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

    let mut errors = new_table();
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
        "people: {} ({} with a labelled torso); model: {model_id}; {:.2} model runs per person",
        report.people, report.people_with_torso, report.model_runs_per_person
    )?;
    writeln!(out, "each person cropped square from its ground-truth box x1.25; PCK threshold 0.2 x mid-shoulder-to-mid-hip length")
}
