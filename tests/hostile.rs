//! What a hostile or unlucky user feeds gonio: absurd timestamps, huge flags, damaged databases,
//! FIFOs and symlinks where files should be, kills in the middle of a forget, spreadsheet
//! formulas in notes. Nothing panics, hangs, grows without bound, loses what was measured or
//! writes over what it must not; every refusal names the input and the problem.

mod common;
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use gonio::angles::{AngleSeries, SeriesOptions};
use gonio::pose::BodyPart;
use gonio::protocols::{self, HoldCriteria, SideChoice};
use proptest::prelude::*;
use synthetic::*;

/// Exit status of a Rust panic; no input may produce it.
const PANIC_STATUS: i32 = 101;

fn assert_clean_failure(output: &Output, words: &str) {
    let err = stderr(output);
    assert!(
        output
            .status
            .code()
            .is_some_and(|c| c != 0 && c != PANIC_STATUS),
        "a clean non-zero exit, got {:?}: {err}",
        output.status
    );
    assert!(err.contains(words), "`{words}` in: {err}");
}

fn slr_csv(dir: &Path, name: &str, seed: u64) -> PathBuf {
    write_csv(&noisy_slr(70.0, 10.0, false, false, seed), dir.join(name))
}

/// Items 1-3: one huge or tiny timestamp costs what its frames cost, never a panic or an abort.
#[test]
fn absurd_timestamps_neither_panic_nor_allocate_by_time_span() {
    let track = noisy_slr(70.0, 10.0, false, false, 1);
    let n = track.poses.len();
    let cases: Vec<Vec<f64>> = vec![
        // The last frame at 1e300 s.
        (0..n)
            .map(|i| if i + 1 == n { 1e300 } else { i as f64 / 30.0 })
            .collect(),
        // Frames a microsecond apart, then one at 1e6 s.
        (0..n)
            .map(|i| if i + 1 == n { 1e6 } else { i as f64 * 1e-6 })
            .collect(),
        // Uneven frames and one last at 1e7 s.
        (0..n)
            .map(|i| {
                if i + 1 == n {
                    1e7
                } else {
                    i as f64 / 30.0 + (i % 3) as f64 * 0.004
                }
            })
            .collect(),
    ];
    for times in cases {
        let mut poses = track.poses.clone();
        let series = AngleSeries::from_poses(&times, &mut poses, &SeriesOptions::default());
        let protocol = protocols::find("slr").unwrap();
        let results = protocols::measure(
            protocol,
            &series,
            SideChoice::Auto,
            &HoldCriteria::default(),
            "absurd",
            None,
        );
        assert_eq!(results.len(), 2);
    }
}

/// Huge coordinates (a keypoint file's `1e21`, or `1e39`, finite as a number but not as a
/// keypoint's f32) in any keypoint of a frame: measured without a panic, for every protocol.
/// An ankle at 1e21 once overflowed the heel check's places across the picture (index out of
/// bounds, exit 101) for every protocol, not only the lunge.
#[test]
fn huge_coordinates_are_measured_without_panic() {
    let track = noisy_slr(70.0, 10.0, false, false, 3);
    for value in [1e20f32, f32::MAX, f32::INFINITY, -1e21] {
        for part in [BodyPart::LeftAnkle, BodyPart::LeftKnee, BodyPart::LeftHip] {
            for every_frame in [false, true] {
                let mut poses = track.poses.clone();
                for (i, pose) in poses.iter_mut().enumerate() {
                    if every_frame || i == 100 {
                        pose.keypoints[part.index()].x = value;
                        // (With the knee unseen, no segment's length rules the ankle out.)
                        if part == BodyPart::LeftAnkle {
                            pose.keypoints[BodyPart::LeftKnee.index()].confidence = 0.0;
                        }
                    }
                }
                let series =
                    AngleSeries::from_poses(&track.time_s, &mut poses, &SeriesOptions::default());
                for protocol in protocols::ALL {
                    let results = protocols::measure(
                        protocol,
                        &series,
                        SideChoice::Both,
                        &HoldCriteria::default(),
                        "huge",
                        None,
                    );
                    assert!(!results.is_empty(), "{value} {part:?}");
                }
            }
        }
    }
}

