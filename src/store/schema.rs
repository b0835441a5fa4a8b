//! The database file: opening it (an existing file checked first: another program's file or a
//! damaged database is refused, never written), WAL mode, and the schema with its migrations.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{Store, StoreError};

/// Marks a database as gonio's (SQLite `application_id`), so a foreign file is never taken over.
pub(super) const APPLICATION_ID: i32 = 0x476f_6e69; // "Goni"
/// Schema version this build writes (SQLite `user_version`).
pub const SCHEMA_VERSION: i32 = 8;

/// The schema changes, one per version: step `n` brings version `n` to `n + 1`.
pub(super) const MIGRATIONS: [&str; SCHEMA_VERSION as usize] = [
    // 0 -> 1
    "CREATE TABLE subjects (
            id INTEGER PRIMARY KEY,
            alias TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
         );
         CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            subject_id INTEGER NOT NULL REFERENCES subjects(id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
            notes TEXT,
            UNIQUE (subject_id, label)
         );
         CREATE TABLE measurements (
            id INTEGER PRIMARY KEY,
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            protocol TEXT NOT NULL,
            measure TEXT NOT NULL,
            side TEXT NOT NULL CHECK (side IN ('left', 'right')),
            value_deg REAL,
            peak_deg REAL,
            hold_s REAL NOT NULL,
            valid_frames INTEGER NOT NULL,
            total_frames INTEGER NOT NULL,
            quality TEXT NOT NULL,
            warnings TEXT NOT NULL,
            model TEXT,
            source TEXT NOT NULL,
            source_sha256 TEXT,
            gonio_version TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         );
         CREATE INDEX measurements_by_session ON measurements(session_id);",
    // 1 -> 2: where each result's evidence picture is, for the report.
    "ALTER TABLE measurements ADD COLUMN evidence_path TEXT;",
    // 2 -> 3: warnings as values, one row each, so programs can filter them by kind;
    // those stored as text become `legacy` warnings with their words kept.
    "CREATE TABLE warnings (
            measurement_id INTEGER NOT NULL REFERENCES measurements(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            side TEXT CHECK (side IN ('left', 'right')),
            share REAL,
            value REAL,
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (measurement_id, position)
         );
         INSERT INTO warnings (measurement_id, position, kind, detail)
            SELECT m.id, w.key, 'legacy', COALESCE(CAST(w.value AS TEXT), '')
            FROM (SELECT id, warnings FROM measurements
                  WHERE CASE WHEN json_valid(warnings) THEN json_type(warnings) END = 'array') AS m,
                 json_each(m.warnings) AS w;
         -- Anything else in the old column (edited by hand, damaged) is kept as one warning.
         INSERT INTO warnings (measurement_id, position, kind, detail)
            SELECT id, 0, 'legacy', CAST(warnings AS TEXT) FROM measurements
            WHERE COALESCE(CASE WHEN json_valid(warnings) THEN json_type(warnings) END, '') <> 'array'
              AND COALESCE(CAST(warnings AS TEXT), '') NOT IN ('', '\"\"');
         ALTER TABLE measurements DROP COLUMN warnings;",
    // 3 -> 4: the clinic app's patient details, and evidence pictures kept in the database
    // (the app writes no files of its own: forgetting a patient deletes the pictures too).
    "ALTER TABLE subjects ADD COLUMN notes TEXT;
         ALTER TABLE subjects ADD COLUMN date_of_birth TEXT;
         CREATE TABLE pictures (
            measurement_id INTEGER PRIMARY KEY REFERENCES measurements(id) ON DELETE CASCADE,
            mime TEXT NOT NULL,
            bytes BLOB NOT NULL
         );",
    // 4 -> 5: results brought in by `import` name files another machine wrote (or another
    // program's, in a doctored export): `forget` never deletes those.
    "ALTER TABLE measurements ADD COLUMN evidence_imported INTEGER NOT NULL DEFAULT 0;",
    // 5 -> 6: the files analyze wrote for a result, each with its sha256 then: `forget` deletes
    // only those still as written (an output folder emptied and used again for another patient,
    // or a user's file put in place of one, is not this subject's).
    "ALTER TABLE measurements ADD COLUMN written_files TEXT;",
    // 6 -> 7: row ids are never given twice. SQLite gives a new row the highest id + 1, so the
    // id of the last patient or result deleted came back: a queued upload or live trial of a
    // forgotten patient was saved into the next new one, and a stale "discard" deleted another
    // patient's result. Every insert now takes its id past the highest ever given (see
    // `next_id`).
    "CREATE TABLE id_high_water (name TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
         INSERT INTO id_high_water SELECT 'subjects', coalesce(max(id), 0) FROM subjects;
         INSERT INTO id_high_water SELECT 'sessions', coalesce(max(id), 0) FROM sessions;
         INSERT INTO id_high_water SELECT 'measurements', coalesce(max(id), 0) FROM measurements;",
    // 7 -> 8: the part of the recording a trial was measured from. One video can hold several
    // live trials, so its hash alone cannot tell a replayed trial from the next one; without
    // the span a recording replayed live was saved again as new trials, each one shrinking
    // gonio's own measurement error.
    // The settings a result was measured with (a result held 1 s is not one held 3 s).
    // The evidence picture's sha256 as written, so that a file put in its place since (an
    // output folder emptied and used again for another patient) is never shown as this
    // result's: taken from the written files where they were recorded.
    "ALTER TABLE measurements ADD COLUMN source_start_s REAL;
         ALTER TABLE measurements ADD COLUMN source_end_s REAL;
         ALTER TABLE measurements ADD COLUMN evidence_sha256 TEXT;
         ALTER TABLE measurements ADD COLUMN hold_required_s REAL;
         ALTER TABLE measurements ADD COLUMN band_deg REAL;
         ALTER TABLE measurements ADD COLUMN min_confidence REAL;
         UPDATE measurements SET evidence_sha256 = (
            SELECT json_extract(w.value, '$.sha256') FROM json_each(measurements.written_files) AS w
            WHERE json_extract(w.value, '$.path') = measurements.evidence_path)
         WHERE evidence_path IS NOT NULL AND json_valid(written_files);",
];

