//! Sessions saved per subject in SQLite, so that before and after can be compared.
//!
//! One file per user (`--db PATH`, default in the platform's data folder). Every write is one
//! transaction: a crash or kill mid-write loses nothing saved before and leaves no half-written
//! session. WAL mode lets a live trial and a batch run write at the same time. A file that is not
//! SQLite, or a SQLite database of another program, is refused and never touched.

mod compare;
mod dates;
mod export;
mod forget;
mod import;
mod names;
mod plausible;
mod read;
mod save;
mod schema;

pub use compare::{
    asymmetry, compare, counted_trials, first_in_doubt, history_doubt, last_in_doubt, order_doubt,
    session_order, uncompared, withhold_verdicts, Comparison, MdcError, MdcOverrides, SessionOrder,
    Uncompared, Verdict,
};
pub use dates::{
    date_shown, day_here, day_utc, is_day_alone, now_utc, on_day_somewhere, parse_recording_date,
    parse_session_date, today_local, today_utc, DateError,
};
pub use export::{spreadsheet_safe, write_csv, CSV_HEADERS};
pub use forget::Forgotten;
pub use import::{AlsoFor, ChangedValue, Imported, KeptDate};
pub use names::{is_hidden_character, mixes_scripts, stored_name};
pub use plausible::{check_export, Implausible};
pub use schema::SCHEMA_VERSION;

use dates::day_of;

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::angles::Side;
use crate::protocols::{Measurement, Quality, Settings, Warning};

/// Why the store could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: cannot open the gonio database: {detail}")]
    Open { path: PathBuf, detail: String },
    #[error("{path}: not a gonio database (another program's file); it was left untouched. Choose another file")]
    Foreign { path: PathBuf },
    #[error("{path}: the gonio database is damaged ({detail}); it was left untouched. Restore it from a backup or an export, or recover what is readable with `sqlite3 {path} .recover`")]
    Damaged { path: PathBuf, detail: String },
    #[error("{path}: cannot write there ({detail}): the database and its folder must be writable (SQLite keeps -wal and -shm files beside it); copy it to a writable folder")]
    ReadOnly { path: PathBuf, detail: String },
    #[error(
        "{path}: no gonio database there (check the path; `gonio analyze --subject` creates one)"
    )]
    Missing { path: PathBuf },
    /// `problem` is printed in the message, not chained as a cause (it would print twice).
    #[error("{path}: not a plausible measurement: {problem}")]
    Implausible {
        path: PathBuf,
        problem: Box<Implausible>,
    },
    #[error(
        "{path}: written by a newer gonio (schema {found}, this one knows {known}); update gonio"
    )]
    TooNew {
        path: PathBuf,
        found: i32,
        known: i32,
    },
    #[error("{path}: {detail}")]
    Sql { path: PathBuf, detail: String },
    #[error("no subject `{0}` in the database (see `gonio subjects`)")]
    NoSubject(String),
    #[error("there is already a subject `{0}`: choose another alias")]
    SubjectExists(String),
    /// A name that differs from a subject's only in letter case: the same person, almost
    /// always, whose history would be split in two (and the before/after verdict lost).
    #[error("no subject `{given}`, but there is `{existing}`: the same person? give the name as saved (`gonio subjects` lists them); another person needs a name that differs by more than letter case, width, apostrophes or dashes")]
    SimilarSubject { given: String, existing: String },
    /// A session label that differs from one of the subject's only in letter case: a second
    /// session of one visit, compared with the first as before and after.
    #[error("no session `{given}`, but there is `{existing}`: the same session? give its label as saved (`gonio history` lists them); another session needs a label that differs by more than letter case, width, apostrophes or dashes")]
    SimilarSession { given: String, existing: String },
    #[error("subject `{subject}` has no session `{label}`")]
    NoSession { subject: String, label: String },
    /// A recording said to be of another day than the session it is saved into: saving it would
    /// either misdate the session's other results or misplace this one.
    #[error("session `{label}` is dated {stored}, not {given}: save into another session, or change that session's date first (`gonio redate`, or the clinic app's patient page)")]
    OtherDay {
        label: String,
        stored: String,
        given: String,
    },
    /// A recording with no date of its own, for a session not of today or yesterday (this
    /// computer's calendar):
    /// a recording of that visit analysed late, or a new visit under an old label (merged, it
    /// moved the old session's mean and the verdict). Which one is not guessed.
    #[error("session `{label}` is dated {stored}, and no date was given (today is {today}): give that date (`--date`) if the recordings are of that visit, or save them into another session")]
    UndatedOtherDay {
        label: String,
        stored: String,
        today: String,
    },
    /// A recording already saved in another session of the subject (the same part of the same
    /// file, by content): one recording is one visit, and saved again into a later session it
    /// makes a visit that never took place, compared with the one it was recorded at.
    #[error("this recording is already saved in the subject's session `{label}` ({date}), measured from {saved_from}: one recording is one visit. Save it into that session, or, if that session is the wrong one, discard the result there first (the clinic app's patient page)")]
    RecordingInOtherSession {
        saved_from: String,
        label: String,
        date: String,
    },
    /// An import's session holding a recording that is in another session of the subject here
    /// (or in the import): one recording is one visit.
    #[error("subject `{subject}`: session `{label}` of the import holds a recording ({recording}) already in session {other}: one recording is one visit; nothing imported (discard the result from the wrong session, in the clinic app, then import again)")]
    ImportRecordingElsewhere {
        subject: String,
        label: String,
        /// The recording, as its measurement names it (boxed: every `Result` of the store
        /// carries this enum's size).
        recording: Box<str>,
        /// The other session, as said: its label and date, "`after` (2026-02-05)".
        other: String,
    },
    /// An import's session whose label is a session here of a day more than one day away:
    /// another visit with the same label, whose trials would be merged into this one.
    #[error("subject `{subject}`: session `{label}` is dated {stored} here and {imported} in the import: another visit under the same label; nothing imported (rename one of the two sessions, or redate it if a date is wrong)")]
    ImportOtherDay {
        subject: String,
        label: String,
        stored: String,
        imported: String,
    },
}

/// The database file used when `--db` is not given: `<data dir>/gonio/gonio.sqlite`
/// (for example `~/.local/share/gonio/gonio.sqlite` on Linux).
pub fn default_db_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("gonio")
        .join("gonio.sqlite")
}

/// The recording a file gonio wrote (a per-frame CSV) was written for, as a saved result
/// names it.
#[derive(Debug, Clone, PartialEq)]
pub struct WrittenFor {
    /// The recording's file's sha256.
    pub source_sha256: String,
    /// The span the trial covers, seconds from the recording's start; None: all of it.
    pub span_s: Option<[f64; 2]>,
    /// The pose model that read the recording's keypoints (the CSV holds the keypoints, not
    /// which model placed them).
    pub model: Option<String>,
}

/// A saved measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMeasurement {
    pub protocol: String,
    pub measure: String,
    pub side: Side,
    pub value_deg: Option<f32>,
    pub peak_deg: Option<f32>,
    pub hold_s: f64,
    pub valid_frames: usize,
    pub total_frames: usize,
    pub quality: Quality,
    pub warnings: Vec<Warning>,
    pub model: Option<String>,
    pub source: String,
    /// sha256 of the source file, when it was a file; of a camera trial's own mark, times and
    /// keypoints (see [`crate::live::Trial::camera_sha256`]) for a live trial saved by this
    /// version.
    pub source_sha256: Option<String>,
    /// The part of the source the trial was measured from, seconds from the source's start
    /// (`[start, end]`): a live trial cut from a video file. None: the whole recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_span_s: Option<[f64; 2]>,
    pub gonio_version: String,
    /// The evidence picture written for this result, when there is one.
    #[serde(default)]
    pub evidence_path: Option<String>,
    /// sha256 of the evidence picture as written: a file found at `evidence_path` with other
    /// contents is not this result's picture and is never shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_sha256: Option<String>,
    /// The settings the result was measured with; None for results saved before they were
    /// kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<Settings>,
    /// The evidence picture itself, in exports that carry it (see [`Store::export`]); kept in
    /// the database when imported. Never read back by [`Store::history`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<Picture>,
    /// The files analyze wrote for this result (evidence, plot, per-frame CSV, result JSON), as
    /// written: what [`Store::forget`] may delete. This machine's, so never exported.
    #[serde(skip)]
    pub written_files: Vec<WrittenFile>,
}

