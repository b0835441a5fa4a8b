//! Saving one input's (or one live trial's) results into the session store.

use std::path::{Path, PathBuf};

use crate::protocols::Measurement;
use crate::report::frames_csv::is_frames_csv;
use crate::store::{file_sha256, Store, StoreError, StoredMeasurement, WrittenFile};

/// Where results are saved: a subject's session in a database.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveTo {
    /// The database file.
    pub db: PathBuf,
    pub subject: String,
    /// The session's label ("before", "after block 1").
    pub session: String,
    /// Added to the session's notes when given (notes already there are kept).
    pub notes: Option<String>,
    /// When the recording was made, as the person gave it: `YYYY-MM-DD` (their own calendar's
    /// day) or `YYYY-MM-DDTHH:MM[:SS]` (UTC), see [`crate::store::parse_recording_date`]. It
    /// dates a new session; a session already there keeps its date (the recording must be of
    /// that day). None: a new session is dated by today's day alone on this computer's
    /// calendar (the time of saving is not the recording's); live trials give the time they
    /// were measured.
    pub recorded_at: Option<String>,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Earlier results of the same recording replaced (one recording is one trial).
    pub replaced: usize,
    /// The other files the replaced results were measured from: copies of the same recording
    /// (the same content), as they were named.
    pub replaced_from: Vec<String>,
    /// Other subjects with results measured from the same recording (their aliases): most
    /// often the wrong subject, said as a warning.
    pub also_for: Vec<String>,
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

/// Refuses, before the analysis, a recording already saved in another session of `to`'s
/// subject (one recording is one visit: see [`Store::check_recording`]), so that a batch of old
/// videos analysed again into today's session is not measured only to be refused at the end. A
/// per-frame CSV gonio wrote stands for the recording it was written for; a database not there
/// yet holds nothing to refuse.
pub fn check_recording(to: &SaveTo, recording: &Recording) -> Result<(), StoreError> {
    let Some(sha) = &recording.sha256 else {
        return Ok(());
    };
    if !to.db.exists() {
        return Ok(());
    }
    let store = Store::open(&to.db)?;
    let written_for = match recording.gonio_output {
        true => store.recording_written_as(sha)?,
        false => None,
    };
    let (sha, span) = match written_for {
        Some(w) => (w.source_sha256, w.span_s.or(recording.span_s)),
        None => (sha.clone(), recording.span_s),
    };
    store.check_recording(&to.subject, &to.session, &sha, span)
}

/// The recording results were measured from, as saved: the content hash of its file and the
/// part of it a trial covers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    /// sha256 of the file; None for a camera or standard input.
    pub sha256: Option<String>,
    /// The trial's first and last frame, seconds from the recording's start; None: the whole
    /// recording (see [`crate::store::StoredMeasurement::source_span_s`]).
    pub span_s: Option<[f64; 2]>,
    /// A per-frame CSV gonio wrote: it stands for the recording it was written for, found
    /// among the saved results' written files.
    pub gonio_output: bool,
}

impl Recording {
    /// The whole of the file at `path` (no hash when it cannot be read).
    pub fn file(path: &Path) -> Recording {
        Recording {
            sha256: file_sha256(path),
            span_s: None,
            gonio_output: is_frames_csv(path),
        }
    }
}

/// Saves `results` in one transaction, measured from `recording` and, per result, with the
/// picture `evidence` names. Pictures are stored by absolute path, so that the report finds
/// them from any folder. `written` are the files written for these results, recorded as they
/// are now (what `forget` may delete later).
///
/// A file gonio wrote for saved results (a per-frame CSV analysed again) stands for the
/// recording it came from: its results replace that trial's instead of adding another.
pub fn save_results(
    to: &SaveTo,
    results: &[Measurement],
    recording: &Recording,
    evidence: impl Fn(&Measurement) -> Option<PathBuf>,
    written: &[PathBuf],
) -> Result<Saved, StoreError> {
    let mut store = Store::open(&to.db)?;
    let written_for = match &recording.sha256 {
        // (Looked up only for gonio's own CSVs: a batch of videos does not search every saved
        // result's files once per video.)
        Some(sha) if recording.gonio_output => store.recording_written_as(sha)?,
        _ => None,
    };
    let (sha, span, model) = match (&recording.sha256, written_for) {
        (_, Some(w)) => (
            Some(w.source_sha256),
            w.span_s.or(recording.span_s),
            w.model,
        ),
        (Some(sha), None) => (Some(sha.clone()), recording.span_s, None),
        (None, None) => (None, None, None),
    };
    let written: Vec<WrittenFile> = written.iter().filter_map(|p| WrittenFile::of(p)).collect();
    let stored: Vec<StoredMeasurement> = results
        .iter()
        .map(|m| {
            let evidence_path =
                evidence(m).map(|p| std::fs::canonicalize(&p).unwrap_or(p).display().to_string());
            let evidence_sha256 = evidence_path.as_ref().and_then(|path| {
                written
                    .iter()
                    .find(|w| &w.path == path)
                    .map(|w| w.sha256.clone())
            });
            let stored = StoredMeasurement::from_measurement(m, sha.clone());
            StoredMeasurement {
                evidence_path,
                evidence_sha256,
                written_files: written.clone(),
                source_span_s: span,
                // The keypoints of a per-frame CSV were placed by the model that read its
                // recording: without it, a verdict against the other model's session was given.
                model: stored.model.clone().or_else(|| model.clone()),
                ..stored
            }
        })
        .collect();
    // The names the same recording was saved under before, for saying which results a copy
    // replaces. (A failed lookup only loses the name.)
    let saved_as: Vec<String> = match (&sha, results.first()) {
        (Some(sha), Some(first)) => store
            .sources_measured_from(sha, &first.protocol, &to.subject, &to.session)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let replaced = store.save(
        &to.subject,
        &to.session,
        to.notes.as_deref(),
        to.recorded_at.as_deref(),
        &stored,
    )?;
    // (A failed lookup only loses the warning: the results are saved.)
    let also_for = sha
        .as_deref()
        .and_then(|sha| store.others_measured_from(sha, &to.subject).ok())
        .unwrap_or_default();
    // (The same file given by another path is no copy.)
    let same_file = |a: &str, b: &str| {
        a == b
            || matches!(
                (std::fs::canonicalize(a), std::fs::canonicalize(b)),
                (Ok(a), Ok(b)) if a == b
            )
    };
    let replaced_from = if replaced > 0 {
        saved_as
            .into_iter()
            .filter(|name| results.iter().all(|m| !same_file(&m.source, name)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Saved {
        replaced,
        replaced_from,
        also_for,
    })
}

/// The picture that stands for a result among the files written for it: the frame drawn for
/// its measure (`<stem>.<side>.<measure>.evidence.png`); for the protocol's main measure, else
/// the side's evidence frame, else (keypoint files have no frames to show) its plot. The side's
/// pictures draw the main measure only, so another measure without a frame of its own has no
/// picture rather than one showing another angle.
pub fn picture_of(result: &Measurement, outputs: &[PathBuf]) -> Option<PathBuf> {
    let written = |kind: &str| {
        let suffix = format!(".{kind}.png");
        outputs
            .iter()
            .find(|p| p.to_string_lossy().ends_with(&suffix))
            .cloned()
    };
    let side = result.side.name();
    let is_main = crate::protocols::find(&result.protocol)
        .is_some_and(|p| p.main_measure().name == result.measure);
    written(&format!("{side}.{}.evidence", result.measure)).or_else(|| {
        is_main.then(|| {
            written(&format!("{side}.evidence")).or_else(|| written(&format!("{side}.plot")))
        })?
    })
}
