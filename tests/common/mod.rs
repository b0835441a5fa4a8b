//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The development data beside the project (`../shared/data/dev`), or None with a message saying
/// why the calling test is skipped.
pub fn dev_data(test: &str) -> Option<PathBuf> {
    let dir = root().join("../shared/data/dev");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {test}: development data not found at {}",
            dir.display()
        );
        None
    }
}

/// Runs the `gonio` binary with `args`.
pub fn gonio(args: &[&str]) -> Output {
    gonio_with_env(args, &[])
}

/// Runs the `gonio` binary with `args` and extra environment variables.
pub fn gonio_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gonio"));
    command.args(args).current_dir(root());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the gonio binary runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A sample image shipped in `datasets/`.
pub fn sample(name: &str) -> PathBuf {
    root().join("datasets/sample").join(name)
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}