/// A file analyze wrote, as it was then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WrittenFile {
    /// Absolute path.
    pub path: String,
    /// sha256 of its contents, hex.
    pub sha256: String,
}

impl WrittenFile {
    /// `path` as it is now, made absolute; None when it cannot be read.
    pub fn of(path: &Path) -> Option<WrittenFile> {
        let path = std::fs::canonicalize(path).ok()?;
        Some(WrittenFile {
            sha256: file_sha256(&path)?,
            path: path.display().to_string(),
        })
    }
}

/// A saved session with its measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub label: String,
    /// When it took place, UTC, `YYYY-MM-DDTHH:MM:SSZ`: a day alone (given without a time, or
    /// a new session from recorded files without a date) is its midnight ([`is_day_alone`]).
    pub started_at: String,
    pub notes: Option<String>,
    pub measurements: Vec<StoredMeasurement>,
}

/// Everything saved about one subject (`gonio export` / `gonio import`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectExport {
    pub subject: String,
    /// The patient's notes, when the clinic app has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// `YYYY-MM-DD`, when given in the clinic app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    pub sessions: Vec<Session>,
}

/// One line of `gonio subjects`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectSummary {
    pub subject: String,
    pub sessions: usize,
    pub measurements: usize,
    pub last_session_at: Option<String>,
}

/// A patient as the clinic app lists them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patient {
    /// Row id: how the app addresses a patient (never the alias, which is personal data, in a
    /// URL).
    pub id: i64,
    pub alias: String,
    pub notes: Option<String>,
    /// `YYYY-MM-DD`, when given.
    pub date_of_birth: Option<String>,
    pub sessions: usize,
    pub measurements: usize,
    pub last_session_at: Option<String>,
}

/// A picture kept in the database with a measurement (its evidence frame). In an export, its
/// bytes are written in base64: `{"mime": "image/png", "base64": "iVBOR..."}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    /// `image/png` or `image/jpeg`.
    pub mime: String,
    #[serde(rename = "base64", with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

/// The largest picture accepted from an export, bytes.
const MAX_PICTURE_BYTES: usize = 64 << 20;

impl Picture {
    /// Whether the bytes are the picture the MIME type says (a PNG or JPEG whose header reads,
    /// with a size), and no larger than [`MAX_PICTURE_BYTES`].
    fn is_plausible(&self) -> bool {
        let format = match self.mime.as_str() {
            "image/png" => image::ImageFormat::Png,
            "image/jpeg" => image::ImageFormat::Jpeg,
            _ => return false,
        };
        if self.bytes.len() > MAX_PICTURE_BYTES {
            return false;
        }
        let reader = image::ImageReader::new(std::io::Cursor::new(&self.bytes));
        reader.with_guessed_format().is_ok_and(|r| {
            r.format() == Some(format) && r.into_dimensions().is_ok_and(|(w, h)| w > 0 && h > 0)
        })
    }
}

/// Bytes as a base64 string in JSON.
mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

/// Which evidence pictures an export carries (see [`Store::export`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportPictures {
    /// Those kept in the database (live trials and uploads in the clinic app): a merge of
    /// databases copies what they hold.
    Kept,
    /// Those kept, else the evidence file a result names while it still exists: an export that
    /// is whole on another machine.
    KeptOrFiles,
}

/// An open gonio database.
pub struct Store {
    connection: Connection,
    path: PathBuf,
}

impl Store {
    fn sql(&self, error: rusqlite::Error) -> StoreError {
        StoreError::Sql {
            path: self.path.clone(),
            detail: error.to_string(),
        }
    }

    /// The refusal of `problem`, naming this store's file.
    fn implausible(&self, problem: Implausible) -> StoreError {
        StoreError::Implausible {
            path: self.path.clone(),
            problem: Box::new(problem),
        }
    }

    /// The file behind this store.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether two trials of one recording are the same part of it: spans (seconds from the
/// recording's start) overlapping by at least half the shorter one, so that a replayed trial
/// started a few frames apart is the same trial and the next trial, starting where this one
/// ended, is not. A result of the whole recording (None) covers every part.
pub(crate) fn spans_alike(a: Option<[f64; 2]>, b: Option<[f64; 2]>) -> bool {
    let (Some([a0, a1]), Some([b0, b1])) = (a, b) else {
        return true;
    };
    let overlap = a1.min(b1) - a0.max(b0);
    let shorter = (a1 - a0).min(b1 - b0).max(0.0);
    overlap >= 0.0 && overlap >= 0.5 * shorter
}

impl StoredMeasurement {
    /// A measurement as saved, with the source file's hash and this gonio's version.
    pub fn from_measurement(m: &Measurement, source_sha256: Option<String>) -> Self {
        StoredMeasurement {
            protocol: m.protocol.clone(),
            measure: m.measure.clone(),
            side: m.side,
            value_deg: m.value_deg,
            peak_deg: m.peak_deg,
            hold_s: m.hold_s,
            valid_frames: m.valid_frames,
            total_frames: m.total_frames,
            quality: m.quality,
            warnings: m.warnings.clone(),
            model: m.model.clone(),
            source: m.source.clone(),
            source_sha256,
            source_span_s: None,
            gonio_version: env!("CARGO_PKG_VERSION").to_string(),
            evidence_path: None,
            evidence_sha256: None,
            settings: m.settings,
            picture: None,
            written_files: Vec::new(),
        }
    }
}

/// sha256 of a file, lower-case hex; None when it cannot be read, or is no regular file (a
/// FIFO read to hash it would be read empty by the analysis after, and wait for ever).
pub fn file_sha256(path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).ok()?;
    Some(hex(&hasher.finalize()))
}

