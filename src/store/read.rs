//! Reading: subjects, patients, a subject's history with its warnings, pictures and exports.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use super::names::{known_subject, saved_label, stored_name, Known};
use super::{
    bytes_sha256, compare, ExportPictures, Patient, Picture, Session, Store, StoreError,
    StoredMeasurement, SubjectExport, SubjectSummary, WrittenFor, MAX_PICTURE_BYTES,
};
use crate::angles::Side;
use crate::protocols::{Quality, Settings, Warning, WarningKind};

/// A measurement's kept picture (mime, bytes) and its evidence file, as read.
type PictureRow = (
    Option<String>,
    Option<Vec<u8>>,
    Option<String>,
    Option<String>,
);

impl Store {
    /// The recording behind a file gonio wrote, found by the file's content hash among the
    /// files saved results name (`written_files`): its source's hash, the trial's span and the
    /// model that read it. A per-frame CSV analysed again is the same trial as the video it
    /// came from, not a new one, read by the same model. None when no saved result wrote a
    /// file with this content.
    pub fn recording_written_as(&self, sha256: &str) -> Result<Option<WrittenFor>, StoreError> {
        type Row = (String, Option<f64>, Option<f64>, Option<String>);
        let found: Option<Row> = self
            .connection
            .query_row(
                "SELECT source_sha256, source_start_s, source_end_s, model FROM measurements
                 WHERE source_sha256 IS NOT NULL AND source_sha256 <> ?1
                   AND json_valid(written_files)
                   AND EXISTS (SELECT 1 FROM json_each(written_files)
                               WHERE json_extract(value, '$.sha256') = ?1)
                 ORDER BY id DESC LIMIT 1",
                params![sha256],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        Ok(found.map(|(source_sha256, start, end, model)| WrittenFor {
            source_sha256,
            span_s: start.zip(end).map(|(s, e)| [s, e]),
            model,
        }))
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
        // The subject as saved (a name saved before names were stored in one form, "runner  7",
        // is the subject "runner 7" names, not another one).
        let except = self
            .saved_alias(except_alias)
            .unwrap_or_else(|_| stored_name(except_alias));
        self.texts(
            "SELECT DISTINCT s.alias FROM measurements m
               JOIN sessions se ON se.id = m.session_id
               JOIN subjects s ON s.id = se.subject_id
              WHERE m.source_sha256 = ?1 AND s.alias <> ?2
              ORDER BY s.alias",
            params![sha256, except],
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
    pub(super) fn row_id_of(&self, alias: &str) -> Result<i64, StoreError> {
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
    pub(super) fn saved_alias(&self, subject: &str) -> Result<String, StoreError> {
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

    /// When the patient's session `label` took place (`YYYY-MM-DDTHH:MM:SSZ`), or None when
    /// there is no such session.
    pub fn session_date(&self, subject_id: i64, label: &str) -> Result<Option<String>, StoreError> {
        let label = &saved_label(&self.connection, subject_id, &stored_name(label))
            .map_err(|e| self.sql(e))?;
        session_started_at(&self.connection, subject_id, label).map_err(|e| self.sql(e))
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

/// The picture kept in the database with a measurement.
pub(super) fn kept_picture(
    connection: &Connection,
    measurement_id: i64,
) -> rusqlite::Result<Option<Picture>> {
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

/// When the patient's session `label` (as saved) took place, as stored; None when there is no
/// such session. (A transaction is a connection too.)
pub(super) fn session_started_at(
    connection: &Connection,
    subject_id: i64,
    label: &str,
) -> rusqlite::Result<Option<String>> {
    connection
        .query_row(
            "SELECT started_at FROM sessions WHERE subject_id = ?1 AND label = ?2",
            params![subject_id, label],
            |r| r.get(0),
        )
        .optional()
}
