//! `--resume`: an input's results taken from an earlier run's output folder instead of analysing
//! it again, when nothing that shapes them has changed (a batch of a thousand videos stopped by
//! Ctrl-C, a cluster's time limit or a crash goes on where it stopped).
//!
//! Each result JSON gonio writes records how its results were made ([`Analysis`]): the input's
//! place, size and content hash, the gonio build and every setting that shapes a result (the
//! model files' hashes among them), and the other files written with it. An earlier result is
//! taken only when all of these match and every file is still there; otherwise the input is
//! analysed again and the reason is given ([`NotTaken`]). When unsure, analyse again: a stale number that looks current is the failure
//! to avoid.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pose::PeopleSeen;
use crate::protocols::Measurement;
use crate::store::{bytes_sha256, file_sha256, hex};

/// How one input's results were made: written into its result JSON after the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The input as it was when analysed; None when it could not be read (never resumed).
    pub input: Option<InputStamp>,
    /// The gonio build and every setting that shapes the input's results (protocol, side, hold
    /// and series settings, frame rate, model files, who is measured), as [`settings`] gives
    /// them.
    pub settings: serde_json::Value,
    /// Frames analysed, and those with a person found.
    pub frames: usize,
    pub frames_with_person: usize,
    /// People in view and the subject lock's certainty.
    pub people: PeopleSeen,
    /// The other files written for the input, by name, in the result JSON's folder.
    pub outputs: Vec<String>,
    /// sha256 of the results as written (see [`results_sha256`]): results edited since, by hand
    /// or by another program, are not taken for gonio's. None: written before it was recorded.
    #[serde(default)]
    pub results_sha256: Option<String>,
}

/// sha256 of `results` as gonio writes them (compact JSON, lower-case hex). Read back, the
/// same results give the same hash: numbers are written in their shortest exact form.
pub fn results_sha256(results: &[Measurement]) -> Option<String> {
    serde_json::to_vec(results)
        .ok()
        .map(|bytes| bytes_sha256(&bytes))
}

/// An input as it was when analysed. Its content is hashed: files swapped between names, a
/// copy restored with its old modification time or frames renamed into another order are
/// other inputs, whatever their sizes and times say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputStamp {
    /// The input as it was given (its path, or the name it was shown under).
    pub path: String,
    /// Its absolute path, links resolved: the same input given as `./a.mp4`, `a.mp4` or from
    /// another folder is found by it.
    pub absolute: String,
    /// Size in bytes (a folder of frames: its frames' sizes added up).
    pub bytes: u64,
    /// sha256 of its content, lower-case hex (a folder of frames: of each frame's name and
    /// content, in the order analysed).
    pub sha256: String,
}

impl InputStamp {
    /// The stamp of the input `path`, shown as `shown`, made of `files` (itself, or a folder's
    /// frames in order); None when a file cannot be read.
    pub fn of(shown: &str, path: &Path, files: &[PathBuf]) -> Option<InputStamp> {
        Some(InputStamp {
            path: shown.to_string(),
            absolute: absolute(path)?,
            bytes: bytes_of(files)?,
            sha256: content_sha256(path, files)?,
        })
    }
}

/// The size of `files` added up, bytes; None when one cannot be read.
pub fn bytes_of(files: &[PathBuf]) -> Option<u64> {
    files.iter().try_fold(0u64, |sum, file| {
        Some(sum.saturating_add(std::fs::metadata(file).ok()?.len()))
    })
}

/// `path` absolute with links resolved, as text (a name not in UTF-8 as shown).
pub fn absolute(path: &Path) -> Option<String> {
    std::fs::canonicalize(path)
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// sha256 of `files`' content (one file: its content, as `sha256sum` gives it; a folder's
/// frames: each frame's name and content in order); None when one cannot be read.
pub fn content_sha256(path: &Path, files: &[PathBuf]) -> Option<String> {
    if files.len() == 1 && files[0] == path {
        return file_sha256(path);
    }
    let mut hasher = Sha256::new();
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        hasher.update(name.unwrap_or_default().as_bytes());
        hasher.update([0]);
        io::copy(&mut std::fs::File::open(file).ok()?, &mut hasher).ok()?;
    }
    Some(hex(&hasher.finalize()))
}

/// The settings record of a run: the gonio build and `shaping`, the settings that shape a
/// result, each named by the option that sets it (see `run::analyze` for which). Compared
/// whole by `--resume`.
pub fn settings(shaping: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("gonio build".into(), gonio_build().into());
    for (key, value) in shaping {
        map.insert((*key).to_string(), value.clone());
    }
    serde_json::Value::Object(map)
}

