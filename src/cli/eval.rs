//! `gonio eval`: the pose model's accuracy on annotated photos.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use comfy_table::{Cell, CellAlignment};

use gonio::angles::DEFAULT_MIN_CONFIDENCE;
use gonio::eval::{
    evaluate, CocoDataset, ErrorStats, EvalOptions, EvalReport, Method, PairedCounts,
    PairedFigures, PhotoTurn, SharedAngles,
};
use gonio::pose::{PersonDetector, PhotoReader, Pick, Runtime, Steps, OVERLONG_LIMB_RATIO};

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
    /// Read each person in a square this many times their box's longer side: 1.25 is the
    /// standard protocol; larger values leave the person small in a wider view, as in a photo
    #[arg(long, default_value_t = 1.25, value_name = "SCALE", value_parser = box_scale)]
    box_scale: f32,
    /// Also read every person with a reference method and print its figures beside gonio's
    /// (`single-pass`: the model once on the person's crop, without gonio's extra steps)
    #[arg(long, value_enum, value_name = "METHOD")]
    reference: Option<Reference>,
    /// Only one person is in each crop: skip the person detector that otherwise chooses the
    /// person nearest the crop's centre and keeps a neighbour's keypoints off them
    #[arg(long)]
    single_person: bool,
    /// Switch off steps of gonio's pipeline to measure what each buys (comma-separated)
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STEP")]
    without: Vec<Step>,
}

