//! The release archive (`scripts/package.sh`): unpacked into an empty folder, it runs from
//! another working directory with its own runtime and models, the build tree's out of reach of
//! its search.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Runs the unpacked `gonio` from `cwd` with no override and an empty home, so the data folder
/// and the environment variables cannot point it anywhere.
fn unpacked(gonio: &Path, cwd: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(gonio)
        .args(args)
        .current_dir(cwd)
        .env_remove("GONIO_MODEL_DIR")
        .env_remove("ORT_DYLIB_PATH")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .expect("the unpacked gonio runs")
}

#[test]
fn the_archive_runs_anywhere_with_its_own_files() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    let package = Command::new(root().join("scripts/package.sh"))
        .args(["--binary", env!("CARGO_BIN_EXE_gonio"), "--out"])
        .arg(&dist)
        .output()
        .expect("scripts/package.sh runs");
    assert!(package.status.success(), "{}", stderr(&package));
    let archive = stdout(&package).trim().to_string();
    assert!(archive.ends_with("-linux-x86_64.tar.gz"), "{archive}");
    let digest = std::fs::read_to_string(format!("{archive}.sha256")).unwrap();
    assert!(digest.contains(Path::new(&archive).file_name().unwrap().to_str().unwrap()));

    let install = dir.path().join("opt");
    std::fs::create_dir(&install).unwrap();
    let untar = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&install)
        .status()
        .unwrap();
    assert!(untar.success());
    let top = std::fs::read_dir(&install)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    for file in [
        "gonio",
        "README.txt",
        "lib/libonnxruntime.so.1.31.1",
        "models/movenet_singlepose_thunder.onnx",
        "models/movenet_singlepose_lightning.onnx",
        "models/movenet_multipose_lightning.onnx",
        "licenses/gonio-LICENSE",
        "licenses/onnxruntime/LICENSE",
        "licenses/onnxruntime/ThirdPartyNotices.txt",
        "licenses/models-README.md",
        "licenses/rust-crates/README.md",
        "sample/pose2sim-cam01.mp4",
    ] {
        assert!(top.join(file).is_file(), "{file} missing from the archive");
    }
    let crates = std::fs::read_to_string(top.join("licenses/rust-crates/README.md")).unwrap();
    for name in ["| ort |", "| image |", "| rusqlite |", "| clap |"] {
        assert!(crates.contains(name), "{name} not in the crate licences");
    }

    // Another working directory, an empty home: nothing but the archive to find.
    let elsewhere = dir.path().join("elsewhere");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let gonio = top.join("gonio");
    let version = unpacked(&gonio, &elsewhere, &home, &["--version"]);
    assert!(version.status.success(), "{}", stdout(&version));
    let text = stdout(&version);
    let top_text = top.canonicalize().unwrap().display().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    for line in &lines[1..] {
        // Each file it would open is the archive's own, not the build tree's.
        assert!(line.contains(&top_text), "not the archive's file: {line}");
        assert!(!line.contains(path_str(&root())), "{line}");
    }

    let pose = unpacked(
        &gonio,
        &elsewhere,
        &home,
        &["pose", path_str(&sample("pose2sim-frame020.jpg")), "--json"],
    );
    assert!(pose.status.success(), "{}", stderr(&pose));
    let poses: serde_json::Value = serde_json::from_slice(&pose.stdout).unwrap();
    let people = poses[0]["people"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{poses}");
    assert!(people[0]["score"].as_f64().unwrap() > 0.5, "{poses}");

    let analyze = unpacked(
        &gonio,
        &elsewhere,
        &home,
        &[
            "analyze",
            path_str(&top.join("sample/pose2sim-cam01.mp4")),
            "--protocol",
            "hip-extension",
            "--json",
            "--out",
            "out",
        ],
    );
    assert!(analyze.status.success(), "{}", stderr(&analyze));
    let json: serde_json::Value = serde_json::from_slice(&analyze.stdout).unwrap();
    assert_eq!(json["results"].as_array().unwrap().len(), 1);
    assert!(elsewhere.join("out/pose2sim-cam01.json").is_file());

    // Through a link on the PATH, it still finds its files beside the real binary.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(&gonio, bin.join("gonio")).unwrap();
    let linked = unpacked(&bin.join("gonio"), &elsewhere, &home, &["--version"]);
    assert!(linked.status.success(), "{}", stdout(&linked));
    assert!(stdout(&linked).contains(&top_text));
}

/// What `cargo install --path .` gives: the binary of this build tree, run from `/`, finds the
/// tree's models and the runtime its build fetched.
#[test]
fn the_built_binary_runs_from_the_root_folder() {
    let home = tempfile::tempdir().unwrap();
    let gonio = Path::new(env!("CARGO_BIN_EXE_gonio"));
    let version = unpacked(gonio, Path::new("/"), home.path(), &["--version"]);
    assert!(version.status.success(), "{}", stdout(&version));
    let analyze = unpacked(
        gonio,
        Path::new("/"),
        home.path(),
        &[
            "pose",
            path_str(&sample("pose2sim-frame060.jpg")),
            "--model",
            "lightning",
        ],
    );
    assert!(analyze.status.success(), "{}", stderr(&analyze));
}