impl Store {
    /// Opens the database at `path` for reading and writing, without creating it: for commands
    /// that read what was saved, so that a mistyped path is an error, not a new empty database.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Store::open(path),
            Ok(_) => Store::open(path), // a folder or device: open says what is wrong
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Missing {
                path: path.to_path_buf(),
            }),
            Err(e) => Err(StoreError::Open {
                path: path.to_path_buf(),
                detail: e.to_string(),
            }),
        }
    }

    /// Opens (creating if needed) the database at `path`, migrating an older schema. An existing
    /// file is checked first (`PRAGMA quick_check`): a damaged database is refused, never written.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, true)
    }

    /// Opens the database at `path` again, for a long-running program that opened it with
    /// [`Store::open`] when it started (the clinic app, once per request): what `open` checks,
    /// except the whole file's pages. That check reads every page: on a database of a gigabyte
    /// (some 700 uploaded trials with their pictures) a quarter of a second per request, and 9 s
    /// for a patient page's 30 pictures.
    pub fn open_again(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, false)
    }

    fn open_with(path: &Path, check_pages: bool) -> Result<Store, StoreError> {
        let open_error = |detail: String| StoreError::Open {
            path: path.to_path_buf(),
            detail,
        };
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(open_error(
                    "a folder, not a database file: name a file in it, for example gonio.sqlite"
                        .to_string(),
                ))
            }
            Ok(m) if !m.is_file() => {
                return Err(open_error("not a regular file".to_string()));
            }
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(open_error(e.to_string()));
            }
            _ => {}
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_error(e.to_string()))?;
        }
        let existed = path.exists()
            && std::fs::metadata(path)
                .map(|m| m.len() > 0)
                .unwrap_or(false);
        let connection = Connection::open(path).map_err(|e| open_error(e.to_string()))?;
        // Wait for another process's write (a migration, a save) instead of failing at once.
        connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| open_error(e.to_string()))?;
        let store = Store {
            connection,
            path: path.to_path_buf(),
        };
        store.check_header(existed, check_pages)?;
        // secure_delete: what `forget` deletes is overwritten in the file, not left in free pages.
        store
            .connection
            .execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;",
            )
            .map_err(|e| store.sql(e))?;
        store.use_wal().map_err(|e| match e {
            StoreError::Sql { detail, .. }
                if detail.contains("readonly") || detail.contains("unable to open") =>
            {
                StoreError::ReadOnly {
                    path: path.to_path_buf(),
                    detail,
                }
            }
            other => other,
        })?;
        store.migrate()?;
        Ok(store)
    }

    /// Refuses what is not a gonio database of a schema this build knows, and (for an existing
    /// file, with `check_pages`) a damaged one, before anything is written into it.
    fn check_header(&self, existed: bool, check_pages: bool) -> Result<(), StoreError> {
        let path = self.path.as_path();
        let open_error = |detail: String| StoreError::Open {
            path: path.to_path_buf(),
            detail,
        };
        // Reading the header fails on a file that is not SQLite at all.
        let (application_id, version, tables): (i32, i32, i64) = self
            .connection
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id), \
                        (SELECT user_version FROM pragma_user_version), \
                        (SELECT count(*) FROM sqlite_master)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| {
                if existed {
                    why_unreadable(path, &e)
                } else {
                    open_error(e.to_string())
                }
            })?;
        if application_id != APPLICATION_ID && (application_id != 0 || tables > 0) {
            return Err(StoreError::Foreign {
                path: path.to_path_buf(),
            });
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        if existed && check_pages {
            // A bit flipped or a page lost: found here, before anything is written into it.
            let check: String = self
                .connection
                .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
                .map_err(|e| why_unreadable(path, &e))?;
            if check != "ok" {
                return Err(StoreError::Damaged {
                    path: path.to_path_buf(),
                    detail: check,
                });
            }
        }
        Ok(())
    }

    /// Opens a copy, in memory, of the database at `path`, migrated to this build's schema: for
    /// reading another database (a shard's, to merge it) without ever writing to it.
    pub fn open_copy(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let open_error = |e: rusqlite::Error| StoreError::Open {
            path: path.to_path_buf(),
            detail: e.to_string(),
        };
        // A database closed cleanly has no write-ahead log: it is read as immutable, so SQLite
        // creates no -wal or -shm beside it (a shard on a read-only share stays untouched). One
        // with a log still open is read through the log, read-only.
        let wal = {
            let mut name = path.as_os_str().to_owned();
            name.push("-wal");
            PathBuf::from(name)
        };
        let has_log = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let source = if has_log {
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        } else {
            Connection::open_with_flags(immutable_uri(path), flags)
        }
        .map_err(open_error)?;
        source
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_error)?;
        let mut connection = Connection::open_in_memory().map_err(open_error)?;
        rusqlite::backup::Backup::new(&source, &mut connection)
            .and_then(|backup| backup.run_to_completion(256, std::time::Duration::ZERO, None))
            .map_err(|e| why_unreadable(path, &e))?;
        let store = Store {
            connection,
            path: path.to_path_buf(),
        };
        store.check_header(true, true)?;
        store
            .connection
            .execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(|e| store.sql(e))?;
        store.migrate()?;
        Ok(store)
    }

    /// Switches the file to WAL (kept in the file once set). The switch needs the file to
    /// itself and SQLite does not wait for that, so a new file opened by several processes at
    /// once retries for up to 10 s.
    fn use_wal(&self) -> Result<(), StoreError> {
        let mut attempts = 0;
        loop {
            let mode = self
                .connection
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0));
            match mode {
                Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
                Ok(_) | Err(_) if attempts < 200 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Ok(mode) => {
                    return Err(StoreError::Sql {
                        path: self.path.clone(),
                        detail: format!("cannot switch to WAL mode (journal mode stays {mode})"),
                    })
                }
                Err(e) => return Err(self.sql(e)),
            }
        }
    }

    /// Brings the schema up to [`SCHEMA_VERSION`], one step per version, each in its own write
    /// transaction.
    fn migrate(&self) -> Result<(), StoreError> {
        // Current already: no write lock taken (another process's long write would make even a
        // read wait, then fail).
        let current: i32 = self
            .connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        if current.max(0) as usize >= MIGRATIONS.len() {
            return Ok(());
        }
        // Each step re-reads the version inside its own write transaction: two processes
        // opening a new file at once must not both run the same step.
        loop {
            let step = (|| -> rusqlite::Result<bool> {
                self.connection.execute_batch("BEGIN IMMEDIATE;")?;
                let current: i32 = self
                    .connection
                    .query_row("PRAGMA user_version", [], |r| r.get(0))?;
                let Some(step) = MIGRATIONS.get(current.max(0) as usize) else {
                    self.connection.execute_batch("COMMIT;")?;
                    return Ok(false);
                };
                self.connection.execute_batch(&format!(
                    "{step} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {}; COMMIT;",
                    current + 1
                ))?;
                Ok(true)
            })();
            match step {
                Ok(true) => continue,
                Ok(false) => break,
                Err(e) => {
                    let _ = self.connection.execute_batch("ROLLBACK;");
                    return Err(self.sql(e));
                }
            }
        }
        Ok(())
    }
}

