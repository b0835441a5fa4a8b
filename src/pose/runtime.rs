//! Finding and loading the ONNX Runtime shared library (`ort` with `load-dynamic`), and the
//! device inference runs on.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use ort::ep::ExecutionProvider;

use super::install::{env_path, runtime_search_path, RUNTIME_VAR};
use super::PoseError;

/// The ONNX Runtime version the build fetches and `ort` is built against (API 31).
pub const ORT_VERSION: &str = "1.31.1";

/// The process's one ONNX Runtime environment (the runtime allows one per process).
static LOADED: OnceLock<Runtime> = OnceLock::new();
static LOADING: Mutex<()> = Mutex::new(());

/// Where inference is asked to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// An NVIDIA GPU when this ONNX Runtime and machine can use one, else the CPU (with a note).
    Auto,
    /// The CPU (default).
    #[default]
    Cpu,
    /// An NVIDIA GPU through ONNX Runtime's CUDA execution provider; an error when there is none.
    Cuda,
}

impl Device {
    pub const ALL: [Device; 3] = [Device::Auto, Device::Cpu, Device::Cuda];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Device::Auto => "auto",
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Device {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Device::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown device `{s}` (expected auto, cpu or cuda)"))
    }
}

/// Where inference runs once a [`Device`] request is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Cpu,
    Cuda,
}

impl Provider {
    /// `cpu` or `cuda`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Cpu => "cpu",
            Provider::Cuda => "cuda",
        }
    }
}

/// A loaded ONNX Runtime; create sessions from it. There is one per process: loading again
/// returns the same one.
pub struct Runtime {
    pub(crate) environment: ort::environment::Environment,
    library: PathBuf,
    provider: Provider,
    /// What was asked for at load.
    asked: Device,
    /// Why an `auto` request runs on the CPU, when it does.
    note: OnceLock<String>,
}

impl Runtime {
    /// Loads the ONNX Runtime library for the CPU, or returns the runtime already loaded in this
    /// process (whatever its device). See [`Runtime::load_on`].
    pub fn load() -> Result<&'static Runtime, PoseError> {
        match LOADED.get() {
            Some(runtime) => Ok(runtime),
            None => Self::load_on(Device::Cpu),
        }
    }

    /// Loads the ONNX Runtime library for `device`: the file `ORT_DYLIB_PATH` names when it is
    /// set, else the first found on the search path (see [`super::install`]).
    ///
    /// A missing library, a file that is not one, or an older version gives an error, never a
    /// panic; so does `cuda` when this runtime has no CUDA execution provider. Once a runtime is
    /// loaded it is the process's: asking again for another device than it runs on (other than
    /// `auto`) is an error.
    pub fn load_on(device: Device) -> Result<&'static Runtime, PoseError> {
        if let Some(runtime) = LOADED.get() {
            return runtime.check_device(device);
        }
        Self::load_from_on(&library_to_load()?, device)
    }

    /// Loads the ONNX Runtime library at `library` for the CPU, or returns the runtime already
    /// loaded in this process (whatever its file).
    pub fn load_from(library: &Path) -> Result<&'static Runtime, PoseError> {
        Self::load_from_on(library, Device::Cpu)
    }

    fn load_from_on(library: &Path, device: Device) -> Result<&'static Runtime, PoseError> {
        // A poisoned lock only means another thread panicked while loading; loading is retried.
        let _guard = LOADING
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(runtime) = LOADED.get() {
            return runtime.check_device(device);
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
        let cuda_built_in = ort::ep::CUDA::is_available().unwrap_or(false);
        let note = OnceLock::new();
        let provider = match device {
            Device::Cpu => Provider::Cpu,
            Device::Cuda | Device::Auto if cuda_built_in => Provider::Cuda,
            Device::Cuda => {
                return Err(PoseError::NoCuda {
                    library: library.to_path_buf(),
                })
            }
            Device::Auto => {
                let _ = note.set(format!(
                    "no GPU: {} has no CUDA execution provider; running on the CPU",
                    library.display()
                ));
                Provider::Cpu
            }
        };
        Ok(LOADED.get_or_init(|| Runtime {
            environment,
            library: library.to_path_buf(),
            provider,
            asked: device,
            note,
        }))
    }

    /// This runtime, when it can serve `device`.
    fn check_device(&'static self, device: Device) -> Result<&'static Runtime, PoseError> {
        match (device, self.provider) {
            (Device::Auto, _) | (Device::Cpu, Provider::Cpu) | (Device::Cuda, Provider::Cuda) => {
                Ok(self)
            }
            _ => Err(PoseError::DeviceConflict {
                asked: device.name(),
                running: self.provider.name(),
            }),
        }
    }

    /// Where sessions of this runtime run.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Why an `auto` request runs on the CPU, when it does: for the user to read.
    pub fn note(&self) -> Option<&str> {
        self.note.get().map(String::as_str)
    }

    /// Whether the CPU may stand in when the GPU fails.
    pub(crate) fn asked_for_auto(&self) -> bool {
        self.asked == Device::Auto
    }

    /// Records that a GPU session could not be made and the CPU is used instead.
    pub(crate) fn fell_back(&self, why: &str) {
        let _ = self.note.set(format!(
            "the GPU could not be used ({why}); running on the CPU"
        ));
    }

    /// The library file that was loaded.
    pub fn library(&self) -> &Path {
        &self.library
    }
}

/// The library the build fetched from PyPI (its path is compiled in), when it did.
fn built_library() -> Option<PathBuf> {
    option_env!("GONIO_ORT_DYLIB").map(PathBuf::from)
}

/// The library's file name: the one the build fetched, else the platform's usual name.
fn library_file_name() -> String {
    built_library()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| {
            format!(
                "{}onnxruntime{}",
                std::env::consts::DLL_PREFIX,
                std::env::consts::DLL_SUFFIX
            )
        })
}

/// The library this process loaded, or else the one it would load, without loading it (for
/// `gonio --version`).
pub fn runtime_library_path() -> Result<PathBuf, PoseError> {
    match LOADED.get() {
        Some(runtime) => Ok(runtime.library.clone()),
        None => library_to_load(),
    }
}

/// The file `ORT_DYLIB_PATH` names, else the first library found on the search path.
fn library_to_load() -> Result<PathBuf, PoseError> {
    if let Some(path) = env_path(RUNTIME_VAR) {
        if !path.is_file() {
            return Err(PoseError::RuntimeLoad(
                format!("{}: no such file (from {RUNTIME_VAR})", path.display()),
                ORT_VERSION,
            ));
        }
        return Ok(path);
    }
    let search = runtime_search_path(built_library().as_deref().and_then(Path::parent));
    search
        .find(&library_file_name())
        .ok_or_else(|| PoseError::RuntimeNotFound {
            searched: search.describe(),
            version: ORT_VERSION,
        })
}
