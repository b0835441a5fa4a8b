//! A subject's sessions as CSV, one row per measurement (`gonio export --format csv`, the
//! clinic app's export).

use std::io::Write;

use super::SubjectExport;
use crate::protocols::Warning;

/// The CSV columns, in order.
pub const CSV_HEADERS: [&str; 20] = [
    "subject",
    "session",
    "started_at",
    "protocol",
    "measure",
    "side",
    "value_deg",
    "peak_deg",
    "hold_s",
    "valid_frames",
    "total_frames",
    "quality",
    "warnings",
    "model",
    "source",
    "source_sha256",
    "gonio_version",
    "session_notes",
    "source_start_s",
    "source_end_s",
];

/// Writes `history` as CSV: angles in degrees with two decimals, hold in seconds. Text a
/// spreadsheet would run as a formula is quoted (see [`spreadsheet_safe`]).
pub fn write_csv(out: impl Write, history: &SubjectExport) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADERS)?;
    for s in &history.sessions {
        for m in &s.measurements {
            let opt = |v: Option<f32>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
            let text = |t: &str| spreadsheet_safe(t);
            // The part of the recording a live trial was cut from; empty: the whole recording.
            let span = |i: usize| {
                m.source_span_s
                    .map(|s| format!("{:.3}", s[i]))
                    .unwrap_or_default()
            };
            writer.write_record([
                text(&history.subject),
                text(&s.label),
                s.started_at.clone(),
                m.protocol.clone(),
                m.measure.clone(),
                m.side.name().to_string(),
                opt(m.value_deg),
                opt(m.peak_deg),
                format!("{:.2}", m.hold_s),
                m.valid_frames.to_string(),
                m.total_frames.to_string(),
                // As `history` and the report show it: a refusal is no result, not a poor one.
                m.value_deg
                    .map_or("no result", |_| m.quality.name())
                    .to_string(),
                text(&Warning::join(&m.warnings, "; ")),
                text(m.model.as_deref().unwrap_or_default()),
                text(&m.source),
                m.source_sha256.clone().unwrap_or_default(),
                m.gonio_version.clone(),
                text(s.notes.as_deref().unwrap_or("")),
                span(0),
                span(1),
            ])?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// `text` as a CSV cell that spreadsheets show as text: a cell starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return is run as a formula by Excel, LibreOffice and Google Sheets
/// (`=HYPERLINK(...)` in a session note), so it gets a leading apostrophe (OWASP's advice).
pub fn spreadsheet_safe(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}
