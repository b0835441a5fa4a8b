//! A batch split across independent jobs (`gonio analyze --shard K/N`) and merged back
//! (`gonio import` of the shards' databases), and a batch resumed where it stopped
//! (`--resume`).

mod common;
mod synthetic;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use synthetic::*;

const SHARDS: usize = 3;

/// Seven different straight-leg raises as keypoint CSVs (one in a subfolder with a name another
/// has), and an input that cannot be analysed. Returns the inputs as given on the command line.
fn batch(dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir.join("more")).unwrap();
    let mut inputs: Vec<PathBuf> = (0..6)
        .map(|i| {
            write_csv(
                &noisy_slr(60.0 + 3.0 * i as f32, 4.0, false, false, 40 + i),
                dir.join(format!("trial{i}.csv")),
            )
        })
        .collect();
    inputs.push(write_csv(
        &noisy_slr(75.0, 4.0, false, false, 99),
        dir.join("more").join("trial0.csv"),
    ));
    let unusable = dir.join("notes.txt");
    std::fs::write(&unusable, "not a recording").unwrap();
    inputs.push(unusable);
    inputs.iter().map(|p| path_str(p).to_string()).collect()
}

fn analyze(inputs: &[String], extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&str> = vec!["analyze", "--protocol", "slr"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend(extra);
    gonio(&args)
}

fn json_lines(output: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect()
}

#[test]
fn the_shards_cover_the_batch_once_and_their_lines_concatenate() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = batch(dir.path());
    let whole = analyze(&inputs, &["--json-lines"]);
    assert_eq!(whole.status.code(), Some(1), "one input is unusable");
    let whole_lines = json_lines(&whole);
    assert_eq!(whole_lines.len(), inputs.len());

    // Each input's output names are the same whatever order the shards run in (jobs of an
    // array start when a node is free): run them 1, 2, 3 into one folder and 3, 1, 2 into
    // another, with the folder of the second already holding the first run's files.
    let run_shards = |out: &Path, order: &[usize]| {
        let mut lines = Vec::new();
        let mut failed = 0;
        for &k in order {
            // Each job lists its inputs in another order: the split must not depend on it.
            let mut given = inputs.clone();
            given.rotate_left(k * 2);
            let shard = format!("{k}/{SHARDS}");
            let output = analyze(
                &given,
                &["--json-lines", "--shard", &shard, "--out", path_str(out)],
            );
            match output.status.code() {
                Some(0) => {}
                Some(1) => failed += 1,
                other => panic!("shard {shard}: exit {other:?}: {}", stderr(&output)),
            }
            lines.extend(json_lines(&output));
        }
        (lines, failed)
    };
    let out = dir.path().join("out");
    let (lines, failed_shards) = run_shards(&out, &[1, 2, 3]);
    let (again, _) = run_shards(&out, &[3, 1, 2]);
    let names = |lines: &[serde_json::Value]| -> std::collections::BTreeMap<String, Vec<String>> {
        lines
            .iter()
            .map(|l| {
                let outputs = l["outputs"].as_array().cloned().unwrap_or_default();
                let files = outputs
                    .iter()
                    .map(|p| {
                        let name = Path::new(p.as_str().unwrap()).file_name().unwrap();
                        name.to_string_lossy().into_owned()
                    })
                    .collect();
                (l["source"].as_str().unwrap().to_string(), files)
            })
            .collect()
    };
    assert_eq!(
        names(&lines),
        names(&again),
        "a shard's order changed an output's name"
    );
    assert_eq!(failed_shards, 1, "the unusable input is one shard's error");

    let sources = |lines: &[serde_json::Value]| -> Vec<String> {
        let mut s: Vec<String> = lines
            .iter()
            .map(|l| l["source"].as_str().unwrap().to_string())
            .collect();
        s.sort();
        s
    };
    // Every input exactly once, errors included, and the same results as one job.
    assert_eq!(sources(&lines), sources(&whole_lines));
    let errors: Vec<&serde_json::Value> = lines.iter().filter(|l| l["error"].is_string()).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0]["source"].as_str().unwrap().ends_with("notes.txt"));
    let value_of = |lines: &[serde_json::Value], source: &str| {
        lines
            .iter()
            .find(|l| l["source"] == source)
            .and_then(|l| l["results"][0]["value_deg"].as_f64())
    };
    for line in &whole_lines {
        let source = line["source"].as_str().unwrap();
        assert_eq!(value_of(&lines, source), value_of(&whole_lines, source));
    }

    // The two trial0.csv wrote to different files in the shared folder, whichever shard each
    // was in; nothing was written twice.
    let mut written: Vec<String> = lines
        .iter()
        .flat_map(|l| l["outputs"].as_array().cloned().unwrap_or_default())
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let count = written.len();
    written.sort();
    written.dedup();
    assert_eq!(written.len(), count, "an output file written by two inputs");
    let trial0 = written
        .iter()
        .filter(|p| {
            let name = Path::new(p).file_name().unwrap().to_str().unwrap();
            name.starts_with("trial0") && name.ends_with(".json")
        })
        .count();
    assert_eq!(trial0, 2, "{written:?}");
}

