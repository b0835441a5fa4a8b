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
mod schema;

pub use compare::{
    asymmetry, compare, counted_trials, first_in_doubt, history_doubt, last_in_doubt, order_doubt,
    session_order, uncompared, withhold_verdicts, Comparison, MdcError, MdcOverrides, SessionOrder,
    Uncompared, Verdict,
};
pub use dates::{
    date_shown, day_utc, is_day_alone, now_utc, on_day_somewhere, parse_recording_date,
    parse_session_date, today_local, today_utc, DateError,
};
pub use export::{spreadsheet_safe, write_csv, CSV_HEADERS};
pub use forget::Forgotten;
pub use import::{ChangedValue, Imported, KeptDate};
pub use names::{is_hidden_character, mixes_scripts, stored_name};
pub use plausible::{check_export, Implausible};
pub use schema::SCHEMA_VERSION;

use dates::{day_of, undated_other_day, SessionDate};
use names::{known_session, known_subject, saved_label, Known};
use plausible::check_session;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::angles::Side;
use crate::protocols::{Measurement, Quality, Settings, Warning, WarningKind};

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

/// A part of a recording: its file's sha256 and the span a trial covers (seconds from the
/// recording's start; None: all of it).
pub type RecordingPart = (String, Option<[f64; 2]>);

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
    /// sha256 of the source file, when it was a file; of a camera trial's times and keypoints
    /// (see [`crate::live::Trial::keypoints_sha256`]) for a live trial saved by this version.
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

