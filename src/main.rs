//! The `gonio` command line: parses arguments, wires the library's stages together, prints.

mod cli;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "gonio",
    version,
    disable_version_flag = true,
    about = "Measure joint range of motion (hip extension, hamstring range) from a camera",
    long_about = "gonio finds a person's keypoints with a pose model (MoveNet, run by ONNX Runtime) and \
                  turns them into joint angles and one clinical result per side for each stretch \
                  protocol.\n\nExit status: 0 when everything succeeded, 1 when some inputs failed \
                  (the others were still processed), 2 when the command could not run, 130 when \
                  a batch was stopped by Ctrl-C before every input was analysed (143 by \
                  SIGTERM)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Print gonio's version; with --version also the ONNX Runtime and model files it would use
    #[arg(short = 'V', long = "version")]
    version: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Find the keypoints of the person in each image
    Pose(cli::pose::PoseArgs),
    /// Measure a stretch from a keypoint series: one result per side
    Analyze(cli::analyze::AnalyzeArgs),
    /// Measure live from a camera (or a video standing in for one): skeleton, angle, hold timer
    Live(cli::live::LiveArgs),
    /// List the cameras gonio can use
    Cameras(cli::live::CamerasArgs),
    /// List the stretch protocols with their instructions
    Protocols(cli::protocols::ProtocolsArgs),
    /// Measure the pose model's accuracy on annotated photos (COCO keypoints JSON)
    Eval(cli::eval::EvalArgs),
    /// List the subjects in the session database
    Subjects(cli::store::SubjectsArgs),
    /// Show a subject's sessions and results
    History(cli::store::HistoryArgs),
    /// Compare two sessions of a subject against each measure's minimal detectable change
    Compare(cli::store::CompareArgs),
    /// Write a subject's sessions, comparison and trend charts as one HTML file
    Report(cli::store::ReportArgs),
    /// Print a subject's sessions as JSON or CSV (to move them to another machine)
    Export(cli::store::ExportArgs),
    /// Add sessions from `gonio export --format json` files or merge other gonio databases
    /// (the shards of a batch); what is already there is not repeated
    Import(cli::store::ImportArgs),
    /// Move a session to another date (sessions are compared in date order)
    Redate(cli::store::RedateArgs),
    /// Delete every session and measurement of a subject
    Forget(cli::store::ForgetArgs),
    /// The clinic app: patients, live measuring, uploads, history and reports in the browser
    Serve(cli::serve::ServeArgs),
}

fn main() -> ExitCode {
    // A program reading `--json` gets the error as JSON on stdout too (stdout was empty).
    let json = std::env::args_os().any(|a| a == "--json" || a == "--json-lines");
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // A usage error (an unknown protocol, a missing argument): clap's words up to its
            // usage line, on one line.
            if json && error.use_stderr() {
                let rendered = error.to_string();
                let words: Vec<&str> = rendered
                    .lines()
                    .take_while(|line| !line.trim().is_empty())
                    .map(str::trim)
                    .collect();
                let message = words.join(" ");
                let message = message.strip_prefix("error: ").unwrap_or(&message);
                println!("{}", serde_json::json!({ "error": message }));
            }
            error.exit()
        }
    };
    let Some(command) = cli.command else {
        if cli.version {
            return cli::version::run(std::env::args().any(|a| a == "--version"));
        }
        // As clap does for a missing subcommand: the help, on stderr, and a usage error.
        eprintln!("{}", Cli::command().render_help());
        return ExitCode::from(cli::EXIT_FATAL);
    };
    let result = match command {
        Command::Pose(args) => cli::pose::run(&args),
        Command::Analyze(args) => cli::analyze::run(&args),
        Command::Live(args) => cli::live::run(&args),
        Command::Cameras(args) => cli::live::cameras(&args),
        Command::Protocols(args) => cli::protocols::run(&args),
        Command::Eval(args) => cli::eval::run(&args),
        Command::Subjects(args) => cli::store::subjects(&args),
        Command::History(args) => cli::store::history(&args),
        Command::Compare(args) => cli::store::compare_sessions(&args),
        Command::Report(args) => cli::store::report(&args),
        Command::Export(args) => cli::store::export(&args),
        Command::Import(args) => cli::store::import(&args),
        Command::Redate(args) => cli::store::redate(&args),
        Command::Forget(args) => cli::store::forget(&args),
        Command::Serve(args) => cli::serve::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let message = cli::one_line(&format!("{error:#}"));
            eprintln!("gonio: {message}");
            if json {
                // Stdout may be what failed (a full disk): the error is on stderr already, and
                // printing must not panic over it.
                let _ = writeln!(io::stdout(), "{}", serde_json::json!({ "error": message }));
            }
            ExitCode::from(cli::EXIT_FATAL)
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
