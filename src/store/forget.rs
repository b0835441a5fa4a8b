//! Forgetting a subject: every trace in the database, and the files analyze wrote for them.

use std::path::{Path, PathBuf};

use rusqlite::params;

use super::{file_sha256, Store, StoreError, WrittenFile};

impl Store {
    /// Deletes every trace of a subject: its sessions and measurements (they cascade, and
    /// `secure_delete` overwrites them), then the files analyze wrote for them (each evidence
    /// picture the store knows, and beside it the plot, per-frame CSV and result JSON of the same
    /// name), then compacts the file and its write-ahead log so nothing lingers in free pages.
    ///
    /// The compaction runs even when the subject is not there, so a `forget` that was interrupted
    /// after the delete is finished by the next one.
    ///
    /// Files named by imported results are never deleted: another machine wrote them, or another
    /// program, and an export can name any path. Those that exist are listed in
    /// [`Forgotten::left`].
    pub fn forget(&mut self, subject: &str) -> Result<Forgotten, StoreError> {
        // Not there: the compaction below still runs (it may finish an interrupted forget).
        let subject = &match self.saved_alias(subject) {
            Ok(alias) => alias,
            Err(StoreError::NoSubject(name)) => name,
            Err(e) => return Err(e),
        };
        // (evidence path, whether an import named it, the files written as they were), per
        // picture; a result without a picture (a live trial's, one analysed again without
        // `--out`, another measure's) by itself, with the files it wrote.
        // The recordings measured, as a JSON list: a file another subject's result was
        // measured from (a per-frame CSV analysed for them) is theirs too.
        let evidence: Vec<(Option<String>, bool, Option<String>, String)> = {
            let mut statement = self
                .connection
                .prepare(
                    "SELECT m.evidence_path, min(m.evidence_imported),
                            json_group_array(m.written_files),
                            json_group_array(m.source_sha256)
                     FROM measurements m
                     JOIN sessions se ON m.session_id = se.id JOIN subjects s ON se.subject_id = s.id
                     WHERE s.alias = ?1
                       AND (m.evidence_path IS NOT NULL OR m.written_files IS NOT NULL)
                     GROUP BY coalesce(m.evidence_path, 'row ' || m.id)",
                )
                .map_err(|e| self.sql(e))?;
            let rows = statement
                .query_map(params![subject], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(|e| self.sql(e))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| self.sql(e))?
        };
        let deleted = self
            .connection
            .execute("DELETE FROM subjects WHERE alias = ?1", params![subject])
            .map_err(|e| self.sql(e))?;
        self.connection
            .execute_batch(
                "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
            )
            .map_err(|e| self.sql(e))?;
        if deleted == 0 {
            return Err(StoreError::NoSubject(subject.to_string()));
        }
        // A file another subject's result still names (an output folder emptied and used
        // again, the same names) is theirs now: left alone (a picture with its siblings).
        let still_named = |path: &str, recordings: &str| -> Result<bool, StoreError> {
            self.connection
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM measurements WHERE evidence_path = ?1)
                         OR EXISTS (SELECT 1 FROM measurements m, json_each(m.written_files) w
                                    WHERE json_valid(m.written_files)
                                      AND json_extract(w.value, '$.path') = ?1)
                         OR EXISTS (SELECT 1 FROM measurements
                                    WHERE source_sha256 IN (SELECT value FROM json_each(?2)))",
                    params![path, recordings],
                    |r| r.get(0),
                )
                .map_err(|e| self.sql(e))
        };
        let mut forgotten = Forgotten::default();
        // Every result's list of what was written under this picture's names (a shard run again
        // wrote them anew: any of the contents written for this subject is theirs).
        type WrittenAs = std::collections::BTreeMap<String, Vec<String>>;
        let written_as = |written: &Option<String>| -> WrittenAs {
            let mut files = WrittenAs::new();
            let rows: Vec<Option<String>> = written
                .as_deref()
                .and_then(|w| serde_json::from_str(w).ok())
                .unwrap_or_default();
            for list in rows.iter().flatten() {
                for file in serde_json::from_str::<Vec<WrittenFile>>(list).unwrap_or_default() {
                    files.entry(file.path).or_default().push(file.sha256);
                }
            }
            files
        };
        let mut seen = std::collections::HashSet::new();
        for (path, imported, written, recordings) in &evidence {
            if let Some(path) = path {
                if still_named(path, recordings)? {
                    if seen.insert(path.clone()) {
                        forgotten.shared.push(PathBuf::from(path));
                    }
                    continue;
                }
                if *imported {
                    forgotten.left.extend(files_written_with(Path::new(path)));
                    continue;
                }
            }
            let written_as = written_as(written);
            if written_as.is_empty() {
                // Saved before gonio kept what it wrote (schema 5 and older): the files of its
                // names, as then.
                forgotten.deleted.extend(
                    path.iter()
                        .flat_map(|path| files_written_with(Path::new(path)))
                        .filter(|file| std::fs::remove_file(file).is_ok()),
                );
                continue;
            }
            for (file, hashes) in &written_as {
                if !seen.insert(file.clone()) {
                    continue;
                }
                if still_named(file, recordings)? {
                    forgotten.shared.push(PathBuf::from(file));
                    continue;
                }
                let file = PathBuf::from(file);
                // Only a regular file still as written: never through a link.
                match std::fs::symlink_metadata(&file) {
                    Err(_) => {
                        forgotten.missing.push(file);
                        continue;
                    }
                    Ok(meta) if !meta.is_file() => {
                        forgotten.changed.push(file);
                        continue;
                    }
                    Ok(_) => {}
                }
                let now = file_sha256(&file);
                if !hashes.iter().any(|h| now.as_deref() == Some(h.as_str())) {
                    forgotten.changed.push(file);
                } else if std::fs::remove_file(&file).is_ok() {
                    forgotten.deleted.push(file);
                }
            }
        }
        Ok(forgotten)
    }
}

