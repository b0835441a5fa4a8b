//! The subcommands. Each file parses its arguments, calls the library and prints; shared
//! helpers live here.

pub mod analyze;
pub mod eval;
pub mod live;
pub mod pose;
pub mod protocols;
pub mod serve;
pub mod store;
pub mod version;

use clap::{Args, ValueEnum};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
use indicatif::{ProgressBar, ProgressStyle};

use gonio::angles::{SeriesOptions, DEFAULT_MIN_CONFIDENCE};
use gonio::pose::{Device, ModelKind, Pick, PoseEstimator, Posture, Runtime, SubjectFinder};
use gonio::protocols::{HoldCriteria, Measurement, Settings};
use gonio::run::analyze::People;

/// Exit status when some inputs failed and the others were processed.
pub const EXIT_PARTIAL: u8 = 1;
/// Exit status when the command could not run at all.
pub const EXIT_FATAL: u8 = 2;
/// Ends the process now, its output flushed, without running the exit handlers: ONNX
/// Runtime's teardown while another thread still runs the model crashes it or makes that
/// thread's inference fail (an analysis abandoned: a server stopping, a second Ctrl-C).
pub fn exit_now(code: i32) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // SAFETY: `_exit` only ends the process. What other threads were writing stops where it
    // is: the database's transactions are atomic (an unfinished one is rolled back when it is
    // next opened), outputs are written under temporary names and renamed when whole, and the
    // upload folders a server deletes hold only inputs (it saved its live trial first).
    unsafe { libc::_exit(code) }
}

/// The first five of `names` joined in one line, and how many more: for naming files.
pub fn first_few(names: impl ExactSizeIterator<Item = String>) -> String {
    const NAMED: usize = 5;
    let more = names.len().saturating_sub(NAMED);
    let named: Vec<String> = names.take(NAMED).collect();
    match more {
        0 => named.join(", "),
        more => format!("{} and {more} more", named.join(", ")),
    }
}

/// Exit status when a batch was stopped by Ctrl-C before every input was analysed: 128 +
/// SIGINT, as shells report a command interrupted (143, 128 + SIGTERM, when terminated: see
/// [`on_stop_signals`]).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Calls `handle` with each SIGINT (Ctrl-C), SIGTERM (a scheduler's or `systemctl`'s stop) or
/// SIGHUP (the terminal closed) the process gets, on a thread of its own, for the rest of the
/// run. Without it such a signal ends the process at once; where the handler cannot be installed
/// (never on Linux), it still does.
pub fn on_stop_signals(mut handle: impl FnMut(i32) + Send + 'static) {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
        std::thread::spawn(move || {
            for signal in signals.forever() {
                handle(signal);
            }
        });
    }
}

/// The exit status of a command stopped by `signal`: 128 + its number, as shells report it.
pub fn exit_status_of_signal(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(EXIT_INTERRUPTED)
}

#[derive(Args)]
pub struct ModelArgs {
    /// Pose model: thunder (accurate, default) or lightning (about 3x faster)
    #[arg(long, default_value = "thunder", value_parser = parse_model)]
    pub model: ModelKind,
    /// Inference threads (0 = all cores; at most four times the cores)
    #[arg(long, default_value_t = 0, value_parser = parse_threads)]
    pub threads: usize,
    /// Where inference runs: cpu (default), cuda (an NVIDIA GPU; an error without one) or auto
    /// (the GPU when there is one, else the CPU with a note)
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    pub device: Device,
}

pub(crate) fn parse_device(s: &str) -> Result<Device, String> {
    s.parse()
}

/// Loads ONNX Runtime for the device `args` asks for; says so when `auto` runs on the CPU.
pub fn load_runtime(args: &ModelArgs) -> anyhow::Result<&'static Runtime> {
    let runtime = Runtime::load_on(args.device)?;
    if let Some(note) = runtime.note() {
        eprintln!("gonio: {note}");
    }
    Ok(runtime)
}

/// At most this many threads or jobs per core: more only adds switching and memory.
const MAX_PER_CORE: usize = 4;

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A thread count from 0 (the command's own choice: all cores, shared out between jobs) to
/// [`MAX_PER_CORE`] times the cores.
pub(crate) fn parse_threads(text: &str) -> Result<usize, String> {
    let n: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    let most = MAX_PER_CORE * cores();
    if n > most {
        return Err(format!(
            "{n} is too many: this machine has {} cores; at most {most}",
            cores()
        ));
    }
    Ok(n)
}

/// A job count from 1 to [`MAX_PER_CORE`] times the cores.
pub fn parse_jobs(text: &str) -> Result<usize, String> {
    match parse_threads(text)? {
        0 => Err("at least 1".to_string()),
        n => Ok(n),
    }
}

/// A number of `unit` from `lo` to `hi`.
fn number_between(text: &str, lo: f64, hi: f64, unit: &str) -> Result<f64, String> {
    let v: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is outside {lo} to {hi} {unit}"))
    }
}

fn parse_hold_s(text: &str) -> Result<f64, String> {
    let range = Settings::HOLD_S;
    number_between(text, *range.start(), *range.end(), "seconds")
}

fn parse_band_deg(text: &str) -> Result<f32, String> {
    let range = Settings::BAND_DEG;
    let (lo, hi) = (f64::from(*range.start()), f64::from(*range.end()));
    number_between(text, lo, hi, "degrees").map(|v| v as f32)
}

