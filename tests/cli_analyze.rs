//! `gonio analyze` and `gonio protocols` from the command line.

mod common;
mod synthetic;

use common::*;
use synthetic::*;

/// A straight-leg raise of the left leg to 72 degrees, with pose-model noise, as a keypoint CSV.
fn slr_csv(dir: &std::path::Path) -> std::path::PathBuf {
    write_csv(&noisy_slr(72.0, 10.0, true, false, 21), dir.join("slr.csv"))
}

#[test]
fn analyze_prints_one_result_per_side_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let csv = slr_csv(dir.path());
    let output = gonio(&["analyze", path_str(&csv), "--protocol", "slr", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = json["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        2,
        "hip_flexion and leg_to_horizontal of the raised leg"
    );
    let main = &results[0];
    assert_eq!(main["protocol"], "slr");
    assert_eq!(main["side"], "left");
    assert_eq!(main["source"], path_str(&csv));
    let value = main["value_deg"].as_f64().unwrap();
    assert!((value - 72.0).abs() < 2.0, "{value}");
    for key in [
        "peak_deg",
        "hold_s",
        "valid_frames",
        "total_frames",
        "quality",
        "warnings",
    ] {
        assert!(!main[key].is_null(), "{key} missing in {main}");
    }

    let both = gonio(&[
        "analyze",
        path_str(&csv),
        "--protocol",
        "slr",
        "--side",
        "both",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&both.stdout).unwrap();
    assert_eq!(json["results"].as_array().unwrap().len(), 4);

    let table = gonio(&["analyze", path_str(&csv), "--protocol", "slr"]);
    let text = stdout(&table);
    assert!(
        text.contains("hip_flexion") && text.contains("left") && text.contains("result (deg)"),
        "{text}"
    );
}

#[test]
fn analyze_goes_on_past_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let good = slr_csv(dir.path());
    let missing = dir.path().join("missing.csv");
    let garbage = dir.path().join("garbage.csv");
    std::fs::write(&garbage, "not,a,keypoint,file\n1,2,3,4\n").unwrap();
    let output = gonio(&[
        "analyze",
        path_str(&missing),
        path_str(&garbage),
        path_str(&good),
        "--protocol",
        "slr",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!("{}: cannot read", missing.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}: not a gonio keypoint CSV: no `time_s` column",
            garbage.display()
        )),
        "{err}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["errors"].as_array().unwrap().len(), 2);
    assert_eq!(
        json["results"].as_array().unwrap().len(),
        2,
        "the good file is measured"
    );
}

/// An output that cannot be written (here a folder squatting on the CSV's temporary name; a full
/// disk alike) fails the command but loses nothing measured: the results are printed and saved.
#[test]
fn an_output_that_cannot_be_written_keeps_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let csv = slr_csv(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("slr.csv.partial")).unwrap();
    let db = dir.path().join("db.sqlite");
    let output = gonio(&[
        "analyze",
        path_str(&csv),
        "--protocol",
        "slr",
        "--out",
        path_str(&out),
        "--subject",
        "runner",
        "--session",
        "before",
        "--db",
        path_str(&db),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("slr.csv.partial exists and is not a regular file")
            && err.contains("the results of"),
        "{err}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["results"].as_array().unwrap().len(), 2);
    assert_eq!(json["errors"][0]["source"], path_str(&csv));
    assert!(json["files"][0]["output_error"]
        .as_str()
        .unwrap()
        .contains("not a regular file"));
    let history = gonio(&[
        "history",
        "--subject",
        "runner",
        "--db",
        path_str(&db),
        "--json",
    ]);
    assert_eq!(history.status.code(), Some(0), "{}", stderr(&history));
    assert!(
        stdout(&history).contains("\"before\""),
        "{}",
        stdout(&history)
    );

    // A folder that cannot hold the outputs is found before anything is measured.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let output = gonio(&[
        "analyze",
        path_str(&csv),
        "--protocol",
        "slr",
        "--out",
        path_str(&file.join("out")),
    ]);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("cannot create folder"),
        "{}",
        stderr(&output)
    );
}