/// sha256 of `bytes`, as lowercase hexadecimal.
pub fn bytes_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// `digest` as lower-case hexadecimal.
pub(crate) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::schema::{APPLICATION_ID, MIGRATIONS};
    use super::*;
    use crate::protocols::WarningKind;

    fn measurement(value: f32) -> StoredMeasurement {
        StoredMeasurement {
            protocol: "slr".into(),
            measure: "hip_flexion".into(),
            side: Side::Left,
            value_deg: Some(value),
            peak_deg: Some(value + 2.0),
            hold_s: 3.0,
            valid_frames: 90,
            total_frames: 100,
            quality: Quality::Good,
            warnings: vec![Warning::new(WarningKind::Legacy).detail("a warning")],
            model: Some("movenet-thunder@sha256:00".into()),
            source: "trial.mp4".into(),
            source_sha256: None,
            source_span_s: None,
            gonio_version: "0.1.0".into(),
            evidence_path: None,
            evidence_sha256: None,
            settings: None,
            picture: None,
            written_files: Vec::new(),
        }
    }

    /// A time given never moves a session already there (it did, and a "before" could pass its
    /// "after"); it must fall on the session's day in some time zone, as a day alone does.
    #[test]
    fn a_time_given_never_moves_a_session() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let m = [measurement(60.0)];
        store
            .save("s", "before", None, Some("2026-11-03T19:00"), &m)
            .unwrap();
        store
            .save("s", "after", None, Some("2026-11-04T15:00"), &m)
            .unwrap();
        // 21 hours later, yet the same day from UTC+5 to UTC+8: taken, and "before" stays first.
        store
            .save("s", "before", None, Some("2026-11-04T16:00"), &m)
            .unwrap();
        assert!(matches!(
            store.save("s", "before", None, Some("2026-11-06T16:00"), &m),
            Err(StoreError::OtherDay { .. })
        ));
        store
            .save(
                "s",
                "before",
                None,
                Some("2026-11-04"),
                &[measurement(61.0)],
            )
            .unwrap();
        let labels: Vec<String> = store
            .history("s")
            .unwrap()
            .sessions
            .into_iter()
            .map(|s| s.label)
            .collect();
        assert_eq!(labels, ["before", "after"]);
    }

    /// A recording with no date joins a session of today or the day before (a batch across
    /// midnight); an older session is asked about, not merged (a new visit under an old label
    /// moved its mean, and the verdict).
    #[test]
    fn a_recording_with_no_date_does_not_join_an_old_session() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let m = [measurement(60.0)];
        store
            .save("s", "before", None, Some("2026-10-01"), &m)
            .unwrap();
        let refused = store.save("s", "before", None, None, &[measurement(70.0)]);
        assert!(
            matches!(&refused, Err(StoreError::UndatedOtherDay { stored, .. }) if stored == "2026-10-01"),
            "{refused:?}"
        );
        let id = store.subject_row_id("s").unwrap();
        assert!(matches!(
            store.check_save_trial(id, "before", None),
            Err(StoreError::UndatedOtherDay { .. })
        ));
        // Nothing moved: one trial in "before".
        assert_eq!(
            store.history("s").unwrap().sessions[0].measurements.len(),
            1
        );
        let today = jiff::Zoned::now().date();
        // A time is read on this computer's calendar: yesterday noon here (in Sydney, the UTC
        // day before that) is yesterday; noon two days ago is not.
        let utc_time_of = |day: jiff::civil::Date| {
            day.at(12, 0, 0, 0)
                .to_zoned(jiff::tz::TimeZone::system())
                .unwrap()
                .timestamp()
                .strftime("%Y-%m-%dT%H:%M")
                .to_string()
        };
        let two_days_ago = today.yesterday().unwrap().yesterday().unwrap();
        for (label, at) in [
            ("two days ago", utc_time_of(two_days_ago)),
            ("two days ago, a day", two_days_ago.to_string()),
        ] {
            store.save("s", label, None, Some(&at), &m).unwrap();
            assert!(matches!(
                store.save("s", label, None, None, &m),
                Err(StoreError::UndatedOtherDay { .. })
            ));
        }
        store
            .save(
                "s",
                "noon",
                None,
                Some(&utc_time_of(today.yesterday().unwrap())),
                &m,
            )
            .unwrap();
        store.save("s", "noon", None, None, &m).unwrap();
        // Today's session, and yesterday's, take it.
        for (label, day) in [("today", today), ("yesterday", today.yesterday().unwrap())] {
            let day = day.to_string();
            store.save("s", label, None, Some(&day), &m).unwrap();
            store.save("s", label, None, None, &m).unwrap();
        }
    }

    /// A forgotten patient's id, or a discarded result's, is never given again: a queued upload
    /// or live trial of the forgotten patient was saved into the next new patient, and a stale
    /// "discard" deleted another patient's result.
    #[test]
    fn ids_of_deleted_rows_are_never_given_again() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let first = store.add_patient("A", None, None).unwrap();
        let trial = store
            .save_trial(first, "before", None, &[(measurement(60.0), None)])
            .unwrap();
        store.forget("A").unwrap();
        let second = store.add_patient("B", None, None).unwrap();
        assert!(second > first, "{second} after {first}");
        assert!(store
            .save_trial(first, "before", None, &[(measurement(61.0), None)])
            .is_err());
        let kept = store
            .save_trial(second, "before", None, &[(measurement(62.0), None)])
            .unwrap();
        assert!(kept[0] > trial[0]);
        assert_eq!(store.discard(kept[0]).unwrap(), vec![kept[0]]);
        let next = store
            .save_trial(second, "before", None, &[(measurement(63.0), None)])
            .unwrap();
        assert!(next[0] > kept[0]);
        assert!(
            store.discard(kept[0]).unwrap().is_empty(),
            "a stale discard finds nothing"
        );
        assert_eq!(store.patient(second).unwrap().measurements, 1);
        // Through `save` (the command line) too.
        let id_of = |store: &Store, alias: &str| {
            store
                .patients()
                .unwrap()
                .iter()
                .find(|p| p.alias == alias)
                .map(|p| p.id)
                .unwrap()
        };
        store
            .save("C", "s", None, None, &[measurement(64.0)])
            .unwrap();
        let c = id_of(&store, "C");
        store.forget("C").unwrap();
        store
            .save("D", "s", None, None, &[measurement(65.0)])
            .unwrap();
        assert!(id_of(&store, "D") > c);
    }

    /// A trial saves a result per measure (a straight-leg raise: two); discarding it took one,
    /// and the other stayed to be judged against the next session.
    #[test]
    fn discarding_a_trial_takes_every_result_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let id = store.add_patient("P-1", None, None).unwrap();
        let trial = |sha: &str| {
            let mut hip = measurement(70.0);
            hip.source_sha256 = Some(sha.to_string());
            let mut leg = hip.clone();
            leg.measure = "leg_to_horizontal".into();
            [(hip, None), (leg, None)]
        };
        let both = {
            let mut sides = trial(&"c".repeat(64)).to_vec();
            let mut right = sides[0].clone();
            right.0.side = Side::Right;
            sides.push(right);
            store.save_trial(id, "other", None, &sides).unwrap()
        };
        // The right side's result stays when the left's trial is discarded.
        assert_eq!(store.discard(both[0]).unwrap(), both[..2].to_vec());
        assert_eq!(store.discard(both[2]).unwrap(), vec![both[2]]);
        let bad = store
            .save_trial(id, "before", None, &trial(&"a".repeat(64)))
            .unwrap();
        let good = store
            .save_trial(id, "before", None, &trial(&"b".repeat(64)))
            .unwrap();
        assert_eq!(bad.len(), 2);
        assert_eq!(store.discard(bad[1]).unwrap(), bad);
        assert_eq!(store.patient(id).unwrap().measurements, 2);
        assert_eq!(store.discard(good[0]).unwrap(), good);
        assert_eq!(store.patient(id).unwrap().sessions, 0);
    }

    #[test]
    fn patients_trials_with_pictures_and_discarding() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let id = store
            .add_patient("P-017", Some("left hamstring"), Some("1980-02-29"))
            .unwrap();
        assert!(matches!(
            store.add_patient("P-017", None, None),
            Err(StoreError::SubjectExists(_))
        ));
        for bad in ["1980-02-30", "2999-01-01", "1980-02-29T10:00", "yesterday"] {
            assert!(
                store.add_patient("P-018", None, Some(bad)).is_err(),
                "{bad}"
            );
        }
        assert!(store.add_patient("  ", None, None).is_err());
        let patient = store.patient(id).unwrap();
        assert_eq!(patient.alias, "P-017");
        assert_eq!(patient.date_of_birth.as_deref(), Some("1980-02-29"));
        assert_eq!(patient.measurements, 0);

        let picture = Picture {
            mime: "image/jpeg".into(),
            bytes: vec![0xFF, 0xD8, 1, 2, 3],
        };
        // Repeated trials are distinct measurements, never replaced.
        let first = store
            .save_trial(
                id,
                "before",
                None,
                &[(measurement(60.0), Some(picture.clone()))],
            )
            .unwrap();
        let second = store
            .save_trial(id, "before", None, &[(measurement(60.0), None)])
            .unwrap();
        assert_ne!(first, second);
        assert_eq!(store.patient(id).unwrap().measurements, 2);
        assert_eq!(store.picture(first[0]).unwrap(), Some(picture));
        assert_eq!(store.picture(second[0]).unwrap(), None);
        assert_eq!(store.owner_of(first[0]).unwrap().as_deref(), Some("P-017"));
        let (history, ids) = store.history_with_ids("P-017").unwrap();
        assert_eq!(ids, vec![vec![first[0], second[0]]]);
        assert_eq!(history.notes.as_deref(), Some("left hamstring"));

        assert_eq!(store.discard(first[0]).unwrap(), first);
        assert!(store.discard(first[0]).unwrap().is_empty());
        assert_eq!(store.picture(first[0]).unwrap(), None);
        let count: i64 = store
            .connection
            .query_row("SELECT count(*) FROM pictures", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 0, "the discarded trial's picture went with it");
        assert_eq!(store.patients().unwrap().len(), 1);
        // Discarding a session's last result takes the empty session away.
        assert_eq!(store.discard(second[0]).unwrap(), second);
        assert_eq!(store.patient(id).unwrap().sessions, 0);
        // A patient forgotten meanwhile is not brought back by a late trial.
        store.forget("P-017").unwrap();
        assert!(matches!(
            store.save_trial(id, "before", None, &[(measurement(60.0), None)]),
            Err(StoreError::NoSubject(_))
        ));
        assert!(store.patients().unwrap().is_empty());
    }

    /// Pictures travel with exports and merges: a JSON export carries them in base64, importing
    /// it (or merging the database itself) keeps them in the other database, and a picture that
    /// is not one is refused with nothing imported.
    #[test]
    fn exports_and_merges_carry_the_pictures() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("clinic.sqlite")).unwrap();
        let id = store.add_patient("P-017", None, None).unwrap();
        let mut jpeg = Vec::new();
        image::RgbImage::new(4, 2)
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        let picture = Picture {
            mime: "image/jpeg".into(),
            bytes: jpeg,
        };
        let saved = store
            .save_trial(
                id,
                "before",
                None,
                &[
                    (measurement(60.0), Some(picture.clone())),
                    (measurement(61.0), None),
                ],
            )
            .unwrap();
        let export = store.export("P-017", ExportPictures::Kept).unwrap();
        let json = serde_json::to_string(&export).unwrap();
        assert!(
            json.contains("\"mime\":\"image/jpeg\",\"base64\":\"/9j/"),
            "{json}"
        );
        assert_eq!(json.matches("base64").count(), 1, "no picture, no field");
        // History alone never loads the bytes.
        assert!(store.history("P-017").unwrap().sessions[0].measurements[0]
            .picture
            .is_none());

        // The export imported elsewhere, and the database merged into a third.
        let read_back: SubjectExport = serde_json::from_str(&json).unwrap();
        let mut other = Store::open(&dir.path().join("other.sqlite")).unwrap();
        other.import(&[read_back]).unwrap();
        let mut merged = Store::open(&dir.path().join("merged.sqlite")).unwrap();
        merged
            .import(
                &Store::open_copy(&dir.path().join("clinic.sqlite"))
                    .unwrap()
                    .export_all()
                    .unwrap(),
            )
            .unwrap();
        for copy in [&other, &merged] {
            let (history, ids) = copy.history_with_ids("P-017").unwrap();
            assert_eq!(history.sessions[0].measurements.len(), 2);
            assert_eq!(copy.picture(ids[0][0]).unwrap(), Some(picture.clone()));
            assert_eq!(copy.picture(ids[0][1]).unwrap(), None);
        }
        // Imported twice, and again without pictures (an older export): still one picture
        // per result, kept.
        let again = store.export("P-017", ExportPictures::Kept).unwrap();
        other.import(&[again]).unwrap();
        other.import(&[store.history("P-017").unwrap()]).unwrap();
        let pictures: i64 = other
            .connection
            .query_row("SELECT count(*) FROM pictures", [], |r| r.get(0))
            .unwrap();
        assert_eq!(pictures, 1);
        let (_, ids) = other.history_with_ids("P-017").unwrap();
        let kept: Vec<_> = ids[0]
            .iter()
            .map(|&id| other.picture(id).unwrap())
            .collect();
        assert!(kept.contains(&Some(picture.clone())), "the picture stayed");

        // A "picture" that is text: refused, nothing imported.
        let mut bad = store.export("P-017", ExportPictures::Kept).unwrap();
        bad.subject = "P-018".into();
        bad.sessions[0].measurements[0].picture = Some(Picture {
            mime: "image/png".into(),
            // Only a PNG's first bytes, then a script.
            bytes: b"\x89PNG\r\n\x1a\n#!/bin/sh".to_vec(),
        });
        let refused = other.import(&[bad]);
        assert!(
            matches!(&refused, Err(StoreError::Implausible { problem, .. })
                if matches!(**problem, Implausible::Picture { .. })),
            "{refused:?}"
        );
        assert!(other.history("P-018").is_err());
        assert_eq!(saved.len(), 2);
    }

    /// An old "before" recording saved after the "after" session comes first once dated, and a
    /// recording of another day never moves a session silently.
    #[test]
    fn sessions_are_ordered_by_their_dates() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let id = store.add_patient("P-017", None, None).unwrap();
        // Dated, not today: today on a calendar east of UTC is the UTC tomorrow this test
        // redates "before" to, and the two would tie.
        store
            .save_trial(
                id,
                "after",
                Some("2026-11-20"),
                &[(measurement(80.0), None)],
            )
            .unwrap();
        store
            .save_trial(
                id,
                "before",
                Some("2026-11-03"),
                &[(measurement(60.0), None)],
            )
            .unwrap();
        let labels = |store: &Store| -> Vec<String> {
            let history = store.history("P-017").unwrap();
            history.sessions.into_iter().map(|s| s.label).collect()
        };
        assert_eq!(labels(&store), ["before", "after"]);
        assert_eq!(
            store.session_date(id, "before").unwrap().as_deref(),
            Some("2026-11-03T00:00:00Z")
        );
        // Another day into the same session: refused, nothing saved.
        let other = store.save_trial(
            id,
            "before",
            Some("2026-11-04"),
            &[(measurement(61.0), None)],
        );
        assert!(
            matches!(&other, Err(StoreError::OtherDay { stored, given, .. })
                if stored == "2026-11-03" && given == "2026-11-04"),
            "{other:?}"
        );
        assert_eq!(store.patient(id).unwrap().measurements, 2);
        // The same day: saved into it. No date, for a session of weeks ago: asked.
        store
            .save_trial(
                id,
                "before",
                Some("2026-11-03T10:00"),
                &[(measurement(62.0), None)],
            )
            .unwrap();
        assert!(matches!(
            store.save_trial(id, "before", None, &[(measurement(63.0), None)]),
            Err(StoreError::UndatedOtherDay { .. })
        ));
        store
            .save_trial(
                id,
                "before",
                Some("2026-11-03"),
                &[(measurement(63.0), None)],
            )
            .unwrap();
        assert_eq!(store.patient(id).unwrap().measurements, 4);
        // A time given that day does not move the session: a second recording of one visit,
        // timed later, turned a before/after of the same day round.
        assert_eq!(
            store.session_date(id, "before").unwrap().as_deref(),
            Some("2026-11-03T00:00:00Z")
        );
        // A label in other letter case is named, not "no session".
        assert!(matches!(
            store.set_session_date(id, "Before", "2026-11-02"),
            Err(StoreError::SimilarSession { existing, .. }) if existing == "before"
        ));
        // Dating a session again reorders the sessions.
        assert_eq!(
            store.set_session_date(id, "before", &day_utc(1)).unwrap(),
            format!("{}T00:00:00Z", day_utc(1))
        );
        // A date after tomorrow or before 1970 is a typo, refused before it reorders anything.
        for typo in [day_utc(2), "2062-11-03".into(), "1926-11-03".into()] {
            assert!(
                matches!(
                    store.set_session_date(id, "before", &typo),
                    Err(StoreError::Implausible { .. })
                ),
                "{typo}"
            );
        }
        assert_eq!(labels(&store), ["after", "before"]);
        // A day alone that is today dates a new session now: after one measured earlier today,
        // not before it at midnight.
        store
            .save_trial(
                id,
                "evening",
                Some(&today_utc()),
                &[(measurement(70.0), None)],
            )
            .unwrap();
        assert_eq!(labels(&store), ["after", "evening", "before"]);
        assert!(store.set_session_date(id, "before", "2025-02-30").is_err());
        assert!(matches!(
            store.set_session_date(id, "during", "2025-01-01"),
            Err(StoreError::NoSession { .. })
        ));
    }

    /// One person typed two ways is one subject: an accent as its own letter or as a combining
    /// mark, spaces around; a name that differs only in letter case is refused, not made a
    /// second subject that splits the history.
    #[test]
    fn a_name_typed_two_ways_is_one_subject() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let composed = "Jos\u{e9}";
        let decomposed = "Jose\u{301} ";
        store
            .save(composed, "before", None, None, &[measurement(61.0)])
            .unwrap();
        store
            .save(decomposed, "after", None, None, &[measurement(70.0)])
            .unwrap();
        assert_eq!(store.subjects().unwrap().len(), 1);
        assert_eq!(store.history(decomposed).unwrap().sessions.len(), 2);
        // Session labels alike: spaces and Unicode form are one session, letter case refused.
        store
            .save(composed, " after ", None, None, &[measurement(71.0)])
            .unwrap();
        assert_eq!(store.history(composed).unwrap().sessions.len(), 2);
        // On import too.
        let mut export = store.history(composed).unwrap();
        export.sessions.retain(|s| s.label == "after");
        export.sessions[0].label = "AFTER".into();
        assert!(matches!(
            store.import(&[export]),
            Err(StoreError::SimilarSession { .. })
        ));
        assert_eq!(store.history(composed).unwrap().sessions.len(), 2);
        assert!(matches!(
            store.save(composed, "After", None, None, &[measurement(90.0)]),
            Err(StoreError::SimilarSession { existing, .. }) if existing == "after"
        ));
        assert_eq!(store.history(composed).unwrap().sessions.len(), 2);

        let similar = |e: Result<(), StoreError>| matches!(e, Err(StoreError::SimilarSubject { existing, .. }) if existing == composed);
        assert!(similar(
            store
                .save("jos\u{e9}", "later", None, None, &[measurement(72.0)])
                .map(|_| ())
        ));
        assert!(similar(
            store.add_patient("JOSE\u{301}", None, None).map(|_| ())
        ));
        assert!(similar(store.history("jos\u{e9}").map(|_| ())));
        // Full-width letters (typed with an East Asian input method) look the same too.
        assert!(similar(
            store
                .add_patient("\u{FF2A}\u{FF4F}\u{FF53}\u{FF45}\u{0301}", None, None)
                .map(|_| ())
        ));
        assert!(matches!(
            store.history("Maria"),
            Err(StoreError::NoSubject(_))
        ));
        // A phone's curly apostrophe and a word processor's hyphen look the same too.
        store
            .save("O'Brien", "follow-up", None, None, &[measurement(60.0)])
            .unwrap();
        // An acute accent too: NFKC makes it a space and a combining accent; a full-width grave
        // NFKC makes a grave.
        for apostrophe in ['\u{2019}', '\u{00B4}', '\u{02BB}', '\u{FF40}'] {
            assert!(matches!(
                store.add_patient(&format!("O{apostrophe}Brien"), None, None),
                Err(StoreError::SimilarSubject { existing, .. }) if existing == "O'Brien"
            ));
        }
        // Dashes NFKC makes dashes: a vertical em dash, a superscript minus.
        for dash in ['\u{2010}', '\u{FE31}', '\u{207B}'] {
            assert!(matches!(
                store.save("O'Brien", &format!("follow{dash}up"), None, None, &[measurement(61.0)]),
                Err(StoreError::SimilarSession { existing, .. }) if existing == "follow-up"
            ));
        }
        store.forget("O'Brien").unwrap();
        // Names that look the same on a page: spaces doubled are one; invisible characters are
        // refused, and so are control characters (they were "an empty name" in the app).
        store
            .save("Anna  Smith", "s", None, None, &[measurement(50.0)])
            .unwrap();
        assert!(store.history("Anna Smith").is_ok());
        assert!(
            store.history("Anna\u{a0}Smith").is_ok(),
            "a no-break space is a space"
        );
        // An emoji's variation selector is no hidden character: "after ❤️" is a label.
        store
            .save(
                "Anna Smith",
                "after \u{2764}\u{fe0f}",
                None,
                None,
                &[measurement(51.0)],
            )
            .unwrap();
        for hidden in [
            "Anna\u{200b}Smith",
            "Anna Smith\u{200b}",
            "a\u{202e}b",
            "a\nb",
            // Blank letters, said as hidden (they were "a Cyrillic or Greek letter").
            "Anna Smith\u{2800}",
            "Anna Smith\u{3164}",
        ] {
            assert!(
                matches!(
                    store.add_patient(hidden, None, None),
                    Err(StoreError::Implausible { ref problem, .. })
                        if matches!(**problem, Implausible::ControlCharacters { .. })
                ),
                "{hidden:?}"
            );
            assert!(store
                .save(hidden, "s", None, None, &[measurement(50.0)])
                .is_err());
        }
        // A Cyrillic "А" in a Latin name (or "е" in a label) made a second patient, or
        // session, that looked like the first; names in one script stay free.
        assert!(matches!(
            store.add_patient("\u{410}nna Smith", None, None),
            Err(StoreError::Implausible { ref problem, .. })
                if matches!(**problem, Implausible::MixedScripts { .. })
        ));
        assert!(store
            .save(
                "Anna Smith",
                "b\u{435}fore",
                None,
                None,
                &[measurement(50.0)]
            )
            .is_err());
        for one_script in ["Анна Смирнова", "José Núñez-2", "山田 たろう", "P-017"]
        {
            store.add_patient(one_script, None, None).unwrap();
            store.forget(one_script).unwrap();
        }
        store.forget("Anna Smith").unwrap();
        // Names saved before they were stored in one form (a trailing space, doubled spaces)
        // are still found, saved into and forgotten by the name typed today.
        store
            .connection
            .execute_batch(
                "INSERT INTO subjects (id, alias) VALUES (900, 'runner-7 ');
                 INSERT INTO sessions (id, subject_id, label) VALUES (900, 900, 'before ');",
            )
            .unwrap();
        store
            .save("runner-7", "before", None, None, &[measurement(61.0)])
            .unwrap();
        let history = store.history(" runner-7").unwrap();
        assert_eq!(history.sessions.len(), 1, "{history:?}");
        assert_eq!(history.sessions[0].measurements.len(), 1);
        assert!(matches!(
            store.add_patient("runner-7", None, None),
            Err(StoreError::SubjectExists(_))
        ));
        store.forget("runner-7").unwrap();
        assert!(store.history("runner-7 ").is_err());
        // An import of the same person under another case is refused whole, nothing half-done.
        let mut export = store.history(composed).unwrap();
        export.subject = "JOS\u{c9}".into();
        assert!(similar(store.import(&[export]).map(|_| ())));
        assert_eq!(store.subjects().unwrap().len(), 1);
        assert_eq!(store.forget(decomposed).unwrap().deleted.len(), 0);
        assert!(store.subjects().unwrap().is_empty());
    }

    #[test]
    fn save_history_export_import_forget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut store = Store::open(&path).unwrap();
        store
            .save(
                "runner-7",
                "before",
                Some("first visit"),
                None,
                &[measurement(61.0)],
            )
            .unwrap();
        store
            .save(
                "runner-7",
                "after",
                None,
                None,
                &[measurement(70.0), measurement(71.0)],
            )
            .unwrap();
        let history = store.history("runner-7").unwrap();
        assert_eq!(history.sessions.len(), 2);
        assert_eq!(history.sessions[0].label, "before");
        assert_eq!(history.sessions[0].notes.as_deref(), Some("first visit"));
        assert_eq!(history.sessions[1].measurements.len(), 2);
        assert_eq!(history.sessions[0].measurements[0], measurement(61.0));

        let other = dir.path().join("other.sqlite");
        let mut copy = Store::open(&other).unwrap();
        copy.import(std::slice::from_ref(&history)).unwrap();
        assert_eq!(copy.history("runner-7").unwrap(), history);
        // Importing the same export again changes nothing.
        let again = copy.import(std::slice::from_ref(&history)).unwrap();
        assert_eq!(copy.history("runner-7").unwrap(), history);
        assert_eq!(again.replaced, 3);
        assert!(again.kept_dates.is_empty());
        // The same session dated the next day elsewhere (a batch's shards across midnight):
        // this database's date stays, and is said.
        let mut dated = history.clone();
        dated.sessions[0].started_at = "2026-11-20T22:00:00Z".to_string();
        let mut third = Store::open(&dir.path().join("third.sqlite")).unwrap();
        third.import(std::slice::from_ref(&dated)).unwrap();
        let mut next_day = dated.clone();
        next_day.sessions[0].started_at = "2026-11-21T01:00:00Z".to_string();
        let kept = third.import(&[next_day]).unwrap();
        assert_eq!(
            third.history("runner-7").unwrap().sessions[0].started_at,
            "2026-11-20T22:00:00Z"
        );
        assert_eq!(
            kept.kept_dates,
            vec![KeptDate {
                subject: "runner-7".to_string(),
                label: "before".to_string(),
                kept: "2026-11-20".to_string(),
                imported: "2026-11-21".to_string(),
            }]
        );
        // Another visit under the same label: refused, nothing imported.
        let mut elsewhere = dated.clone();
        elsewhere.sessions[0].started_at = "2020-01-02T10:00:00Z".to_string();
        let before_import = third.history("runner-7").unwrap();
        assert!(matches!(
            third.import(&[elsewhere]),
            Err(StoreError::ImportOtherDay { label, .. }) if label == "before"
        ));
        assert_eq!(third.history("runner-7").unwrap(), before_import);

        store.forget("runner-7").unwrap();
        assert!(matches!(
            store.history("runner-7"),
            Err(StoreError::NoSubject(_))
        ));
        assert!(store.subjects().unwrap().is_empty());
        drop(store);
        // Reopening an existing gonio database works.
        assert!(Store::open(&path).is_ok());
    }

    #[test]
    fn the_same_file_saved_twice_is_one_trial_and_dates_order_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        // A file's sha256 is 64 hexadecimal digits: `aa` stands for `aaaa...`.
        let trial = |value: f32, sha: &str| StoredMeasurement {
            source_sha256: Some(sha.repeat(32)),
            source_span_s: None,
            ..measurement(value)
        };
        let at = |date: &str| parse_session_date(date).unwrap();
        let after = at("2026-11-30");
        let before = at("2026-11-01");
        assert_eq!(
            store
                .save("s", "after", None, Some(&after), &[trial(70.0, "aa")])
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .save("s", "after", None, Some(&after), &[trial(70.5, "aa")])
                .unwrap(),
            1,
            "the same file again replaces its result"
        );
        store
            .save("s", "after", None, Some(&after), &[trial(72.0, "bb")])
            .unwrap();
        // Saved later, recorded earlier: it comes first.
        store
            .save("s", "before", None, Some(&before), &[trial(60.0, "cc")])
            .unwrap();
        let history = store.history("s").unwrap();
        let labels: Vec<&str> = history.sessions.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["before", "after"]);
        let values: Vec<Option<f32>> = history.sessions[1]
            .measurements
            .iter()
            .map(|m| m.value_deg)
            .collect();
        assert_eq!(values, [Some(70.5), Some(72.0)]);
    }

    /// One video holds several live trials: a replay (started a few frames apart) replaces
    /// its trial, the next trial of the file is another, and the whole file covers them all.
    #[test]
    fn trials_cut_from_one_file_are_told_apart_by_their_span() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let part = |value: f32, span: Option<[f64; 2]>| StoredMeasurement {
            source_sha256: Some("ab".repeat(32)),
            source_span_s: span,
            ..measurement(value)
        };
        let saved = |store: &Store| -> Vec<(Option<f32>, Option<[f64; 2]>)> {
            store.history("s").unwrap().sessions[0]
                .measurements
                .iter()
                .map(|m| (m.value_deg, m.source_span_s))
                .collect()
        };
        let first = Some([0.0, 10.0]);
        let second = Some([10.033, 20.0]);
        store
            .save("s", "a", None, None, &[part(60.0, first)])
            .unwrap();
        store
            .save("s", "a", None, None, &[part(62.0, second)])
            .unwrap();
        assert_eq!(saved(&store), [(Some(60.0), first), (Some(62.0), second)]);
        let replay = Some([0.1, 9.9]);
        assert_eq!(
            store
                .save("s", "a", None, None, &[part(61.0, replay)])
                .unwrap(),
            1,
            "a replay of the first trial replaces it only"
        );
        assert_eq!(saved(&store), [(Some(62.0), second), (Some(61.0), replay)]);
        assert_eq!(
            store
                .save("s", "a", None, None, &[part(65.0, None)])
                .unwrap(),
            2,
            "the whole file measured stands for every trial cut from it"
        );
        assert_eq!(saved(&store), [(Some(65.0), None)]);

        assert!(spans_alike(Some([2.0, 2.0]), Some([0.0, 5.0])));
        assert!(!spans_alike(Some([6.0, 6.0]), Some([0.0, 5.0])));
        assert!(!spans_alike(Some([0.0, 10.0]), Some([7.0, 20.0])));
        let bad = part(60.0, Some([5.0, 1.0]));
        assert!(matches!(
            store.save("s", "a", None, None, &[bad]),
            Err(StoreError::Implausible { .. })
        ));
    }

    /// One recording is one visit: the same part of a file saved into another session of the
    /// subject is refused (by `save` and `save_trial` alike) and nothing of it is written, while
    /// another part of one long recording (before and after in one video), another subject's
    /// session and a camera trial (no file) are saved.
    #[test]
    fn a_recording_saved_in_one_session_is_refused_in_another() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let part = |value: f32, sha: &str, span: Option<[f64; 2]>| StoredMeasurement {
            source: format!("{sha}.mp4"),
            source_sha256: Some(sha.repeat(32)),
            source_span_s: span,
            ..measurement(value)
        };
        store
            .save(
                "s",
                "before",
                None,
                Some("2026-02-05"),
                &[part(60.0, "ab", Some([0.0, 30.0]))],
            )
            .unwrap();
        store
            .save(
                "s",
                "after",
                None,
                Some("2026-02-05"),
                &[part(70.0, "ab", Some([600.0, 630.0]))],
            )
            .unwrap();
        let refused = store
            .save(
                "s",
                "later",
                None,
                Some("2026-03-03"),
                &[part(70.0, "ab", Some([601.0, 629.0]))],
            )
            .unwrap_err();
        assert!(
            matches!(&refused, StoreError::RecordingInOtherSession { label, date, saved_from }
                if label == "after" && date == "2026-02-05" && saved_from == "ab.mp4"),
            "{refused:?}"
        );
        assert!(
            refused.to_string().contains("one recording is one visit"),
            "{refused}"
        );
        // The whole file stands for every part of it.
        assert!(store
            .save(
                "s",
                "later",
                None,
                Some("2026-03-03"),
                &[part(70.0, "ab", None)]
            )
            .is_err());
        let id = store.subject_row_id("s").unwrap();
        let trial = |value: f32, sha: Option<&str>| {
            let m = match sha {
                Some(sha) => part(value, sha, None),
                None => measurement(value),
            };
            [(m, None)]
        };
        assert!(matches!(
            store.save_trial(
                id,
                "later",
                Some("2026-03-03T10:00"),
                &trial(70.0, Some("ab"))
            ),
            Err(StoreError::RecordingInOtherSession { .. })
        ));
        let sessions = |store: &Store| -> Vec<String> {
            store
                .history("s")
                .unwrap()
                .sessions
                .into_iter()
                .map(|s| s.label)
                .collect()
        };
        assert_eq!(sessions(&store), ["before", "after"], "nothing written");
        // Saved again into its own session, it replaces itself as before.
        assert_eq!(
            store
                .save(
                    "s",
                    "after",
                    None,
                    Some("2026-02-05"),
                    &[part(71.0, "ab", Some([600.0, 630.0]))]
                )
                .unwrap(),
            1
        );
        store
            .save_trial(id, "later", Some("2026-03-03T10:00"), &trial(72.0, None))
            .unwrap();
        store
            .save_trial(id, "later", Some("2026-03-03"), &trial(73.0, Some("cd")))
            .unwrap();
        store
            .save(
                "t",
                "before",
                None,
                None,
                &[part(60.0, "ab", Some([0.0, 30.0]))],
            )
            .unwrap();
        assert_eq!(sessions(&store), ["before", "after", "later"]);

        // A merge brings in no such visit either: nothing of it is imported.
        let mut elsewhere = Store::open(&dir.path().join("other.sqlite")).unwrap();
        elsewhere
            .save(
                "s",
                "march",
                None,
                Some("2026-03-10"),
                &[part(70.0, "ab", Some([600.0, 630.0]))],
            )
            .unwrap();
        elsewhere
            .save(
                "s",
                "march",
                None,
                Some("2026-03-10"),
                &[part(75.0, "ef", None)],
            )
            .unwrap();
        let export = elsewhere.export("s", ExportPictures::Kept).unwrap();
        let refused = store.import(&[export]).unwrap_err();
        assert!(
            refused.to_string().contains(
                "session `march` of the import holds a recording (ab.mp4) already in session `after` (2026-02-05): one recording is one visit; nothing imported"
            ),
            "{refused}"
        );
        assert_eq!(sessions(&store), ["before", "after", "later"]);
    }

    #[test]
    fn foreign_and_corrupt_files_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.sqlite");
        std::fs::write(&text, "these are my notes, not a database").unwrap();
        assert!(matches!(
            Store::open(&text),
            Err(StoreError::Foreign { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(&text).unwrap(),
            "these are my notes, not a database"
        );

        let foreign = dir.path().join("foreign.sqlite");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        let before = std::fs::read(&foreign).unwrap();
        assert!(matches!(
            Store::open(&foreign),
            Err(StoreError::Foreign { .. })
        ));
        assert_eq!(std::fs::read(&foreign).unwrap(), before);

        let newer = dir.path().join("newer.sqlite");
        drop(Store::open(&newer).unwrap());
        Connection::open(&newer)
            .unwrap()
            .execute_batch("PRAGMA user_version = 99;")
            .unwrap();
        assert!(matches!(
            Store::open(&newer),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    /// A database as an older gonio left it: schema `version`, one subject "s" with one session
    /// "old" holding one left SLR result of 50 deg whose warnings were stored as JSON text.
    fn old_database(path: &Path, version: usize) {
        let connection = Connection::open(path).unwrap();
        for step in &MIGRATIONS[..version] {
            connection.execute_batch(step).unwrap();
        }
        connection
            .execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {version};
                 INSERT INTO subjects (id, alias) VALUES (1, 's');
                 INSERT INTO sessions (id, subject_id, label) VALUES (1, 1, 'old');
                 INSERT INTO measurements (session_id, protocol, measure, side, value_deg, peak_deg,
                    hold_s, valid_frames, total_frames, quality, warnings, model, source,
                    source_sha256, gonio_version)
                 VALUES (1, 'slr', 'hip_flexion', 'left', 50.0, 52.0, 3.0, 90, 100, 'good',
                    '[\"a warning\", \"view looks oblique\"]', 'movenet-thunder@sha256:00',
                    'trial.mp4', NULL, '0.1.0');"
            ))
            .unwrap();
    }

    #[test]
    fn version_1_and_2_databases_are_migrated_keeping_their_data_and_warnings() {
        for version in [1, 2] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(format!("v{version}.sqlite"));
            old_database(&path, version);
            let mut store = Store::open(&path).unwrap();
            let found: i32 = store
                .connection
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(found, SCHEMA_VERSION);
            let mut expected = measurement(50.0);
            expected
                .warnings
                .push(Warning::new(WarningKind::Legacy).detail("view looks oblique"));
            assert_eq!(
                store.history("s").unwrap().sessions[0].measurements[0],
                expected,
                "from version {version}"
            );
            // The old warnings are rows a program can filter by kind.
            let legacy: i64 = store
                .connection
                .query_row(
                    "SELECT count(*) FROM warnings WHERE kind = 'legacy'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(legacy, 2);
            // And new results are saved beside them, with their warnings as values.
            let mut new = measurement(60.0);
            new.source = "new.mp4".into();
            new.warnings = vec![Warning::new(WarningKind::Foreshortened)
                .side(Side::Left)
                .frames(1, 4)];
            store.save("s", "old", None, None, &[new.clone()]).unwrap();
            let saved = store.history("s").unwrap().sessions[0].measurements.clone();
            assert_eq!(saved.len(), 2);
            assert_eq!(saved[1], new);
        }
    }

    #[test]
    fn odd_warnings_in_an_old_database_are_kept_as_words_and_never_block_the_migration() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.sqlite");
        old_database(&path, 2);
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "INSERT INTO measurements (session_id, protocol, measure, side, value_deg, peak_deg,
                    hold_s, valid_frames, total_frames, quality, warnings, source, gonio_version)
                 VALUES
                 (1, 'slr', 'hip_flexion', 'right', 40.0, 41.0, 2.0, 9, 10, 'good',
                    'edited by hand', 'a.mp4', '0.1.0'),
                 (1, 'slr', 'hip_flexion', 'right', 41.0, 42.0, 2.0, 9, 10, 'good',
                    '[null, 3, \"x\"]', 'b.mp4', '0.1.0'),
                 (1, 'slr', 'hip_flexion', 'right', 42.0, 43.0, 2.0, 9, 10, 'good',
                    '\"one\"', 'c.mp4', '0.1.0'),
                 (1, 'slr', 'hip_flexion', 'right', 43.0, 44.0, 2.0, 9, 10, 'good',
                    '[]', 'd.mp4', '0.1.0');",
            )
            .unwrap();
        let store = Store::open(&path).unwrap();
        let words = |source: &str| -> Vec<String> {
            let history = store.history("s").unwrap();
            let m = history.sessions[0]
                .measurements
                .iter()
                .find(|m| m.source == source)
                .unwrap()
                .clone();
            assert!(m.warnings.iter().all(|w| w.kind == WarningKind::Legacy));
            m.warnings.iter().map(ToString::to_string).collect()
        };
        assert_eq!(words("a.mp4"), ["edited by hand"]);
        assert_eq!(words("b.mp4"), ["", "3", "x"]);
        assert_eq!(words("c.mp4"), ["\"one\""]);
        assert!(words("d.mp4").is_empty());
    }

    #[test]
    fn deleting_a_result_deletes_its_warnings_and_an_unknown_kind_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let mut store = Store::open(&path).unwrap();
        store
            .save("s", "x", None, None, &[measurement(1.0)])
            .unwrap();
        store
            .connection
            .execute_batch("UPDATE warnings SET kind = 'from_the_future'")
            .unwrap();
        let error = store.history("s").unwrap_err().to_string();
        assert!(
            error.contains("unknown warning kind `from_the_future`"),
            "{error}"
        );
        store.forget("s").unwrap();
        let left: i64 = store
            .connection
            .query_row("SELECT count(*) FROM warnings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(left, 0);
    }

    #[test]
    fn an_empty_schema_0_file_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        // A database created by gonio before any table existed: marked, version 0.
        Connection::open(&path)
            .unwrap()
            .execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID};"))
            .unwrap();
        let mut store = Store::open(&path).unwrap();
        store
            .save("s", "x", None, None, &[measurement(1.0)])
            .unwrap();
        let version: i32 = store
            .connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    /// A session's notes are what a therapist wrote: a later `--notes` into the session, or an
    /// import of it with notes of its own, adds to them (it replaced them, and `--notes ""`
    /// erased them); notes already there are not repeated.
    #[test]
    fn session_notes_are_added_to_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let notes = |store: &Store| store.history("s").unwrap().sessions[0].notes.clone();
        let m = [measurement(60.0)];
        store
            .save("s", "after", Some("pain 3/10"), Some("2026-11-02"), &m)
            .unwrap();
        for (given, expected) in [
            (
                Some("left hamstring cramp"),
                "pain 3/10\nleft hamstring cramp",
            ),
            // A live session saves its notes with every trial; an empty --notes keeps them.
            (
                Some("left hamstring cramp"),
                "pain 3/10\nleft hamstring cramp",
            ),
            (Some("pain 3/10"), "pain 3/10\nleft hamstring cramp"),
            (Some("  "), "pain 3/10\nleft hamstring cramp"),
            (None, "pain 3/10\nleft hamstring cramp"),
            // Part of a line is not the line.
            (Some("pain 3"), "pain 3/10\nleft hamstring cramp\npain 3"),
        ] {
            store
                .save("s", "after", given, Some("2026-11-02"), &m)
                .unwrap();
            assert_eq!(notes(&store).as_deref(), Some(expected), "{given:?}");
        }
        // Merged from another machine's database: both kept, and a second import changes
        // nothing.
        let mut other = Store::open(&dir.path().join("other.sqlite")).unwrap();
        other
            .save("s", "after", None, Some("2026-11-02"), &[measurement(61.0)])
            .unwrap();
        let mut export = store.history("s").unwrap();
        export.sessions[0].notes = Some("stopped early".into());
        for _ in 0..2 {
            other.import(std::slice::from_ref(&export)).unwrap();
            assert_eq!(notes(&other).as_deref(), Some("stopped early"));
        }
        store.import(std::slice::from_ref(&export)).unwrap();
        assert_eq!(
            notes(&store).as_deref(),
            Some("pain 3/10\nleft hamstring cramp\npain 3\nstopped early")
        );
        // Two databases merged both ways, again and again (shards synced): each line once.
        for _ in 0..3 {
            other.import(&[store.history("s").unwrap()]).unwrap();
            store.import(&[other.history("s").unwrap()]).unwrap();
        }
        assert_eq!(
            notes(&other).as_deref(),
            Some("stopped early\npain 3/10\nleft hamstring cramp\npain 3")
        );
        assert_eq!(
            notes(&store).as_deref(),
            Some("pain 3/10\nleft hamstring cramp\npain 3\nstopped early")
        );
    }

    /// A recording imported for one subject that another has results from is said, as when
    /// analysing (an import said nothing).
    #[test]
    fn an_import_says_a_recording_is_also_another_subjects() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let with_sha = |sha: &str| StoredMeasurement {
            source_sha256: Some(sha.repeat(64)),
            ..measurement(60.0)
        };
        store
            .save("anna", "before", None, Some("2026-11-02"), &[with_sha("a")])
            .unwrap();
        let export = |subject: &str, sha: &str| SubjectExport {
            subject: subject.into(),
            notes: None,
            date_of_birth: None,
            sessions: vec![Session {
                label: "before".into(),
                started_at: "2026-11-02".into(),
                notes: None,
                measurements: vec![with_sha(sha)],
            }],
        };
        let imported = store.import(&[export("bob", "a")]).unwrap();
        assert_eq!(
            imported.also_for,
            [AlsoFor {
                subject: "bob".into(),
                source: "trial.mp4".into(),
                others: vec!["anna".into()],
            }]
        );
        assert!(store
            .import(&[export("carl", "b")])
            .unwrap()
            .also_for
            .is_empty());
    }

    /// Look-alike names a source holds apart (a database made before they were folded) are
    /// imported as two; one alone beside a saved name is still refused.
    #[test]
    fn look_alikes_the_source_holds_apart_are_imported_apart() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let export = |subject: &str, labels: &[&str]| SubjectExport {
            subject: subject.into(),
            notes: None,
            date_of_birth: None,
            sessions: labels
                .iter()
                .map(|label| Session {
                    label: (*label).into(),
                    started_at: "2026-11-01".into(),
                    notes: None,
                    measurements: vec![measurement(60.0)],
                })
                .collect(),
        };
        store
            .import(&[
                export("O'Brien", &["follow-up", "follow\u{2010}up"]),
                export("O\u{00B4}Brien", &["x"]),
            ])
            .unwrap();
        let subjects: Vec<String> = store
            .subjects()
            .unwrap()
            .into_iter()
            .map(|s| s.subject)
            .collect();
        assert_eq!(subjects.len(), 2, "{subjects:?}");
        assert_eq!(store.history("O'Brien").unwrap().sessions.len(), 2);
        assert!(matches!(
            store.import(&[export("O\u{2019}Brien", &["y"])]),
            Err(StoreError::SimilarSubject { .. })
        ));
        // Each in a source of its own (two shards, typed on two machines), they are one name
        // typed two ways: refused, as one import after the other is, not split into two
        // subjects whose sessions are never compared.
        let mut merged = Store::open(&dir.path().join("merged.sqlite")).unwrap();
        assert!(matches!(
            merged.import_sources(&[
                &[export("Runner-7", &["before"])],
                &[export("runner-7", &["after"])]
            ]),
            Err(StoreError::SimilarSubject { .. })
        ));
        assert!(merged.subjects().unwrap().is_empty());
    }

    #[test]
    fn imported_dates_are_stored_as_dates_and_names_are_printable() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite")).unwrap();
        let session = |label: &str, started_at: &str| Session {
            label: label.into(),
            started_at: started_at.into(),
            notes: None,
            measurements: vec![measurement(60.0)],
        };
        // A leading space or a day alone: stored in the stored form, so "after" sorts after.
        let export = SubjectExport {
            subject: "p".into(),
            notes: None,
            date_of_birth: None,
            sessions: vec![
                session("before", "2026-11-01T09:00:00Z"),
                session("after", " 2026-11-20"),
            ],
        };
        let imported = store.import(std::slice::from_ref(&export)).unwrap();
        assert!(imported.kept_dates.is_empty());
        let history = store.history("p").unwrap();
        let order: Vec<(&str, &str)> = history
            .sessions
            .iter()
            .map(|s| (s.label.as_str(), s.started_at.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("before", "2026-11-01T09:00:00Z"),
                ("after", "2026-11-20T00:00:00Z")
            ]
        );
        // The same day written otherwise is the same day: nothing to say.
        let mut again = export.clone();
        again.sessions[1].started_at = "2026-11-20T08:30".into();
        assert!(store.import(&[again]).unwrap().kept_dates.is_empty());
        // A newline or an escape in a name would forge output where it is printed.
        for (subject, label) in [("p\ngonio: fine", "x"), ("p", "x\u{1b}[8m")] {
            let mut bad = export.clone();
            bad.subject = subject.into();
            bad.sessions[0].label = label.into();
            assert!(matches!(
                store.import(&[bad]),
                Err(StoreError::Implausible { problem, .. })
                    if matches!(*problem, Implausible::ControlCharacters { .. })
            ));
        }
    }
}