/// The files [`Store::forget`] deleted, and those it left.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Forgotten {
    /// Evidence pictures, plots, per-frame CSVs and result JSONs this database's analyses wrote.
    pub deleted: Vec<PathBuf>,
    /// Files of those names named by imported results: not deleted (another machine's, or not
    /// gonio's at all); the user decides.
    pub left: Vec<PathBuf>,
    /// Files this database's analyses wrote for the subject that have changed since (written
    /// again for another patient, or replaced by a user's file): not deleted.
    pub changed: Vec<PathBuf>,
    /// Files written for the subject that another subject's result still names, or whose
    /// recording another subject's result was measured from: not deleted.
    pub shared: Vec<PathBuf>,
    /// Files written for the subject that are no longer where they were written (moved or
    /// deleted): copies elsewhere are the user's to delete.
    pub missing: Vec<PathBuf>,
}

/// The files analyze writes together with an evidence picture `<stem>.<side>.evidence.png` (or,
/// for keypoint files, which have no frames to show, the plot `<stem>.<side>.plot.png`): the
/// picture, the plot, `<stem>.csv` and `<stem>.json`, where they are regular files.
fn files_written_with(evidence: &Path) -> Vec<PathBuf> {
    let Some(name) = evidence.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let Some(stem_side) = name
        .strip_suffix(".evidence.png")
        .or_else(|| name.strip_suffix(".plot.png"))
    else {
        return Vec::new();
    };
    let stem = stem_side
        .strip_suffix(".left")
        .or_else(|| stem_side.strip_suffix(".right"))
        .unwrap_or(stem_side);
    [
        format!("{stem_side}.evidence.png"),
        format!("{stem_side}.plot.png"),
        format!("{stem}.csv"),
        format!("{stem}.json"),
    ]
    .into_iter()
    .map(|n| evidence.with_file_name(n))
    .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
    .collect()
}
