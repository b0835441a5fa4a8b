//! Saving: results into a subject's session, patients, session dates and discarded trials, each
//! write one transaction.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::dates::{undated_other_day, SessionDate};
use super::names::{known_session, known_subject, saved_label, stored_name, Known};
use super::plausible::{check_session, Implausible};
use super::read::{kept_picture, session_started_at};
use super::{
    date_shown, is_hidden_character, mixes_scripts, parse_session_date, spans_alike, today_utc,
    Picture, Store, StoreError, StoredMeasurement, WrittenFile,
};
use crate::angles::Side;

impl Store {
    /// Saves measurements into the subject's session `label` (both created when new), in one
    /// transaction. `notes` are added to the session's notes (see [`add_session_notes`]);
    /// `recorded_at` (UTC, ISO
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
        check_session(Some(subject), label, recorded_at, measurements)
            .map_err(|source| self.implausible(source))?;
        let date = recorded_at
            .map(|text| self.session_date_of(label, text))
            .transpose()?;
        let mut replaced = 0;
        self.write_checked(|tx| {
            let subject_id = subject_id(tx, subject)?;
            let session_id = dated_session(tx, subject_id, label, date.as_ref())?;
            if let Some(notes) = notes {
                add_session_notes(tx, session_id, notes)?;
            }
            for m in measurements {
                refuse_recording_elsewhere(tx, subject_id, session_id, m)?;
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
        check_session(Some(&subject), &stored_name(label), recorded_at, &[])
            .map_err(|source| self.implausible(source))?;
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

    /// Whether the part `span_s` (None: the whole) of the recording whose content hash is
    /// `sha256` may be saved into `subject`'s session `label`: the refusal [`Store::save`] gives
    /// for one saved in another session of the subject
    /// ([`StoreError::RecordingInOtherSession`]), found before a long analysis instead of after
    /// it. Reads only; the save checks again.
    pub fn check_recording(
        &self,
        subject: &str,
        label: &str,
        sha256: &str,
        span_s: Option<[f64; 2]>,
    ) -> Result<(), StoreError> {
        let Known::Saved(alias) =
            known_subject(&self.connection, &stored_name(subject)).map_err(|e| self.sql(e))?
        else {
            return Ok(());
        };
        self.check_recording_of(self.row_id_of(&alias)?, label, sha256, span_s)
    }

    /// [`Store::check_recording`] for [`Store::save_trial`]: the patient by row id.
    pub fn check_recording_of(
        &self,
        subject_id: i64,
        label: &str,
        sha256: &str,
        span_s: Option<[f64; 2]>,
    ) -> Result<(), StoreError> {
        let label = saved_label(&self.connection, subject_id, &stored_name(label))
            .map_err(|e| self.sql(e))?;
        let session_id: Option<i64> = self
            .connection
            .query_row(
                "SELECT id FROM sessions WHERE subject_id = ?1 AND label = ?2",
                params![subject_id, label],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))?;
        match recording_elsewhere(&self.connection, subject_id, session_id, sha256, span_s)
            .map_err(|e| self.sql(e))?
        {
            Some(refused) => Err(refused),
            None => Ok(()),
        }
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
        let stored =
            session_started_at(&self.connection, subject_id, &saved).map_err(|e| self.sql(e))?;
        match (date, stored) {
            (Some(date), Some(stored)) if date.is_another_day_than(&stored) => {
                Err(date.other_day(&saved, &stored))
            }
            (None, Some(stored)) => undated_other_day(&saved, &stored).map_or(Ok(()), Err),
            _ => Ok(()),
        }
    }

    /// `text` read as session `label`'s date, or why it is not one.
    fn session_date_of(&self, label: &str, text: &str) -> Result<SessionDate, StoreError> {
        SessionDate::parse(text).map_err(|error| {
            self.implausible(Implausible::Date {
                label: label.to_string(),
                error,
            })
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
    pub(super) fn write_checked(
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

    /// Adds a patient; an alias already there is an error (two people must not share one).
    /// `date_of_birth` is `YYYY-MM-DD`. Returns the new patient's row id.
    pub fn add_patient(
        &mut self,
        alias: &str,
        notes: Option<&str>,
        date_of_birth: Option<&str>,
    ) -> Result<i64, StoreError> {
        let implausible = |why: Implausible| self.implausible(why);
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
        check_session(None, label, recorded_at, &measurements)
            .map_err(|source| self.implausible(source))?;
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
                refuse_recording_elsewhere(tx, subject_id, session_id, m)?;
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
}

/// The label to save the subject's session `label` (stored form) under: as saved, or new.
/// Refused when the subject has a session whose label differs only in letter case ("Before"
/// beside "before"): a second session of one visit would be compared with the first as before
/// and after.
pub(super) fn label_to_save(
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
pub(super) fn subject_id(tx: &rusqlite::Transaction, alias: &str) -> Result<i64, WriteError> {
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
pub(super) fn new_subject(tx: &rusqlite::Transaction, alias: &str) -> Result<i64, WriteError> {
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
pub(super) enum WriteError {
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
    let stored = session_started_at(tx, subject_id, label)?;
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

/// Adds the lines of `notes` the session's notes lack, each on a line of its own (blank lines
/// never): a live session saves its notes with every trial, an import may come twice, and two
/// databases merged both ways bring each other's notes back. Notes are what a therapist wrote:
/// a later `--notes` into the same session, or an import of that session with its own notes,
/// replaced them.
pub(super) fn add_session_notes(
    tx: &rusqlite::Transaction,
    session_id: i64,
    notes: &str,
) -> rusqlite::Result<()> {
    let old: Option<String> = tx.query_row(
        "SELECT notes FROM sessions WHERE id = ?1",
        params![session_id],
        |r| r.get(0),
    )?;
    // The notes there are kept as written (blank lines too); only lines they lack are added.
    let old = old.as_deref().unwrap_or_default().trim_end();
    let there: Vec<&str> = old.lines().map(str::trim_end).collect();
    let mut added: Vec<&str> = Vec::new();
    for line in notes.lines().map(str::trim_end) {
        if !line.trim().is_empty() && !there.contains(&line) && !added.contains(&line) {
            added.push(line);
        }
    }
    if added.is_empty() {
        return Ok(());
    }
    let added = added.join("\n");
    let merged = if old.trim().is_empty() {
        added
    } else {
        format!("{old}\n{added}")
    };
    tx.execute(
        "UPDATE sessions SET notes = ?1 WHERE id = ?2",
        params![merged, session_id],
    )?;
    Ok(())
}

/// The session's row id, creating it when new (with `started_at`, else now, and `notes`).
pub(super) fn session_id(
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
pub(super) fn insert_measurement(
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
pub(super) enum Origin {
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

/// The session's measurements of the same trial as `m` (see [`insert_measurement`]): the same
/// protocol, measure and side of the same part of the same source (by content hash and span,
/// see [`spans_alike`]; without a hash, by name and identical figures).
pub(super) fn same_trial_ids(
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

/// Refuses `m` when its recording (the same part of the same file, see [`spans_alike`]) is
/// already saved in another session of the subject: one recording is one visit. An old video
/// analysed again without `--session` went into today's session, a visit that never took place,
/// and the before/after verdict compared the patient with themselves.
pub(super) fn refuse_recording_elsewhere(
    tx: &rusqlite::Transaction,
    subject_id: i64,
    session_id: i64,
    m: &StoredMeasurement,
) -> Result<(), WriteError> {
    let Some(sha) = &m.source_sha256 else {
        return Ok(());
    };
    match recording_elsewhere(tx, subject_id, Some(session_id), sha, m.source_span_s)? {
        Some(refused) => Err(WriteError::Refused(refused)),
        None => Ok(()),
    }
}

/// [`StoreError::RecordingInOtherSession`] when the part `span_s` of the recording `sha` (None:
/// the whole) is saved in a session of the subject other than `session_id` (None: a session not
/// saved yet, so any), the first by date.
fn recording_elsewhere(
    connection: &rusqlite::Connection,
    subject_id: i64,
    session_id: Option<i64>,
    sha: &str,
    span_s: Option<[f64; 2]>,
) -> rusqlite::Result<Option<StoreError>> {
    let mut statement = connection.prepare(
        "SELECT se.label, se.started_at, m.source, m.source_start_s, m.source_end_s
           FROM measurements m JOIN sessions se ON se.id = m.session_id
          WHERE se.subject_id = ?1 AND (?2 IS NULL OR se.id <> ?2) AND m.source_sha256 = ?3
          ORDER BY se.started_at, se.id, m.id",
    )?;
    let mut rows = statement.query(params![subject_id, session_id, sha])?;
    while let Some(r) = rows.next()? {
        let span = r
            .get::<_, Option<f64>>(3)?
            .zip(r.get::<_, Option<f64>>(4)?)
            .map(|(start, end)| [start, end]);
        if spans_alike(span, span_s) {
            let started_at: String = r.get(1)?;
            return Ok(Some(StoreError::RecordingInOtherSession {
                saved_from: r.get(2)?,
                label: r.get(0)?,
                date: date_shown(&started_at),
            }));
        }
    }
    Ok(None)
}
