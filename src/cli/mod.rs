//! The subcommands. Each file parses its arguments, calls the library and prints; shared
//! helpers live here.

pub mod analyze;
pub mod eval;
pub mod live;
pub mod pose;
pub mod protocols;
pub mod store;

use std::path::Path;

use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use indicatif::{ProgressBar, ProgressStyle};

use gonio::pose::{ModelKind, PoseEstimator, Runtime};

/// Exit status when some inputs failed and the others were processed.
pub const EXIT_PARTIAL: u8 = 1;
/// Exit status when the command could not run at all.
pub const EXIT_FATAL: u8 = 2;

#[derive(Args)]
pub struct ModelArgs {
    /// Pose model: thunder (accurate, default) or lightning (about 3x faster)
    #[arg(long, default_value = "thunder", value_parser = parse_model)]
    pub model: ModelKind,
    /// Inference threads (0 = all cores)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

fn parse_model(s: &str) -> Result<ModelKind, String> {
    s.parse()
}

pub fn load_estimator(args: &ModelArgs) -> anyhow::Result<PoseEstimator> {
    let runtime = Runtime::load()?;
    Ok(PoseEstimator::new(runtime, args.model, args.threads)?)
}

/// A progress bar on stderr; invisible when stderr is not a terminal.
pub fn progress_bar(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// An angle for a table: one decimal, "-" when there is none.
pub fn deg(value: Option<f32>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}

/// A table in gonio's style.
pub fn new_table() -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table
}

/// Writes to a temporary name, then renames, so that no half-written PNG is left looking whole.
pub fn save_png_atomically(image: &image::RgbImage, target: &Path) -> anyhow::Result<()> {
    let partial = target.with_extension("png.partial");
    image.save_with_format(&partial, image::ImageFormat::Png)?;
    std::fs::rename(&partial, target)?;
    Ok(())
}
