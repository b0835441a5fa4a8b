//! `gonio analyze`: one clinical result per side from a recorded keypoint series.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use comfy_table::{Cell, CellAlignment};

use gonio::angles::{AngleSeries, SeriesOptions, Side, DEFAULT_MIN_CONFIDENCE};
use gonio::pose::csv::read_keypoints_csv;
use gonio::protocols::{self, HoldCriteria, Measurement, Protocol, SideChoice};

use super::{new_table, EXIT_PARTIAL};

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
    /// Keypoint CSV files (time_s, then <keypoint>_x, _y, _conf for the 17 COCO keypoints)
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Stretch protocol (see `gonio protocols`)
    #[arg(long, value_parser = parse_protocol)]
    protocol: &'static Protocol,
    /// Which leg to measure
    #[arg(long, value_enum, default_value = "auto")]
    side: SideArg,
    /// Shortest hold that counts, seconds
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    hold_s: f64,
    /// A hold stays within ± this many degrees of its level
    #[arg(long, default_value_t = 3.0, value_name = "DEGREES")]
    band_deg: f32,
    /// Keypoints under this confidence (0..1) are not used
    #[arg(long, default_value_t = DEFAULT_MIN_CONFIDENCE, value_name = "CONFIDENCE")]
    min_confidence: f32,
    /// Print JSON: {"results": [...], "errors": [...]}
    #[arg(long)]
    json: bool,
}

fn parse_protocol(id: &str) -> Result<&'static Protocol, String> {
    protocols::find(id).ok_or_else(|| {
        let ids: Vec<&str> = protocols::ALL.iter().map(|p| p.id).collect();
        format!("unknown protocol `{id}` (one of: {})", ids.join(", "))
    })
}

pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    if args.hold_s.is_nan() || args.hold_s <= 0.0 || args.band_deg.is_nan() || args.band_deg <= 0.0 {
        anyhow::bail!("--hold-s and --band-deg must be positive");
    }
    if !(0.0..=1.0).contains(&args.min_confidence) {
        anyhow::bail!("--min-confidence must be between 0 and 1");
    }
    let side = match args.side {
        SideArg::Auto => SideChoice::Auto,
        SideArg::Left => SideChoice::Named(Side::Left),
        SideArg::Right => SideChoice::Named(Side::Right),
        SideArg::Both => SideChoice::Both,
    };
    let hold = HoldCriteria {
        min_hold_s: args.hold_s,
        band_deg: args.band_deg,
    };
    let options = SeriesOptions {
        min_confidence: args.min_confidence,
        ..SeriesOptions::default()
    };

    let mut results: Vec<Measurement> = Vec::new();
    let mut errors: Vec<(String, String)> = Vec::new();
    for input in &args.inputs {
        let source = input.display().to_string();
        match read_keypoints_csv(input) {
            Ok(mut track) => {
                let series = AngleSeries::from_poses(&track.time_s, &mut track.poses, &options);
                results.extend(protocols::measure(
                    args.protocol,
                    &series,
                    side,
                    &hold,
                    &source,
                    None,
                ));
            }
            Err(error) => {
                eprintln!("gonio: {error}");
                errors.push((source, error.to_string()));
            }
        }
    }

    let mut out = io::stdout().lock();
    if args.json {
        let json = serde_json::json!({
            "results": results,
            "errors": errors.iter().map(|(s, e)| serde_json::json!({"source": s, "error": e})).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
    } else if !results.is_empty() {
        print_results(&mut out, args.protocol, &results)?;
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

fn deg(value: Option<f32>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}

fn print_results(
    out: &mut impl Write,
    protocol: &Protocol,
    results: &[Measurement],
) -> io::Result<()> {
    let mut table = new_table();
    table.set_header([
        "source",
        "side",
        "measure",
        "result (deg)",
        "peak (deg)",
        "hold (s)",
        "valid frames",
        "quality",
    ]);
    for r in results {
        table.add_row(vec![
            Cell::new(&r.source),
            Cell::new(r.side.name()),
            Cell::new(&r.measure),
            Cell::new(deg(r.value_deg)).set_alignment(CellAlignment::Right),
            Cell::new(deg(r.peak_deg)).set_alignment(CellAlignment::Right),
            Cell::new(format!("{:.1}", r.hold_s)).set_alignment(CellAlignment::Right),
            Cell::new(format!("{}/{}", r.valid_frames, r.total_frames))
                .set_alignment(CellAlignment::Right),
            Cell::new(r.quality.name()),
        ]);
    }
    writeln!(out, "{}: {}", protocol.id, protocol.title)?;
    writeln!(out, "{table}")?;
    for r in results {
        for w in &r.warnings {
            writeln!(out, "  {} {} {}: {w}", r.source, r.side.name(), r.measure)?;
        }
    }
    writeln!(out, "result = the highest angle held for the hold time within the band (sustained maximum); typical: {}", protocol.norm)
}