/// A folder of keypoint CSVs (from another tool) is one input per CSV, not "no images".
#[test]
fn a_folder_of_keypoint_csvs_is_one_input_each() {
    let dir = tempfile::tempdir().unwrap();
    let csvs = dir.path().join("csvs");
    std::fs::create_dir(&csvs).unwrap();
    slr_csv(&csvs);
    write_csv(
        &noisy_slr(60.0, 10.0, true, false, 3),
        csvs.join("other.csv"),
    );
    let output = gonio(&[
        "analyze",
        path_str(&csvs),
        "--protocol",
        "slr",
        "--fps",
        "30",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--fps is for folders of frames and none was given: ignored"),
        "{}",
        stderr(&output)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["files"].as_array().unwrap().len(), 2);

    // With the outputs written into the same folder, the next run reads the same two trials,
    // not gonio's per-frame CSVs as two more (which doubled the trials and made a verdict).
    for _ in 0..2 {
        let output = gonio(&[
            "analyze",
            path_str(&csvs),
            "--protocol",
            "slr",
            "--out",
            path_str(&csvs),
            "--json",
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(json["files"].as_array().unwrap().len(), 2);
    }
    let output = gonio(&["analyze", path_str(&csvs), "--protocol", "slr"]);
    assert!(
        stderr(&output).contains("4 file(s) left out (")
            && stderr(&output).contains("): gonio's own per-frame CSVs"),
        "{}",
        stderr(&output)
    );
    // Named, one is analysed again.
    let own = csvs.join("slr-2.csv");
    let output = gonio(&["analyze", path_str(&own), "--protocol", "slr", "--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(empty.join("notes.txt"), "nothing to measure").unwrap();
    let output = gonio(&["analyze", path_str(&empty), "--protocol", "slr"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!(
            "{}: no videos, frames or keypoint CSVs in this folder",
            empty.display()
        )),
        "{}",
        stderr(&output)
    );
    // What is not read is said, not passed over in silence.
    assert!(
        stderr(&output)
            .contains("1 file(s) left out (notes.txt): not videos, pictures or keypoint CSVs"),
        "{}",
        stderr(&output)
    );

    // A subfolder is said (it was passed over, exit 0); a link whose target is gone is an input
    // that failed, by name.
    let nested = dir.path().join("nested");
    std::fs::create_dir_all(nested.join("p1")).unwrap();
    slr_csv(&nested);
    slr_csv(&nested.join("p1"));
    let output = gonio(&["analyze", path_str(&nested), "--protocol", "slr"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "{}: 1 subfolder(s) left out (p1): subfolders are not read",
            nested.display()
        )),
        "{}",
        stderr(&output)
    );
    // A FIFO (it would wait for ever) and a link to a device (never ending) are said too.
    let fifo = nested.join("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::os::unix::fs::symlink("/dev/zero", nested.join("zero.csv")).unwrap();
    let output = gonio(&["analyze", path_str(&nested), "--protocol", "slr"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "{}: 2 file(s) left out (pipe.csv, zero.csv): not regular files",
            nested.display()
        )),
        "{}",
        stderr(&output)
    );
    std::fs::remove_file(&fifo).unwrap();
    std::fs::remove_file(nested.join("zero.csv")).unwrap();
    let gone = nested.join("gone.csv");
    std::os::unix::fs::symlink(dir.path().join("moved-away.csv"), &gone).unwrap();
    let output = gonio(&["analyze", path_str(&nested), "--protocol", "slr", "--json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "{}: a link to a file that is not there ({})",
            gone.display(),
            dir.path().join("moved-away.csv").display()
        )),
        "{}",
        stderr(&output)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["files"].as_array().unwrap().len(),
        1,
        "the rest measured"
    );
}

#[test]
fn unknown_protocol_lists_the_known_ones() {
    let output = gonio(&["analyze", "x.csv", "--protocol", "splits"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("unknown protocol `splits`")
            && err.contains("hip-extension")
            && err.contains("toe-touch"),
        "{err}"
    );
}

#[test]
fn protocols_are_listed_with_instructions() {
    let output = gonio(&["protocols", "--json"]);
    assert_eq!(output.status.code(), Some(0));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = list.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "hip-extension",
            "prone-hip-extension",
            "thomas",
            "slr",
            "ake",
            "toe-touch",
            "knee-to-chest",
            "prone-knee-bend",
            "lunge-ankle",
            "leg-swing"
        ]
    );
    for p in &list {
        assert!(
            p["instructions"].as_str().unwrap().contains("Camera"),
            "{p}"
        );
    }
    let text = stdout(&gonio(&["protocols"]));
    assert!(
        text.contains("knee flexion of the measured leg at most 20 deg"),
        "{text}"
    );
}
