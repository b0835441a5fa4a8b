//! Importing exports (another machine's results, a merged database): sessions joined by label
//! and day, a trial already there replaced rather than repeated.

use rusqlite::params;

use super::dates::{day_of, days_apart, parse_session_date};
use super::names::{known_session, known_subject, stored_name, Known};
use super::plausible::{check_export, Implausible};
use super::read::session_started_at;
use super::save::{
    add_session_notes, insert_measurement, label_to_save, new_subject, refuse_recording_elsewhere,
    same_trial_ids, session_id, subject_id, Origin, WriteError,
};
use super::{Store, StoreError, SubjectExport};
use crate::angles::Side;

impl Store {
    /// Adds exported subjects' sessions (sessions already present by label get the
    /// measurements added), all in one transaction. A measurement already there (the same trial,
    /// see [`Store::save`]) is replaced, so importing a file twice changes nothing.
    ///
    /// A session already present keeps its date, also when the import's is the next or the day
    /// before (shards of one batch that ran across midnight are one session): each such session
    /// is reported in [`Imported::kept_dates`], since its date orders the before/after verdict.
    /// Further apart, the import is refused ([`StoreError::ImportOtherDay`]): another visit
    /// under the same label would be merged into this one.
    pub fn import(&mut self, exports: &[SubjectExport]) -> Result<Imported, StoreError> {
        self.import_sources(&[exports])
    }

