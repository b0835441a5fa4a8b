//! Sessions end to end: save from `analyze`, history, compare against the MDC, export, import,
//! forget; a process killed while saving loses nothing saved before; foreign files are refused.

mod common;
mod synthetic;

use std::process::{Command, Stdio};

use common::*;
use synthetic::*;

/// A straight-leg raise of the left leg to `target` degrees, as a keypoint CSV.
fn slr_csv(dir: &std::path::Path, name: &str, target: f32, seed: u64) -> std::path::PathBuf {
    write_csv(&noisy_slr(target, 10.0, true, true, seed), dir.join(name))
}

/// `gonio analyze CSV --protocol slr` saved into `subject`'s `session` of `db`, with `extra`
/// arguments after; asserts that it succeeded, and gives its output.
fn save_slr(
    db: &str,
    csv: &std::path::Path,
    subject: &str,
    session: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "analyze",
        path_str(csv),
        "--protocol",
        "slr",
        "--db",
        db,
        "--subject",
        subject,
        "--session",
        session,
    ];
    args.extend(extra);
    let output = gonio(&args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    output
}

fn json(args: &[&str]) -> serde_json::Value {
    let output = gonio(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&output)))
}

#[test]
fn two_sessions_are_compared_against_the_mdc() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    let db = path_str(&db);
    let before = slr_csv(dir.path(), "before.csv", 60.0, 1);
    let after = slr_csv(dir.path(), "after.csv", 72.0, 2);
    let small = slr_csv(dir.path(), "small.csv", 62.0, 3);
    // Dated: two sessions saved in the same second cannot be ordered by when they were saved.
    for (csv, session, date) in [
        (&before, "before", "2026-11-01"),
        (&after, "after block 1", "2026-11-20"),
    ] {
        let output = gonio(&[
            "analyze",
            path_str(csv),
            "--protocol",
            "slr",
            "--subject",
            "runner-7",
            "--session",
            session,
            "--date",
            date,
            "--db",
            db,
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let history = json(&["history", "--subject", "runner-7", "--db", db, "--json"]);
    let sessions = history["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[1]["label"], "after block 1");
    assert_eq!(
        sessions[0]["measurements"].as_array().unwrap().len(),
        2,
        "hip_flexion and leg_to_horizontal"
    );
    assert_eq!(
        sessions[0]["measurements"][0]["source_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );

    let comparison = json(&["compare", "--subject", "runner-7", "--db", db, "--json"]);
    let hip = &comparison["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["measure"] == "hip_flexion")
        .unwrap()
        .clone();
    let change = hip["change_deg"].as_f64().unwrap();
    assert!((change - 12.0).abs() < 2.5, "{hip}");
    assert_eq!(hip["mdc95_deg"].as_f64().unwrap(), 7.0);
    assert_eq!(hip["verdict"], "improved");
    assert_eq!(
        comparison["not_compared"],
        serde_json::json!([]),
        "{comparison}"
    );

    // A 2-degree change is within measurement error.
    gonio(&[
        "analyze",
        path_str(&small),
        "--protocol",
        "slr",
        "--subject",
        "runner-7",
        "--session",
        "retest",
        "--db",
        db,
    ]);
    let comparison = json(&[
        "compare",
        "--subject",
        "runner-7",
        "--before",
        "before",
        "--after",
        "retest",
        "--db",
        db,
        "--json",
    ]);
    assert_eq!(
        comparison["comparisons"][0]["verdict"],
        "no_detectable_change"
    );
    let table = stdout(&gonio(&[
        "compare",
        "--subject",
        "runner-7",
        "--before",
        "before",
        "--after",
        "retest",
        "--db",
        db,
    ]));
    assert!(
        table.contains("no detectable change") && table.contains("J Sport Rehabil 2015"),
        "{table}"
    );
    // Labels are read as they are saved: spaces around are not part of them, and one that
    // differs in letter case is named.
    let pick = |before: &str, after: &str| {
        gonio(&[
            "compare",
            "--subject",
            "runner-7",
            "--before",
            before,
            "--after",
            after,
            "--db",
            db,
        ])
    };
    assert_eq!(pick(" before ", "retest").status.code(), Some(0));
    let output = pick("Before", "retest");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no session `Before`, but has `before`"),
        "{}",
        stderr(&output)
    );
    let output = pick("retest", "retest");
    assert!(
        stderr(&output).contains("--before and --after are both session `retest`"),
        "{}",
        stderr(&output)
    );
    // The later session as "before": said beside the table, not hidden.
    let output = pick("retest", "before");
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("the change is from the later session to the earlier"),
        "{text}"
    );

    // Export, import elsewhere, forget.
    let export = gonio(&[
        "export",
        "--subject",
        "runner-7",
        "--format",
        "json",
        "--db",
        db,
    ]);
    let file = dir.path().join("runner-7.json");
    std::fs::write(&file, &export.stdout).unwrap();
    let other = dir.path().join("other.sqlite");
    let other = path_str(&other);
    assert_eq!(
        gonio(&["import", path_str(&file), "--db", other])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        json(&["history", "--subject", "runner-7", "--db", other, "--json"]),
        json(&["history", "--subject", "runner-7", "--db", db, "--json"])
    );
    // The same labels dated years away: other visits under the same labels, refused whole
    // (their trials were merged into these sessions). The next day, a batch's shards across
    // midnight, is one session (the store's own tests).
    let text = String::from_utf8(export.stdout.clone()).unwrap();
    let mut moved: serde_json::Value = serde_json::from_str(&text).unwrap();
    for session in moved["sessions"].as_array_mut().unwrap() {
        session["started_at"] = "2020-01-02T10:00:00Z".into();
    }
    let moved_file = dir.path().join("runner-7-moved.json");
    std::fs::write(&moved_file, moved.to_string()).unwrap();
    let output = gonio(&["import", path_str(&moved_file), "--db", other]);
    assert_eq!(output.status.code(), Some(2));
    let refused = stderr(&output);
    assert!(
        refused.contains("in the import: another visit under the same label; nothing imported"),
        "{refused}"
    );
    assert_eq!(
        json(&["history", "--subject", "runner-7", "--db", other, "--json"]),
        json(&["history", "--subject", "runner-7", "--db", db, "--json"])
    );
    let csv = stdout(&gonio(&[
        "export",
        "--subject",
        "runner-7",
        "--format",
        "csv",
        "--db",
        db,
    ]));
    assert!(
        csv.starts_with("subject,session,started_at,protocol,measure,side,value_deg"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 1 + 6);

    assert_eq!(
        gonio(&["forget", "--subject", "runner-7", "--db", db])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        json(&["subjects", "--db", db, "--json"]),
        serde_json::json!([])
    );
    let bytes = std::fs::read(path_str(&dir.path().join("gonio.sqlite"))).unwrap();
    assert!(
        !bytes.windows(9).any(|w| w == b"runner-7\0")
            && !bytes.windows(8).any(|w| w == b"runner-7"),
        "no trace left in the file"
    );
    let output = gonio(&["history", "--subject", "runner-7", "--db", db]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no subject `runner-7`"));
}

#[test]
fn a_kill_while_saving_loses_nothing_saved_before() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    let mut rng = XorShift::new(9);
    let mut completed = 0;
    // `gonio analyze` of a trial into `session`: a recording of its own (one recording is one
    // visit).
    let analyze = |session: &str, seed: u64| {
        let csv = slr_csv(dir.path(), &format!("{session}.csv"), 65.0, seed);
        let mut command = Command::new(env!("CARGO_BIN_EXE_gonio"));
        command.args([
            "analyze",
            path_str(&csv),
            "--protocol",
            "slr",
            "--side",
            "both",
            "--subject",
            "s",
            "--session",
            session,
            "--db",
            path_str(&db),
        ]);
        command
    };
    for i in 0..30 {
        let mut child = analyze(&format!("trial {i}"), i)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(
            (rng.uniform() * 20_000.0) as u64,
        ));
        let _ = child.kill();
        let status = child.wait().unwrap();
        completed += usize::from(status.success());
    }
    // A run after the kills completes and saves: the database is usable, and on a busy machine
    // every run above may have been killed before saving (the history then had no subject).
    let last = analyze("after the kills", 99).output().unwrap();
    assert!(last.status.success(), "{}", stderr(&last));
    completed += 1;
    // Every session in the file is whole: 2 measures x 2 sides, never fewer.
    let history = json(&["history", "--subject", "s", "--db", path_str(&db), "--json"]);
    let sessions = history["sessions"].as_array().unwrap();
    for session in sessions {
        assert_eq!(
            session["measurements"].as_array().unwrap().len(),
            4,
            "{}",
            session["label"]
        );
    }
    assert!(sessions.len() >= completed, "every completed run is saved");
    eprintln!(
        "{} of 30 runs completed, {} sessions saved",
        completed,
        sessions.len()
    );
    let check = rusqlite_integrity(&db);
    assert_eq!(check, "ok");
}

fn rusqlite_integrity(db: &std::path::Path) -> String {
    let connection = rusqlite::Connection::open(db).unwrap();
    connection
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Another program writing to the database (a long save, a backup) does not stop reading it:
/// opening it took a write lock to look for migrations, so while another connection held one,
/// `subjects` (and every page of the clinic app) waited 10 s and failed "database is locked".
#[test]
fn a_database_being_written_by_another_program_can_still_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    let csv = slr_csv(dir.path(), "trial.csv", 70.0, 1);
    save_slr(path_str(&db), &csv, "Ana", "before", &[]);
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let output = gonio(&["subjects", "--db", path_str(&db)]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("Ana"), "{}", stdout(&output));
    writer.execute_batch("ROLLBACK;").unwrap();
}

#[test]
fn a_foreign_database_is_refused_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.sqlite");
    std::fs::write(&notes, "my notes").unwrap();
    let output = gonio(&["subjects", "--db", path_str(&notes)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a gonio database"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes");
    let csv = slr_csv(dir.path(), "t.csv", 60.0, 1);
    let output = gonio(&[
        "analyze",
        path_str(&csv),
        "--protocol",
        "slr",
        "--subject",
        "x",
        "--db",
        path_str(&notes),
    ]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "refused before the analysis: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("nothing analysed")
            && stderr(&output).contains("not a gonio database"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my notes");
}

#[test]
fn the_report_is_one_self_contained_html_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    for (session, target, seed) in [("before", 60.0, 1), ("after", 72.0, 2)] {
        let csv = slr_csv(dir.path(), &format!("{session}.csv"), target, seed);
        gonio(&[
            "analyze",
            path_str(&csv),
            "--protocol",
            "slr",
            "--subject",
            "r",
            "--session",
            session,
            "--db",
            path_str(&db),
        ]);
    }
    let report = dir.path().join("report.html");
    let output = gonio(&[
        "report",
        "--subject",
        "r",
        "--db",
        path_str(&db),
        "--out",
        path_str(&report),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert_eq!(
        html.matches("data:image/png;base64,").count(),
        2,
        "a trend chart per measure"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "no external assets"
    );
    assert!(html.contains("improved"));

    // Written again, the report replaces itself; nothing else is ever replaced by one.
    let again = |out: &std::path::Path| {
        gonio(&[
            "report",
            "--subject",
            "r",
            "--db",
            path_str(&db),
            "--out",
            path_str(out),
        ])
    };
    assert_eq!(again(&report).status.code(), Some(0));
    let database = std::fs::read(&db).unwrap();
    let recording = dir.path().join("before.csv");
    let recorded = std::fs::read(&recording).unwrap();
    for (target, content) in [(&db, &database), (&recording, &recorded)] {
        let output = again(target);
        assert_ne!(output.status.code(), Some(0), "{target:?} replaced");
        assert!(
            stderr(&output).contains("exists and is not a gonio report; not replaced"),
            "{}",
            stderr(&output)
        );
        assert_eq!(&std::fs::read(target).unwrap(), content);
    }
}

#[test]
fn two_processes_can_save_at_the_same_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    let spawn = |i: usize| {
        // A recording of its own per session (one recording is one visit).
        let csv = slr_csv(dir.path(), &format!("trial{i}.csv"), 65.0, 5 + i as u64);
        Command::new(env!("CARGO_BIN_EXE_gonio"))
            .args([
                "analyze",
                path_str(&csv),
                "--protocol",
                "slr",
                "--subject",
                "s",
                "--session",
                &format!("writer {i}"),
                "--db",
                path_str(&db),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..6).map(spawn).collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let history = json(&["history", "--subject", "s", "--db", path_str(&db), "--json"]);
    assert_eq!(history["sessions"].as_array().unwrap().len(), 6);
}

/// An output folder emptied and used again for another patient: the first patient's export and
/// report never show the second's picture, and the per-frame CSV of a trial analysed again is
/// that trial, not a second one.
#[test]
fn a_result_shows_only_its_own_picture_and_its_csv_is_the_same_trial() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    let db = path_str(&db);
    let out = dir.path().join("out");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let analyze = |csv: &std::path::Path, subject: &str| {
        save_slr(db, csv, subject, "before", &["--out", path_str(&out)]);
    };
    let picture = |subject: &str| {
        json(&["export", "--db", db, "--subject", subject])["sessions"][0]["measurements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["value_deg"].is_number())
            .map(|m| m["picture"].clone())
            .unwrap()
    };
    analyze(&slr_csv(&a, "trial.csv", 60.0, 1), "anna");
    assert!(
        picture("anna").is_object(),
        "the plot stands for the result"
    );
    std::fs::remove_dir_all(&out).unwrap();
    analyze(&slr_csv(&b, "trial.csv", 80.0, 2), "bob");
    assert!(picture("bob").is_object());
    assert!(
        picture("anna").is_null(),
        "Bob's plot is not Anna's picture"
    );

    // Bob's per-frame CSV, analysed by name: the same recording, so the same trial.
    let trials = || {
        json(&["history", "--db", db, "--subject", "bob", "--json"])["sessions"][0]["measurements"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = trials();
    save_slr(db, &out.join("trial.csv"), "bob", "before", &[]);
    assert_eq!(trials(), before);
}

/// The usual visit: measure, stretch, measure, both dated by the day alone (given, or today's
/// by default). Which came first is unknown unless the labels say it, so the default comparison
/// withholds its verdicts (a batch that analysed "T1" first reversed them); naming before and
/// after judges them. Labels that say which came first order the sessions.
#[test]
fn sessions_of_one_day_are_judged_only_when_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    let db = path_str(&db);
    for (name, target, session) in [("after.csv", 75.0, "T1"), ("before.csv", 60.0, "T0")] {
        let csv = slr_csv(dir.path(), name, target, 4);
        save_slr(db, &csv, "P1", session, &["--date", "2026-11-20"]);
        // Today's day alone by default: analysed in the wrong order today, alike.
        save_slr(db, &csv, "P2", session, &[]);
    }
    for subject in ["P1", "P2"] {
        let default = json(&["compare", "--db", db, "--subject", subject, "--json"]);
        assert!(default["order_doubt"].is_string(), "{default}");
    }
    // Labels that say the order: judged in that order, whichever was analysed first.
    for (name, target, session) in [("after.csv", 75.0, "after"), ("before.csv", 60.0, "before")] {
        let csv = slr_csv(dir.path(), name, target, 4);
        save_slr(db, &csv, "P3", session, &[]);
    }
    let labelled = json(&["compare", "--db", db, "--subject", "P3", "--json"]);
    assert!(labelled["order_doubt"].is_null(), "{labelled}");
    assert!(
        labelled["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["verdict"] == "improved"),
        "{labelled}"
    );
    let table = gonio(&["compare", "--db", db, "--subject", "P1"]);
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(
        stdout(&table).contains("verdicts withheld"),
        "{}",
        stdout(&table)
    );
    let default = gonio(&["compare", "--db", db, "--subject", "P1", "--json"]);
    assert!(default.status.success(), "{}", stderr(&default));
    let default: serde_json::Value = serde_json::from_slice(&default.stdout).unwrap();
    assert!(default["order_doubt"].is_string(), "{default}");
    let verdicts: Vec<&str> = default["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap())
        .collect();
    assert!(!verdicts.is_empty());
    assert!(
        verdicts.iter().all(|&v| v == "order_unknown"),
        "{verdicts:?}"
    );

    let named = json(&[
        "compare",
        "--db",
        db,
        "--subject",
        "P1",
        "--before",
        "T0",
        "--after",
        "T1",
        "--json",
    ]);
    assert!(named["order_doubt"].is_null());
    let left = named["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["side"] == "left")
        .unwrap();
    assert!(left["change_deg"].as_f64().unwrap() > 10.0, "{left}");
    assert_eq!(left["verdict"], "improved", "{left}");

    // The settings are kept with each result, and a change of them is not progress.
    let history = json(&["history", "--db", db, "--subject", "P1", "--json"]);
    let settings = &history["sessions"][0]["measurements"][0]["settings"];
    assert_eq!(settings["hold_s"], 1.0, "{history}");
    let csv = slr_csv(dir.path(), "later.csv", 75.0, 6);
    save_slr(db, &csv, "P1", "later", &["--hold-s", "0.5"]);
    let later = json(&[
        "compare",
        "--db",
        db,
        "--subject",
        "P1",
        "--before",
        "T0",
        "--after",
        "later",
        "--json",
    ]);
    assert!(
        later["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["verdict"] == "other_settings"),
        "{later}"
    );
}

/// A recording analysed again writes new files beside the first run's (never over them): the
/// subject's `forget` deletes both runs' files.
#[test]
fn forget_deletes_the_files_of_every_run_of_a_trial() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    let db = path_str(&db);
    let out = dir.path().join("out");
    let csv = slr_csv(dir.path(), "a.csv", 60.0, 5);
    // With outputs, again without (the result then names no picture), and with them again.
    for with_out in [true, false, true] {
        let out: &[&str] = if with_out {
            &["--out", path_str(&out)]
        } else {
            &[]
        };
        save_slr(db, &csv, "P1", "before", out);
    }
    let written = std::fs::read_dir(&out).unwrap().count();
    assert!(written >= 6, "two runs' files: {written}");
    let output = gonio(&["forget", "--db", db, "--subject", "P1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A per-frame CSV analysed for another subject is theirs too: forgetting the first leaves it
/// (and says so); files moved away since are named, not passed over.
#[test]
fn forget_leaves_what_another_subject_was_measured_from_and_names_what_moved() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("gonio.sqlite");
    let db = path_str(&db);
    let out = dir.path().join("out");
    let csv = slr_csv(dir.path(), "trial.csv", 60.0, 7);
    let analyze = |input: &std::path::Path, subject: &str, out: Option<&std::path::Path>| {
        let out: Vec<&str> = out.map_or(vec![], |out| vec!["--out", path_str(out)]);
        save_slr(db, input, subject, "before", &out);
    };
    analyze(&csv, "alice", Some(&out));
    let frames = out.join("trial.csv");
    analyze(&frames, "bob", None);
    let output = gonio(&["forget", "--db", db, "--subject", "alice"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        frames.exists(),
        "bob was measured from it: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("another subject's result names it or was measured from"),
        "{}",
        stderr(&output)
    );

    let moved = dir.path().join("moved");
    std::fs::create_dir(dir.path().join("carol")).unwrap();
    let other = slr_csv(&dir.path().join("carol"), "trial.csv", 65.0, 8);
    analyze(&other, "carol", Some(&dir.path().join("c")));
    std::fs::rename(dir.path().join("c"), &moved).unwrap();
    let output = gonio(&["forget", "--db", db, "--subject", "carol"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not found") && stderr(&output).contains("moved or deleted"),
        "{}",
        stderr(&output)
    );
}

/// A mistyped `--db` made a new, empty database (and its folders) and said only "saved": the
/// patient's session was filed where nobody would look. The first save into a new database says
/// so, naming it; the next ones do not.
#[test]
fn a_save_into_a_new_database_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let csv = slr_csv(dir.path(), "raise.csv", 60.0, 7);
    let db = dir.path().join("typo").join("clinic.sqlite");
    let note = format!("there was no database at {}", db.display());
    let first = save_slr(path_str(&db), &csv, "p1", "before", &[]);
    assert!(stderr(&first).contains(&note), "{}", stderr(&first));
    let second = save_slr(path_str(&db), &csv, "p1", "before", &[]);
    assert!(
        !stderr(&second).contains("no database"),
        "{}",
        stderr(&second)
    );
}

/// Saved without `--date`, results join a session of the label dated the day before (a batch
/// run across midnight): said, since a label used again for the next visit joined it silently
/// (and `compare` then found one session).
#[test]
fn results_added_to_a_session_of_the_day_before_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    let yesterday = gonio::store::day_utc(-1);
    let save = |name: &str, seed: u64, session: &str, date: Option<&str>| {
        let csv = slr_csv(dir.path(), name, 60.0, seed);
        let mut args = vec![
            "analyze",
            path_str(&csv),
            "--protocol",
            "slr",
            "--db",
            path_str(&db),
            "--subject",
            "p1",
            "--session",
            session,
        ];
        if let Some(date) = date {
            args.extend(["--date", date]);
        }
        // Today and yesterday on one calendar (the test's, UTC).
        let output = gonio_with_env(&args, &[("TZ", "UTC")]);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stderr(&output)
    };
    let note = format!("session \"before\" is dated {yesterday}, not today");
    assert!(!save("a.csv", 11, "before", Some(&yesterday)).contains("not today"));
    let joined = save("b.csv", 12, "before", None);
    assert!(joined.contains(&note), "{joined}");
    assert!(!save("c.csv", 13, "after", None).contains("not today"));
    // Dated by a time (yesterday at 10:00 on the test's calendar, UTC): said too.
    let at = format!("{yesterday}T10:00");
    assert!(!save("d.csv", 14, "visit 2", Some(&at)).contains("not today"));
    let joined = save("e.csv", 15, "visit 2", None);
    assert!(
        joined.contains(&format!("is dated {yesterday} 10:00 UTC, not today")),
        "{joined}"
    );
}
