//! The session store from the command line: `subjects`, `history`, `compare`, `export`,
//! `import`, `forget`, and saving from `analyze`.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use comfy_table::{Cell, CellAlignment};

use gonio::run::save::SaveTo;
use gonio::store::{
    asymmetry, check_export, compare, date_shown, default_db_path, parse_recording_date,
    today_local, withhold_verdicts, ExportPictures, MdcOverrides, Store, SubjectExport,
};

use super::{deg, new_table};

#[derive(Args, Clone)]
pub struct DbArgs {
    /// Database file (default: gonio.sqlite in your data folder, e.g. ~/.local/share/gonio/)
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

impl DbArgs {
    /// The database file: `--db`, else the default.
    pub fn path(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(default_db_path)
    }

    /// Opens the database, creating it when new (for commands that save).
    pub fn open(&self) -> anyhow::Result<Store> {
        Ok(Store::open(&self.path())?)
    }

    /// Opens an existing database (for commands that read): a mistyped path is an error.
    pub fn open_existing(&self) -> anyhow::Result<Store> {
        Ok(Store::open_existing(&self.path())?)
    }
}

/// The date of `subject`'s session `label` in the database at `db` (as people read it), when
/// it falls on another day than today on this computer's calendar: results saved without
/// `--date` join a session of the day before (a batch across midnight), which a label used
/// again for a new visit would do silently. None on any failure to read: this is a note.
pub fn session_of_another_day(db: &std::path::Path, subject: &str, label: &str) -> Option<String> {
    let history = gonio::store::Store::open_existing(db)
        .ok()?
        .history(subject)
        .ok()?;
    let stored = &history
        .sessions
        .iter()
        .find(|s| gonio::store::stored_name(&s.label) == gonio::store::stored_name(label))?
        .started_at;
    (gonio::store::day_here(stored)? != gonio::store::today_local())
        .then(|| gonio::store::date_shown(stored))
}

/// Deletes the database file at `path` with SQLite's files beside it (an empty one this
/// command made; what cannot be deleted stays).
fn remove_database(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

/// The note for a database made new by a save (see [`SaveArgs::new_database`]).
pub fn new_database_note(path: &std::path::Path) -> String {
    format!(
        "gonio: note: there was no database at {}: a new one was made there (if you meant an existing one, check --db)",
        path.display()
    )
}

/// `--date` checked as [`parse_recording_date`] does, and kept as given: a day alone stays a day
/// (any time zone's), not midnight UTC.
fn recording_date(text: &str) -> Result<String, gonio::store::DateError> {
    parse_recording_date(text).map(|_| text.trim().to_string())
}

/// Where `analyze` saves its results.
#[derive(Args, Clone)]
pub struct SaveArgs {
    /// Save the results for this subject (an id or alias; no other personal data is needed)
    #[arg(long, value_name = "ID", value_parser = super::parse_label)]
    pub subject: Option<String>,
    /// Session label, e.g. "before" or "after block 1" (default: today's date on this computer's clock)
    #[arg(long, value_name = "LABEL", requires = "subject", value_parser = super::parse_label)]
    pub session: Option<String>,
    /// Notes kept with the session (added to its notes when it has some)
    #[arg(long, value_name = "TEXT", requires = "subject")]
    pub notes: Option<String>,
    /// When the recording was made: YYYY-MM-DD (your own calendar's day) or YYYY-MM-DDTHH:MM
    /// (UTC). It dates a new session (sessions are compared in date order; default: today, a day
    /// alone, for recordings; the time of each trial for `live`); into a session already there it
    /// must be that session's day (`gonio redate` moves a session), and without it that session
    /// must be of today or yesterday (this computer's calendar)
    #[arg(long, value_name = "DATE", requires = "subject", value_parser = recording_date)]
    pub date: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

impl SaveArgs {
    /// The database file when results are to be saved and none is there yet: said to the user,
    /// so that a mistyped `--db` does not file a patient's session where nobody looks.
    pub fn new_database(&self) -> Option<PathBuf> {
        self.subject.as_ref()?;
        let path = self.db.path();
        (!path.exists()).then_some(path)
    }

    /// Where results go: None without `--subject`; the session defaults to today's date.
    pub fn target(&self) -> Option<SaveTo> {
        Some(SaveTo {
            db: self.db.path(),
            subject: self.subject.clone()?,
            session: self.session.clone().unwrap_or_else(today_local),
            notes: self.notes.clone(),
            recorded_at: self.date.clone(),
        })
    }
}

#[derive(Args)]
pub struct SubjectsArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Print as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct HistoryArgs {
    /// The subject
    #[arg(long, value_name = "ID")]
    subject: String,
    #[command(flatten)]
    db: DbArgs,
    /// Print as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct CompareArgs {
    /// The subject
    #[arg(long, value_name = "ID")]
    subject: String,
    #[command(flatten)]
    pick: SessionPick,
    #[command(flatten)]
    db: DbArgs,
    /// Print as JSON
    #[arg(long)]
    json: bool,
}

/// Which two sessions to compare, and with which MDC values.
#[derive(Args)]
pub struct SessionPick {
    /// Session to compare from (default: the first)
    #[arg(long, value_name = "LABEL")]
    before: Option<String>,
    /// Session to compare to (default: the latest)
    #[arg(long, value_name = "LABEL")]
    after: Option<String>,
    /// JSON file of MDC95 values overriding the published ones: {"slr/hip_flexion": 5.0}
    #[arg(long, value_name = "FILE")]
    mdc_config: Option<PathBuf>,
}

impl SessionPick {
    fn overrides(&self) -> anyhow::Result<MdcOverrides> {
        match &self.mdc_config {
            Some(path) => MdcOverrides::load(path).map_err(anyhow::Error::from),
            None => Ok(MdcOverrides::default()),
        }
    }

    /// Why the sessions taken by default (the first and the latest by date) cannot be taken as
    /// before and after (see [`gonio::store::history_doubt`]); for a session named, the person
    /// said which it is, and only the other is in doubt (the first or the latest may be tied
    /// with another session); None when both were named.
    fn default_pair_doubt(&self, history: &SubjectExport) -> Option<String> {
        match (&self.before, &self.after) {
            (Some(_), Some(_)) => None,
            (Some(_), None) => gonio::store::last_in_doubt(&history.sessions),
            (None, Some(_)) => gonio::store::first_in_doubt(&history.sessions),
            (None, None) => gonio::store::history_doubt(&history.sessions),
        }
    }

    /// Indices of the before and after sessions (by default the first and the latest).
    fn indices(&self, history: &SubjectExport) -> anyhow::Result<(usize, usize)> {
        let last = history
            .sessions
            .len()
            .checked_sub(1)
            .ok_or_else(|| anyhow::anyhow!("subject `{}` has no sessions", history.subject))?;
        // Labels as they are saved (trimmed, spaces folded, NFC); one that differs only in
        // letter case is named, not guessed.
        let find = |label: &Option<String>, default: usize| match label {
            Some(l) => {
                let wanted = gonio::store::stored_name(l);
                let saved = |s: &&gonio::store::Session| gonio::store::stored_name(&s.label);
                history
                    .sessions
                    .iter()
                    .position(|s| saved(&s) == wanted)
                    .ok_or_else(|| {
                        let labels: Vec<&str> =
                            history.sessions.iter().map(|s| s.label.as_str()).collect();
                        match history
                            .sessions
                            .iter()
                            .find(|s| saved(s).to_lowercase() == wanted.to_lowercase())
                        {
                            Some(s) => anyhow::anyhow!(
                                "subject `{}` has no session `{l}`, but has `{}`",
                                history.subject,
                                s.label
                            ),
                            None => anyhow::anyhow!(
                                "subject `{}` has no session `{l}` (its sessions: {})",
                                history.subject,
                                labels.join(", ")
                            ),
                        }
                    })
            }
            None => Ok(default),
        };
        Ok((find(&self.before, 0)?, find(&self.after, last)?))
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Csv,
}

#[derive(Args)]
pub struct ExportArgs {
    /// The subject
    #[arg(long, value_name = "ID")]
    subject: String,
    /// json (with each result's evidence picture: pictures of the patient) or csv (results only)
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Leave the evidence pictures out of a JSON export (they show the patient)
    #[arg(long)]
    no_pictures: bool,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
pub struct ImportArgs {
    /// Files written by `gonio export --format json`, or gonio databases (the shards of a batch
    /// split across jobs) whose every subject is merged; they are only read
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Args)]
pub struct ForgetArgs {
    /// The subject whose every session and measurement is deleted
    #[arg(long, value_name = "ID")]
    subject: String,
    #[command(flatten)]
    db: DbArgs,
}

pub fn subjects(args: &SubjectsArgs) -> anyhow::Result<ExitCode> {
    let path = args.db.path();
    // Nothing saved yet in the default place is no error; a --db that names nothing is.
    if args.db.db.is_none() && !path.exists() {
        if args.json {
            println!("[]");
        } else {
            println!(
                "no subjects yet: no database at {} (save with `gonio analyze ... --subject ID`)",
                path.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let store = args.db.open_existing()?;
    let list = store.subjects()?;
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
    } else if list.is_empty() {
        writeln!(
            out,
            "no subjects yet in {} (save with `gonio analyze ... --subject ID`)",
            store.path().display()
        )?;
    } else {
        let mut table = new_table();
        table.set_header(["subject", "sessions", "measurements", "last session"]);
        for s in &list {
            table.add_row(vec![
                Cell::new(&s.subject),
                Cell::new(s.sessions).set_alignment(CellAlignment::Right),
                Cell::new(s.measurements).set_alignment(CellAlignment::Right),
                Cell::new(s.last_session_at.as_deref().map_or("-".into(), date_shown)),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn history(args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let history = args.db.open_existing()?.history(&args.subject)?;
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &history)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = new_table();
    table.set_header([
        "session",
        "date",
        "protocol",
        "side",
        "measure",
        "result (deg)",
        "peak (deg)",
        "hold (s)",
        "quality",
        "source",
    ]);
    for session in &history.sessions {
        for m in &session.measurements {
            table.add_row(vec![
                Cell::new(&session.label),
                Cell::new(gonio::store::date_shown(&session.started_at)),
                Cell::new(&m.protocol),
                Cell::new(m.side.name()),
                Cell::new(&m.measure),
                Cell::new(deg(m.value_deg)).set_alignment(CellAlignment::Right),
                Cell::new(deg(m.peak_deg)).set_alignment(CellAlignment::Right),
                Cell::new(format!("{:.1}", m.hold_s)).set_alignment(CellAlignment::Right),
                // A refusal is not a poor result: there is none.
                Cell::new(m.value_deg.map_or("no result", |_| m.quality.name())),
                Cell::new(&m.source),
            ]);
        }
    }
    writeln!(
        out,
        "subject {}: {} sessions",
        history.subject,
        history.sessions.len()
    )?;
    writeln!(out, "{table}")?;
    for session in history.sessions.iter().filter(|s| s.notes.is_some()) {
        writeln!(
            out,
            "  {}: {}",
            session.label,
            session.notes.as_deref().unwrap_or("")
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The note for a pair named the other way round from the history's order, which the dates (or
/// labels) confirm: the session `before` indexes took place after the one `after` indexes.
fn reversed_note(before: usize, after: usize, history: &SubjectExport) -> Option<String> {
    let (b, a) = (&history.sessions[before], &history.sessions[after]);
    (before > after && gonio::store::order_doubt(a, b).is_none()).then(|| {
        format!(
            "\"{}\" ({}) took place after \"{}\" ({}): the change is from the later session to the earlier",
            b.label,
            date_shown(&b.started_at),
            a.label,
            date_shown(&a.started_at)
        )
    })
}

/// A doubt about the default order, with what to do about it.
fn doubt_text(doubt: &str, subject: &str) -> String {
    format!(
        "{doubt}: verdicts withheld. Name them (--before LABEL --after LABEL), or correct the sessions' dates and times (gonio redate --subject {subject} --session LABEL --date YYYY-MM-DDTHH:MM)"
    )
}

pub fn compare_sessions(args: &CompareArgs) -> anyhow::Result<ExitCode> {
    let overrides = args.pick.overrides()?;
    let history = args.db.open_existing()?.history(&args.subject)?;
    let (before, after) = args.pick.indices(&history)?;
    if before == after {
        if history.sessions.len() > 1 {
            anyhow::bail!(
                "subject `{}`: --before and --after are both session `{}`: name two different sessions (by default the first and the latest)",
                args.subject,
                history.sessions[before].label
            );
        }
        anyhow::bail!(
            "subject `{}`: need two different sessions to compare (have {})",
            args.subject,
            history.sessions.len()
        );
    }
    let (b, a) = (&history.sessions[before], &history.sessions[after]);
    let reversed = reversed_note(before, after, &history);
    let mut comparisons = compare(b, a, &overrides);
    let doubt = args.pick.default_pair_doubt(&history);
    if doubt.is_some() {
        withhold_verdicts(&mut comparisons);
    }
    let not_compared = gonio::store::uncompared(b, a);
    let asymmetries: Vec<_> = [b, a]
        .iter()
        .flat_map(|s| {
            asymmetry(s)
                .into_iter()
                .map(move |(p, m, l, r)| (s.label.clone(), p, m, l, r))
        })
        .collect();
    let mut out = io::stdout().lock();
    if args.json {
        if let Some(note) = &reversed {
            eprintln!("gonio: note: {note}");
        }
        let json = serde_json::json!({
            "subject": args.subject,
            "before": b.label,
            "after": a.label,
            "order_doubt": doubt,
            // "before" took place after "after", as named: every change runs backwards in time.
            "reversed": reversed.is_some(),
            "comparisons": comparisons,
            "not_compared": not_compared,
            "asymmetry": asymmetries.iter().map(|(s, p, m, l, r)| serde_json::json!({
                "session": s, "protocol": p, "measure": m, "left_deg": l, "right_deg": r, "difference_deg": l - r,
            })).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut out, &json)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "subject {}: {} ({}) -> {} ({})",
        args.subject,
        b.label,
        date_shown(&b.started_at),
        a.label,
        date_shown(&a.started_at)
    )?;
    if let Some(doubt) = &doubt {
        writeln!(out, "note: {}", doubt_text(doubt, &args.subject))?;
    }
    // On the table's side of the output: a table saved without its note read "declined" for a
    // patient who improved.
    if let Some(note) = &reversed {
        writeln!(out, "note: {note}")?;
    }
    if comparisons.is_empty() {
        writeln!(out, "no measure with a result in both sessions")?;
    } else {
        let mut table = new_table();
        table.set_header([
            "protocol",
            "side",
            "measure",
            "before (deg)",
            "after (deg)",
            "change (deg)",
            "MDC95 (deg)",
            "verdict",
            "lowest grade",
        ]);
        for c in &comparisons {
            table.add_row(vec![
                Cell::new(&c.protocol),
                Cell::new(c.side.name()),
                Cell::new(&c.measure),
                Cell::new(format!("{:.1}", c.before_deg)).set_alignment(CellAlignment::Right),
                Cell::new(format!("{:.1}", c.after_deg)).set_alignment(CellAlignment::Right),
                Cell::new(format!("{:+.1}", c.change_deg)).set_alignment(CellAlignment::Right),
                Cell::new(deg(c.mdc95_deg)).set_alignment(CellAlignment::Right),
                Cell::new(c.verdict.text()),
                Cell::new(c.lowest_quality.name()),
            ]);
        }
        writeln!(out, "{table}")?;
        for c in &comparisons {
            writeln!(
                out,
                "  {} {} {}: MDC95 from {}",
                c.protocol,
                c.side.name(),
                c.measure,
                c.mdc_source
            )?;
        }
        writeln!(
            out,
            "A change no larger than the MDC95 (1.96 x sqrt(2) x SEM) is within measurement error."
        )?;
    }
    for u in &not_compared {
        writeln!(out, "  not compared: {u}")?;
    }
    for (session, protocol, measure, left, right) in &asymmetries {
        writeln!(out, "  asymmetry in {session}: {protocol} {measure} left {left:.1}, right {right:.1} ({:+.1} deg)", left - right)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let store = args.db.open_existing()?;
    let mut out = io::stdout().lock();
    match args.format {
        Format::Json => {
            let history = if args.no_pictures {
                store.history(&args.subject)?
            } else {
                store.export(&args.subject, ExportPictures::KeptOrFiles)?
            };
            serde_json::to_writer_pretty(&mut out, &history)?;
            writeln!(out)?;
        }
        Format::Csv => gonio::store::write_csv(&mut out, &store.history(&args.subject)?)?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn import(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    // Every file is read before anything is written: a bad one stops the import, not half of it.
    let mut sources = Vec::new();
    for file in &args.files {
        sources.push(read_import(file)?);
    }
    let made_new = !args.db.path().exists();
    let mut store = args.db.open()?;
    let imported = store
        .import_sources(&sources.iter().map(Vec::as_slice).collect::<Vec<_>>())
        .map_err(|e| {
            use gonio::store::{stored_name, StoreError};
            let file_holding = |held: &dyn Fn(&SubjectExport) -> bool| {
                args.files
                    .iter()
                    .zip(&sources)
                    .find(|(_, exports)| exports.iter().any(held))
                    .map(|(file, _)| file)
            };
            // A recording in two sessions: the file it was found in (one of several shards).
            if let StoreError::ImportRecordingElsewhere {
                subject,
                label,
                recording,
                ..
            } = &e
            {
                let file = file_holding(&|x: &SubjectExport| {
                    stored_name(&x.subject) == stored_name(subject)
                        && x.sessions.iter().any(|s| {
                            stored_name(&s.label) == stored_name(label)
                                && s.measurements.iter().any(|m| *m.source == **recording)
                        })
                });
                let e = anyhow::Error::from(e);
                return match file {
                    Some(file) => e.context(format!("in {}", file.display())),
                    None => e,
                };
            }
            // The file that holds the name (one of several, or one whose look-alike is in
            // another of them).
            let holding = match &e {
                StoreError::SimilarSubject { given, .. } => Some(
                    file_holding(&|x: &SubjectExport| stored_name(&x.subject) == *given)
                        .map(|file| (file, ())),
                ),
                _ => None,
            };
            let e = anyhow::Error::from(e);
            // The advice for typing a name does not fit a file: say how to fix the file (a
            // database has no field to edit: its export has).
            let fix = "write the saved name in the export's \"subject\" field (the same person), or a name that differs by more than letter case, width, apostrophes or dashes (another person)";
            match holding {
                Some(Some((file, _))) if is_database(file) => e.context(format!(
                    "nothing imported: in {file}: export that subject to JSON (`gonio export --db {file} --subject NAME > s.json`), then {fix}, and import s.json",
                    file = file.display()
                )),
                Some(Some((file, _))) => e.context(format!(
                    "nothing imported: in {}, {fix}",
                    file.display()
                )),
                Some(None) => e.context(format!("nothing imported: {fix}")),
                None => e,
            }
        });
    let imported = match imported {
        Ok(imported) => imported,
        Err(e) => {
            // Nothing was imported: a database this command made is not left behind, empty
            // (unless another run saved into it meanwhile).
            if made_new && store.subjects().is_ok_and(|s| s.is_empty()) {
                let path = store.path().to_path_buf();
                drop(store);
                remove_database(&path);
            }
            return Err(e);
        }
    };
    let exports: Vec<&SubjectExport> = sources.iter().flatten().collect();
    let already = imported.replaced;
    let sessions: usize = exports.iter().map(|e| e.sessions.len()).sum();
    let measurements: usize = exports
        .iter()
        .flat_map(|e| &e.sessions)
        .map(|s| s.measurements.len())
        .sum();
    let subjects: std::collections::BTreeSet<&str> =
        exports.iter().map(|e| e.subject.as_str()).collect();
    eprintln!(
        "gonio: imported {} subject(s), {sessions} session(s), {measurements} measurement(s) \
         ({already} of them were already there and were replaced, not repeated) into {}",
        subjects.len(),
        store.path().display()
    );
    // A session's date orders the before/after verdict: a date not taken is said.
    for kept in &imported.kept_dates {
        eprintln!(
            "gonio: warning: {} session \"{}\" is dated {} in {}; the import dates it {}: \
             kept {} (a session's date orders before and after)",
            kept.subject,
            kept.label,
            kept.kept,
            store.path().display(),
            kept.imported,
            kept.kept
        );
    }
    for also in &imported.also_for {
        eprintln!(
            "gonio: warning: {}: {} is also saved for {}: one recording for two people; check that it is this subject's",
            also.subject,
            also.source,
            also.others.join(", ")
        );
    }
    let shown =
        |v: Option<f32>| v.map_or_else(|| "no result".to_string(), |v| format!("{v:.1} deg"));
    for changed in &imported.changed_values {
        eprintln!(
            "gonio: warning: {} session \"{}\" {} {} {}: was {}, the import's {} replaced it (the same recording, by sha256)",
            changed.subject,
            changed.label,
            changed.protocol,
            changed.side.name(),
            changed.measure,
            shown(changed.was_deg),
            shown(changed.now_deg)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The subjects in `file`: a gonio database (every subject) or a JSON export (one).
/// Whether `file` starts as an SQLite database does.
fn is_database(file: &Path) -> bool {
    let mut head = [0u8; 16];
    std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == *b"SQLite format 3\0"
}

fn read_import(file: &Path) -> anyhow::Result<Vec<SubjectExport>> {
    if is_database(file) {
        return Ok(Store::open_copy(file)?.export_all()?);
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", file.display()))?;
    let mut reader = serde_json::Deserializer::from_str(&text);
    let export: SubjectExport = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        // An export edited by hand (a grade misspelt, a count made negative) is said to be one,
        // with the field that cannot be read.
        let looks_like_export = serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|v| v.get("subject").is_some() && v.get("sessions").is_some());
        if looks_like_export {
            anyhow::anyhow!(
                "{}: a gonio export, but {} cannot be read: {}; nothing was imported",
                file.display(),
                e.path(),
                e.inner()
            )
        } else {
            anyhow::anyhow!(
                "{}: neither a gonio database nor a gonio export (write one with `gonio export --format json`): {}",
                file.display(),
                e.inner()
            )
        }
    })?;
    check_export(&export).map_err(|problem| {
        anyhow::anyhow!(
            "{}: not a plausible measurement: {problem}; nothing was imported",
            file.display()
        )
    })?;
    Ok(vec![export])
}

#[derive(Args)]
pub struct RedateArgs {
    /// The subject
    #[arg(long, value_name = "ID")]
    subject: String,
    /// The session to move
    #[arg(long, value_name = "LABEL")]
    session: String,
    /// Its date: YYYY-MM-DD (a day alone: sessions of one day are then ordered by their labels,
    /// or not at all) or YYYY-MM-DDTHH:MM (UTC)
    #[arg(long, value_name = "DATE", value_parser = recording_date)]
    date: String,
    #[command(flatten)]
    db: DbArgs,
}

/// Moves a session to another date: sessions are compared in date order, first against latest.
pub fn redate(args: &RedateArgs) -> anyhow::Result<ExitCode> {
    let mut store = args.db.open_existing()?;
    let id = store.subject_row_id(&args.subject)?;
    let at = store.set_session_date(id, &args.session, &args.date)?;
    eprintln!(
        "gonio: {} session \"{}\" is dated {} (sessions are compared in date order: `gonio history` shows it)",
        gonio::store::stored_name(&args.subject),
        gonio::store::stored_name(&args.session),
        date_shown(&at)
    );
    Ok(ExitCode::SUCCESS)
}

pub fn forget(args: &ForgetArgs) -> anyhow::Result<ExitCode> {
    let mut store = args.db.open_existing()?;
    let forgotten = store.forget(&args.subject)?;
    eprintln!(
        "gonio: deleted every session and measurement of {} from {}",
        gonio::store::stored_name(&args.subject),
        store.path().display()
    );
    for file in &forgotten.deleted {
        eprintln!("gonio: deleted {}", file.display());
    }
    for file in &forgotten.left {
        eprintln!(
            "gonio: left {}: named by an imported result, so not written by this database's \
             analyses (delete it yourself if it is the subject's)",
            file.display()
        );
    }
    for file in &forgotten.shared {
        eprintln!(
            "gonio: left {}: another subject's result names it or was measured from the same \
             recording",
            file.display()
        );
    }
    for file in &forgotten.missing {
        eprintln!(
            "gonio: not found {}: moved or deleted since gonio wrote it for this subject \
             (delete any copy yourself)",
            file.display()
        );
    }
    for file in &forgotten.changed {
        eprintln!(
            "gonio: left {}: changed since gonio wrote it for this subject (written again for \
             another, or replaced by another file), so not theirs any more",
            file.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct ReportArgs {
    /// The subject
    #[arg(long, value_name = "ID")]
    subject: String,
    /// The HTML file to write (self-contained: open it in any browser, send it as one file)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    pick: SessionPick,
    #[command(flatten)]
    db: DbArgs,
}

pub fn report(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    use gonio::report::html::{is_report_file, subject_report, trends_of, ComparedPair};
    // A report written again replaces the old one; nothing else is ever replaced (a mistyped
    // `--out` naming the database or a recording would destroy it).
    // (A link, FIFO or device is refused by the writer itself, with its own words.)
    let regular = std::fs::symlink_metadata(&args.out).is_ok_and(|m| m.is_file());
    if regular && !is_report_file(&args.out) {
        anyhow::bail!(
            "{}: exists and is not a gonio report; not replaced (give --out a new file name)",
            args.out.display()
        );
    }
    let overrides = args.pick.overrides()?;
    let store = args.db.open_existing()?;
    let (history, ids) = store.history_with_ids(&args.subject)?;
    let pictures = store.pictures(&ids)?;
    let (before, after) = args.pick.indices(&history)?;
    let (b, a) = (&history.sessions[before], &history.sessions[after]);
    // What the reader of the report must know is in it, not only on this terminal.
    let mut notes = Vec::new();
    let (comparisons, not_compared) = if before == after {
        (Vec::new(), Vec::new())
    } else {
        let mut comparisons = compare(b, a, &overrides);
        if let Some(doubt) = args.pick.default_pair_doubt(&history) {
            withhold_verdicts(&mut comparisons);
            let text = doubt_text(&doubt, &args.subject);
            eprintln!("gonio: {text}");
            notes.push(text);
        }
        if let Some(note) = reversed_note(before, after, &history) {
            eprintln!("gonio: note: {note}");
            notes.push(note);
        }
        (comparisons, gonio::store::uncompared(b, a))
    };

    let trends = trends_of(&history, &comparisons);
    let pair = ComparedPair {
        before: &b.label,
        after: &a.label,
        notes,
    };
    let html = subject_report(
        &history,
        &pictures,
        &comparisons,
        &not_compared,
        &pair,
        &trends,
    )?;
    gonio::report::write_atomically(&args.out, |file| file.write_all(html.as_bytes()))?;
    eprintln!("gonio: wrote {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