    /// As [`Store::import`], from several sources at once (the files of one `gonio import`,
    /// each a database or an export), in one transaction. Look-alike names are told apart
    /// within a source only: one person typed "Runner-7" on one machine and "runner-7" on
    /// another is refused as one import after the other would be, not split into two.
    pub fn import_sources(&mut self, sources: &[&[SubjectExport]]) -> Result<Imported, StoreError> {
        let exports: Vec<(usize, &SubjectExport)> = sources
            .iter()
            .enumerate()
            .flat_map(|(source, exports)| exports.iter().map(move |e| (source, e)))
            .collect();
        for (_, export) in &exports {
            check_export(export).map_err(|source| self.implausible(source))?;
        }
        // The dates as stored: an import's own text (" 2026-11-20", a day alone) would sort
        // sessions wrongly and compare days wrongly. They all parse: checked above.
        let dates = exports
            .iter()
            .map(|(_, export)| {
                export
                    .sessions
                    .iter()
                    .map(|session| {
                        parse_session_date(&session.started_at).map_err(|error| {
                            self.implausible(Implausible::Date {
                                label: session.label.clone(),
                                error,
                            })
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut imported = Imported::default();
        // (subject's alias, recording's sha256, its source name) of what was imported.
        let mut recordings = std::collections::BTreeSet::new();
        // Look-alike names the source itself holds apart (a database made before their
        // characters were folded) are two people there: imported as they are, not refused.
        let source_subjects: Vec<Vec<String>> = sources
            .iter()
            .map(|exports| exports.iter().map(|e| stored_name(&e.subject)).collect())
            .collect();
        self.write_checked(|tx| {
            for (&(source, export), dates) in exports.iter().zip(&dates) {
                let alias = stored_name(&export.subject);
                let subject_id = match known_subject(tx, &alias)? {
                    Known::CaseOf(existing) if source_subjects[source].contains(&existing) => {
                        new_subject(tx, &alias)?
                    }
                    _ => subject_id(tx, &alias)?,
                };
                let source_labels: Vec<String> = export
                    .sessions
                    .iter()
                    .map(|s| stored_name(&s.label))
                    .collect();
                // Details the database lacks are taken; those it has are kept.
                tx.execute(
                    "UPDATE subjects SET notes = coalesce(notes, ?2),
                        date_of_birth = coalesce(date_of_birth, ?3) WHERE id = ?1",
                    params![subject_id, export.notes, export.date_of_birth],
                )?;
                for (session, started_at) in export.sessions.iter().zip(dates) {
                    let given = stored_name(&session.label);
                    let label = &match known_session(tx, subject_id, &given)? {
                        Known::CaseOf(existing) if source_labels.contains(&existing) => given,
                        _ => label_to_save(tx, subject_id, &given)?,
                    };
                    let stored = session_started_at(tx, subject_id, label)?;
                    let day = |at: &str| day_of(at).to_string();
                    if let Some(stored) = stored {
                        // The next day is one session across midnight (shards of one batch);
                        // further apart, another visit that happens to share the label.
                        if days_apart(&stored, started_at).is_none_or(|days| days > 1) {
                            return Err(WriteError::Refused(StoreError::ImportOtherDay {
                                subject: export.subject.clone(),
                                label: label.clone(),
                                stored: day(&stored),
                                imported: day(started_at),
                            }));
                        }
                        if day(&stored) != day(started_at) {
                            imported.kept_dates.push(KeptDate {
                                subject: export.subject.clone(),
                                label: label.clone(),
                                kept: day(&stored),
                                imported: day(started_at),
                            });
                        }
                    }
                    let session_id = session_id(
                        tx,
                        subject_id,
                        label,
                        Some(started_at),
                        session.notes.as_deref(),
                    )?;
                    // A session already there keeps its notes and gets the import's too.
                    if let Some(notes) = &session.notes {
                        add_session_notes(tx, session_id, notes)?;
                    }
                    for m in &session.measurements {
                        // The same trial with another value: an edited export, or a newer
                        // analysis of the recording. Taken (the import is the newer), and said.
                        for id in same_trial_ids(tx, session_id, m)? {
                            let was: Option<f32> = tx.query_row(
                                "SELECT value_deg FROM measurements WHERE id = ?1",
                                params![id],
                                |r| r.get(0),
                            )?;
                            let alike = match (was, m.value_deg) {
                                (Some(a), Some(b)) => (a - b).abs() < 0.05,
                                (a, b) => a.is_none() && b.is_none(),
                            };
                            if !alike {
                                imported.changed_values.push(ChangedValue {
                                    subject: export.subject.clone(),
                                    label: label.clone(),
                                    protocol: m.protocol.clone(),
                                    measure: m.measure.clone(),
                                    side: m.side,
                                    was_deg: was,
                                    now_deg: m.value_deg,
                                });
                            }
                        }
                        // One recording is one visit, as when saving: a merge must not bring
                        // in a visit that never took place.
                        refuse_recording_elsewhere(tx, subject_id, session_id, m).map_err(|e| {
                            match e {
                                WriteError::Refused(StoreError::RecordingInOtherSession {
                                    label: other,
                                    date,
                                    ..
                                }) => WriteError::Refused(StoreError::ImportRecordingElsewhere {
                                    subject: export.subject.clone(),
                                    label: label.clone(),
                                    recording: m.source.as_str().into(),
                                    other: format!("`{other}` ({date})"),
                                }),
                                e => e,
                            }
                        })?;
                        imported.replaced +=
                            insert_measurement(tx, session_id, m, Origin::Imported)?;
                        if let Some(sha) = &m.source_sha256 {
                            recordings.insert((alias.clone(), sha.clone(), m.source.clone()));
                        }
                    }
                }
            }
            Ok(())
        })?;
        // One recording saved for two people is most often a file put on the wrong patient:
        // said, as when analysing (a failed lookup only loses the warning).
        for (alias, sha, source) in recordings {
            let others = self.others_measured_from(&sha, &alias).unwrap_or_default();
            if !others.is_empty() {
                imported.also_for.push(AlsoFor {
                    subject: alias,
                    source,
                    others,
                });
            }
        }
        Ok(imported)
    }
}

/// A recording imported for a subject that other subjects have results from.
#[derive(Debug, Clone, PartialEq)]
pub struct AlsoFor {
    pub subject: String,
    /// The recording's name, as the import gives it.
    pub source: String,
    /// The other subjects (their aliases, sorted).
    pub others: Vec<String>,
}

/// What [`Store::import`] did besides adding.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    /// Measurements that were already there (the same trial) and were replaced, not repeated.
    pub replaced: usize,
    /// Sessions already present with another day than the import's: they kept their own.
    pub kept_dates: Vec<KeptDate>,
    /// Trials already present whose result the import changed.
    pub changed_values: Vec<ChangedValue>,
    /// Recordings imported for a subject that other subjects have results from.
    pub also_for: Vec<AlsoFor>,
}

/// A trial already in the database (the same recording, by sha256) whose result an import
/// replaced with another: an edited export, or a newer analysis of the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedValue {
    pub subject: String,
    pub label: String,
    pub protocol: String,
    pub measure: String,
    pub side: Side,
    /// The result that was there, degrees (None: no result).
    pub was_deg: Option<f32>,
    /// The import's, degrees.
    pub now_deg: Option<f32>,
}

/// A session that kept its date on import although the import dated it another day.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptDate {
    pub subject: String,
    pub label: String,
    /// The day kept (`YYYY-MM-DD`, UTC).
    pub kept: String,
    /// The import's day for it (`YYYY-MM-DD`, UTC).
    pub imported: String,
}
