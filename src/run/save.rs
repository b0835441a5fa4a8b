//! Saving one input's (or one live trial's) results into the session store.

use std::path::PathBuf;

use crate::protocols::Measurement;
use crate::store::{Store, StoreError, StoredMeasurement, WrittenFile};

/// Where results are saved: a subject's session in a database.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveTo {
    /// The database file.
    pub db: PathBuf,
    pub subject: String,
    /// The session's label ("before", "after block 1").
    pub session: String,
    /// Replaces the session's notes when given.
    pub notes: Option<String>,
    /// When the recording was made, as the person gave it: `YYYY-MM-DD` (their own calendar's
    /// day) or `YYYY-MM-DDTHH:MM[:SS]` (UTC), see [`crate::store::parse_recording_date`]. It
    /// dates a new session; a session already there keeps its date (the recording must be of
    /// that day). None: a new session is dated now.
    pub recorded_at: Option<String>,
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    /// Earlier results of the same recording replaced (one recording is one trial).
    pub replaced: usize,
}

/// Whether results could be saved to `to` (the database opens, and the names and date are not
/// refused: see [`Store::check_save`]), checked before the work so that a long batch or a live
/// session is not measured only to be refused at the end. A database not there yet holds
/// nothing to refuse, and is not made here (the first save makes it).
pub fn check_destination(to: &SaveTo) -> Result<(), StoreError> {
    if !to.db.exists() {
        return Ok(());
    }
    Store::open(&to.db)?.check_save(&to.subject, &to.session, to.recorded_at.as_deref())
}

/// Saves `results` in one transaction, with `sha` (the recording's content hash, when it is a
/// file) and, per result, the picture `evidence` names. Pictures are stored by absolute path, so
/// that the report finds them from any folder. `written` are the files written for these
/// results, recorded as they are now (what `forget` may delete later).
pub fn save_results(
    to: &SaveTo,
    results: &[Measurement],
    sha: Option<String>,
    evidence: impl Fn(&Measurement) -> Option<PathBuf>,
    written: &[PathBuf],
) -> Result<Saved, StoreError> {
    let written: Vec<WrittenFile> = written.iter().filter_map(|p| WrittenFile::of(p)).collect();
    let stored: Vec<StoredMeasurement> = results
        .iter()
        .map(|m| StoredMeasurement {
            evidence_path: evidence(m)
                .map(|p| std::fs::canonicalize(&p).unwrap_or(p).display().to_string()),
            written_files: written.clone(),
            ..StoredMeasurement::from_measurement(m, sha.clone())
        })
        .collect();
    let replaced = Store::open(&to.db)?.save(
        &to.subject,
        &to.session,
        to.notes.as_deref(),
        to.recorded_at.as_deref(),
        &stored,
    )?;
    Ok(Saved { replaced })
}

/// The picture that stands for a result among the files written for it: its evidence frame,
/// else (keypoint files have no frames to show) its plot.
pub fn picture_of(result: &Measurement, outputs: &[PathBuf]) -> Option<PathBuf> {
    let written = |kind: &str| {
        let suffix = format!(".{kind}.png");
        outputs
            .iter()
            .find(|p| p.to_string_lossy().ends_with(&suffix))
            .cloned()
    };
    // A measure drawn at a frame of its own first (`<stem>.<side>.<measure>.evidence.png`).
    let side = result.side.name();
    written(&format!("{side}.{}.evidence", result.measure))
        .or_else(|| written(&format!("{side}.evidence")))
        .or_else(|| written(&format!("{side}.plot")))
}
