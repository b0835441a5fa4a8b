//! The application layer: the stages wired together, once, for every way gonio is used. It
//! reports what happens as values (events, reports, errors) and never prints: the command line
//! (and later the clinic app) decides how to show them.
//!
//! - [`pipeline`]: frames of a recording to the subject's pose in every frame (decode thread,
//!   tracking);
//! - [`analyze`]: a batch of recordings to results, outputs and saved sessions;
//! - [`live`]: a camera (or a stand-in) to a live readout and measured trials;
//! - [`resume`]: an earlier run's results taken instead of analysing an input again;
//! - [`save`]: results into the session store;
//! - [`shard`]: one job's part of a batch split across many.

pub mod analyze;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A request to end a run early, made from another thread (Ctrl-C) and read by the run: the
/// live loop measures and saves the trial under way, a batch finishes the inputs under way and
/// starts no other.
#[derive(Debug, Clone, Default)]
pub struct StopRequest(Arc<AtomicBool>);

impl StopRequest {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to end.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Inference threads for each of `jobs` loops that share the machine with their frame sources
/// (an ffmpeg decoder, a camera, the clinic app's page): `requested` when above 0, else the cores
/// shared out. The runtime's threads sleep rather than spin while they wait (see
/// `pose::movenet`), so the decoder still gets the time it needs. Measured on 2 cores, two such
/// threads against one: batch Thunder 1.25x faster on the 1080x1920 sample looped to 600 frames;
/// live Thunder 25-27 against 22-23 frames/s shown, capture to angle 46-52 against 55-62 ms.
pub fn inference_threads(requested: usize, jobs: usize) -> usize {
    if requested > 0 {
        return requested;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / jobs.max(1)).max(1)
}
pub mod live;
pub mod pipeline;
pub mod resume;
pub mod save;
pub mod shard;

/// One file however it is spelled or linked to (`a.jpg`, `./a.jpg`, a link to it): its resolved
/// path, or `path` without `.` components when it cannot be resolved (a missing input given
/// twice is then reported once).
pub fn same_file(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| normal(path))
}

/// `path` as shown to people and saved as a result's source: as typed, except what would show
/// wrong or not at all. Bytes that are not UTF-8 (a Latin-1 name, `M\xfcller.csv`) are written
/// `\xNN`: lossily, `Müller.csv` and `Möller.csv` both printed `M�ller.csv` beside different
/// numbers. Control characters (a newline splits a table's row, an escape sequence drives the
/// terminal) are written as Rust escapes them (`\n`, `\u{1b}`).
pub fn shown_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut shown = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                shown.extend(c.escape_default());
            } else {
                shown.push(c);
            }
        }
        for byte in chunk.invalid() {
            shown += &format!("\\x{byte:02x}");
        }
    }
    shown
}

/// `path` made absolute (from the current folder), without `.` components or doubled
/// separators: the same input spelled two ways (`a`, `./a`, `/data/a` from `/data`) is one.
/// Lexical only (no links resolved), so machines of a cluster that see the inputs under other
/// folders still sort them alike.
fn batch_key(path: &Path) -> PathBuf {
    normal(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

/// `path` without `.` components or doubled separators.
fn normal(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    /// Two Latin-1 names that differ in one byte are shown apart, and a newline or an escape in
    /// a name cannot split a table's row or drive the terminal.
    #[test]
    fn a_name_is_shown_as_it_is_whatever_its_bytes() {
        let shown = |bytes: &[u8]| shown_path(Path::new(std::ffi::OsStr::from_bytes(bytes)));
        assert_eq!(shown(b"b5/M\xfcller.csv"), "b5/M\\xfcller.csv");
        assert_eq!(shown(b"b5/M\xf6ller.csv"), "b5/M\\xf6ller.csv");
        assert_eq!(shown(b"a\nb\x1b[2J.csv"), "a\\nb\\u{1b}[2J.csv");
        assert_eq!(
            shown("Müller ünd Ørsted.mp4".as_bytes()),
            "Müller ünd Ørsted.mp4"
        );
    }
}