fn box_scale(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(scale) if (1.0..=10.0).contains(&scale) => Ok(scale),
        _ => Err(format!("{text}: expected a number from 1 to 10")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Reference {
    SinglePass,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Step {
    /// the turns that stand a lying or leaning body upright
    Turns,
    /// the second look in a square around the person found
    Refine,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let dataset = CocoDataset::load(&args.annotations)?;
    if !args.images.is_dir() {
        anyhow::bail!("{}: image folder not found", args.images.display());
    }
    let mut estimator = load_estimator(&args.model)?;
    estimator.set_steps(Steps {
        // Each person is read in a square around their box: there are no windows to search.
        windows: true,
        turns: !args.without.contains(&Step::Turns),
        refine: !args.without.contains(&Step::Refine),
    });
    let mut reader = if args.single_person {
        PhotoReader::single()
    } else {
        PhotoReader::multi(
            PersonDetector::new(Runtime::load()?, args.model.threads)?,
            Pick::Center,
        )
    };
    let options = EvalOptions {
        turn: PhotoTurn::degrees(args.rotate as f32),
        box_scale: args.box_scale,
        method: Method::Pipeline,
    };
    let runs = 1 + usize::from(args.reference.is_some());
    let bar = progress_bar(runs * dataset.people_count(), "eval");
    let (report, skipped) = evaluate(
        &mut estimator,
        &mut reader,
        &dataset,
        &args.images,
        options,
        || bar.inc(1),
    )?;
    let reference = match args.reference {
        Some(Reference::SinglePass) => Some(
            evaluate(
                &mut estimator,
                &mut reader,
                &dataset,
                &args.images,
                EvalOptions {
                    method: Method::SinglePass,
                    ..options
                },
                || bar.inc(1),
            )?
            .0,
        ),
        None => None,
    };
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
            "box_scale": args.box_scale,
            "skipped_images": skipped.iter().map(|s| s.error.to_string()).collect::<Vec<_>>(),
            "report": report,
            "reference": reference.as_ref().map(|r| serde_json::json!({
                "method": "single-pass",
                "paired": PairedFigures::of(&report, r),
                "report": r,
            })),
        });
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else {
        print_eval_tables(&mut out, &report, &model_id, args.box_scale)?;
        print_pose_types(&mut out, &report, reference.as_ref())?;
        if let Some(reference) = &reference {
            print_comparison(&mut out, &report, reference)?;
        }
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

fn print_eval_tables(
    out: &mut impl Write,
    report: &EvalReport,
    model_id: &str,
    box_scale: f32,
) -> io::Result<()> {
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
    errors.add_row(row(
        "knee flexion, confident keypoints only (deg)",
        &report.confident_knee_flexion_error_deg,
        1,
    ));
    errors.add_row(row(
        "hip angle, confident keypoints only (deg)",
        &report.confident_hip_angle_error_deg,
        1,
    ));
    writeln!(out, "{errors}")?;
    writeln!(
        out,
        "people: {} ({} with a labelled torso); model: {model_id}; {:.2} model runs per person",
        report.people, report.people_with_torso, report.model_runs_per_person
    )?;
    writeln!(out, "each person read in a square of x{box_scale} their ground-truth box by gonio's photo pipeline; PCK threshold 0.2 x mid-shoulder-to-mid-hip length")?;
    writeln!(out, "confident keypoints only: the angles whose three keypoints gonio read at confidence {DEFAULT_MIN_CONFIDENCE} or more, the ones its protocols use")?;
    let flags = &report.implausible;
    writeln!(
        out,
        "flagged as implausible (a thigh or shank over {OVERLONG_LIMB_RATIO} times as long as the rest of the body allows): {} of {} people; knee / hip error mean {} / {} deg against {} / {} for the rest",
        flags.flagged,
        report.people,
        mean_or_dash(&flags.flagged_knee_flexion_error_deg),
        mean_or_dash(&flags.flagged_hip_angle_error_deg),
        mean_or_dash(&flags.other_knee_flexion_error_deg),
        mean_or_dash(&flags.other_hip_angle_error_deg),
    )
}

/// An error mean to one decimal, or "-" over nobody.
fn mean_or_dash(stats: &ErrorStats) -> String {
    if stats.count == 0 {
        "-".to_string()
    } else {
        format!("{:.1}", stats.mean)
    }
}

/// The angle errors per kind of pose (see `gonio::eval::PoseType`), the reference's beside gonio's.
fn print_pose_types(
    out: &mut impl Write,
    report: &EvalReport,
    reference: Option<&EvalReport>,
) -> io::Result<()> {
    let mut table = new_table();
    let mut header = vec!["pose", "people", "knee error (deg)", "hip error (deg)"];
    if reference.is_some() {
        header.extend(["single pass: knee", "hip"]);
    }
    table.set_header(header);
    let pair = |s: &ErrorStats| {
        let text = if s.count == 0 {
            "-".to_string()
        } else {
            format!("{:.1} / {:.1}", s.mean, s.median)
        };
        Cell::new(text).set_alignment(CellAlignment::Right)
    };
    for figures in &report.per_pose_type {
        let mut row = vec![
            Cell::new(figures.pose_type.label()),
            Cell::new(figures.people).set_alignment(CellAlignment::Right),
            pair(&figures.knee_flexion_error_deg),
            pair(&figures.hip_angle_error_deg),
        ];
        if let Some(reference) = reference {
            let theirs = reference
                .per_pose_type
                .iter()
                .find(|f| f.pose_type == figures.pose_type);
            let empty = ErrorStats::default();
            row.push(pair(theirs.map_or(&empty, |f| &f.knee_flexion_error_deg)));
            row.push(pair(theirs.map_or(&empty, |f| &f.hip_angle_error_deg)));
        }
        table.add_row(row);
    }
    writeln!(out, "{table}")?;
    let legend: Vec<String> = report
        .per_pose_type
        .iter()
        .map(|f| format!("{} ({})", f.pose_type.label(), f.pose_type.examples()))
        .collect();
    writeln!(
        out,
        "errors as mean / median; pose as the annotation shows it, before any --rotate: {}",
        legend.join("; ")
    )
}

/// gonio's figures beside the reference's, the differences last.
fn print_comparison(
    out: &mut impl Write,
    gonio: &EvalReport,
    reference: &EvalReport,
) -> io::Result<()> {
    let mut table = new_table();
    table.set_header([
        "",
        "PCK@0.2 (%)",
        "knee error mean / median (deg)",
        "hip error mean / median (deg)",
        "model runs per person",
    ]);
    let row = |name: &str, r: &EvalReport| {
        vec![
            Cell::new(name),
            Cell::new(format!("{:.1}", 100.0 * r.pck)).set_alignment(CellAlignment::Right),
            Cell::new(format!(
                "{:.1} / {:.1}",
                r.knee_flexion_error_deg.mean, r.knee_flexion_error_deg.median
            ))
            .set_alignment(CellAlignment::Right),
            Cell::new(format!(
                "{:.1} / {:.1}",
                r.hip_angle_error_deg.mean, r.hip_angle_error_deg.median
            ))
            .set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.2}", r.model_runs_per_person))
                .set_alignment(CellAlignment::Right),
        ]
    };
    table.add_row(row("gonio", gonio));
    table.add_row(row("single pass (reference)", reference));
    let (k, h) = (&gonio.knee_flexion_error_deg, &gonio.hip_angle_error_deg);
    let (rk, rh) = (
        &reference.knee_flexion_error_deg,
        &reference.hip_angle_error_deg,
    );
    table.add_row(vec![
        Cell::new("gonio minus reference"),
        Cell::new(format!("{:+.1}", 100.0 * (gonio.pck - reference.pck)))
            .set_alignment(CellAlignment::Right),
        Cell::new(format!(
            "{:+.1} / {:+.1}",
            k.mean - rk.mean,
            k.median - rk.median
        ))
        .set_alignment(CellAlignment::Right),
        Cell::new(format!(
            "{:+.1} / {:+.1}",
            h.mean - rh.mean,
            h.median - rh.median
        ))
        .set_alignment(CellAlignment::Right),
        Cell::new(format!(
            "{:+.2}",
            gonio.model_runs_per_person - reference.model_runs_per_person
        ))
        .set_alignment(CellAlignment::Right),
    ]);
    writeln!(out, "{table}")?;
    writeln!(out, "reference: the model once on each person's crop (negative differences: gonio's steps help)")?;
    let confident = |r: &EvalReport| {
        format!(
            "knees {}, hips {}",
            count_mean_median(&r.confident_knee_flexion_error_deg),
            count_mean_median(&r.confident_hip_angle_error_deg)
        )
    };
    writeln!(
        out,
        "angles from confident keypoints (n at mean / median deg): gonio {}; reference {}",
        confident(gonio),
        confident(reference)
    )?;
    let paired = PairedFigures::of(gonio, reference);
    let shared = |a: &SharedAngles| {
        format!(
            "{} at {} against {}",
            a.gonio_deg.count,
            mean_median(&a.gonio_deg),
            mean_median(&a.reference_deg)
        )
    };
    writeln!(
        out,
        "angles both read from confident keypoints (n at gonio's mean / median against the reference's, deg): knees {}; hips {}",
        shared(&paired.confident_knee_flexion),
        shared(&paired.confident_hip_angle)
    )?;
    let counts = |c: &PairedCounts| {
        format!(
            "better for {}, worse for {}, within {} deg for {} (p {:.2})",
            c.better,
            c.worse,
            paired.margin_deg,
            c.same,
            c.worse_p()
        )
    };
    writeln!(
        out,
        "person by person, gonio against the reference: knee {}; hip {}",
        counts(&paired.knee_flexion),
        counts(&paired.hip_angle)
    )?;
    writeln!(out, "people counted once per angle, by the mean error of their two sides; p: the chance of that many worse or more if both were equally good (one-sided sign test), under 0.05 when gonio reads more people worse than chance explains")
}

/// "mean / median" of an error, or "-" over nothing.
fn mean_median(stats: &ErrorStats) -> String {
    if stats.count == 0 {
        "-".to_string()
    } else {
        format!("{:.1} / {:.1}", stats.mean, stats.median)
    }
}

/// "n at mean / median" of an error, or "0" over nothing.
fn count_mean_median(stats: &ErrorStats) -> String {
    if stats.count == 0 {
        "0".to_string()
    } else {
        format!("{} at {}", stats.count, mean_median(stats))
    }
}
