//! A batch split across independent jobs (`gonio analyze --shard K/N`) and merged back
//! (`gonio import` of the shards' databases).

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