/// A label a person gives (subject, session): not empty, no control characters.
pub fn parse_label(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("must not be empty".to_string())
    } else if text.chars().any(gonio::store::is_hidden_character) {
        Err("must not contain control or invisible characters (newlines, tabs, zero-width spaces, direction marks): two names would look the same".to_string())
    } else if gonio::store::mixes_scripts(text) {
        Err("mixes letters of two scripts (a Cyrillic or Greek letter among Latin ones, such as \"а\" in \"Anna\"): it would look like another name; type it in one script".to_string())
    } else {
        Ok(text.trim().to_string())
    }
}

pub(crate) fn parse_model(s: &str) -> Result<ModelKind, String> {
    s.parse()
}

pub fn load_estimator(args: &ModelArgs) -> anyhow::Result<PoseEstimator> {
    let runtime = load_runtime(args)?;
    let noted = runtime.note().is_some();
    let estimator = PoseEstimator::new(runtime, args.model, args.threads)?;
    // `auto` learns only when a session is made that the GPU failed.
    if let Some(note) = runtime.note().filter(|_| !noted) {
        eprintln!("gonio: {note}");
    }
    Ok(estimator)
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

/// Column headers of [`result_cells`].
pub const RESULT_HEADERS: [&str; 7] = [
    "side",
    "measure",
    "result (deg)",
    "peak (deg)",
    "hold (s)",
    "valid frames",
    "quality",
];

/// One result as table cells, under [`RESULT_HEADERS`].
pub fn result_cells(r: &Measurement) -> [Cell; 7] {
    let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
    [
        Cell::new(r.side.name()),
        Cell::new(&r.measure),
        // A dynamic result is the mean of the swing peaks ± their spread, over the swings.
        right(match (r.value_deg, r.spread_deg) {
            (Some(mean), Some(spread)) => format!("{mean:.1} ± {spread:.1}"),
            (value, _) => deg(value),
        }),
        right(deg(r.peak_deg)),
        right(match (r.value_deg, r.swings) {
            (Some(_), Some(1)) => "1 swing".to_string(),
            (Some(_), Some(n)) => format!("{n} swings"),
            (Some(_), None) => format!("{:.1}", r.hold_s),
            (None, _) => "-".to_string(),
        }),
        right(format!("{}/{}", r.valid_frames, r.total_frames)),
        // A refusal is not a poor result: there is none.
        Cell::new(if r.refusal.is_some() {
            "no result"
        } else {
            r.quality.name()
        }),
    ]
}

/// `text` on one line: control characters (a newline in a file name) shown escaped, so that one
/// message stays one log line.
pub fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// A table in gonio's style.
pub fn new_table() -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table
}

#[derive(Clone, Copy, ValueEnum)]
pub enum PickArg {
    /// The person in the protocol's posture (lying for slr, ake, thomas and prone extension,
    /// kneeling for hip-extension, standing for toe-touch); else the largest
    Auto,
    /// The largest person (nearest the camera)
    Largest,
    /// The leftmost person in the picture
    Left,
    /// The rightmost person in the picture
    Right,
    /// The person nearest the centre of the picture
    Center,
}

#[derive(Args)]
pub struct PeopleArgs {
    /// Which person to measure when several are in view (a therapist beside the patient)
    #[arg(long, value_enum, default_value = "auto")]
    pub pick: PickArg,
    /// Only one person is ever in view: skip the multi-person detector (faster; with a second
    /// person in view, the wrong one may then be measured)
    #[arg(long)]
    pub single_person: bool,
}

impl PeopleArgs {
    /// Who is measured, for a protocol whose subject is in `posture`.
    pub fn people(&self, posture: Posture) -> People {
        if self.single_person {
            return People::Single;
        }
        People::Several(match self.pick {
            PickArg::Auto => Pick::Auto(posture),
            PickArg::Largest => Pick::Largest,
            PickArg::Left => Pick::Left,
            PickArg::Right => Pick::Right,
            PickArg::Center => Pick::Center,
        })
    }

    /// The subject finder these options ask for, its detector on `threads` threads.
    pub fn finder(&self, posture: Posture, threads: usize) -> anyhow::Result<SubjectFinder> {
        Ok(self.people(posture).finder(threads)?)
    }
}

/// How a series is turned into a result: shared by `analyze` and `live`.
#[derive(Args)]
pub struct MeasureArgs {
    /// Shortest hold that counts, seconds (0.1 to 600)
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS", value_parser = parse_hold_s)]
    pub hold_s: f64,
    /// A hold stays within ± this many degrees of its level (0.5 to 30)
    #[arg(long, default_value_t = 3.0, value_name = "DEGREES", value_parser = parse_band_deg)]
    pub band_deg: f32,
    /// Keypoints under this confidence (0..1) are not used
    #[arg(long, default_value_t = DEFAULT_MIN_CONFIDENCE, value_name = "CONFIDENCE")]
    pub min_confidence: f32,
}

impl MeasureArgs {
    /// Checks the values; the hold criteria and series options they give.
    pub fn settings(&self) -> anyhow::Result<(HoldCriteria, SeriesOptions)> {
        if self.hold_s.is_nan()
            || self.hold_s <= 0.0
            || self.band_deg.is_nan()
            || self.band_deg <= 0.0
        {
            anyhow::bail!("--hold-s and --band-deg must be positive");
        }
        if !(0.0..=1.0).contains(&self.min_confidence) {
            anyhow::bail!("--min-confidence must be between 0 and 1");
        }
        Ok((
            HoldCriteria {
                min_hold_s: self.hold_s,
                band_deg: self.band_deg,
                ..HoldCriteria::default()
            },
            SeriesOptions {
                min_confidence: self.min_confidence,
                ..SeriesOptions::default()
            },
        ))
    }
}