proptest! {
    // A fixed seed: the same cases on every run, so that a failure is the code's, not the draw's.
    #![proptest_config(ProptestConfig {
        cases: 48,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261204),
        ..ProptestConfig::default()
    })]

    /// Damaged timestamps of every kind: huge, tiny, NaN, duplicated, unsorted, unit-scaled.
    #[test]
    fn any_timestamps_are_measured_without_panic(
        seed in 1u64..1000,
        kind in 0usize..6,
        scale in prop::sample::select(vec![1e-9, 1e-3, 1.0, 1e3, 1e9]),
        at in 0usize..300,
    ) {
        let track = noisy_slr(70.0, 10.0, true, false, seed);
        let mut times: Vec<f64> = track.time_s.iter().map(|t| t * scale).collect();
        let k = at % times.len();
        match kind {
            0 => times[k] = 1e300,
            1 => times[k] = f64::NAN,
            2 => {
                let (v, next) = (times[k], (k + 1) % times.len());
                times[next] = v;
            }
            3 => times.reverse(),
            4 => times[k] = -1e12,
            _ => times[k] = f64::INFINITY,
        }
        let mut poses = track.poses.clone();
        let series = AngleSeries::from_poses(&times, &mut poses, &SeriesOptions::default());
        for protocol in protocols::ALL {
            let results = protocols::measure(
                protocol, &series, SideChoice::Both, &HoldCriteria::default(), "x", None,
            );
            prop_assert!(!results.is_empty());
        }
    }

    /// Random bytes, or a real CSV with bytes damaged, to the keypoint reader: an error or
    /// frames, never a panic.
    #[test]
    fn any_bytes_to_the_readers_give_an_error_not_a_panic(
        seed in 1u64..1000,
        noise in prop::collection::vec(any::<u8>(), 0..400),
        cut in 0usize..100_000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let csv = slr_csv(dir.path(), "t.csv", seed);
        let mut bytes = std::fs::read(&csv).unwrap();
        bytes.truncate(cut.min(bytes.len()));
        let at = (seed as usize * 7919) % bytes.len().max(1);
        for (i, b) in noise.iter().enumerate() {
            if let Some(slot) = bytes.get_mut(at + i) {
                *slot = *b;
            }
        }
        std::fs::write(&csv, &bytes).unwrap();
        let _ = gonio::pose::csv::read_keypoints_csv(&csv);
        std::fs::write(&csv, &noise).unwrap();
        let _ = gonio::pose::csv::read_keypoints_csv(&csv);
        let image = dir.path().join("x.jpg");
        std::fs::write(&image, &noise).unwrap();
        let _ = gonio::capture::load_image(&image);
        let coco = dir.path().join("c.json");
        std::fs::write(&coco, &noise).unwrap();
        let _ = gonio::eval::CocoDataset::load(&coco);
        let _ = serde_json::from_slice::<gonio::store::SubjectExport>(&noise);
    }
}

/// Item 4: thread and job counts have bounds.
#[test]
fn threads_and_jobs_are_bounded() {
    for flag in ["--threads", "--jobs"] {
        let output = gonio(&["analyze", "x.csv", "--protocol", "slr", flag, "1000"]);
        assert_clean_failure(&output, "1000 is too many");
    }
    let output = gonio(&["analyze", "x.csv", "--protocol", "slr", "--jobs", "0"]);
    assert_clean_failure(&output, "at least 1");
}

/// Item 5: a strip of an image is searched in a bounded number of model runs.
#[test]
fn a_thin_strip_costs_few_model_runs() {
    let runtime = gonio::Runtime::load().unwrap();
    let mut estimator = gonio::PoseEstimator::new(runtime, gonio::ModelKind::Lightning, 1).unwrap();
    for (w, h) in [(10_000, 10), (10_000, 300)] {
        let before = estimator.model_runs();
        let strip = image::RgbImage::from_pixel(w, h, image::Rgb([128, 128, 128]));
        let pose = estimator.estimate(&strip).unwrap();
        assert!(!pose.has_person());
        let runs = estimator.model_runs() - before;
        assert!(runs <= 24, "{w}x{h}: {runs} model runs");
    }
}

fn export_with(dir: &Path, edit: impl Fn(&mut serde_json::Value)) -> PathBuf {
    let mut export = serde_json::json!({
        "subject": "p1",
        "sessions": [{
            "label": "before",
            "started_at": "2026-11-01T09:00:00Z",
            "notes": "=HYPERLINK(\"http://example.invalid\",\"click\")",
            "measurements": [{
                "protocol": "slr", "measure": "hip_flexion", "side": "left",
                "value_deg": 61.0, "peak_deg": 63.0, "hold_s": 2.0,
                "valid_frames": 90, "total_frames": 100, "quality": "good",
                "warnings": ["-2+3"], "model": null, "source": "@trial.mp4",
                "source_sha256": "ab".repeat(32), "gonio_version": "0.1.0", "evidence_path": null
            }]
        }]
    });
    edit(&mut export);
    let path = dir.join("export.json");
    std::fs::write(&path, export.to_string()).unwrap();
    path
}

