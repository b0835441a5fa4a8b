//! `--resume`: an input's results taken from an earlier run's output folder instead of analysing
//! it again, when nothing that shapes them has changed (a batch of a thousand videos stopped by
//! Ctrl-C, a cluster's time limit or a crash goes on where it stopped).
//!
//! Each result JSON gonio writes records how its results were made ([`Analysis`]): the input's
//! size and modification time, gonio's version and every setting that shapes a result, and the
//! other files written with it. An earlier result is taken only when all of these match and
//! every file is still there; otherwise the input is analysed again and the reason is given
//! ([`NotTaken`]). When unsure, analyse again: a stale number that looks current is the failure
//! to avoid.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::pose::PeopleSeen;
use crate::protocols::Measurement;

/// How one input's results were made: written into its result JSON after the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    /// The input as it was when analysed; None when its metadata could not be read (never
    /// resumed).
    pub input: Option<InputStamp>,
    /// gonio's version and every setting that shapes a result (protocol, side, hold and series
    /// settings, frame rates, model, who is measured), as [`settings`] gives them.
    pub settings: serde_json::Value,
    /// Frames analysed, and those with a person found.
    pub frames: usize,
    pub frames_with_person: usize,
    /// People in view and the subject lock's certainty.
    pub people: PeopleSeen,
    /// The other files written for the input, by name, in the result JSON's folder.
    pub outputs: Vec<String>,
}

/// An input as it was when analysed: a file edited, replaced or recorded again since has
/// another size or modification time (the test `rsync` uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputStamp {
    /// The input as it was given (its path, or the name it was shown under).
    pub path: String,
    /// Size in bytes (a folder of frames: its frames' sizes added up).
    pub bytes: u64,
    /// Last modification, nanoseconds since the Unix epoch (a folder of frames: its latest
    /// frame's).
    pub modified_ns: u64,
}

impl InputStamp {
    /// The stamp of an input named `path` made of `files` (one file, or a folder's frames);
    /// None when a file's metadata cannot be read.
    pub fn of(path: &str, files: &[PathBuf]) -> Option<InputStamp> {
        let mut bytes = 0u64;
        let mut latest = UNIX_EPOCH;
        for file in files {
            let meta = std::fs::metadata(file).ok()?;
            bytes = bytes.saturating_add(meta.len());
            latest = latest.max(meta.modified().ok()?);
        }
        Some(InputStamp {
            path: path.to_string(),
            bytes,
            modified_ns: u64::try_from(latest.duration_since(UNIX_EPOCH).ok()?.as_nanos()).ok()?,
        })
    }
}

/// The settings record of a run: gonio's version and `shaping`, the settings that shape a
/// result (each as a JSON value; see `run::analyze` for which). Compared whole by `--resume`.
pub fn settings(shaping: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("gonio".into(), env!("CARGO_PKG_VERSION").into());
    for (key, value) in shaping {
        map.insert((*key).to_string(), value.clone());
    }
    serde_json::Value::Object(map)
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

    /// Its files: the other outputs, then the result JSON itself.
    pub fn outputs(&self) -> Vec<PathBuf> {
        let dir = self.json.parent().unwrap_or(Path::new(""));
        self.analysis
            .iter()
            .flat_map(|a| a.outputs.iter().map(|name| dir.join(name)))
            .chain([self.json.clone()])
            .collect()
    }
}

/// Why an earlier result was not taken: the input is analysed again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NotTaken {
    #[error("{}: written by an earlier gonio, which did not record how it analysed the input", json.display())]
    Unrecorded { json: PathBuf },
    #[error("{}: the input changed since (its size or modification time differs)", json.display())]
    Changed { json: PathBuf },
    #[error("{}: analysed with other settings ({})", json.display(), keys.join(", "))]
    OtherSettings { json: PathBuf, keys: Vec<String> },
    #[error("{}: its output {} is missing", json.display(), missing.display())]
    Missing { json: PathBuf, missing: PathBuf },
    #[error("{}: another name than this batch gives the input (written by another batch)", json.display())]
    OtherName { json: PathBuf },
}

/// Every result JSON gonio wrote in `out` (`is_ours` tells them), by the input it was made from
/// (`key` of its path as recorded), newest first.
pub fn earlier_results(
    out: &Path,
    is_ours: impl Fn(&Path) -> bool,
    key: impl Fn(&str) -> PathBuf,
) -> HashMap<PathBuf, Vec<Earlier>> {
    #[derive(Deserialize)]
    struct Written {
        results: Vec<Measurement>,
        analysis: Option<Analysis>,
    }
    let mut found: HashMap<PathBuf, Vec<Earlier>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir(out) else {
        return found;
    };
    for path in entries.filter_map(Result::ok).map(|e| e.path()) {
        if path.extension().is_none_or(|e| e != "json") || !is_ours(&path) {
            continue;
        }
        let Some(written) = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Written>(&bytes).ok())
        else {
            continue;
        };
        let input = match &written.analysis {
            Some(analysis) => analysis.input.as_ref().map(|stamp| stamp.path.clone()),
            None => written.results.first().map(|r| r.source.clone()),
        };
        let Some(input) = input else {
            continue;
        };
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .unwrap_or(UNIX_EPOCH);
        found.entry(key(&input)).or_default().push(Earlier {
            json: path,
            results: written.results,
            analysis: written.analysis,
            modified,
        });
    }
    for earlier in found.values_mut() {
        earlier.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.json.cmp(&b.json)));
    }
    found
}