/// This gonio: its version and its executable's size and modification time. A build with other
/// code, even of the same version, is another gonio; a copy of the same build elsewhere is
/// taken for another too (analysed again: the safe side).
fn gonio_build() -> String {
    let executable = std::env::current_exe()
        .and_then(std::fs::metadata)
        .ok()
        .and_then(|meta| {
            let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
            Some(format!(
                "{} bytes, modified {}",
                meta.len(),
                modified.as_nanos()
            ))
        })
        .unwrap_or_else(|| "executable unknown".to_string());
    format!("{} ({executable})", env!("CARGO_PKG_VERSION"))
}

/// A result JSON as gonio writes it: the results first (so that it begins as every result
/// JSON gonio ever wrote), then how they were made.
#[derive(Serialize)]
pub struct ResultsFile<'a> {
    pub results: &'a [Measurement],
    pub analysis: &'a Analysis,
}

/// An earlier result JSON in the output folder.
#[derive(Debug, Clone)]
pub struct Earlier {
    /// The result JSON.
    pub json: PathBuf,
    pub results: Vec<Measurement>,
    /// None: written by a gonio that did not record how (before `--resume` existed).
    pub analysis: Option<Analysis>,
    modified: SystemTime,
}

impl Earlier {
    /// The name its input's outputs were given (the result JSON's, less `.json`).
    pub fn stem(&self) -> Option<&str> {
        self.json.file_stem().and_then(|s| s.to_str())
    }

    /// Its files: the other outputs, then the result JSON itself. Only plain file names are
    /// taken (a name edited into `../x` is not followed): see [`NotTaken::Missing`].
    pub fn outputs(&self) -> Vec<PathBuf> {
        let dir = self.json.parent().unwrap_or(Path::new(""));
        self.analysis
            .iter()
            .flat_map(|a| a.outputs.iter())
            .filter(|name| is_plain(name))
            .map(|name| dir.join(name))
            .chain([self.json.clone()])
            .collect()
    }
}

/// Whether `name` is a plain file name (no folder, no `..`).
fn is_plain(name: &str) -> bool {
    Path::new(name)
        .file_name()
        .is_some_and(|plain| plain == name)
}

/// Why an earlier result was not taken: the input is analysed again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotTaken {
    #[error("{}: written by an earlier gonio, which did not record how it analysed the input", json.display())]
    Unrecorded { json: PathBuf },
    #[error("{}: cannot be read as gonio's results ({error})", json.display())]
    Unreadable { json: PathBuf, error: String },
    #[error("{}: the input changed since (its content differs)", json.display())]
    Changed { json: PathBuf },
    #[error("{}: analysed with other settings ({})", json.display(), keys.join(", "))]
    OtherSettings { json: PathBuf, keys: Vec<String> },
    #[error("{}: its results were changed since gonio wrote them", json.display())]
    Edited { json: PathBuf },
    #[error("{}: its output {} is missing", json.display(), missing.display())]
    Missing { json: PathBuf, missing: PathBuf },
    #[error("{}: another name than this batch gives the input (written by another batch)", json.display())]
    OtherName { json: PathBuf },
}

/// The result JSONs gonio wrote in an output folder.
#[derive(Debug, Default)]
pub struct EarlierResults {
    /// By the absolute path of the input they were made from, newest first.
    pub by_input: HashMap<String, Vec<Earlier>>,
    /// Those that cannot be read (cut short, edited), with why.
    pub unreadable: Vec<(PathBuf, String)>,
}

/// The input a result JSON gonio wrote was made from (its absolute path), if it can be read as
/// one.
/// Only the fields that name the input are read: a result JSON of an older or newer gonio,
/// whose other fields differ, is still known as what it is. A FIFO or device is none.
pub fn written_for(json: &Path) -> Option<String> {
    #[derive(Deserialize)]
    struct Source {
        source: String,
    }
    #[derive(Deserialize)]
    struct Input {
        absolute: String,
    }
    #[derive(Deserialize)]
    struct Made {
        input: Option<Input>,
    }
    #[derive(Deserialize)]
    struct Written {
        results: Vec<Source>,
        analysis: Option<Made>,
    }
    if !std::fs::symlink_metadata(json).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let written: Written = serde_json::from_slice(&std::fs::read(json).ok()?).ok()?;
    match written.analysis {
        Some(analysis) => analysis.input.map(|input| input.absolute),
        None => written
            .results
            .first()
            .and_then(|r| absolute(Path::new(&r.source))),
    }
}

