//! Fetches the ONNX Runtime shared library that `ort` (feature `load-dynamic`) loads at run time.
//!
//! The library comes from the PyPI wheel `onnxruntime` (the only registry that ships it), fetched
//! with `pip download` and unpacked with Python's `zipfile`, both from the `python3` that the
//! README lists as a requirement. The wheel for Linux x86_64 is pinned by sha256. With the
//! feature `cuda` it is the GPU build instead (`onnxruntime-gpu`, same version, Linux x86_64),
//! with the CUDA execution provider's libraries unpacked beside the runtime.
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
/// sha256 of onnxruntime_gpu-1.31.1-cp311-cp311-manylinux_2_28_x86_64.whl (feature `cuda`).
const GPU_WHEEL_SHA256_LINUX_X86_64: &str =
    "e26c475fe361b2015f45b4b824bd13f0bb20204e59b62814e6f0acd5f3d491a6";
/// The CUDA execution provider's libraries, loaded by ONNX Runtime from its own folder.
const GPU_PROVIDER_LIBRARIES: [&str; 2] = [
    "libonnxruntime_providers_shared.so",
    "libonnxruntime_providers_cuda.so",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=ORT_DYLIB_PATH");
    println!("cargo:rerun-if-env-changed=GONIO_SKIP_ORT_DOWNLOAD");
    println!("cargo:rerun-if-env-changed=CARGO_FEATURE_CUDA");

    if env::var_os("GONIO_SKIP_ORT_DOWNLOAD").is_some() {
        return;
    }
    let Some(out_dir) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    let gpu = env::var_os("CARGO_FEATURE_CUDA").is_some();
    match fetch_runtime(&out_dir, gpu) {
        // The CUDA provider libraries stay beside the library: ONNX Runtime loads them from
        // its own folder.
        Ok(files) => println!("cargo:rustc-env=GONIO_ORT_DYLIB={}", files[0].display()),
        Err(why) => println!(
            "cargo:warning=could not fetch ONNX Runtime {ORT_VERSION} from PyPI ({why}); \
             set ORT_DYLIB_PATH to a libonnxruntime {ORT_VERSION} at run time"
        ),
    }
}

/// Wheel platform tag, name of the library inside the wheel, and the pinned wheel hash if known.
fn wheel_for_target(
    gpu: bool,
) -> Result<(&'static str, &'static str, Option<&'static str>), String> {
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    match (os.as_str(), arch.as_str()) {
        ("linux", "x86_64") if gpu => Ok((
            "manylinux_2_28_x86_64",
            "libonnxruntime.so.1.31.1",
            Some(GPU_WHEEL_SHA256_LINUX_X86_64),
        )),
        _ if gpu => Err(format!(
            "the GPU build (feature cuda) is made for linux/x86_64 only, not {os}/{arch}"
        )),
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

/// Fetches the runtime library (and with `gpu` the CUDA provider libraries beside it); returns
/// the library first.
fn fetch_runtime(out_dir: &Path, gpu: bool) -> Result<Vec<PathBuf>, String> {
    let (platform, lib_name, sha256) = wheel_for_target(gpu)?;
    let (package, folder) = if gpu {
        ("onnxruntime-gpu", "onnxruntime-gpu")
    } else {
        ("onnxruntime", "onnxruntime")
    };
    let mut names = vec![lib_name];
    if gpu {
        names.extend(GPU_PROVIDER_LIBRARIES);
    }
    let files: Vec<PathBuf> = names
        .iter()
        .map(|name| out_dir.join(folder).join(name))
        .collect();
    if files.iter().all(|f| f.is_file()) {
        return Ok(files);
    }
    let python = env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let wheel_dir = out_dir.join(format!("{folder}-wheel"));
    std::fs::create_dir_all(&wheel_dir).map_err(|e| e.to_string())?;

    let requirement = match sha256 {
        Some(hash) => format!("{package}=={ORT_VERSION} --hash=sha256:{hash}\n"),
        None => format!("{package}=={ORT_VERSION}\n"),
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

    // Unpack only the runtime libraries; the wheel's Python bindings are not needed.
    let script = "import glob, sys, zipfile\n\
         wheel = sorted(glob.glob(sys.argv[1] + '/*.whl'))[-1]\n\
         with zipfile.ZipFile(wheel) as z:\n\
         \x20   for name, dest in zip(sys.argv[2::2], sys.argv[3::2]):\n\
         \x20       open(dest, 'wb').write(z.read('onnxruntime/capi/' + name))\n";
    std::fs::create_dir_all(out_dir.join(folder)).map_err(|e| e.to_string())?;
    let partials: Vec<PathBuf> = files.iter().map(|f| f.with_extension("partial")).collect();
    let mut unpack = Command::new(&python);
    unpack.args(["-c", script]).arg(&wheel_dir);
    for (name, partial) in names.iter().zip(&partials) {
        unpack.arg(name).arg(partial);
    }
    let status = unpack
        .status()
        .map_err(|e| format!("cannot run `{python}`: {e}"))?;
    if !status.success() {
        return Err(format!(
            "unpacking {} from the wheel failed ({status})",
            names.join(", ")
        ));
    }
    for (partial, file) in partials.iter().zip(&files) {
        std::fs::rename(partial, file).map_err(|e| e.to_string())?;
    }
    Ok(files)
}