/// Items 6 and 15: implausible imports are refused; a report never blocks on a FIFO named as
/// an evidence picture.
#[test]
fn implausible_imports_are_refused_and_reports_never_block() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let bad: Vec<(&str, Edit)> = vec![
        // Beyond what the file's numbers can hold: the field is named.
        (
            "a gonio export, but sessions[0].measurements[0].value_deg cannot be read",
            Box::new(|e| e["sessions"][0]["measurements"][0]["value_deg"] = 1e39.into()),
        ),
        (
            "a gonio export, but sessions[0].measurements[0].quality cannot be read: unknown variant `excellent`",
            Box::new(|e| e["sessions"][0]["measurements"][0]["quality"] = "excellent".into()),
        ),
        (
            "not a plausible measurement: session `before`: slr hip_flexion: an angle of",
            Box::new(|e| e["sessions"][0]["measurements"][0]["value_deg"] = (-400.0).into()),
        ),
        (
            "an angle of 720 deg",
            Box::new(|e| e["sessions"][0]["measurements"][0]["peak_deg"] = 720.0.into()),
        ),
        (
            "valid frames",
            Box::new(|e| e["sessions"][0]["measurements"][0]["valid_frames"] = 500.into()),
        ),
        (
            "not a date",
            Box::new(|e| e["sessions"][0]["started_at"] = "last tuesday".into()),
        ),
        ("empty", Box::new(|e| e["subject"] = " ".into())),
        // A year typed wrong would make this the latest session, a sample of another program's
        // would sit in the history and never be compared: refused as `--date` refuses them.
        (
            "is after today",
            Box::new(|e| e["sessions"][0]["started_at"] = "2099-01-01T00:00:00Z".into()),
        ),
        (
            "is before 1970",
            Box::new(|e| e["sessions"][0]["started_at"] = "1960-01-01T00:00:00Z".into()),
        ),
        (
            "no protocol `yoga`",
            Box::new(|e| e["sessions"][0]["measurements"][0]["protocol"] = "yoga".into()),
        ),
        (
            "no protocol `SLR`",
            Box::new(|e| e["sessions"][0]["measurements"][0]["protocol"] = "SLR".into()),
        ),
        (
            "beyond the extreme reached",
            Box::new(|e| e["sessions"][0]["measurements"][0]["value_deg"] = 106.9.into()),
        ),
        (
            "is not a sha256",
            Box::new(|e| e["sessions"][0]["measurements"][0]["source_sha256"] = "zz".into()),
        ),
        // A result from no frame at all was never measured.
        (
            "0 valid frames of 0 frames",
            Box::new(|e| {
                e["sessions"][0]["measurements"][0]["valid_frames"] = 0.into();
                e["sessions"][0]["measurements"][0]["total_frames"] = 0.into();
            }),
        ),
        // Settings `analyze` would refuse (`--band-deg` 0.5 to 30): a hold within ±1e9 deg holds
        // anything.
        (
            "not settings gonio measures with",
            Box::new(|e| {
                e["sessions"][0]["measurements"][0]["settings"] =
                    serde_json::json!({"hold_s": 1.0, "band_deg": 1e9, "min_confidence": 0.3})
            }),
        ),
    ];
    for (what, edit) in bad {
        let file = export_with(dir.path(), edit);
        let output = gonio(&["import", path_str(&file), "--db", path_str(&db)]);
        assert_clean_failure(&output, "nothing was imported");
        assert!(
            stderr(&output).contains(what),
            "{what}: {}",
            stderr(&output)
        );
    }
    let fifo = dir.path().join("evidence.png");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let file = export_with(dir.path(), |e| {
        e["sessions"][0]["measurements"][0]["evidence_path"] = path_str(&fifo).into()
    });
    let output = gonio(&["import", path_str(&file), "--db", path_str(&db)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = dir.path().join("report.html");
    let output = gonio(&[
        "report",
        "--subject",
        "p1",
        "--db",
        path_str(&db),
        "--out",
        path_str(&html),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Item 16: session notes are in the report (escaped) and in the CSV export (as text).
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("=HYPERLINK(&quot;"), "notes in the report");
    let csv = gonio(&[
        "export",
        "--subject",
        "p1",
        "--db",
        path_str(&db),
        "--format",
        "csv",
    ]);
    let csv = stdout(&csv);
    assert!(csv.contains("'=HYPERLINK("), "{csv}");
    assert!(
        csv.contains("'-2+3") && csv.contains("'@trial.mp4"),
        "{csv}"
    );
    assert!(csv.contains(",61.00,"), "numbers stay numbers: {csv}");
    // An edited export replaces a trial's result: taken (the same recording), and said.
    let file = export_with(dir.path(), |e| {
        e["sessions"][0]["measurements"][0]["value_deg"] = 62.5.into()
    });
    let output = gonio(&["import", path_str(&file), "--db", path_str(&db)]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("slr left hip_flexion: was 61.0 deg, the import's 62.5 deg replaced it"),
        "{}",
        stderr(&output)
    );
}

/// Item 7: each input is saved as soon as it is measured: a batch stuck (or killed) on a later
/// input keeps the earlier one.
#[test]
fn a_batch_saves_each_input_before_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let good = slr_csv(dir.path(), "good.csv", 2);
    let stuck = dir.path().join("stuck.csv");
    make_fifo(&stuck);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gonio"))
        .args(["analyze"])
        .args([&good, &stuck])
        .args(["--protocol", "slr", "--subject", "x", "--db"])
        .arg(&db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // gonio now waits for someone to write into the FIFO; the first input must be saved.
    let started = std::time::Instant::now();
    let saved = loop {
        let history = gonio(&["history", "--subject", "x", "--db", path_str(&db), "--json"]);
        if history.status.success() {
            break serde_json::from_slice::<serde_json::Value>(&history.stdout).unwrap();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the first input was never saved"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    let measurements = saved["sessions"][0]["measurements"].as_array().unwrap();
    assert_eq!(measurements.len(), 2, "{saved}");
}

/// Keypoints piped into a FIFO are analysed with `--out` and `--db` too: the input's content
/// hash for the result file and the recording read the FIFO to its end, and the analysis after
/// then waited for ever for a writer that had gone.
#[test]
fn keypoints_piped_through_a_fifo_are_measured_with_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let csv = std::fs::read(slr_csv(dir.path(), "slr.csv", 3)).unwrap();
    let fifo = dir.path().join("piped.csv");
    make_fifo(&fifo);
    // Opening the FIFO to write waits for gonio to open it to read.
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(&fifo, csv))
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gonio"))
        .arg("analyze")
        .arg(&fifo)
        .args(["--protocol", "slr", "--subject", "x", "--json", "--out"])
        .arg(dir.path().join("out"))
        .arg("--db")
        .arg(dir.path().join("db.sqlite"))
        .stdout(std::fs::File::create(dir.path().join("report.json")).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // A deadline, not a pace: a gonio waiting on the FIFO again never exits.
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("gonio waited for ever on the FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    // (Joined only after a success: a gonio that failed before opening the FIFO leaves the
    // writer waiting.)
    assert_eq!(status.code(), Some(0));
    writer.join().unwrap().unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    let value = report["results"][0]["value_deg"].as_f64();
    assert!(value.is_some_and(|v| (v - 70.0).abs() < 2.0), "{report}");
    assert!(dir.path().join("out/piped.json").is_file());
}

/// Makes a FIFO at `path`: a reader blocks on it until a writer opens it.
fn make_fifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success());
}

/// What `gonio analyze` did with `inputs` (`fifo`, a FIFO, among them) and `flags` when
/// interrupted (SIGINT) as soon as it opened the FIFO: sent to gonio alone, or to its whole
/// process group (`group`) as a terminal sends it. The FIFO gets `keypoints` once gonio has
/// said it is stopping, so no input can start between the signal and the stop (see
/// [`signal_analyze`] for a second signal instead).
struct Interrupted {
    status: std::process::ExitStatus,
    stdout: String,
    /// The stderr lines after "gonio: stopping: ...".
    after: Vec<String>,
}

fn interrupt_analyze(
    inputs: &[&Path],
    flags: &[&str],
    fifo: &Path,
    keypoints: &[u8],
    group: bool,
) -> Interrupted {
    signal_analyze(
        "-INT",
        inputs,
        flags,
        fifo,
        AfterStopping::Feed(keypoints),
        group,
    )
}

/// What the test does once gonio has said it is stopping.
enum AfterStopping<'a> {
    /// The FIFO gets these keypoints: the input under way is finished.
    Feed(&'a [u8]),
    /// The same signal again: gonio stops at once, the FIFO's input unfinished.
    SignalAgain,
}

/// As [`interrupt_analyze`], with `signal` (`-INT`, `-TERM`) for the interrupt, and `then` once
/// gonio has said it is stopping.
fn signal_analyze(
    signal: &str,
    inputs: &[&Path],
    flags: &[&str],
    fifo: &Path,
    then: AfterStopping,
    group: bool,
) -> Interrupted {
    use std::io::{BufRead, Read, Write};
    use std::os::unix::process::CommandExt;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_gonio"));
    command
        .arg("analyze")
        .args(inputs)
        .args(flags)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if group {
        command.process_group(0);
    }
    let mut child = command.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let printed = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    // gonio opens the FIFO when it analyses that input, once Ctrl-C is handled: this open
    // returns then.
    let mut writer = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
    let target = if group {
        format!("-{}", child.id())
    } else {
        child.id().to_string()
    };
    let send = || {
        let sent = std::process::Command::new("kill")
            .args([signal, "--", &target])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    send();
    let mut said = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut before = Vec::new();
    loop {
        let line = said
            .next()
            .unwrap_or_else(|| panic!("gonio never said it stops: {before:?}"))
            .unwrap();
        if line.starts_with("gonio: stopping:") {
            break;
        }
        before.push(line);
    }
    match then {
        AfterStopping::Feed(keypoints) => {
            writer.write_all(keypoints).unwrap();
            drop(writer);
        }
        AfterStopping::SignalAgain => send(),
    }
    let after: Vec<String> = said.map(|l| l.unwrap()).collect();
    let status = child.wait().unwrap();
    let stdout = printed.join().unwrap().unwrap();
    Interrupted {
        status,
        stdout,
        after,
    }
}

/// Checks `--json-lines` output of a stopped batch: `measured`'s line with its result, then a
/// `not_analysed` line for each of `left`, in order.
fn assert_stopped_lines(stdout: &str, measured: &Path, left: &[&Path]) {
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 1 + left.len(), "{stdout}");
    assert_eq!(lines[0]["source"], path_str(measured));
    assert!(lines[0]["results"][0]["value_deg"].as_f64().is_some());
    for (line, input) in lines[1..].iter().zip(left) {
        assert_eq!(line["source"], path_str(input), "{line}");
        assert!(line["not_analysed"].is_string(), "{line}");
    }
}

/// Ctrl-C (or SIGTERM) in a batch killed it: with `--json` nothing at all was printed. The input
/// under way is finished and printed, no other is started, and the exit status (130) and the
/// JSON name the inputs not analysed.
#[test]
fn an_interrupted_batch_prints_what_it_measured() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.csv");
    make_fifo(&first);
    let later = slr_csv(dir.path(), "later.csv", 2);
    let last = slr_csv(dir.path(), "last.csv", 3);
    let keypoints = std::fs::read(slr_csv(dir.path(), "keypoints.csv", 4)).unwrap();
    let run = interrupt_analyze(
        &[&first, &later, &last],
        &["--protocol", "slr", "--jobs", "1", "--json"],
        &first,
        &keypoints,
        false,
    );
    assert_eq!(run.status.code(), Some(130), "{:?}", run.after);
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(json["files"].as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json["files"][0]["source"], path_str(&first));
    assert!(json["results"][0]["value_deg"].as_f64().is_some(), "{json}");
    assert_eq!(
        json["not_analysed"],
        serde_json::json!([path_str(&later), path_str(&last)])
    );
    assert!(
        run.after
            .iter()
            .any(|l| l.starts_with("gonio: stopped: 2 input(s) not analysed: ")),
        "{:?}",
        run.after
    );

    // Terminated (a scheduler's time limit), with --json-lines: the same clean stop, the
    // measured input's line, then one line per input left out; 143 (128 + SIGTERM), as shells
    // report it.
    let again = dir.path().join("again.csv");
    make_fifo(&again);
    let run = signal_analyze(
        "-TERM",
        &[&again, &later, &last],
        &["--protocol", "slr", "--jobs", "1", "--json-lines"],
        &again,
        AfterStopping::Feed(&keypoints),
        false,
    );
    assert_eq!(run.status.code(), Some(143), "{:?}", run.after);
    assert_stopped_lines(&run.stdout, &again, &[&later, &last]);
}

/// A second Ctrl-C stops at once: the input under way is not finished. With `--json-lines`, the
/// lines already written stay, and every input without one gets a `not_analysed` line (before,
/// they were left out without a word); stderr names them too.
#[test]
fn a_second_interrupt_stops_at_once_and_says_what_was_left() {
    let dir = tempfile::tempdir().unwrap();
    let first = slr_csv(dir.path(), "first.csv", 2);
    let fifo = dir.path().join("second.csv");
    make_fifo(&fifo);
    let last = slr_csv(dir.path(), "last.csv", 3);
    // gonio opens the FIFO once the first input is done: the first signal comes then.
    let run = signal_analyze(
        "-INT",
        &[&first, &fifo, &last],
        &["--protocol", "slr", "--jobs", "1", "--json-lines"],
        &fifo,
        AfterStopping::SignalAgain,
        false,
    );
    assert_eq!(run.status.code(), Some(130), "{:?}", run.after);
    assert_stopped_lines(&run.stdout, &first, &[&fifo, &last]);
    assert!(
        run.after.iter().any(|l| l.contains(&format!(
            "gonio: stopped at once: 2 input(s) not finished: {}, {}",
            path_str(&fifo),
            path_str(&last)
        ))),
        "{:?}",
        run.after
    );
}

/// A Ctrl-C at a terminal (and `systemctl stop`) signals the whole process group: the ffmpeg
/// decoding the video under way quit with it, and the video was reported "damaged or cut short"
/// instead of being finished. It is finished.
#[test]
fn an_interrupt_to_the_process_group_does_not_fail_the_video_under_way() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("long.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-stream_loop", "4", "-i"])
        .arg(sample("pose2sim-cam01.mp4"))
        .args(["-vf", "scale=270:-2", "-c:v", "libx264"])
        .arg(&video)
        .status()
        .expect("ffmpeg runs (installed by .ci/run)");
    assert!(made.success());
    let fifo = dir.path().join("second.csv");
    make_fifo(&fifo);
    let short = dir.path().join("short.mp4");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(sample("pose2sim-cam01.mp4"))
        .args(["-vf", "scale=270:-2", "-c:v", "libx264"])
        .arg(&short)
        .status()
        .unwrap();
    assert!(made.success());
    let keypoints = std::fs::read(slr_csv(dir.path(), "keypoints.csv", 4)).unwrap();
    // Two jobs: one decodes the long video while the other measures the short one and then
    // waits on the FIFO, so that the long one's decoder runs when the signal comes.
    let run = interrupt_analyze(
        &[&video, &short, &fifo],
        &[
            "--protocol",
            "slr",
            "--model",
            "lightning",
            "--jobs",
            "2",
            "--json",
        ],
        &fifo,
        &keypoints,
        true,
    );
    let json: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(json["errors"], serde_json::json!([]), "{:?}", run.after);
    let files: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"].as_str().unwrap())
        .collect();
    assert!(files.contains(&path_str(&fifo)), "{json}");
    assert!(files.contains(&path_str(&video)), "{json}");
}