#[test]
fn shard_databases_merge_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = batch(dir.path());
    let save = |db: &Path, shard: Option<String>| {
        let mut extra = vec![
            "--subject",
            "P-7",
            "--session",
            "before",
            "--db",
            path_str(db),
        ];
        if let Some(shard) = &shard {
            extra.extend(["--shard", shard.as_str()]);
        }
        let output = analyze(&inputs, &extra);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            stderr(&output)
        );
    };
    let one_job = dir.path().join("one.sqlite");
    save(&one_job, None);
    let shards: Vec<PathBuf> = (1..=SHARDS)
        .map(|k| {
            let db = dir.path().join(format!("shard-{k}.sqlite"));
            save(&db, Some(format!("{k}/{SHARDS}")));
            db
        })
        .collect();
    let shard_bytes: Vec<Vec<u8>> = shards.iter().map(|p| std::fs::read(p).unwrap()).collect();

    let merged = dir.path().join("merged.sqlite");
    let trials = |db: &Path| -> BTreeSet<(String, String, String, String)> {
        let output = gonio(&[
            "export",
            "--subject",
            "P-7",
            "--format",
            "json",
            "--db",
            path_str(db),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let export: gonio::store::SubjectExport = serde_json::from_slice(&output.stdout).unwrap();
        let mut set = BTreeSet::new();
        let mut count = 0;
        for session in &export.sessions {
            for m in &session.measurements {
                count += 1;
                set.insert((
                    session.label.clone(),
                    m.source.clone(),
                    m.measure.clone(),
                    format!("{:?}", m.value_deg),
                ));
            }
        }
        assert_eq!(set.len(), count, "a trial stored twice in {}", db.display());
        set
    };
    let mut args = vec!["import"];
    args.extend(shards.iter().map(|p| path_str(p)));
    args.extend(["--db", path_str(&merged)]);
    let first = gonio(&args);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let once = trials(&merged);
    assert_eq!(
        once,
        trials(&one_job),
        "the merge equals one job's database"
    );
    assert_eq!(once.len(), 7 * 2, "seven trials, two measures each");

    // Merging again (a job array re-run, a shard imported twice) changes nothing.
    let again = gonio(&args);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(trials(&merged), once);
    // The shards were only read: the same bytes, and nothing written beside them.
    for (path, bytes) in shards.iter().zip(&shard_bytes) {
        assert_eq!(&std::fs::read(path).unwrap(), bytes, "{}", path.display());
        for side in ["-wal", "-shm", "-journal"] {
            let mut name = path.as_os_str().to_owned();
            name.push(side);
            assert!(
                !Path::new(&name).exists(),
                "{} written",
                Path::new(&name).display()
            );
        }
    }

    // A bad export among the inputs: nothing imported, the message names that file.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"subject": "P-8", "sessions": [{"label": "x", "started_at": "2026-01-01T00:00:00Z",
            "notes": null, "measurements": [{"protocol": "slr", "measure": "hip_flexion",
            "side": "left", "value_deg": 999.0, "peak_deg": 999.0, "hold_s": 1.0,
            "valid_frames": 1, "total_frames": 1, "quality": "good", "warnings": [],
            "model": null, "source": "x", "source_sha256": null, "gonio_version": "0"}]}]}"#,
    )
    .unwrap();
    let fresh = dir.path().join("fresh.sqlite");
    let refused = gonio(&[
        "import",
        path_str(&shards[0]),
        path_str(&bad),
        "--db",
        path_str(&fresh),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(
        message.contains("bad.json") && message.contains("999"),
        "{message}"
    );
    assert!(!fresh.exists(), "a database made for an import that failed");

    // A recording of one shard in another session of another file: refused, naming that file
    // and the recording, and the database made for the import not left behind, empty.
    let output = gonio(&[
        "export",
        "--subject",
        "P-7",
        "--format",
        "json",
        "--db",
        path_str(&shards[0]),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let mut moved: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let session = &mut moved["sessions"][0];
    session["label"] = "another-visit".into();
    session["started_at"] = "2026-03-01T09:00:00Z".into();
    let recording = session["measurements"][0]["source"]
        .as_str()
        .unwrap()
        .to_string();
    let moved_file = dir.path().join("moved.json");
    std::fs::write(&moved_file, moved.to_string()).unwrap();
    let refused = gonio(&[
        "import",
        path_str(&shards[0]),
        path_str(&moved_file),
        "--db",
        path_str(&fresh),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(
        message.contains("in ")
            && message.contains("moved.json")
            && message.contains(&format!("holds a recording ({recording})"))
            && message.contains("one recording is one visit"),
        "{message}"
    );
    assert!(!fresh.exists(), "a database made for an import that failed");
}

#[test]
fn a_shard_that_is_not_one_is_refused() {
    for bad in ["0/3", "4/3", "1/0", "three"] {
        let output = gonio(&[
            "analyze",
            "--protocol",
            "slr",
            "--shard",
            bad,
            "datasets/sample/pose2sim-cam01.mp4",
        ]);
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let message = stderr(&output);
        assert!(
            message.contains(bad) && message.contains("K/N"),
            "{message}"
        );
    }
}

/// A shard names its outputs the same in every job, so it cannot number them around what it
/// finds; but it never writes over an input or a file gonio did not write (it did: the input
/// keypoint CSV replaced by the per-frame CSV, a user's JSON notes by the results).
#[test]
fn a_shard_never_writes_over_an_input_or_a_users_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let trial = write_csv(
        &noisy_slr(70.0, 4.0, false, false, 7),
        out.join("trial.csv"),
    );
    let other = write_csv(
        &noisy_slr(65.0, 4.0, false, false, 8),
        dir.path().join("other.csv"),
    );
    let notes = out.join("other.json");
    std::fs::write(&notes, "{\"my\": \"notes\"}").unwrap();
    let before = std::fs::read(&trial).unwrap();
    let inputs = [path_str(&trial).to_string(), path_str(&other).to_string()];
    for _ in 0..2 {
        let output = analyze(&inputs, &["--out", path_str(&out), "--shard", "1/1"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert_eq!(
            std::fs::read(&trial).unwrap(),
            before,
            "the input is untouched"
        );
        assert_eq!(
            std::fs::read_to_string(&notes).unwrap(),
            "{\"my\": \"notes\"}",
            "the user's file is untouched"
        );
        // The outputs went beside them, and a second run writes over its own.
        for written in ["trial-2.csv", "trial-2.json", "other-2.csv", "other-2.json"] {
            assert!(out.join(written).is_file(), "{written}");
        }
        assert!(!out.join("trial-3.csv").exists() && !out.join("other-3.json").exists());
    }
}

/// A shard run again after the batch changed (a recording added in a folder that sorts first)
/// names the inputs anew: its first input's name was another recording's. It wrote over that
/// recording's results and pictures (exit 0); now it refuses to, naming whose they are, and
/// keeps the results it measured.
#[test]
fn a_shard_never_writes_over_another_inputs_results() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let folder = |name: &str, target: f32, seed: u64| {
        let path = dir.path().join(name).join("x.csv");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_csv(&noisy_slr(target, 4.0, false, false, seed), path)
    };
    let a = folder("b", 60.0, 1);
    let b = folder("c", 70.0, 2);
    let inputs = [path_str(&a).to_string(), path_str(&b).to_string()];
    let output = analyze(&inputs, &["--out", path_str(&out), "--shard", "1/1"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let before = std::fs::read(out.join("x.json")).unwrap();
    // A new recording sorts before both: it is given `x`, which holds b/x.csv's results.
    let new = folder("a", 50.0, 3);
    let inputs = [
        path_str(&new).to_string(),
        inputs[0].clone(),
        inputs[1].clone(),
    ];
    let output = analyze(
        &inputs,
        &["--out", path_str(&out), "--shard", "1/1", "--json"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        std::fs::read(out.join("x.json")).unwrap(),
        before,
        "not written over"
    );
    assert!(
        stderr(&output).contains("not written over: it holds the results of")
            && stderr(&output)
                .contains(&format!("{}", std::fs::canonicalize(&a).unwrap().display())),
        "{}",
        stderr(&output)
    );
    // Its results are still reported.
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let measured = json["results"].as_array().unwrap().iter().any(|r| {
        r["source"]
            .as_str()
            .is_some_and(|s| s.ends_with("/a/x.csv"))
            && r["value_deg"].is_number()
    });
    assert!(measured, "{json}");
}

/// Shards given the same inputs spelled another way (relative to the working folder in one job,
/// partly absolute in another) cover each input once: sorted as typed, one input was never
/// analysed and another twice, all shards exiting 0.
#[test]
fn shards_cover_the_batch_once_however_the_inputs_are_spelled() {
    let target = root().join("target");
    std::fs::create_dir_all(&target).unwrap();
    let dir = tempfile::tempdir_in(&target).unwrap();
    let relative_dir = dir.path().strip_prefix(root()).unwrap().to_path_buf();
    let mut relative = Vec::new();
    let mut absolute = Vec::new();
    for (i, name) in ["A", "B", "C", "D"].into_iter().enumerate() {
        let path = dir.path().join(name).join("x.csv");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_csv(
            &noisy_slr(50.0 + 5.0 * i as f32, 4.0, false, false, i as u64),
            path.clone(),
        );
        relative.push(path_str(&relative_dir.join(name).join("x.csv")).to_string());
        absolute.push(path_str(&path).to_string());
    }
    let mixed = vec![
        relative[0].clone(),
        absolute[1].clone(),
        relative[2].clone(),
        absolute[3].clone(),
    ];
    let mut analysed: Vec<PathBuf> = Vec::new();
    for (given, shard) in [(&relative, "1/2"), (&mixed, "2/2")] {
        let output = analyze(given, &["--json-lines", "--shard", shard]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        for line in json_lines(&output) {
            let source = line["source"].as_str().unwrap();
            analysed.push(std::fs::canonicalize(root().join(source)).unwrap());
        }
    }
    analysed.sort();
    let mut all: Vec<PathBuf> = absolute
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap())
        .collect();
    all.sort();
    assert_eq!(analysed, all, "each input once");
}

/// The file names in `dir`, sorted.
fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// Each line's results, by source.
fn by_source(lines: &[serde_json::Value]) -> std::collections::BTreeMap<String, serde_json::Value> {
    lines
        .iter()
        .map(|line| (line["source"].as_str().unwrap().to_string(), line.clone()))
        .collect()
}

/// A batch stopped half-way (Ctrl-C, a cluster's time limit) or given new inputs goes on where
/// it stopped with `--resume`: the inputs whose outputs are in `--out` are taken from there (the
/// same results, no new files), and an input that changed, a run with other settings, a missing
/// output or a result JSON that does not say how it was made is analysed again, with the reason.
#[test]
fn a_resumed_batch_takes_what_was_analysed_and_analyses_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let trial = |i: u64, seed: u64| {
        write_csv(
            &noisy_slr(60.0 + 5.0 * i as f32, 4.0, false, false, seed),
            dir.path().join(format!("trial{i}.csv")),
        )
    };
    let trials: Vec<String> = (0..3)
        .map(|i| path_str(&trial(i, 70 + i)).to_string())
        .collect();
    let resume = ["--out", path_str(&out), "--resume", "--json-lines"];

    // Stopped after two of the three.
    let first = analyze(&trials[..2], &["--out", path_str(&out), "--json-lines"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let first = by_source(&json_lines(&first));
    let written_first = names_in(&out);

    let resumed = analyze(&trials, &resume);
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert!(
        !stderr(&resumed).contains("analysed again"),
        "{}",
        stderr(&resumed)
    );
    let lines = by_source(&json_lines(&resumed));
    for (i, trial) in trials.iter().enumerate().take(2) {
        let json = out.join(format!("trial{i}.json"));
        assert_eq!(lines[trial]["resumed_from"], path_str(&json), "{trial}");
        assert_eq!(lines[trial]["results"], first[trial]["results"], "{trial}");
        assert_eq!(lines[trial]["frames"], first[trial]["frames"], "{trial}");
    }
    assert!(lines[&trials[2]].get("resumed_from").is_none());
    assert!(lines[&trials[2]]["results"][0]["value_deg"].is_number());
    let written = names_in(&out);
    assert!(written.is_superset(&written_first) && written.contains("trial2.json"));
    assert!(
        written.iter().all(|name| !name.contains("-2")),
        "{written:?}"
    );

    // The table says so.
    let table = analyze(&trials, &["--out", path_str(&out), "--resume"]);
    assert_eq!(table.status.code(), Some(0), "{}", stderr(&table));
    assert!(
        stdout(&table).contains("3 of 3 input(s) taken from an earlier run"),
        "{}",
        stdout(&table)
    );
    assert_eq!(names_in(&out), written);

    // A changed input is analysed again, under a new name (the earlier evidence is kept).
    trial(1, 99);
    let changed = analyze(&trials, &resume);
    assert_eq!(changed.status.code(), Some(0), "{}", stderr(&changed));
    let err = stderr(&changed);
    assert!(
        err.contains(&format!("{}: analysed again: ", trials[1]))
            && err.contains("the input changed since"),
        "{err}"
    );
    let lines = by_source(&json_lines(&changed));
    assert!(lines[&trials[1]].get("resumed_from").is_none());
    assert!(lines[&trials[0]].get("resumed_from").is_some());
    assert!(out.join("trial1-2.json").is_file());

    // Files swapped between names: the same sizes and modification times (as a zip or a
    // memory card keeps them, to the second), other content. Analysed again.
    let swapped = fresh_dir_with_swapped_files(&dir.path().join("swap"));
    let swap_out = dir.path().join("swap-out");
    let swap_args = ["--out", path_str(&swap_out), "--json-lines"];
    let before = by_source(&json_lines(&analyze(&swapped, &swap_args)));
    let [a, b] = [&swapped[0], &swapped[1]].map(PathBuf::from);
    let held = a.with_extension("held");
    std::fs::rename(&a, &held).unwrap();
    std::fs::rename(&b, &a).unwrap();
    std::fs::rename(&held, &b).unwrap();
    let after = analyze(&swapped, &[&swap_args[..], &["--resume"]].concat());
    assert!(
        stderr(&after).contains("its content differs"),
        "{}",
        stderr(&after)
    );
    let after = by_source(&json_lines(&after));
    assert!(after
        .values()
        .all(|line| line.get("resumed_from").is_none()));
    assert_eq!(
        after[&swapped[0]]["results"][0]["value_deg"],
        before[&swapped[1]]["results"][0]["value_deg"]
    );

    // Other settings: everything analysed again, the option named. Options that do not apply to
    // a keypoint CSV (it runs no model) change nothing.
    let other = analyze(&trials, &[&resume[..], &["--hold-s", "2"]].concat());
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    assert!(
        stderr(&other).contains("analysed with other settings (--hold-s, --band-deg)"),
        "{}",
        stderr(&other)
    );
    assert!(json_lines(&other)
        .iter()
        .all(|line| line.get("resumed_from").is_none()));
    let model = analyze(
        &trials,
        &[&resume[..], &["--hold-s", "2", "--model", "lightning"]].concat(),
    );
    assert!(json_lines(&model)
        .iter()
        .all(|line| line.get("resumed_from").is_some()));

    // The same input spelled another way, or from another folder, is found.
    let spelled = [format!("{}/./trial0.csv", path_str(dir.path()))];
    let found = analyze(&spelled, &resume);
    assert!(
        json_lines(&found)[0].get("resumed_from").is_some(),
        "{}",
        stderr(&found)
    );
    let from_elsewhere = std::process::Command::new(env!("CARGO_BIN_EXE_gonio"))
        .current_dir(dir.path())
        .args([
            "analyze",
            "--protocol",
            "slr",
            "trial0.csv",
            "--resume",
            "--json-lines",
        ])
        .args(["--out", path_str(&out)])
        .output()
        .unwrap();
    let line = &json_lines(&from_elsewhere)[0];
    assert!(
        line.get("resumed_from").is_some(),
        "{}",
        stderr(&from_elsewhere)
    );
    // Shown and saved under the name it is given now.
    assert_eq!(line["source"], "trial0.csv");
    assert_eq!(line["results"][0]["source"], "trial0.csv");

    // A missing output, a result JSON of an earlier gonio (no record of how it was made), and
    // one cut short.
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("trial2.json")).unwrap()).unwrap();
    let picture = record["analysis"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .find(|name| name.ends_with(".png"))
        .expect("a plot listed");
    let fresh = tempfile::tempdir().unwrap();
    let out = fresh.path().join("out");
    let first = analyze(&trials, &["--out", path_str(&out)]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    std::fs::remove_file(out.join(picture)).unwrap();
    let old = out.join("trial0.json");
    let mut without: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&old).unwrap()).unwrap();
    without.as_object_mut().unwrap().remove("analysis");
    std::fs::write(&old, serde_json::to_string_pretty(&without).unwrap()).unwrap();
    let cut = out.join("trial1.json");
    let text = std::fs::read_to_string(&cut).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let again = analyze(
        &trials,
        &["--out", path_str(&out), "--resume", "--json-lines"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let err = stderr(&again);
    assert!(
        err.contains(&format!("{}: analysed again: ", trials[2])) && err.contains("is missing"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}: analysed again: ", trials[0]))
            && err.contains("written by an earlier gonio"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}: analysed again: ", trials[1]))
            && err.contains("trial1.json: cannot be read as gonio's results"),
        "{err}"
    );
    let lines = by_source(&json_lines(&again));
    assert!(lines
        .values()
        .all(|line| line.get("resumed_from").is_none()));

    // A result edited by hand (a number typed in, a refusal made a "good") is not gonio's: it
    // is analysed again, never printed or saved as measured.
    let edited = fresh.path().join("edited");
    let first = analyze(&trials, &["--out", path_str(&edited), "--json-lines"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let measured = by_source(&json_lines(&first))[&trials[1]]["results"][0]["value_deg"].clone();
    let json = edited.join("trial1.json");
    // (Edited as text, as a person would: the file keeps its order.)
    let text = std::fs::read_to_string(&json).unwrap();
    let at = text.find("\"value_deg\": ").unwrap() + "\"value_deg\": ".len();
    let end = at + text[at..].find(',').unwrap();
    std::fs::write(&json, format!("{}99.5{}", &text[..at], &text[end..])).unwrap();
    let again = analyze(
        &trials,
        &["--out", path_str(&edited), "--resume", "--json-lines"],
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let err = stderr(&again);
    assert!(
        err.contains(&format!(
            "{}: analysed again: {}: its results were changed since gonio wrote them",
            trials[1],
            json.display()
        )),
        "{err}"
    );
    let lines = by_source(&json_lines(&again));
    assert!(lines[&trials[1]].get("resumed_from").is_none());
    assert_eq!(lines[&trials[1]]["results"][0]["value_deg"], measured);
    assert!(lines[&trials[0]].get("resumed_from").is_some());

    // A shard resumes its own outputs, whose names do not depend on what it finds.
    let sharded = fresh.path().join("sharded");
    let shard = [
        "--out",
        path_str(&sharded),
        "--shard",
        "1/1",
        "--json-lines",
    ];
    let first = analyze(&trials, &shard);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let written = names_in(&sharded);
    let again = analyze(&trials, &[&shard[..], &["--resume"]].concat());
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(
        json_lines(&again)
            .iter()
            .all(|line| line.get("resumed_from").is_some()),
        "{}",
        stderr(&again)
    );
    assert_eq!(names_in(&sharded), written);

    // Without an output folder there is nothing to resume from.
    let alone = analyze(&trials, &["--resume"]);
    assert_eq!(alone.status.code(), Some(2));
    assert!(stderr(&alone).contains("--out"), "{}", stderr(&alone));
}

/// A resumed input is saved again when the batch saves (its earlier save may have been cut
/// off), replacing the earlier run's save of the same file, as any input analysed again does
/// (and says): one trial.
#[test]
fn a_resumed_input_saved_again_is_one_trial() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let db = dir.path().join("gonio.sqlite");
    let trial = write_csv(
        &noisy_slr(70.0, 4.0, false, false, 5),
        dir.path().join("trial.csv"),
    );
    let inputs = [path_str(&trial).to_string()];
    let save = [
        "--out",
        path_str(&out),
        "--subject",
        "s1",
        "--session",
        "before",
        "--db",
        path_str(&db),
    ];
    let history = || {
        let output = gonio(&[
            "history",
            "--subject",
            "s1",
            "--db",
            path_str(&db),
            "--json",
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let first = analyze(&inputs, &save);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let saved = history();
    let again = analyze(
        &inputs,
        &[&save[..], &["--resume", "--json-lines"]].concat(),
    );
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let line = &json_lines(&again)[0];
    assert!(line.get("resumed_from").is_some());
    assert_eq!(line["saved_to_session"], "before");
    assert_eq!(history(), saved);
}

/// An input given twice (spelled `a/./t.csv` and `a/t.csv`, through a link, or named and in a
/// folder given) is analysed once, and said: two rows of one recording read as two trials.
#[test]
fn an_input_given_twice_is_analysed_once() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("a");
    std::fs::create_dir(&folder).unwrap();
    let trial = write_csv(
        &noisy_slr(70.0, 4.0, false, false, 3),
        folder.join("trial.csv"),
    );
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&trial, &link).unwrap();
    let inputs = [
        path_str(&trial).to_string(),
        format!("{}/./trial.csv", path_str(&folder)),
        format!("{}/a/../a/trial.csv", path_str(dir.path())),
        path_str(&link).to_string(),
        path_str(&folder).to_string(),
    ];
    let output = analyze(&inputs, &["--json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["files"].as_array().unwrap().len(), 1);
    assert_eq!(json["files"][0]["source"], path_str(&trial));
    assert!(
        stderr(&output).contains("given more than once, analysed once"),
        "{}",
        stderr(&output)
    );
}

/// Two keypoint CSVs of the same size and modification time and different results, in `dir`.
fn fresh_dir_with_swapped_files(dir: &Path) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    let paths: Vec<PathBuf> = [(64.0, "a.csv"), (76.0, "b.csv")]
        .iter()
        .map(|(angle, name)| write_csv(&noisy_slr(*angle, 4.0, false, false, 11), dir.join(name)))
        .collect();
    // The same size: the CSVs' numbers differ, their layout not always; pad the shorter.
    let sizes: Vec<u64> = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .collect();
    let longest = *sizes.iter().max().unwrap();
    for (path, size) in paths.iter().zip(&sizes) {
        let mut text = std::fs::read_to_string(path).unwrap();
        text.push_str(&"\n".repeat((longest - size) as usize));
        std::fs::write(path, text).unwrap();
    }
    let time = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    for path in &paths {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(time)
            .unwrap();
    }
    paths.iter().map(|p| path_str(p).to_string()).collect()
}
