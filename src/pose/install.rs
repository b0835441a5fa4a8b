//! Where gonio finds its files (the pose models and the ONNX Runtime library), so that a binary
//! unpacked from the release archive, copied out of the build tree or installed with
//! `cargo install` runs from any folder.
//!
//! Each file is looked for in order, the first found wins:
//! 1. where an environment variable says (`GONIO_MODEL_DIR` for the models, `ORT_DYLIB_PATH`
//!    for the library); when it is set, nowhere else;
//! 2. beside the executable: `<bin>/models/` and `<bin>/lib/` (the release archive),
//!    `<bin>/` itself, and for an installed layout `<prefix>/bin/gonio` the folders
//!    `<prefix>/share/gonio/models/` and `<prefix>/lib/gonio/`;
//! 3. the data folder: `<data>/gonio/models/` and `<data>/gonio/lib/` (`<data>` is
//!    `$XDG_DATA_HOME` or `~/.local/share` on Linux);
//! 4. the source tree the binary was built from: its `models/` and the library the build fetched.
//!
//! A binary inside that source tree (`cargo run`, the tests) takes the tree's own files first:
//! what the data folder holds belongs to an installed gonio, not to this build.

use std::path::{Path, PathBuf};

/// Environment variable naming the folder that holds the model files.
pub const MODEL_DIR_VAR: &str = "GONIO_MODEL_DIR";
/// Environment variable naming the ONNX Runtime library file.
pub const RUNTIME_VAR: &str = "ORT_DYLIB_PATH";

/// Where a kind of file is looked for, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPath {
    /// Folders in the order they are tried.
    pub dirs: Vec<PathBuf>,
    /// The environment variable that chose the one folder, when it did.
    pub from_env: Option<&'static str>,
}

impl SearchPath {
    /// The first `file_name` found in the folders, or `None`.
    pub fn find(&self, file_name: &str) -> Option<PathBuf> {
        self.dirs
            .iter()
            .map(|dir| dir.join(file_name))
            .find(|path| path.is_file())
    }

    /// The folders as one line, for messages.
    pub fn describe(&self) -> String {
        let dirs = self
            .dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        match self.from_env {
            Some(var) => format!("{dirs} (from {var})"),
            None => dirs,
        }
    }
}

/// Where the model files are looked for (see the module's documentation).
pub fn model_search_path() -> SearchPath {
    if let Some(dir) = env_path(MODEL_DIR_VAR) {
        return SearchPath {
            dirs: vec![dir],
            from_env: Some(MODEL_DIR_VAR),
        };
    }
    let build_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let mut dirs = Vec::new();
    let bin = executable_dir();
    if in_build_tree(bin.as_deref()) {
        dirs.push(build_tree.clone());
    }
    if let Some(bin) = &bin {
        dirs.push(bin.join("models"));
        if let Some(prefix) = bin.parent() {
            dirs.push(prefix.join("share").join("gonio").join("models"));
        }
    }
    if let Some(data) = data_dir() {
        dirs.push(data.join("models"));
    }
    dirs.push(build_tree);
    SearchPath {
        dirs: dedup(dirs),
        from_env: None,
    }
}

/// Where the ONNX Runtime library is looked for when [`RUNTIME_VAR`] is not set (see the
/// module's documentation); `built` is the folder of the library the build fetched, if any.
pub fn runtime_search_path(built: Option<&Path>) -> SearchPath {
    let mut dirs = Vec::new();
    let bin = executable_dir();
    if in_build_tree(bin.as_deref()) {
        dirs.extend(built.map(Path::to_path_buf));
    }
    if let Some(bin) = &bin {
        dirs.push(bin.join("lib"));
        dirs.push(bin.clone());
        if let Some(prefix) = bin.parent() {
            dirs.push(prefix.join("lib").join("gonio"));
        }
    }
    if let Some(data) = data_dir() {
        dirs.push(data.join("lib"));
    }
    if let Some(built) = built {
        dirs.push(built.to_path_buf());
    }
    SearchPath {
        dirs: dedup(dirs),
        from_env: None,
    }
}

/// The path an environment variable names, when it is set and not empty.
pub fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// gonio's own data folder (`~/.local/share/gonio` on Linux), when the platform has one.
pub fn data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("gonio"))
}

/// The folder of the running executable, links resolved.
fn executable_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let exe = exe.canonicalize().unwrap_or(exe);
    exe.parent().map(Path::to_path_buf)
}

/// Whether `bin` (the executable's folder) lies inside the source tree this was built from.
fn in_build_tree(bin: Option<&Path>) -> bool {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tree = tree.canonicalize().unwrap_or_else(|_| tree.to_path_buf());
    bin.is_some_and(|bin| bin.starts_with(&tree))
}

/// `dirs` with repeats removed, first occurrence kept.
fn dedup(dirs: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        if !out.contains(&dir) {
            out.push(dir);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_folder_holding_the_file_wins() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        std::fs::write(second.path().join("m.onnx"), b"x").unwrap();
        let search = SearchPath {
            dirs: vec![first.path().to_path_buf(), second.path().to_path_buf()],
            from_env: None,
        };
        assert_eq!(search.find("m.onnx"), Some(second.path().join("m.onnx")));
        std::fs::write(first.path().join("m.onnx"), b"x").unwrap();
        assert_eq!(search.find("m.onnx"), Some(first.path().join("m.onnx")));
        assert_eq!(search.find("other.onnx"), None);
    }

    #[test]
    fn a_binary_in_its_build_tree_takes_the_tree_first() {
        // This test binary lives in target/<profile>/deps of the tree.
        assert!(in_build_tree(executable_dir().as_deref()));
        let models = model_search_path();
        if models.from_env.is_none() {
            let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
            assert_eq!(models.dirs[0], tree);
            let bin = executable_dir().unwrap();
            assert_eq!(models.dirs[1], bin.join("models"));
        }
        let runtime = runtime_search_path(Some(Path::new("/built")));
        assert_eq!(runtime.dirs[0], Path::new("/built"));
        assert_eq!(runtime.dirs[1], executable_dir().unwrap().join("lib"));
        // Never the folder above the binary's (a world-writable /tmp for a copied binary).
        let parent = executable_dir().unwrap().parent().unwrap().to_path_buf();
        assert!(!runtime.dirs.contains(&parent));
        assert!(!in_build_tree(Some(Path::new("/usr/local/bin"))));
    }
}