/// Items 8 and 9: outputs never replace a symlink, FIFO or device, nor an input photo.
#[test]
fn outputs_never_replace_links_devices_or_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let good = slr_csv(dir.path(), "good.csv", 3);
    let saved = gonio(&[
        "analyze",
        path_str(&good),
        "--protocol",
        "slr",
        "--subject",
        "s",
        "--db",
        path_str(&db),
    ]);
    assert_eq!(saved.status.code(), Some(0), "{}", stderr(&saved));
    let target = dir.path().join("target.txt");
    std::fs::write(&target, "keep me").unwrap();
    let link = dir.path().join("link.html");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let output = gonio(&[
        "report",
        "--subject",
        "s",
        "--db",
        path_str(&db),
        "--out",
        path_str(&link),
    ]);
    assert_clean_failure(&output, "not a regular file");
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");

    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let photo = photos.join("x.png");
    image::open(sample("pose2sim-frame060.jpg"))
        .unwrap()
        .save(&photo)
        .unwrap();
    let before = std::fs::read(&photo).unwrap();
    let output = gonio(&[
        "pose",
        path_str(&photo),
        "--model",
        "lightning",
        "--overlay",
        path_str(&photos),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read(&photo).unwrap(),
        before,
        "the input photo is untouched"
    );
    assert!(photos.join("x.overlay.png").is_file());
}