/// `path` as an SQLite URI opened immutable (read without locks or side files).
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for byte in absolute.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Why an existing file could not be read as a database: another program's file (no SQLite
/// header), one that cannot be opened for writing, or a damaged gonio database.
fn why_unreadable(path: &Path, error: &rusqlite::Error) -> StoreError {
    let mut header = [0u8; 16];
    let is_sqlite = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
        .is_ok()
        && &header == b"SQLite format 3\0";
    let detail = error.to_string();
    let code = error.sqlite_error_code();
    if matches!(
        code,
        Some(
            rusqlite::ErrorCode::DatabaseBusy
                | rusqlite::ErrorCode::DatabaseLocked
                | rusqlite::ErrorCode::DiskFull
                | rusqlite::ErrorCode::SystemIoFailure
                | rusqlite::ErrorCode::OutOfMemory
        )
    ) {
        // Not the file's fault: say what happened, never "damaged".
        StoreError::Open {
            path: path.to_path_buf(),
            detail,
        }
    } else if !is_sqlite {
        StoreError::Foreign {
            path: path.to_path_buf(),
        }
    } else if matches!(
        code,
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
    ) {
        StoreError::ReadOnly {
            path: path.to_path_buf(),
            detail,
        }
    } else {
        StoreError::Damaged {
            path: path.to_path_buf(),
            detail,
        }
    }
}