/// A measurement's kept picture (mime, bytes) and its evidence file, as read.
type PictureRow = (
    Option<String>,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
);

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

    /// Saves measurements into the subject's session `label` (both created when new), in one
    /// transaction. `notes` replaces the session's notes when given; `recorded_at` (UTC, ISO
    /// 8601, see [`parse_session_date`]) dates a new session, which orders sessions (default:
    /// today's day alone); a session already there of another day is refused
    /// ([`StoreError::OtherDay`]), not moved with every result in it.
    ///
    /// A measurement of the same trial as one already in the session (the same source file by
    /// content hash, protocol, measure and side) replaces it: analysing a file twice is one trial,
    /// not two, or repeated trials would look perfectly repeatable. Returns how many were
    /// replaced.
    pub fn save(
        &mut self,
        subject: &str,
        label: &str,
        notes: Option<&str>,
        recorded_at: Option<&str>,
        measurements: &[StoredMeasurement],
    ) -> Result<usize, StoreError> {
        let subject = &stored_name(subject);
        let label = &stored_name(label);
        check_session(Some(subject), label, recorded_at, measurements).map_err(|source| {
            StoreError::Implausible {
                path: self.path.clone(),
                problem: Box::new(source),
            }
        })?;
        let date = recorded_at
            .map(|text| self.session_date_of(label, text))
            .transpose()?;
        let mut replaced = 0;
        self.write_checked(|tx| {
            let subject_id = subject_id(tx, subject)?;
            let session_id = dated_session(tx, subject_id, label, date.as_ref())?;
            if let Some(notes) = notes {
                tx.execute(
                    "UPDATE sessions SET notes = ?1 WHERE id = ?2",
                    params![notes, session_id],
                )?;
            }
            for m in measurements {
                replaced += insert_measurement(tx, session_id, m, Origin::Saved)?;
            }
            Ok(())
        })?;
        Ok(replaced)
    }

    /// Whether results could be saved into `subject`'s session `label` dated `recorded_at`: the
    /// refusals [`Store::save`] gives for the names and the date ([`StoreError::SimilarSubject`],
    /// [`StoreError::SimilarSession`], [`StoreError::OtherDay`], a date that is not one), found
    /// before a long analysis instead of after it. Reads only; the save checks again.
    pub fn check_save(
        &self,
        subject: &str,
        label: &str,
        recorded_at: Option<&str>,
    ) -> Result<(), StoreError> {
        let subject = stored_name(subject);
        check_session(Some(&subject), &stored_name(label), recorded_at, &[]).map_err(|source| {
            StoreError::Implausible {
                path: self.path.clone(),
                problem: Box::new(source),
            }
        })?;
        match known_subject(&self.connection, &subject).map_err(|e| self.sql(e))? {
            Known::Saved(alias) => {
                let id = self.row_id_of(&alias)?;
                self.check_save_trial(id, label, recorded_at)
            }
            Known::CaseOf(existing) => Err(StoreError::SimilarSubject {
                given: subject,
                existing,
            }),
            Known::New => recorded_at
                .map(|text| self.session_date_of(&stored_name(label), text))
                .transpose()
                .map(|_| ()),
        }
    }

    /// The recording behind a file gonio wrote, found by the file's content hash among the
    /// files saved results name (`written_files`): its source's hash and the trial's span. A
    /// per-frame CSV analysed again is the same trial as the video it came from, not a new one.
    /// None when no saved result wrote a file with this content.
    pub fn recording_written_as(&self, sha256: &str) -> Result<Option<RecordingPart>, StoreError> {
        let found: Option<(String, Option<f64>, Option<f64>)> = self
            .connection
            .query_row(
                "SELECT source_sha256, source_start_s, source_end_s FROM measurements
                 WHERE source_sha256 IS NOT NULL AND source_sha256 <> ?1
                   AND json_valid(written_files)
                   AND EXISTS (SELECT 1 FROM json_each(written_files)
                               WHERE json_extract(value, '$.sha256') = ?1)
                 ORDER BY id DESC LIMIT 1",
                params![sha256],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(found.map(|(sha, start, end)| (sha, start.zip(end).map(|(s, e)| [s, e]))))
    }

    /// [`Store::check_save`] for [`Store::save_trial`]: the patient by row id.
    pub fn check_save_trial(
        &self,
        subject_id: i64,
        label: &str,
        recorded_at: Option<&str>,
    ) -> Result<(), StoreError> {
        let label = stored_name(label);
        let date = recorded_at
            .map(|text| self.session_date_of(&label, text))
            .transpose()?;
        let saved =
            match known_session(&self.connection, subject_id, &label).map_err(|e| self.sql(e))? {
                Known::Saved(saved) => saved,
                Known::CaseOf(existing) => {
                    return Err(StoreError::SimilarSession {
                        given: label,
                        existing,
                    })
                }
                Known::New => return Ok(()),
            };
        let stored: Option<String> = self
            .connection
            .query_row(
                "SELECT started_at FROM sessions WHERE subject_id = ?1 AND label = ?2",
                params![subject_id, saved],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        match (date, stored) {
            (Some(date), Some(stored)) if date.is_another_day_than(&stored) => {
                Err(date.other_day(&saved, &stored))
            }
            (None, Some(stored)) => undated_other_day(&saved, &stored).map_or(Ok(()), Err),
            _ => Ok(()),
        }
    }

    /// The row id of the subject named `subject` (the id [`Store::save_trial`] and
    /// [`Store::set_session_date`] take), or why there is none (see [`Store::history`]).
    pub fn subject_row_id(&self, subject: &str) -> Result<i64, StoreError> {
        let alias = self.saved_alias(subject)?;
        self.row_id_of(&alias)
    }

    /// The other subjects' aliases (sorted) with a result measured from the recording whose
    /// sha256 is `sha256`: one recording saved for two patients is most often a file uploaded
    /// on the wrong patient's page, or a subject mistyped.
    pub fn others_measured_from(
        &self,
        sha256: &str,
        except_alias: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.texts(
            "SELECT DISTINCT s.alias FROM measurements m
               JOIN sessions se ON se.id = m.session_id
               JOIN subjects s ON s.id = se.subject_id
              WHERE m.source_sha256 = ?1 AND s.alias <> ?2
              ORDER BY s.alias",
            params![sha256, stored_name(except_alias)],
        )
    }

    /// The file names `protocol`'s results in `alias`'s session `label` were measured from,
    /// where the file had the content `sha256` (one recording saved under several names: copies
    /// of one file).
    pub fn sources_measured_from(
        &self,
        sha256: &str,
        protocol: &str,
        alias: &str,
        label: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.texts(
            "SELECT DISTINCT m.source FROM measurements m
               JOIN sessions se ON se.id = m.session_id
               JOIN subjects s ON s.id = se.subject_id
              WHERE m.source_sha256 = ?1 AND m.protocol = ?2 AND s.alias = ?3
                AND se.label = ?4
              ORDER BY m.source",
            params![sha256, protocol, stored_name(alias), stored_name(label)],
        )
    }

    /// The first column of every row `sql` selects with `params`, as text.
    fn texts(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<String>, StoreError> {
        let mut statement = self.connection.prepare(sql).map_err(|e| self.sql(e))?;
        statement
            .query_map(params, |r| r.get(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(|e| self.sql(e))
    }

    /// The row id of the subject saved as `alias`.
    fn row_id_of(&self, alias: &str) -> Result<i64, StoreError> {
        self.connection
            .query_row(
                "SELECT id FROM subjects WHERE alias = ?1",
                params![alias],
                |r| r.get(0),
            )
            .map_err(|e| self.sql(e))
    }

    /// The alias the subject named `subject` was saved under (see [`Known`]), or the error for
    /// a subject that is not there, naming the one whose name differs only in letter case when
    /// there is one.
    fn saved_alias(&self, subject: &str) -> Result<String, StoreError> {
        let subject = stored_name(subject);
        match known_subject(&self.connection, &subject).map_err(|e| self.sql(e))? {
            Known::Saved(alias) => Ok(alias),
            Known::CaseOf(existing) => Err(StoreError::SimilarSubject {
                given: subject,
                existing,
            }),
            Known::New => Err(StoreError::NoSubject(subject)),
        }
    }

    /// `text` read as session `label`'s date, or why it is not one.
    fn session_date_of(&self, label: &str, text: &str) -> Result<SessionDate, StoreError> {
        SessionDate::parse(text).map_err(|source| StoreError::Implausible {
            path: self.path.clone(),
            problem: Box::new(Implausible::Date {
                label: label.to_string(),
                source,
            }),
        })
    }

    /// Runs `work` in one immediate (write-locking) transaction, committed only if it succeeds.
    fn write(
        &mut self,
        work: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<()>,
    ) -> Result<(), StoreError> {
        self.write_checked(|tx| work(tx).map_err(WriteError::Sql))
    }

    /// [`Store::write`] for work that can also refuse (a check made under the write lock).
    fn write_checked(
        &mut self,
        work: impl FnOnce(&rusqlite::Transaction) -> Result<(), WriteError>,
    ) -> Result<(), StoreError> {
        let written = (|| {
            let tx = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            work(&tx)?;
            tx.commit().map_err(WriteError::Sql)
        })();
        written.map_err(|e| match e {
            WriteError::Sql(e) => self.sql(e),
            WriteError::Refused(e) => e,
        })
    }

    /// Every subject with counts.
    pub fn subjects(&self) -> Result<Vec<SubjectSummary>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT s.alias, count(DISTINCT se.id), count(m.id), max(se.started_at)
                 FROM subjects s LEFT JOIN sessions se ON se.subject_id = s.id
                 LEFT JOIN measurements m ON m.session_id = se.id
                 GROUP BY s.id ORDER BY s.alias",
            )
            .map_err(|e| self.sql(e))?;
        let rows = statement
            .query_map([], |r| {
                Ok(SubjectSummary {
                    subject: r.get(0)?,
                    sessions: r.get::<_, i64>(1)? as usize,
                    measurements: r.get::<_, i64>(2)? as usize,
                    last_session_at: r.get(3)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// All of a subject's sessions, oldest first, with their measurements.
    pub fn history(&self, subject: &str) -> Result<SubjectExport, StoreError> {
        Ok(self.history_with_ids(subject)?.0)
    }

    /// [`Store::history`] with each measurement's row id (per session, in the same order): for
    /// addressing one result (its picture, discarding it).
    pub fn history_with_ids(
        &self,
        subject: &str,
    ) -> Result<(SubjectExport, Vec<Vec<i64>>), StoreError> {
        let subject = &self.saved_alias(subject)?;
        let (subject_id, subject_notes, date_of_birth): (i64, Option<String>, Option<String>) =
            self.connection
                .query_row(
                    "SELECT id, notes, date_of_birth FROM subjects WHERE alias = ?1",
                    params![subject],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(|e| self.sql(e))?
                .ok_or_else(|| StoreError::NoSubject(subject.to_string()))?;
        let mut sessions_query = self
            .connection
            .prepare("SELECT id, label, started_at, notes FROM sessions WHERE subject_id = ?1 ORDER BY started_at, id")
            .map_err(|e| self.sql(e))?;
        let mut sessions: Vec<(i64, String, String, Option<String>)> = sessions_query
            .query_map(params![subject_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(|e| self.sql(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(e))?;
        compare::order_ties_by_labels(&mut sessions, |s| &s.2, |s| &s.1);
        let mut measurements_query = self
            .connection
            .prepare(
                "SELECT protocol, measure, side, value_deg, peak_deg, hold_s, valid_frames, total_frames, quality,
                        id, model, source, source_sha256, gonio_version, evidence_path,
                        source_start_s, source_end_s, evidence_sha256,
                        hold_required_s, band_deg, min_confidence
                 FROM measurements WHERE session_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.sql(e))?;
        let mut warnings_query = self
            .connection
            .prepare(
                "SELECT kind, side, share, value, detail FROM warnings
                 WHERE measurement_id = ?1 ORDER BY position",
            )
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::with_capacity(sessions.len());
        let mut ids = Vec::with_capacity(sessions.len());
        for (id, label, started_at, notes) in sessions {
            let rows: Vec<(i64, StoredMeasurement)> = measurements_query
                .query_map(params![id], read_measurement)
                .map_err(|e| self.sql(e))?
                .collect::<Result<_, _>>()
                .map_err(|e| self.sql(e))?;
            let mut measurements = Vec::with_capacity(rows.len());
            let mut session_ids = Vec::with_capacity(rows.len());
            for (measurement_id, mut m) in rows {
                m.warnings = warnings_query
                    .query_map(params![measurement_id], read_warning)
                    .map_err(|e| self.sql(e))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| self.sql(e))?;
                measurements.push(m);
                session_ids.push(measurement_id);
            }
            out.push(Session {
                label,
                started_at,
                notes,
                measurements,
            });
            ids.push(session_ids);
        }
        Ok((
            SubjectExport {
                subject: subject.to_string(),
                notes: subject_notes,
                date_of_birth,
                sessions: out,
            },
            ids,
        ))
    }

    /// Every patient with their details and counts, by alias.
    pub fn patients(&self) -> Result<Vec<Patient>, StoreError> {
        self.patients_where("1 = 1", params![])
    }

    /// The patient with row id `id`.
    pub fn patient(&self, id: i64) -> Result<Patient, StoreError> {
        self.patients_where("s.id = ?1", params![id])?
            .pop()
            .ok_or_else(|| StoreError::NoSubject(format!("#{id}")))
    }

    fn patients_where(
        &self,
        condition: &str,
        values: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Patient>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT s.id, s.alias, s.notes, s.date_of_birth, count(DISTINCT se.id), count(m.id),
                        max(se.started_at)
                 FROM subjects s LEFT JOIN sessions se ON se.subject_id = s.id
                 LEFT JOIN measurements m ON m.session_id = se.id
                 WHERE {condition} GROUP BY s.id ORDER BY s.alias"
            ))
            .map_err(|e| self.sql(e))?;
        let rows = statement
            .query_map(values, |r| {
                Ok(Patient {
                    id: r.get(0)?,
                    alias: r.get(1)?,
                    notes: r.get(2)?,
                    date_of_birth: r.get(3)?,
                    sessions: r.get::<_, i64>(4)? as usize,
                    measurements: r.get::<_, i64>(5)? as usize,
                    last_session_at: r.get(6)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Adds a patient; an alias already there is an error (two people must not share one).
    /// `date_of_birth` is `YYYY-MM-DD`. Returns the new patient's row id.
    pub fn add_patient(
        &mut self,
        alias: &str,
        notes: Option<&str>,
        date_of_birth: Option<&str>,
    ) -> Result<i64, StoreError> {
        let implausible = |why: Implausible| StoreError::Implausible {
            path: self.path.clone(),
            problem: Box::new(why),
        };
        if alias.trim().is_empty() {
            return Err(implausible(Implausible::NoSubject));
        }
        if alias.chars().any(is_hidden_character) {
            return Err(implausible(Implausible::ControlCharacters {
                what: "the subject's name",
            }));
        }
        if mixes_scripts(alias) {
            return Err(implausible(Implausible::MixedScripts {
                what: "the subject's name",
            }));
        }
        if let Some(date) = date_of_birth {
            // A day, not a time; not in the future.
            let day = parse_session_date(date).ok().filter(|d| {
                date.len() == 10 && d.ends_with("T00:00:00Z") && d[..10] <= *today_utc()
            });
            if day.is_none() {
                return Err(implausible(Implausible::BirthDate(date.to_string())));
            }
        }
        let mut id = 0;
        let alias = &stored_name(alias);
        match known_subject(&self.connection, alias).map_err(|e| self.sql(e))? {
            Known::Saved(saved) => return Err(StoreError::SubjectExists(saved)),
            Known::CaseOf(existing) => {
                return Err(StoreError::SimilarSubject {
                    given: alias.to_string(),
                    existing,
                })
            }
            Known::New => {}
        }
        self.write(|tx| {
            id = next_id(tx, Table::Subjects)?;
            tx.execute(
                "INSERT INTO subjects (id, alias, notes, date_of_birth) VALUES (?1, ?2, ?3, ?4)",
                params![id, alias, notes, date_of_birth],
            )?;
            given_id(tx, Table::Subjects, id)
        })?;
        Ok(id)
    }

    /// Saves one measured trial into the session `label` (created when new) of the patient with
    /// row id `subject_id`, each result with its picture kept in the database, in one
    /// transaction. The patient must exist: a patient forgotten while being measured is not
    /// brought back (nor their alias's next owner given their trial). A live trial (no source
    /// hash) is always a new measurement: repeated trials are distinct. A recording replaces its
    /// own earlier result in the session, as [`Store::save`] does. Returns the new
    /// measurements' row ids.
    ///
    /// `recorded_at` (see [`parse_session_date`]) dates a new session; an existing session of
    /// another day is an error ([`StoreError::OtherDay`]), never silently moved: its date orders
    /// the before/after verdict.
    pub fn save_trial(
        &mut self,
        subject_id: i64,
        label: &str,
        recorded_at: Option<&str>,
        results: &[(StoredMeasurement, Option<Picture>)],
    ) -> Result<Vec<i64>, StoreError> {
        // The patient must be there (its name is not checked again: it was when it was added).
        self.patient(subject_id)?;
        let label = &stored_name(label);
        let measurements: Vec<StoredMeasurement> = results.iter().map(|(m, _)| m.clone()).collect();
        check_session(None, label, recorded_at, &measurements).map_err(|source| {
            StoreError::Implausible {
                path: self.path.clone(),
                problem: Box::new(source),
            }
        })?;
        let date = recorded_at
            .map(|text| self.session_date_of(label, text))
            .transpose()?;
        let mut ids = Vec::with_capacity(results.len());
        self.write_checked(|tx| {
            // Gone since it was looked up (forgotten meanwhile): nothing is saved.
            tx.query_row(
                "SELECT id FROM subjects WHERE id = ?1",
                params![subject_id],
                |r| r.get::<_, i64>(0),
            )?;
            let session_id = dated_session(tx, subject_id, label, date.as_ref())?;
            for (m, picture) in results {
                if m.source_sha256.is_some() {
                    delete_same_trial(tx, session_id, m)?;
                }
                let id = insert_row(tx, session_id, m, Origin::Saved)?;
                if let Some(picture) = picture {
                    insert_picture(tx, id, picture)?;
                }
                ids.push(id);
            }
            Ok(())
        })
        .map_err(|e| match e {
            StoreError::Sql { detail, .. } if detail.contains("no rows") => {
                StoreError::NoSubject(format!("#{subject_id}"))
            }
            other => other,
        })?;
        Ok(ids)
    }

    /// When the patient's session `label` took place (`YYYY-MM-DDTHH:MM:SSZ`), or None when
    /// there is no such session.
    pub fn session_date(&self, subject_id: i64, label: &str) -> Result<Option<String>, StoreError> {
        let label = &saved_label(&self.connection, subject_id, &stored_name(label))
            .map_err(|e| self.sql(e))?;
        self.connection
            .query_row(
                "SELECT started_at FROM sessions WHERE subject_id = ?1 AND label = ?2",
                params![subject_id, label],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// Dates the patient's session `label` (see [`parse_session_date`]; a day alone makes it a
    /// day alone, ordered against others of that day by their labels or not at all): sessions
    /// are ordered by date, and the first and last make the before/after verdict. Returns the
    /// stored date.
    pub fn set_session_date(
        &mut self,
        subject_id: i64,
        label: &str,
        date: &str,
    ) -> Result<String, StoreError> {
        let given = stored_name(label);
        let label = &match known_session(&self.connection, subject_id, &given)
            .map_err(|e| self.sql(e))?
        {
            Known::Saved(saved) => saved,
            // Named, not "no session": the page's label was typed in other letter case.
            Known::CaseOf(existing) => return Err(StoreError::SimilarSession { given, existing }),
            Known::New => given,
        };
        let date = self.session_date_of(label, date)?;
        let mut stored = None;
        self.write(|tx| {
            // A day alone makes the session a day alone: the time it had may be when it was
            // saved, not when it took place (two sessions saved after the visit in the wrong
            // order kept that order when dated to their day).
            let at = date.at.clone();
            if tx.execute(
                "UPDATE sessions SET started_at = ?1 WHERE subject_id = ?2 AND label = ?3",
                params![at, subject_id, label],
            )? > 0
            {
                stored = Some(at);
            }
            Ok(())
        })?;
        stored.ok_or_else(|| match self.patient(subject_id) {
            Ok(patient) => StoreError::NoSession {
                subject: patient.alias,
                label: label.to_string(),
            },
            Err(e) => e,
        })
    }

    /// Deletes a trial discarded as bad: the measurement and every other result of its trial,
    /// with their warnings and pictures. Returns the ids deleted (none when it was not there).
    /// A session left without measurements goes too (an empty "before" must not stay first).
    pub fn discard(&mut self, measurement_id: i64) -> Result<Vec<i64>, StoreError> {
        let mut deleted = Vec::new();
        self.write(|tx| {
            let session: Option<i64> = tx
                .query_row(
                    "SELECT session_id FROM measurements WHERE id = ?1",
                    params![measurement_id],
                    |r| r.get(0),
                )
                .optional()?;
            // The trial's other results: the same recording (or camera trial's keypoints) and
            // part of it, in the same session, test and side. A straight-leg raise saves two
            // measures; discarding one left the other judged against the next session. (The
            // other side of `--side both` is another result, and stays.)
            let mut trial = tx.prepare(
                "SELECT t.id FROM measurements m JOIN measurements t
                   ON t.session_id = m.session_id AND t.protocol = m.protocol
                  AND t.side = m.side AND t.source_sha256 = m.source_sha256
                  AND t.source_start_s IS m.source_start_s AND t.source_end_s IS m.source_end_s
                 WHERE m.id = ?1 AND m.source_sha256 IS NOT NULL
                 UNION SELECT id FROM measurements WHERE id = ?1
                 ORDER BY 1",
            )?;
            deleted = trial
                .query_map(params![measurement_id], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            drop(trial);
            for id in &deleted {
                tx.execute("DELETE FROM measurements WHERE id = ?1", params![id])?;
            }
            if let Some(session) = session {
                tx.execute(
                    "DELETE FROM sessions WHERE id = ?1
                       AND NOT EXISTS (SELECT 1 FROM measurements WHERE session_id = ?1)",
                    params![session],
                )?;
            }
            Ok(())
        })?;
        Ok(deleted)
    }

    /// The picture kept with a measurement: the one in the database, else the evidence file it
    /// names when that still exists.
    pub fn picture(&self, measurement_id: i64) -> Result<Option<Picture>, StoreError> {
        let row: Option<PictureRow> = self
            .connection
            .query_row(
                "SELECT p.mime, p.bytes, m.evidence_path, m.evidence_sha256 FROM measurements m
                 LEFT JOIN pictures p ON p.measurement_id = m.id WHERE m.id = ?1",
                params![measurement_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(match row {
            Some((Some(mime), Some(bytes), _, _)) => Some(Picture { mime, bytes }),
            Some((_, _, Some(path), sha)) => evidence_file(Path::new(&path), sha.as_deref()),
            _ => None,
        })
    }

    /// The picture of every measurement in `ids` (as [`Store::history_with_ids`] gives them),
    /// in the same shape: for the report.
    pub fn pictures(&self, ids: &[Vec<i64>]) -> Result<Vec<Vec<Option<Picture>>>, StoreError> {
        ids.iter()
            .map(|session| session.iter().map(|&id| self.picture(id)).collect())
            .collect()
    }

    /// The subject a measurement belongs to, by alias.
    pub fn owner_of(&self, measurement_id: i64) -> Result<Option<String>, StoreError> {
        self.connection
            .query_row(
                "SELECT s.alias FROM measurements m JOIN sessions se ON m.session_id = se.id
                 JOIN subjects s ON se.subject_id = s.id WHERE m.id = ?1",
                params![measurement_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    /// A subject's sessions as [`Store::history`] gives them, each result with its evidence
    /// picture as `pictures` says: for `gonio export` and the clinic app's export, so that the
    /// pictures travel with the results.
    pub fn export(
        &self,
        subject: &str,
        pictures: ExportPictures,
    ) -> Result<SubjectExport, StoreError> {
        let (mut history, ids) = self.history_with_ids(subject)?;
        for (session, ids) in history.sessions.iter_mut().zip(&ids) {
            for (m, &id) in session.measurements.iter_mut().zip(ids) {
                m.picture = match pictures {
                    ExportPictures::KeptOrFiles => self.picture(id)?,
                    ExportPictures::Kept => self.kept_picture(id)?,
                };
            }
        }
        Ok(history)
    }

    /// Every subject's sessions with the pictures kept in the database: the whole database as
    /// exports (to merge it into another), subjects by alias.
    pub fn export_all(&self) -> Result<Vec<SubjectExport>, StoreError> {
        self.subjects()?
            .iter()
            .map(|s| self.export(&s.subject, ExportPictures::Kept))
            .collect()
    }

    /// The picture kept in the database with a measurement.
    fn kept_picture(&self, measurement_id: i64) -> Result<Option<Picture>, StoreError> {
        kept_picture(&self.connection, measurement_id).map_err(|e| self.sql(e))
    }

    /// The file behind this store.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// An evidence picture file a measurement names, when it is one: a regular file with a picture's
/// extension, at most 64 MiB (an imported export may name any path: never a FIFO, a device or a
/// secret), and with the contents written when their `sha256` was recorded.
fn evidence_file(path: &Path, sha256: Option<&str>) -> Option<Picture> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    let mime = match extension.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => return None,
    };
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_PICTURE_BYTES as u64 {
        return None;
    }
    // The bytes must be that picture, not a text file renamed, nor another file put in its
    // place since.
    let picture = Picture {
        mime: mime.to_string(),
        bytes: std::fs::read(path).ok()?,
    };
    let as_written = sha256.is_none_or(|sha| bytes_sha256(&picture.bytes) == sha);
    (as_written && picture.is_plausible()).then_some(picture)
}

/// The label to save the subject's session `label` (stored form) under: as saved, or new.
/// Refused when the subject has a session whose label differs only in letter case ("Before"
/// beside "before"): a second session of one visit would be compared with the first as before
/// and after.
fn label_to_save(
    tx: &rusqlite::Transaction,
    subject_id: i64,
    label: &str,
) -> Result<String, WriteError> {
    match known_session(tx, subject_id, label)? {
        Known::Saved(saved) => Ok(saved),
        Known::CaseOf(existing) => Err(WriteError::Refused(StoreError::SimilarSession {
            given: label.to_string(),
            existing,
        })),
        Known::New => Ok(label.to_string()),
    }
}

/// The subject's row id (`alias` as [`stored_name`] gives it), creating the subject when new;
/// refused when a subject of the same name but for letter case is there.
fn subject_id(tx: &rusqlite::Transaction, alias: &str) -> Result<i64, WriteError> {
    let alias = match known_subject(tx, alias)? {
        Known::Saved(saved) => saved,
        Known::CaseOf(existing) => {
            return Err(WriteError::Refused(StoreError::SimilarSubject {
                given: alias.to_string(),
                existing,
            }))
        }
        Known::New => alias.to_string(),
    };
    new_subject(tx, &alias)
}

/// The row id of the subject saved as `alias` exactly, created when not there.
fn new_subject(tx: &rusqlite::Transaction, alias: &str) -> Result<i64, WriteError> {
    let id = next_id(tx, Table::Subjects)?;
    if tx.execute(
        "INSERT OR IGNORE INTO subjects (id, alias) VALUES (?1, ?2)",
        params![id, alias],
    )? > 0
    {
        given_id(tx, Table::Subjects, id)?;
    }
    Ok(tx.query_row(
        "SELECT id FROM subjects WHERE alias = ?1",
        params![alias],
        |r| r.get(0),
    )?)
}

/// Why a write was not made.
enum WriteError {
    Sql(rusqlite::Error),
    /// A check made under the write lock refused it.
    Refused(StoreError),
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        WriteError::Sql(e)
    }
}

/// The row id of the patient's session `label`, dated by `date`, inside a write:
/// - a new session takes the date; without one, today's day alone on this computer's calendar
///   (the time of saving is not the recording's: two recordings of one visit analysed in the
///   wrong order were ordered by it; a live trial gives the time it was measured);
/// - an existing one of the same day keeps its date and time; without a date, one of today or
///   the day before (a batch across midnight) does, one further away is refused
///   ([`StoreError::UndatedOtherDay`]);
/// - an existing one of another day is refused ([`StoreError::OtherDay`]): its date orders the
///   before/after verdict, and moving it would move every result already in it.
fn dated_session(
    tx: &rusqlite::Transaction,
    subject_id: i64,
    label: &str,
    date: Option<&SessionDate>,
) -> Result<i64, WriteError> {
    let label = &label_to_save(tx, subject_id, label)?;
    let stored: Option<String> = tx
        .query_row(
            "SELECT started_at FROM sessions WHERE subject_id = ?1 AND label = ?2",
            params![subject_id, label],
            |r| r.get(0),
        )
        .optional()?;
    let today;
    let date = match (date, &stored) {
        (Some(date), _) => date,
        // Today or the day before (a batch run across midnight): that session. Further apart,
        // asked (a new visit under an old label is not merged silently).
        (None, Some(stored)) => {
            if let Some(refused) = undated_other_day(label, stored) {
                return Err(WriteError::Refused(refused));
            }
            return Ok(session_id(tx, subject_id, label, None, None)?);
        }
        (None, None) => {
            today = SessionDate::today();
            &today
        }
    };
    match stored {
        Some(stored) if date.is_another_day_than(&stored) => {
            Err(WriteError::Refused(date.other_day(label, &stored)))
        }
        // A session already there keeps its date and time: a second recording of one visit,
        // timed later that day, must not move the session past another of the same day (that
        // turned a before/after verdict round). `set_session_date` moves a session.
        Some(_) => Ok(session_id(tx, subject_id, label, None, None)?),
        // A day alone is a day alone, today's too: the time of saving is not the recording's
        // (two recordings of one visit saved in the wrong order were ordered by it).
        None => Ok(session_id(tx, subject_id, label, Some(&date.at), None)?),
    }
}

/// The tables whose row ids name things outside the database (a patient in the app's
/// addresses, a result to discard, a job's patient).
#[derive(Debug, Clone, Copy)]
enum Table {
    Subjects,
    Sessions,
    Measurements,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Subjects => "subjects",
            Table::Sessions => "sessions",
            Table::Measurements => "measurements",
        }
    }
}

/// The id for a new row of `table`: past every id it ever gave, deleted rows' included (SQLite
/// alone gives the highest id there + 1, which brings a deleted row's id back).
fn next_id(tx: &rusqlite::Transaction, table: Table) -> rusqlite::Result<i64> {
    let name = table.name();
    tx.query_row(
        &format!(
            "SELECT max(coalesce((SELECT max(id) FROM {name}), 0),
                        coalesce((SELECT last_id FROM id_high_water WHERE name = ?1), 0)) + 1"
        ),
        params![name],
        |r| r.get(0),
    )
}

/// Records `id` as given in `table` (see [`next_id`]).
fn given_id(tx: &rusqlite::Transaction, table: Table, id: i64) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO id_high_water (name, last_id) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET last_id = max(last_id, excluded.last_id)",
        params![table.name(), id],
    )?;
    Ok(())
}

/// The session's row id, creating it when new (with `started_at`, else now, and `notes`).
fn session_id(
    tx: &rusqlite::Transaction,
    subject_id: i64,
    label: &str,
    started_at: Option<&str>,
    notes: Option<&str>,
) -> rusqlite::Result<i64> {
    let id = next_id(tx, Table::Sessions)?;
    if tx.execute(
        "INSERT OR IGNORE INTO sessions (id, subject_id, label, started_at, notes)
         VALUES (?1, ?2, ?3, coalesce(?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), ?5)",
        params![id, subject_id, label, started_at, notes],
    )? > 0
    {
        given_id(tx, Table::Sessions, id)?;
    }
    tx.query_row(
        "SELECT id FROM sessions WHERE subject_id = ?1 AND label = ?2",
        params![subject_id, label],
        |r| r.get(0),
    )
}

/// Inserts `m` into the session, first deleting the measurements of the same trial: the same
/// protocol, measure and side of the same source (by content hash; without one, by name and
/// identical figures). Returns how many were deleted.
fn insert_measurement(
    tx: &rusqlite::Transaction,
    session_id: i64,
    m: &StoredMeasurement,
    origin: Origin,
) -> rusqlite::Result<usize> {
    let same = same_trial_ids(tx, session_id, m)?;
    // A result replaced by one without its picture (an older export, a merge of a database
    // that holds only the picture's path) keeps the picture it had.
    let picture = match &m.picture {
        Some(picture) => Some(picture.clone()),
        None => same
            .iter()
            .map(|&id| kept_picture(tx, id))
            .find_map(|p| p.transpose())
            .transpose()?,
    };
    // The files the replaced results wrote stay this subject's: `forget` must still find them
    // (an analysis run again into another file name left the first run's pictures behind).
    let mut kept = m.clone();
    if origin == Origin::Saved {
        for &id in &same {
            let text: Option<String> = tx.query_row(
                "SELECT written_files FROM measurements WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )?;
            let earlier: Vec<WrittenFile> = text
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default();
            for file in earlier {
                if !kept.written_files.iter().any(|w| w.path == file.path) {
                    kept.written_files.push(file);
                }
            }
        }
    }
    delete_measurements(tx, &same)?;
    let id = insert_row(tx, session_id, &kept, origin)?;
    if let Some(picture) = &picture {
        insert_picture(tx, id, picture)?;
    }
    Ok(same.len())
}

/// Where a stored result came from: saved by this database's own analyses, whose evidence files
/// `forget` deletes, or brought in by [`Store::import`], whose file names are another machine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Saved,
    Imported,
}

/// Keeps `picture` with the measurement `id`.
fn insert_picture(tx: &rusqlite::Transaction, id: i64, picture: &Picture) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO pictures (measurement_id, mime, bytes) VALUES (?1, ?2, ?3)",
        params![id, picture.mime, picture.bytes],
    )?;
    Ok(())
}

/// Deletes the measurements `ids` (their warnings and pictures cascade).
fn delete_measurements(tx: &rusqlite::Transaction, ids: &[i64]) -> rusqlite::Result<()> {
    for id in ids {
        tx.execute("DELETE FROM measurements WHERE id = ?1", params![id])?;
    }
    Ok(())
}

/// The picture kept in the database with a measurement.
fn kept_picture(connection: &Connection, measurement_id: i64) -> rusqlite::Result<Option<Picture>> {
    connection
        .query_row(
            "SELECT mime, bytes FROM pictures WHERE measurement_id = ?1",
            params![measurement_id],
            |r| {
                Ok(Picture {
                    mime: r.get(0)?,
                    bytes: r.get(1)?,
                })
            },
        )
        .optional()
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

/// The session's measurements of the same trial as `m` (see [`insert_measurement`]): the same
/// protocol, measure and side of the same part of the same source (by content hash and span,
/// see [`spans_alike`]; without a hash, by name and identical figures).
fn same_trial_ids(
    tx: &rusqlite::Transaction,
    session_id: i64,
    m: &StoredMeasurement,
) -> rusqlite::Result<Vec<i64>> {
    let ids = match &m.source_sha256 {
        Some(sha) => {
            let rows: Vec<(i64, Option<f64>, Option<f64>)> = tx
                .prepare(
                    "SELECT id, source_start_s, source_end_s FROM measurements
                     WHERE session_id = ?1 AND protocol = ?2 AND measure = ?3 AND side = ?4
                       AND source_sha256 = ?5",
                )?
                .query_map(
                    params![session_id, m.protocol, m.measure, m.side.name(), sha],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?
                .collect::<rusqlite::Result<_>>()?;
            rows.into_iter()
                .filter(|&(_, start, end)| {
                    let stored = start.zip(end).map(|(s, e)| [s, e]);
                    spans_alike(stored, m.source_span_s)
                })
                .map(|(id, _, _)| id)
                .collect()
        }
        None => tx
            .prepare(
                "SELECT id FROM measurements WHERE session_id = ?1 AND protocol = ?2
                   AND measure = ?3 AND side = ?4 AND source_sha256 IS NULL AND source = ?5
                   AND value_deg IS ?6 AND peak_deg IS ?7 AND hold_s = ?8",
            )?
            .query_map(
                params![
                    session_id,
                    m.protocol,
                    m.measure,
                    m.side.name(),
                    m.source,
                    m.value_deg,
                    m.peak_deg,
                    m.hold_s
                ],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?,
    };
    Ok(ids)
}

/// Deletes the session's measurements of the same trial as `m` (see [`same_trial_ids`]);
/// returns how many.
fn delete_same_trial(
    tx: &rusqlite::Transaction,
    session_id: i64,
    m: &StoredMeasurement,
) -> rusqlite::Result<usize> {
    let same = same_trial_ids(tx, session_id, m)?;
    delete_measurements(tx, &same)?;
    Ok(same.len())
}

/// Inserts `m` and its warnings into the session; returns its row id.
fn insert_row(
    tx: &rusqlite::Transaction,
    session_id: i64,
    m: &StoredMeasurement,
    origin: Origin,
) -> rusqlite::Result<i64> {
    // Only this machine's own analyses name files it may delete.
    let written_files = (origin == Origin::Saved && !m.written_files.is_empty())
        .then(|| serde_json::to_string(&m.written_files).ok())
        .flatten();
    let measurement_id = next_id(tx, Table::Measurements)?;
    tx.execute(
        "INSERT INTO measurements (session_id, protocol, measure, side, value_deg, peak_deg, hold_s, valid_frames,
            total_frames, quality, model, source, source_sha256, gonio_version, evidence_path,
            evidence_imported, written_files, id, source_start_s, source_end_s, evidence_sha256,
            hold_required_s, band_deg, min_confidence)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19, ?20, ?21, ?22, ?23, ?24)",
        params![
            session_id,
            m.protocol,
            m.measure,
            m.side.name(),
            m.value_deg,
            m.peak_deg,
            m.hold_s,
            m.valid_frames as i64,
            m.total_frames as i64,
            m.quality.name(),
            m.model,
            m.source,
            m.source_sha256,
            m.gonio_version,
            m.evidence_path,
            origin == Origin::Imported,
            written_files,
            measurement_id,
            m.source_span_s.map(|s| s[0]),
            m.source_span_s.map(|s| s[1]),
            m.evidence_sha256,
            m.settings.map(|s| s.hold_s),
            m.settings.map(|s| s.band_deg),
            m.settings.map(|s| s.min_confidence),
        ],
    )?;
    given_id(tx, Table::Measurements, measurement_id)?;
    let mut insert_warning = tx.prepare_cached(
        "INSERT INTO warnings (measurement_id, position, kind, side, share, value, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (position, w) in m.warnings.iter().enumerate() {
        insert_warning.execute(params![
            measurement_id,
            position as i64,
            w.kind.name(),
            w.side.map(Side::name),
            w.share,
            w.value,
            w.detail,
        ])?;
    }
    Ok(measurement_id)
}

/// The value this gonio does not know, as an error that names the column: never a silent
/// default (an unknown side read as left would put a result on the wrong leg).
fn unknown_value(column: usize, what: &str, value: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        format!("unknown {what} `{value}` in the database").into(),
    )
}

fn side_named(column: usize, side: String) -> rusqlite::Result<Side> {
    match side.as_str() {
        "left" => Ok(Side::Left),
        "right" => Ok(Side::Right),
        _ => Err(unknown_value(column, "side", side)),
    }
}

/// One row of `warnings` (kind, side, share, value, detail).
fn read_warning(r: &rusqlite::Row) -> rusqlite::Result<Warning> {
    let kind: String = r.get(0)?;
    let side: Option<String> = r.get(1)?;
    Ok(Warning {
        kind: WarningKind::from_name(&kind)
            .ok_or_else(|| unknown_value(0, "warning kind", kind))?,
        side: side.map(|s| side_named(1, s)).transpose()?,
        share: r.get(2)?,
        value: r.get(3)?,
        detail: r.get(4)?,
    })
}

/// One row of `measurements` with its id (column 9); its warnings are read apart.
fn read_measurement(r: &rusqlite::Row) -> rusqlite::Result<(i64, StoredMeasurement)> {
    // A value this gonio does not know is an error that names the column, never a silent
    // default (an unknown side read as left would put a result on the wrong leg).
    let unknown = unknown_value;
    let side: String = r.get(2)?;
    let quality: String = r.get(8)?;
    let count = |column: usize| -> rusqlite::Result<usize> {
        let n: i64 = r.get(column)?;
        usize::try_from(n).map_err(|_| unknown(column, "frame count", n.to_string()))
    };
    let measurement = StoredMeasurement {
        protocol: r.get(0)?,
        measure: r.get(1)?,
        side: side_named(2, side)?,
        value_deg: r.get(3)?,
        peak_deg: r.get(4)?,
        hold_s: r.get(5)?,
        valid_frames: count(6)?,
        total_frames: count(7)?,
        quality: match quality.as_str() {
            "good" => Quality::Good,
            "fair" => Quality::Fair,
            "poor" => Quality::Poor,
            _ => return Err(unknown(8, "quality", quality)),
        },
        warnings: Vec::new(),
        model: r.get(10)?,
        source: r.get(11)?,
        source_sha256: r.get(12)?,
        source_span_s: match (r.get::<_, Option<f64>>(15)?, r.get::<_, Option<f64>>(16)?) {
            (Some(start), Some(end)) => Some([start, end]),
            _ => None,
        },
        gonio_version: r.get(13)?,
        evidence_path: r.get(14)?,
        evidence_sha256: r.get(17)?,
        settings: match (r.get(18)?, r.get(19)?, r.get(20)?) {
            (Some(hold_s), Some(band_deg), Some(min_confidence)) => Some(Settings {
                hold_s,
                band_deg,
                min_confidence,
            }),
            _ => None,
        },
        picture: None,
        written_files: Vec::new(),
    };
    Ok((r.get(9)?, measurement))
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

/// sha256 of a file, lower-case hex; None when it cannot be read.
pub fn file_sha256(path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
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
        for hidden in [
            "Anna\u{200b}Smith",
            "Anna Smith\u{200b}",
            "a\u{202e}b",
            "a\nb",
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