/// The earlier result of `candidates` (newest first) to take for an input now stamped `stamp`
/// and analysed with `settings`, whose outputs must be named `stem` when given; else why the
/// newest cannot be taken. None when there is no candidate.
pub fn choose<'a>(
    candidates: &'a [Earlier],
    stamp: Option<&InputStamp>,
    settings: &serde_json::Value,
    stem: Option<&str>,
) -> Option<Result<&'a Earlier, NotTaken>> {
    let why = |earlier: &Earlier| -> Option<NotTaken> {
        let json = earlier.json.clone();
        let Some(analysis) = &earlier.analysis else {
            return Some(NotTaken::Unrecorded { json });
        };
        if analysis.input.is_none() || analysis.input.as_ref() != stamp {
            return Some(NotTaken::Changed { json });
        }
        if &analysis.settings != settings {
            return Some(NotTaken::OtherSettings {
                json,
                keys: differing_keys(&analysis.settings, settings),
            });
        }
        if stem.is_some_and(|stem| earlier.stem() != Some(stem)) {
            return Some(NotTaken::OtherName { json });
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

    fn stamp(bytes: u64) -> InputStamp {
        InputStamp {
            path: "a.mp4".into(),
            bytes,
            modified_ns: 7,
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

    fn analysis(bytes: u64, hold: f64, outputs: &[&str]) -> Analysis {
        Analysis {
            input: Some(stamp(bytes)),
            settings: settings(&[("hold", hold.into()), ("model", "thunder".into())]),
            frames: 3,
            frames_with_person: 3,
            people: PeopleSeen::default(),
            outputs: outputs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_earlier_result_is_taken_only_when_everything_matches() {
        let dir = tempfile::tempdir().expect("temporary folder");
        std::fs::write(dir.path().join("a.csv"), "x").expect("write");
        let now = settings(&[("hold", 1.0.into()), ("model", "thunder".into())]);
        let good = earlier(dir.path(), "a.json", Some(analysis(10, 1.0, &["a.csv"])));
        let taken = choose(std::slice::from_ref(&good), Some(&stamp(10)), &now, None);
        assert_eq!(
            taken.map(|t| t.map(|e| e.json.clone())),
            Some(Ok(good.json.clone()))
        );
        assert!(choose(&[], Some(&stamp(10)), &now, None).is_none());

        // Changed input, other settings, a missing output, another name, no record: not taken.
        let reason = |e: &Earlier, stem: Option<&str>| {
            choose(std::slice::from_ref(e), Some(&stamp(10)), &now, stem).and_then(Result::err)
        };
        let changed = earlier(dir.path(), "b.json", Some(analysis(11, 1.0, &[])));
        assert!(matches!(
            reason(&changed, None),
            Some(NotTaken::Changed { .. })
        ));
        let other = earlier(dir.path(), "c.json", Some(analysis(10, 2.0, &[])));
        assert_eq!(
            reason(&other, None),
            Some(NotTaken::OtherSettings {
                json: other.json.clone(),
                keys: vec!["hold".into()]
            })
        );
        let missing = earlier(dir.path(), "d.json", Some(analysis(10, 1.0, &["d.csv"])));
        assert!(matches!(
            reason(&missing, None),
            Some(NotTaken::Missing { .. })
        ));
        assert!(matches!(
            reason(&good, Some("a-2")),
            Some(NotTaken::OtherName { .. })
        ));
        let old = earlier(dir.path(), "e.json", None);
        assert!(matches!(
            reason(&old, None),
            Some(NotTaken::Unrecorded { .. })
        ));

        // The newest that matches is taken; the newest's reason is given when none does.
        let both = [changed.clone(), good.clone()];
        assert_eq!(
            choose(&both, Some(&stamp(10)), &now, None).map(|t| t.map(|e| e.json.clone())),
            Some(Ok(good.json.clone()))
        );
        let neither = [changed, other];
        assert!(matches!(
            choose(&neither, Some(&stamp(10)), &now, None),
            Some(Err(NotTaken::Changed { .. }))
        ));
    }

    #[test]
    fn a_record_read_back_equals_the_record_written() {
        let written = Analysis {
            settings: settings(&[
                (
                    "hold",
                    "HoldCriteria { min_hold_s: 1.0, band_deg: 3.0 }".into(),
                ),
                ("max_fps", 29.97.into()),
                ("frames_fps", serde_json::Value::Null),
            ]),
            ..analysis(10, 1.0, &["a.csv", "a.left.plot.png"])
        };
        let text = serde_json::to_string_pretty(&written).expect("serialise");
        let read: Analysis = serde_json::from_str(&text).expect("read back");
        assert_eq!(read, written);
    }
}
