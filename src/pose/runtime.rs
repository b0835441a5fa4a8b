//! Finding and loading the ONNX Runtime shared library (`ort` with `load-dynamic`).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use super::PoseError;

/// The ONNX Runtime version the build fetches and `ort` is built against (API 31).
pub const ORT_VERSION: &str = "1.31.1";

/// The process's one ONNX Runtime environment (the runtime allows one per process).
static LOADED: OnceLock<Runtime> = OnceLock::new();
static LOADING: Mutex<()> = Mutex::new(());

/// A loaded ONNX Runtime; create sessions from it. There is one per process: loading again
/// returns the same one.
pub struct Runtime {
    pub(crate) environment: ort::environment::Environment,
    library: PathBuf,
}

impl Runtime {
    /// Loads the ONNX Runtime library, searching in order:
    /// 1. `ORT_DYLIB_PATH`, when set (nothing else is tried then);
    /// 2. the library the build fetched from PyPI (its path is compiled in);
    /// 3. a copy beside the running executable.
    ///
    /// A missing library, a file that is not one, or an older version gives an error, never a
    /// panic. Once a runtime is loaded, this returns it.
    pub fn load() -> Result<&'static Runtime, PoseError> {
        if let Some(runtime) = LOADED.get() {
            return Ok(runtime);
        }
        let candidates = library_candidates();
        let library = match std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
            Some(path) => PathBuf::from(path),
            None => candidates
                .iter()
                .find(|p| p.is_file())
                .cloned()
                .ok_or_else(|| PoseError::RuntimeNotFound {
                    searched: candidates
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    version: ORT_VERSION,
                })?,
        };
        Self::load_from(&library)
    }

    /// Loads the ONNX Runtime library at `library`, or returns the runtime already loaded in this
    /// process (whatever its file).
    pub fn load_from(library: &Path) -> Result<&'static Runtime, PoseError> {
        // A poisoned lock only means another thread panicked while loading; loading is retried.
        let _guard = LOADING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(runtime) = LOADED.get() {
            return Ok(runtime);
        }
        if !library.is_file() {
            return Err(PoseError::RuntimeLoad(
                format!("{}: file not found", library.display()),
                ORT_VERSION,
            ));
        }
        let environment = ort::init_from(library)
            .map_err(|e| PoseError::RuntimeLoad(e.to_string(), ORT_VERSION))?
            .with_name("gonio")
            .build()
            .map_err(|e| PoseError::RuntimeLoad(e.to_string(), ORT_VERSION))?;
        Ok(LOADED.get_or_init(|| Runtime {
            environment,
            library: library.to_path_buf(),
        }))
    }

    /// The library file that was loaded.
    pub fn library(&self) -> &Path {
        &self.library
    }
}

fn library_candidates() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(built) = option_env!("GONIO_ORT_DYLIB") {
        candidates.push(PathBuf::from(built));
    }
    let file_name = option_env!("GONIO_ORT_DYLIB")
        .and_then(|p| Path::new(p).file_name())
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| {
            format!(
                "{}onnxruntime{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )
            .into()
        });
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        candidates.push(dir.join(&file_name));
        // Test and bench binaries live one level down, in target/<profile>/deps.
        if let Some(parent) = dir.parent() {
            candidates.push(parent.join(&file_name));
        }
    }
    candidates
}