/// Every result JSON gonio wrote in `out` (`is_ours` tells them). One of an earlier gonio,
/// which recorded no absolute path, is found by its results' source, a path taken from the
/// current folder.
pub fn earlier_results(out: &Path, is_ours: impl Fn(&Path) -> bool) -> EarlierResults {
    #[derive(Deserialize)]
    struct Written {
        results: Vec<Measurement>,
        analysis: Option<Analysis>,
    }
    let mut found = EarlierResults::default();
    let Ok(entries) = std::fs::read_dir(out) else {
        return found;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        if path.extension().is_none_or(|e| e != "json") || !is_ours(&path) {
            continue;
        }
        let written = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| serde_json::from_slice::<Written>(&bytes).map_err(|e| e.to_string()));
        let written = match written {
            Ok(written) => written,
            Err(error) => {
                found.unreadable.push((path, error));
                continue;
            }
        };
        let input = match &written.analysis {
            Some(analysis) => analysis.input.as_ref().map(|stamp| stamp.absolute.clone()),
            None => written
                .results
                .first()
                .and_then(|r| absolute(Path::new(&r.source))),
        };
        let Some(input) = input else {
            continue;
        };
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .unwrap_or(UNIX_EPOCH);
        found.by_input.entry(input).or_default().push(Earlier {
            json: path,
            results: written.results,
            analysis: written.analysis,
            modified,
        });
    }
    for earlier in found.by_input.values_mut() {
        earlier.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.json.cmp(&b.json)));
    }
    found
}

/// The earlier result of `candidates` (newest first) to take for an input of `bytes` bytes
/// whose content hash `sha256` gives (asked only when a candidate has its size), analysed now
/// with `settings`, whose outputs must be named `stem` when given; else why the newest cannot
/// be taken. None when there is no candidate.
pub fn choose<'a>(
    candidates: &'a [Earlier],
    bytes: Option<u64>,
    sha256: impl FnOnce() -> Option<String>,
    settings: &serde_json::Value,
    stem: Option<&str>,
) -> Option<Result<&'a Earlier, NotTaken>> {
    let mut sha256 = Some(sha256);
    let mut content: Option<Option<String>> = None;
    let mut why = |earlier: &Earlier| -> Option<NotTaken> {
        let json = earlier.json.clone();
        let Some(analysis) = &earlier.analysis else {
            return Some(NotTaken::Unrecorded { json });
        };
        let same = analysis.input.as_ref().is_some_and(|was| {
            Some(was.bytes) == bytes
                && content
                    .get_or_insert_with(|| sha256.take().and_then(|hash| hash()))
                    .as_ref()
                    == Some(&was.sha256)
        });
        if !same {
            return Some(NotTaken::Changed { json });
        }
        if &analysis.settings != settings {
            return Some(NotTaken::OtherSettings {
                json,
                keys: differing_keys(&analysis.settings, settings),
            });
        }
        // A number typed into the file is not gonio's: it would be printed and saved as
        // measured, beside the evidence picture that says otherwise.
        match &analysis.results_sha256 {
            None => return Some(NotTaken::Unrecorded { json }),
            Some(written) if results_sha256(&earlier.results).as_ref() != Some(written) => {
                return Some(NotTaken::Edited { json })
            }
            Some(_) => {}
        }
        if stem.is_some_and(|stem| earlier.stem() != Some(stem)) {
            return Some(NotTaken::OtherName { json });
        }
        if let Some(name) = analysis.outputs.iter().find(|name| !is_plain(name)) {
            return Some(NotTaken::Missing {
                json,
                missing: PathBuf::from(name),
            });
        }
        earlier
            .outputs()
            .into_iter()
            .find(|file| !file.is_file())
            .map(|missing| NotTaken::Missing { json, missing })
    };
    let mut first_reason = None;
    for earlier in candidates {
        match why(earlier) {
            None => return Some(Ok(earlier)),
            Some(reason) => {
                first_reason.get_or_insert(reason);
            }
        }
    }
    first_reason.map(Err)
}