/// Item 10: a forget interrupted after its delete is finished by the next forget; forget
/// deletes the files it knows.
#[test]
fn an_interrupted_forget_is_finished_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let out = dir.path().join("out");
    let good = slr_csv(dir.path(), "trial.csv", 4);
    let output = gonio(&[
        "analyze",
        path_str(&good),
        "--protocol",
        "slr",
        "--subject",
        "Alice-Secret-7",
        "--notes",
        "Alice-Secret-7 notes",
        "--db",
        path_str(&db),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let raw = |path: &Path| std::fs::read(path).unwrap_or_default();
    let mentions = |bytes: &[u8]| bytes.windows(14).any(|w| w == b"Alice-Secret-7");
    let files_of_db = || {
        ["", "-wal", "-shm"]
            .iter()
            .map(|suffix| PathBuf::from(format!("{}{suffix}", db.display())))
            .collect::<Vec<_>>()
    };
    // An interrupted forget: the rows deleted, the process gone before the clean-up (the
    // connection is leaked, so SQLite never checkpoints on close).
    {
        let connection = rusqlite::Connection::open(&db).unwrap();
        connection
            .execute_batch(
                "PRAGMA wal_autocheckpoint = 0; PRAGMA foreign_keys = ON; DELETE FROM subjects;",
            )
            .unwrap();
        std::mem::forget(connection);
    }
    assert!(
        files_of_db().iter().any(|f| mentions(&raw(f))),
        "the interrupted state still holds the name (else this test proves nothing)"
    );
    let again = gonio(&[
        "forget",
        "--subject",
        "Alice-Secret-7",
        "--db",
        path_str(&db),
    ]);
    assert_clean_failure(&again, "no subject `Alice-Secret-7`");
    for file in files_of_db() {
        assert!(
            !mentions(&raw(&file)),
            "{} still holds the name",
            file.display()
        );
    }

    // A forget that runs to its end deletes the evidence picture, plot, CSV and JSON too.
    let output = gonio(&[
        "analyze",
        path_str(&good),
        "--protocol",
        "slr",
        "--subject",
        "Bob",
        "--db",
        path_str(&db),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("trial-2"))
        .collect();
    assert!(!written.is_empty());
    let forget = gonio(&["forget", "--subject", "Bob", "--db", path_str(&db)]);
    assert_eq!(forget.status.code(), Some(0), "{}", stderr(&forget));
    for name in &written {
        assert!(!out.join(name).exists(), "{name} is left");
        assert!(
            stderr(&forget).contains(name.as_str()),
            "{}",
            stderr(&forget)
        );
    }
}

/// An import names files by path: forgetting the imported subject never deletes them (another
/// machine wrote them, or nobody: a doctored export can name any file here), and says so.
#[test]
fn forget_never_deletes_files_an_import_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let out = dir.path().join("out");
    let trial = slr_csv(dir.path(), "trial.csv", 6);
    let output = gonio(&[
        "analyze",
        path_str(&trial),
        "--protocol",
        "slr",
        "--subject",
        "Eve",
        "--db",
        path_str(&db),
        "--out",
        path_str(&out),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let export = gonio(&[
        "export",
        "--subject",
        "Eve",
        "--no-pictures",
        "--db",
        path_str(&db),
    ]);
    let mut doctored: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    // Someone's files that happen to have gonio's names, or that an export was made to name.
    let victim = dir.path().join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    let precious = [
        victim.join("precious.left.evidence.png"),
        victim.join("precious.csv"),
    ];
    for file in &precious {
        std::fs::write(file, "important").unwrap();
    }
    let mut named = 0;
    for session in doctored["sessions"].as_array_mut().unwrap() {
        for m in session["measurements"].as_array_mut().unwrap() {
            if m["evidence_path"].is_string() {
                m["evidence_path"] = path_str(&precious[0]).into();
                named += 1;
            }
        }
    }
    assert!(named > 0, "the export names its evidence pictures");
    let file = dir.path().join("doctored.json");
    std::fs::write(&file, doctored.to_string()).unwrap();
    // The real export too, imported into a second database: its files are the first one's.
    let real = dir.path().join("eve.json");
    std::fs::write(&real, &export.stdout).unwrap();
    let other = dir.path().join("other.sqlite");
    let third = dir.path().join("third.sqlite");
    for (import, into) in [(&file, &other), (&real, &third)] {
        let output = gonio(&["import", path_str(import), "--db", path_str(into)]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let forget = gonio(&["forget", "--subject", "Eve", "--db", path_str(into)]);
        assert_eq!(forget.status.code(), Some(0), "{}", stderr(&forget));
        assert!(
            !stderr(&forget).contains("gonio: deleted /"),
            "{}",
            stderr(&forget)
        );
        assert!(
            stderr(&forget).contains("named by an imported result"),
            "{}",
            stderr(&forget)
        );
    }
    for file in &precious {
        assert_eq!(std::fs::read_to_string(file).unwrap(), "important");
    }
    let written = std::fs::read_dir(&out).unwrap().count();
    assert!(written > 0, "the first database's files are all there");
    // The database whose analysis wrote them deletes them.
    let forget = gonio(&["forget", "--subject", "Eve", "--db", path_str(&db)]);
    assert_eq!(forget.status.code(), Some(0), "{}", stderr(&forget));
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}

/// An output folder emptied and used again for another patient (other database, same file
/// names), and a user's notes put where a result JSON was: `forget` deletes only the files still
/// as it wrote them for this subject (it deleted the other patient's and the notes).
#[test]
fn forget_deletes_only_files_still_as_written_for_the_subject() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let analyze_into = |trial: &Path, subject: &str, db: &Path| {
        let output = gonio(&[
            "analyze",
            path_str(trial),
            "--protocol",
            "slr",
            "--subject",
            subject,
            "--db",
            path_str(db),
            "--out",
            path_str(&out),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    };
    let (first, second) = (dir.path().join("f"), dir.path().join("g"));
    std::fs::create_dir_all(&first).unwrap();
    std::fs::create_dir_all(&second).unwrap();
    let (f_db, g_db) = (dir.path().join("f.sqlite"), dir.path().join("g.sqlite"));
    analyze_into(&slr_csv(&first, "IMG_0001.csv", 1), "F", &f_db);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for name in &names {
        std::fs::remove_file(out.join(name)).unwrap();
    }
    analyze_into(&slr_csv(&second, "IMG_0001.csv", 2), "G", &g_db);
    let theirs: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(out.join(n)).unwrap())
        .collect();
    let forget = gonio(&["forget", "--subject", "F", "--db", path_str(&f_db)]);
    assert_eq!(forget.status.code(), Some(0), "{}", stderr(&forget));
    assert!(
        !stderr(&forget).contains("gonio: deleted /"),
        "{}",
        stderr(&forget)
    );
    assert!(
        stderr(&forget).contains("changed since gonio wrote it"),
        "{}",
        stderr(&forget)
    );
    for (name, bytes) in names.iter().zip(&theirs) {
        assert_eq!(
            &std::fs::read(out.join(name)).unwrap(),
            bytes,
            "G's {name} kept"
        );
    }

    // A user's notes in place of G's result JSON stay; G's other files go.
    let json = out.join("IMG_0001.json");
    std::fs::write(&json, "my precious notes").unwrap();
    let forget = gonio(&["forget", "--subject", "G", "--db", path_str(&g_db)]);
    assert_eq!(forget.status.code(), Some(0), "{}", stderr(&forget));
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["IMG_0001.json"]);
    assert_eq!(std::fs::read_to_string(&json).unwrap(), "my precious notes");
}

/// Item 11: truncated and bit-flipped databases: every store command fails cleanly (naming the
/// file) or works, and a damaged file is never written.
#[test]
fn damaged_databases_are_named_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("good.sqlite");
    let csv = slr_csv(dir.path(), "t.csv", 5);
    // (Two recordings: one recording is one visit.)
    let after = slr_csv(dir.path(), "after.csv", 6);
    // Analysed into each damaged copy: a third recording (the first two are saved already).
    let later = slr_csv(dir.path(), "later.csv", 7);
    for (session, recording) in [("before", &csv), ("after", &after)] {
        let output = gonio(&[
            "analyze",
            path_str(recording),
            "--protocol",
            "slr",
            "--subject",
            "s",
            "--session",
            session,
            "--db",
            path_str(&db),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    // Fold the write-ahead log into the file, so that the file alone is the database.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
        .unwrap();
    let good = std::fs::read(&db).unwrap();
    let len = good.len();
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [50, 100, 1024, 4096, len / 2, len - 1] {
        variants.push((format!("cut at {cut}"), good[..cut.min(len)].to_vec()));
    }
    for at in [
        20,
        60,
        100,
        4096 + 8,
        4096 + 200,
        2 * 4096 + 100,
        len / 2,
        len - 200,
    ] {
        let mut bytes = good.clone();
        if let Some(b) = bytes.get_mut(at) {
            *b ^= 0x5a;
        }
        variants.push((format!("bits flipped at {at}"), bytes));
    }
    let mut damaged_named = 0;
    for (what, bytes) in &variants {
        let path = dir.path().join("case.sqlite");
        let _ = std::fs::remove_file(dir.path().join("case.sqlite-wal"));
        let _ = std::fs::remove_file(dir.path().join("case.sqlite-shm"));
        std::fs::write(&path, bytes).unwrap();
        let p = path_str(&path);
        let html = dir.path().join("r.html");
        let commands: Vec<Vec<&str>> = vec![
            vec!["subjects", "--db", p],
            vec!["history", "--subject", "s", "--db", p],
            vec!["compare", "--subject", "s", "--db", p],
            vec!["export", "--subject", "s", "--db", p],
            vec![
                "report",
                "--subject",
                "s",
                "--db",
                p,
                "--out",
                path_str(&html),
            ],
            vec![
                "analyze",
                path_str(&later),
                "--protocol",
                "slr",
                "--subject",
                "s",
                "--db",
                p,
            ],
            vec!["forget", "--subject", "s", "--db", p],
        ];
        for args in commands {
            let output = gonio(&args);
            let code = output.status.code();
            assert!(
                code.is_some() && code != Some(PANIC_STATUS),
                "{what}: {args:?} ended with {:?}: {}",
                output.status,
                stderr(&output)
            );
            if code != Some(0) {
                let err = stderr(&output);
                assert!(
                    err.contains(p),
                    "{what}: {args:?}: the file is named: {err}"
                );
                if err.contains("is damaged") {
                    damaged_named += 1;
                    assert_eq!(
                        &std::fs::read(&path).unwrap(),
                        bytes,
                        "{what}: written into"
                    );
                }
            }
        }
    }
    assert!(damaged_named > 0, "some damage is caught and called so");
}

/// Item 12: a title in Latin-1 is no reason to call a video truncated.
#[test]
fn a_video_with_non_utf8_metadata_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9.mp4"));
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(sample("pose2sim-cam01.mp4"))
        .args(["-c", "copy", "-metadata"])
        .arg(std::ffi::OsStr::from_bytes(b"title=caf\xe9 cr\xe8me"))
        .arg(&video)
        .status()
        .unwrap();
    assert!(status.success());
    let frames: Vec<_> = gonio::capture::VideoFrames::open(&video)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(frames.len(), 100);
}

/// Item 13: camcorder, old-phone and animated formats are videos, also inside folders.
#[test]
fn transport_streams_3gp_and_gif_are_videos() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("clips");
    std::fs::create_dir(&folder).unwrap();
    for (name, args) in [
        ("a.ts", vec!["-c", "copy", "-f", "mpegts"]),
        ("b.mts", vec!["-c", "copy", "-f", "mpegts"]),
        ("c.m2ts", vec!["-c", "copy", "-f", "mpegts"]),
        ("d.gif", vec!["-vf", "scale=160:-1", "-frames:v", "10"]),
    ] {
        let status = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(sample("pose2sim-cam01.mp4"))
            .args(&args)
            .arg(folder.join(name))
            .status()
            .unwrap();
        assert!(status.success(), "{name}");
    }
    let sources = gonio::pipeline::sources_from(std::slice::from_ref(&folder), None);
    let names: Vec<String> = sources
        .sources
        .iter()
        .map(|s| {
            let s = s.as_ref().unwrap_or_else(|e| panic!("{e}"));
            s.path().file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    assert_eq!(names, ["a.ts", "b.mts", "c.m2ts", "d.gif"]);
    for name in ["a.ts", "d.gif"] {
        let frames = gonio::capture::VideoFrames::open(&folder.join(name))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(frames.len() >= 10, "{name}");
    }
}

/// Item 14: the messages say what is wrong, in the user's terms.
#[test]
fn messages_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = slr_csv(d, "t.csv", 6);
    let file = d.join("a-file");
    std::fs::write(&file, "x").unwrap();
    assert_clean_failure(
        &gonio(&[
            "analyze",
            path_str(&csv),
            "--protocol",
            "slr",
            "--out",
            path_str(&file),
        ]),
        "is a file, not a folder",
    );
    assert_clean_failure(
        &gonio(&["subjects", "--db", path_str(d)]),
        "a folder, not a database file",
    );
    let looped = d.join("loop.mp4");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    assert_clean_failure(
        &gonio(&["analyze", path_str(&looped), "--protocol", "slr"]),
        "symbolic links",
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    for (separator, name) in [(";", "semicolons"), ("\t", "tabs")] {
        let other = d.join(format!("sep-{name}.csv"));
        std::fs::write(&other, text.replace(',', separator)).unwrap();
        assert_clean_failure(
            &gonio(&["analyze", path_str(&other), "--protocol", "slr"]),
            &format!("columns are separated by {name}"),
        );
    }
    // A stray Latin-1 byte in a column gonio does not read is no reason to reject the file.
    let extra = d.join("extra.csv");
    let mut bytes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(if i == 0 { b",comment" } else { b",caf\xe9" });
        bytes.push(b'\n');
    }
    std::fs::write(&extra, &bytes).unwrap();
    let output = gonio(&["analyze", path_str(&extra), "--protocol", "slr"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // A wrong file under a model's name is called what it is.
    let models = d.join("models");
    std::fs::create_dir(&models).unwrap();
    for entry in std::fs::read_dir(root().join("models")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "onnx") {
            std::fs::copy(&path, models.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(
        root().join("models/movenet_singlepose_lightning.onnx"),
        models.join("movenet_singlepose_thunder.onnx"),
    )
    .unwrap();
    let output = gonio_with_env(
        &["pose", path_str(&sample("pose2sim-frame060.jpg"))],
        &[("GONIO_MODEL_DIR", path_str(&models))],
    );
    assert_clean_failure(&output, "not a MoveNet thunder model");
    // A newline in a file name does not split the message.
    let odd = d.join("two\nlines.csv");
    std::fs::write(&odd, "nonsense").unwrap();
    let output = gonio(&["analyze", path_str(&odd), "--protocol", "slr"]);
    let err = stderr(&output);
    assert!(err.contains("two\\nlines.csv"), "{err}");
    assert!(!err.lines().any(|l| l.starts_with("lines.csv")), "{err}");
}

/// Item 15: nonsense is refused at the edge.
#[test]
fn nonsense_flags_and_labels_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = slr_csv(d, "t.csv", 7);
    let db = d.join("db.sqlite");
    let c = path_str(&csv);
    for (args, words) in [
        (vec!["--subject", " "], "must not be empty"),
        (vec!["--subject", "s", "--session", ""], "must not be empty"),
        (vec!["--hold-s", "1e300"], "outside 0.1 to 600"),
        (vec!["--band-deg", "1000"], "outside 0.5 to 30"),
        (vec!["--hold-s", "inf"], "outside"),
    ] {
        let mut all = vec!["analyze", c, "--protocol", "slr", "--db", path_str(&db)];
        all.extend(args);
        assert_clean_failure(&gonio(&all), words);
    }
    let output = gonio(&[
        "analyze",
        c,
        "--protocol",
        "slr",
        "--subject",
        "s",
        "--db",
        path_str(&db),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mdc = d.join("mdc.json");
    std::fs::write(&mdc, r#"{"slr/hip_flexon": 5.0}"#).unwrap();
    assert_clean_failure(
        &gonio(&[
            "compare",
            "--subject",
            "s",
            "--db",
            path_str(&db),
            "--mdc-config",
            path_str(&mdc),
        ]),
        "`slr/hip_flexon` is no protocol/measure",
    );
    // Reading commands never create a database where the path was mistyped.
    let typo = d.join("typo/db.sqlite");
    for command in [vec!["subjects"], vec!["history", "--subject", "s"]] {
        let mut all = command.clone();
        all.extend(["--db", path_str(&typo)]);
        assert_clean_failure(&gonio(&all), "no gonio database there");
    }
    assert!(!d.join("typo").exists(), "nothing created");
}
