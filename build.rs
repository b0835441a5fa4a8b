//! Fetches the ONNX Runtime shared library that `ort` (feature `load-dynamic`) loads at run time.
//!
//! The library comes from the PyPI wheel `onnxruntime` (the only registry that ships it), fetched
//! with `pip download` and unpacked with Python's `zipfile`, both from the `python3` that the
//! README lists as a requirement. The wheel for Linux x86_64 is pinned by sha256.
//!
//! Nothing here fails the build: when the download is impossible (offline, no pip) the build goes
//! on with a warning, and `gonio` reports at run time that it cannot find the library and that
//! `ORT_DYLIB_PATH` can point at one.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const ORT_VERSION: &str = "1.31.1";
/// sha256 of onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl.
const WHEEL_SHA256_LINUX_X86_64: &str =
    "5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ORT_DYLIB_PATH");
    println!("cargo:rerun-if-env-changed=GONIO_SKIP_ORT_DOWNLOAD");

    if env::var_os("GONIO_SKIP_ORT_DOWNLOAD").is_some() {
        return;
    }
    let Some(out_dir) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    match fetch_runtime(&out_dir) {
        Ok(lib) => {
            println!("cargo:rustc-env=GONIO_ORT_DYLIB={}", lib.display());
            copy_next_to_binaries(&out_dir, &lib);
        }
        Err(why) => println!(
            "cargo:warning=could not fetch ONNX Runtime {ORT_VERSION} from PyPI ({why}); \
             set ORT_DYLIB_PATH to a libonnxruntime {ORT_VERSION} at run time"
        ),
    }
}

/// Wheel platform tag, name of the library inside the wheel, and the pinned wheel hash if known.
fn wheel_for_target() -> Result<(&'static str, &'static str, Option<&'static str>), String> {
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    match (os.as_str(), arch.as_str()) {
        ("linux", "x86_64") => Ok((
            "manylinux_2_28_x86_64",
            "libonnxruntime.so.1.31.1",
            Some(WHEEL_SHA256_LINUX_X86_64),
        )),
        ("linux", "aarch64") => Ok(("manylinux_2_28_aarch64", "libonnxruntime.so.1.31.1", None)),
        ("macos", "aarch64") => Ok(("macosx_14_0_arm64", "libonnxruntime.1.31.1.dylib", None)),
        ("windows", "x86_64") => Ok(("win_amd64", "onnxruntime.dll", None)),
        _ => Err(format!("no onnxruntime wheel known for {os}/{arch}")),
    }
}

fn fetch_runtime(out_dir: &Path) -> Result<PathBuf, String> {
    let (platform, lib_name, sha256) = wheel_for_target()?;
    let lib = out_dir.join("onnxruntime").join(lib_name);
    if lib.is_file() {
        return Ok(lib);
    }
    let python = env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let wheel_dir = out_dir.join("onnxruntime-wheel");
    std::fs::create_dir_all(&wheel_dir).map_err(|e| e.to_string())?;

    let requirement = match sha256 {
        Some(hash) => format!("onnxruntime=={ORT_VERSION} --hash=sha256:{hash}\n"),
        None => format!("onnxruntime=={ORT_VERSION}\n"),
    };
    let requirements = wheel_dir.join("requirements.txt");
    std::fs::write(&requirements, requirement).map_err(|e| e.to_string())?;

    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-deps",
        "--only-binary=:all:",
    ])
    .args(["--platform", platform, "--python-version", "3.11"])
    .arg("--dest")
    .arg(&wheel_dir)
    .arg("-r")
    .arg(&requirements);
    if sha256.is_some() {
        pip.arg("--require-hashes");
    }
    let status = pip
        .status()
        .map_err(|e| format!("cannot run `{python} -m pip`: {e}"))?;
    if !status.success() {
        return Err(format!("`{python} -m pip download` failed ({status})"));
    }

    // Unpack only the runtime library; the wheel's Python bindings are not needed.
    let script = format!(
        "import glob, sys, zipfile\n\
         wheel = sorted(glob.glob(sys.argv[1] + '/onnxruntime-*.whl'))[-1]\n\
         with zipfile.ZipFile(wheel) as z:\n\
         \x20   data = z.read('onnxruntime/capi/{lib_name}')\n\
         open(sys.argv[2], 'wb').write(data)\n"
    );
    std::fs::create_dir_all(out_dir.join("onnxruntime")).map_err(|e| e.to_string())?;
    let partial = lib.with_extension("partial");
    let status = Command::new(&python)
        .args(["-c", &script])
        .arg(&wheel_dir)
        .arg(&partial)
        .status()
        .map_err(|e| format!("cannot run `{python}`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "unpacking {lib_name} from the wheel failed ({status})"
        ));
    }
    std::fs::rename(&partial, &lib).map_err(|e| e.to_string())?;
    Ok(lib)
}

/// Copies the library beside the binaries (target/<profile>/) so that a binary copied out of the
/// target folder together with it still finds the runtime.
fn copy_next_to_binaries(out_dir: &Path, lib: &Path) {
    // OUT_DIR is target/<profile>/build/gonio-<hash>/out.
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    if let Some(name) = lib.file_name() {
        let dest = profile_dir.join(name);
        if !dest.exists() {
            let _ = std::fs::copy(lib, dest);
        }
    }
}