/// The keys whose values differ between two settings records (present in either).
fn differing_keys(a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (a, b) = (
        a.as_object().unwrap_or(&empty),
        b.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys().filter(|k| !a.contains_key(*k)))
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(bytes: u64, sha256: &str) -> InputStamp {
        InputStamp {
            path: "a.mp4".into(),
            absolute: "/data/a.mp4".into(),
            bytes,
            sha256: sha256.into(),
        }
    }

    fn earlier(dir: &Path, name: &str, analysis: Option<Analysis>) -> Earlier {
        let json = dir.join(name);
        std::fs::write(&json, "{}").ok();
        Earlier {
            json,
            results: Vec::new(),
            analysis,
            modified: UNIX_EPOCH,
        }
    }

    fn analysis(bytes: u64, sha256: &str, hold: f64, outputs: &[&str]) -> Analysis {
        Analysis {
            input: Some(stamp(bytes, sha256)),
            settings: settings(&[("--hold-s", hold.into()), ("--model", "thunder".into())]),
            frames: 3,
            frames_with_person: 3,
            people: PeopleSeen::default(),
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
            results_sha256: results_sha256(&[]),
        }
    }

    #[test]
    fn an_earlier_result_is_taken_only_when_everything_matches() {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("a.csv"), "x").expect("write");
        let now = settings(&[("--hold-s", 1.0.into()), ("--model", "thunder".into())]);
        let hashed = std::cell::Cell::new(0);
        let content = |sha256: &'static str| {
            let hashed = &hashed;
            move || {
                hashed.set(hashed.get() + 1);
                Some(sha256.to_string())
            }
        };
        let choose_for = |candidates: &[Earlier], bytes: u64, sha256: &'static str, stem| {
            choose(candidates, Some(bytes), content(sha256), &now, stem)
                .map(|t| t.map(|e| e.json.clone()))
        };
        let good = earlier(
            dir.path(),
            "a.json",
            Some(analysis(10, "aa", 1.0, &["a.csv"])),
        );
        let one = std::slice::from_ref(&good);
        assert_eq!(choose_for(one, 10, "aa", None), Some(Ok(good.json.clone())));
        assert_eq!(hashed.get(), 1);
        assert!(choose_for(&[], 10, "aa", None).is_none());

        // Another content of the same size (files swapped between names), another size (not
        // hashed), other settings, a missing output, another name, a path for an output, no
        // record: not taken.
        let reason = |e: &Earlier, bytes, sha256, stem| {
            choose_for(std::slice::from_ref(e), bytes, sha256, stem).and_then(Result::err)
        };
        assert!(matches!(
            reason(&good, 10, "bb", None),
            Some(NotTaken::Changed { .. })
        ));
        hashed.set(0);
        assert!(matches!(
            reason(&good, 11, "aa", None),
            Some(NotTaken::Changed { .. })
        ));
        assert_eq!(hashed.get(), 0, "another size needs no hash");
        let other = earlier(dir.path(), "c.json", Some(analysis(10, "aa", 2.0, &[])));
        assert_eq!(
            reason(&other, 10, "aa", None),
            Some(NotTaken::OtherSettings {
                json: other.json.clone(),
                keys: vec!["--hold-s".into()]
            })
        );
        let missing = earlier(
            dir.path(),
            "d.json",
            Some(analysis(10, "aa", 1.0, &["d.csv"])),
        );
        assert!(matches!(
            reason(&missing, 10, "aa", None),
            Some(NotTaken::Missing { .. })
        ));
        assert!(matches!(
            reason(&good, 10, "aa", Some("a-2")),
            Some(NotTaken::OtherName { .. })
        ));
        let outside = earlier(
            dir.path(),
            "f.json",
            Some(analysis(10, "aa", 1.0, &["../a.csv"])),
        );
        assert!(matches!(
            reason(&outside, 10, "aa", None),
            Some(NotTaken::Missing { .. })
        ));
        let old = earlier(dir.path(), "e.json", None);
        assert!(matches!(
            reason(&old, 10, "aa", None),
            Some(NotTaken::Unrecorded { .. })
        ));

        // The newest that matches is taken, the content hashed once; the newest's reason is
        // given when none matches.
        hashed.set(0);
        let changed = earlier(dir.path(), "b.json", Some(analysis(10, "bb", 1.0, &[])));
        let both = [changed.clone(), other.clone(), good.clone()];
        assert_eq!(
            choose_for(&both, 10, "aa", None),
            Some(Ok(good.json.clone()))
        );
        assert_eq!(hashed.get(), 1);
        let neither = [changed, other];
        assert!(matches!(
            choose(&neither, Some(10), content("aa"), &now, None),
            Some(Err(NotTaken::Changed { .. }))
        ));
    }

    #[test]
    fn a_content_hash_covers_the_frames_names_and_order() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (a, b) = (dir.path().join("f1.png"), dir.path().join("f2.png"));
        std::fs::write(&a, "one").expect("write");
        std::fs::write(&b, "two").expect("write");
        let frames = content_sha256(dir.path(), &[a.clone(), b.clone()]);
        assert!(frames.is_some());
        assert_ne!(frames, content_sha256(dir.path(), &[b.clone(), a.clone()]));
        // One file: its content's sha256, as `sha256sum` gives it.
        assert_eq!(
            content_sha256(&a, std::slice::from_ref(&a)).as_deref(),
            Some("7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed")
        );
    }

    #[test]
    fn a_record_read_back_equals_the_record_written() {
        let written = Analysis {
            settings: settings(&[
                (
                    "--hold-s",
                    "HoldCriteria { min_hold_s: 1.0, band_deg: 3.0 }".into(),
                ),
                ("--max-fps", 29.97.into()),
                ("--fps", serde_json::Value::Null),
            ]),
            ..analysis(10, "aa", 1.0, &["a.csv", "a.left.plot.png"])
        };
        let text = serde_json::to_string_pretty(&written).expect("serialise");
        let read: Analysis = serde_json::from_str(&text).expect("read back");
        assert_eq!(read, written);
    }
}
