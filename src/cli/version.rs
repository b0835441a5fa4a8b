//! `gonio --version`: gonio's version, and with the long flag the ONNX Runtime library and the
//! model files this binary would use (found beside it, in the data folder or in its build tree).

use std::io::{self, Write};
use std::process::ExitCode;

use gonio::pose::{installed_models, runtime_library_path, ORT_VERSION};

/// Prints the version; `long` adds where the runtime and models are. Exits 1 when something
/// gonio needs is missing, so an install can be checked with `gonio --version`.
pub fn run(long: bool) -> ExitCode {
    match print(&mut io::stdout().lock(), long) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(super::EXIT_PARTIAL),
        // `gonio --version | head -1` is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gonio: cannot print: {e}");
            ExitCode::from(super::EXIT_FATAL)
        }
    }
}

/// Whether everything gonio needs was found.
fn print(out: &mut impl Write, long: bool) -> io::Result<bool> {
    writeln!(out, "gonio {}", env!("CARGO_PKG_VERSION"))?;
    if !long {
        return Ok(true);
    }
    let mut complete = true;
    match runtime_library_path() {
        Ok(path) => writeln!(out, "onnxruntime {ORT_VERSION} {}", path.display())?,
        Err(e) => {
            complete = false;
            writeln!(out, "onnxruntime {ORT_VERSION} missing: {e}")?;
        }
    }
    for model in installed_models() {
        match model.found {
            Ok((path, id)) => writeln!(out, "model {:<9} {id} {}", model.name, path.display())?,
            Err(e) => {
                complete = false;
                writeln!(out, "model {:<9} missing: {e}", model.name)?;
            }
        }
    }
    Ok(complete)
}
