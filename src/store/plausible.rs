//! What may be stored, checked on every save and import: an export edited by hand or by another
//! program must not put an infinite angle, an empty name or a date that is not a date into the
//! database.

use super::dates::{parse_recording_date, DateError};
use super::names::{is_hidden_character, mixes_scripts};
use super::{StoredMeasurement, SubjectExport};

/// What makes saved or imported data implausible.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Implausible {
    #[error("the subject's name is empty")]
    NoSubject,
    #[error("a session's label is empty")]
    NoLabel,
    #[error("{what} holds control or invisible characters (a newline, a tab, a terminal escape, a zero-width space or a direction mark)")]
    ControlCharacters { what: &'static str },
    #[error("{what} mixes letters of two scripts (a Cyrillic or Greek letter among Latin ones, such as \"а\" in \"Anna\"): it would look like another name; type it in one script")]
    MixedScripts { what: &'static str },
    // (The date's error is in the message, not a `source`: `{:#}` would print it twice.)
    #[error("session `{label}`: its date {error}")]
    Date { label: String, error: DateError },
    #[error("session `{label}`: {protocol} {measure}: an angle of {angle_deg} deg is not between -360 and 360")]
    Angle {
        label: String,
        protocol: String,
        measure: String,
        angle_deg: f32,
    },
    #[error("session `{label}`: hold of {hold_s} s")]
    Hold { label: String, hold_s: f64 },
    #[error("session `{label}`: {valid} valid frames of {total} frames (a result is read from at least one valid frame, and the valid frames are among the frames)")]
    Frames {
        label: String,
        valid: usize,
        total: usize,
    },
    #[error("session `{label}`: a measurement without protocol or measure")]
    NoProtocol { label: String },
    /// A protocol or measure gonio does not have: a typing error in an edited export, or a
    /// file of another program. It would be kept and never compared.
    #[error("session `{label}`: no protocol `{protocol}` with a measure `{measure}` (see `gonio protocols`)")]
    UnknownMeasure {
        label: String,
        protocol: String,
        measure: String,
    },
    #[error("session `{label}`: {protocol} {measure}: the result {value_deg} deg lies beyond the extreme reached ({peak_deg} deg)")]
    BeyondPeak {
        label: String,
        protocol: String,
        measure: String,
        value_deg: f32,
        peak_deg: f32,
    },
    #[error("session `{label}`: {protocol} {measure}: {field} `{sha}` is not a sha256 (64 hexadecimal digits)")]
    Sha {
        label: String,
        protocol: String,
        measure: String,
        /// The field that holds it.
        field: &'static str,
        sha: String,
    },
    #[error("session `{label}`: {protocol} {measure}: settings ({settings}) are not settings gonio measures with (hold 0.1 to 600 s, band 0.5 to 30 deg, confidence 0 to 1)")]
    Settings {
        label: String,
        protocol: String,
        measure: String,
        settings: String,
    },
    #[error("session `{label}`: {protocol} {measure}: source_span_s [{start_s}, {end_s}] is not a part of a recording (seconds, start before end)")]
    Span {
        label: String,
        protocol: String,
        measure: String,
        start_s: f64,
        end_s: f64,
    },
    #[error("session `{label}`: {protocol} {measure}: its picture is not a PNG or JPEG of at most 64 MiB")]
    Picture {
        label: String,
        protocol: String,
        measure: String,
    },
    #[error(
        "date of birth `{0}` is not a day from 1900 to today: give YYYY-MM-DD, e.g. 1980-02-29"
    )]
    BirthDate(String),
}

/// Checks what is about to be stored: names present, dates that are dates, angles that are
/// angles, counts that add up. An export edited by hand or by another program must not put an
/// infinite angle or a date that is not a date into the database. Returns what is wrong.
pub fn check_export(export: &SubjectExport) -> Result<(), Implausible> {
    if export.subject.trim().is_empty() {
        return Err(Implausible::NoSubject);
    }
    export.sessions.iter().try_for_each(|session| {
        check_session(
            Some(&export.subject),
            &session.label,
            Some(&session.started_at),
            &session.measurements,
        )
    })
}

/// [`check_export`] for one session of `subject` (`started_at` None: saved now).
pub(super) fn check_session(
    subject: Option<&str>,
    label: &str,
    started_at: Option<&str>,
    measurements: &[StoredMeasurement],
) -> Result<(), Implausible> {
    // None: a subject already in the database (saved under older rules, perhaps), not named now.
    if let Some(subject) = subject {
        if subject.trim().is_empty() {
            return Err(Implausible::NoSubject);
        }
        // Names are printed: a newline or a terminal escape in one could forge or hide output.
        if subject.chars().any(is_hidden_character) {
            return Err(Implausible::ControlCharacters {
                what: "the subject's name",
            });
        }
        if mixes_scripts(subject) {
            return Err(Implausible::MixedScripts {
                what: "the subject's name",
            });
        }
    }
    if label.trim().is_empty() {
        return Err(Implausible::NoLabel);
    }
    if label.chars().any(is_hidden_character) {
        return Err(Implausible::ControlCharacters {
            what: "a session's label",
        });
    }
    if mixes_scripts(label) {
        return Err(Implausible::MixedScripts {
            what: "a session's label",
        });
    }
    let label = label.to_string();
    if let Some(started_at) = started_at {
        parse_recording_date(started_at).map_err(|error| Implausible::Date {
            label: label.clone(),
            error,
        })?;
    }
    for m in measurements {
        if let Some(angle_deg) = [m.value_deg, m.peak_deg]
            .into_iter()
            .flatten()
            .find(|v| !(v.is_finite() && v.abs() <= 360.0))
        {
            return Err(Implausible::Angle {
                label,
                protocol: m.protocol.clone(),
                measure: m.measure.clone(),
                angle_deg,
            });
        }
        if !(m.hold_s.is_finite() && (0.0..=86_400.0).contains(&m.hold_s)) {
            return Err(Implausible::Hold {
                label,
                hold_s: m.hold_s,
            });
        }
        // A result is read from frames: one from none was not measured.
        if m.valid_frames > m.total_frames || (m.value_deg.is_some() && m.valid_frames == 0) {
            return Err(Implausible::Frames {
                label,
                valid: m.valid_frames,
                total: m.total_frames,
            });
        }
        if m.protocol.trim().is_empty() || m.measure.trim().is_empty() {
            return Err(Implausible::NoProtocol { label });
        }
        // The id exactly: results are compared by it (`SLR` would never meet `slr`).
        let Some(definition) = crate::protocols::find(&m.protocol)
            .filter(|p| p.id == m.protocol)
            .and_then(|p| p.measure_named(&m.measure))
        else {
            return Err(Implausible::UnknownMeasure {
                label,
                protocol: m.protocol.clone(),
                measure: m.measure.clone(),
            });
        };
        // A sustained maximum (or a mean of swing peaks) never passes the extreme reached.
        if let (Some(value), Some(peak)) = (m.value_deg, m.peak_deg) {
            let beyond = match definition.best {
                crate::protocols::Best::Highest => value - peak,
                crate::protocols::Best::Lowest => peak - value,
            };
            if beyond > 0.5 {
                return Err(Implausible::BeyondPeak {
                    label,
                    protocol: m.protocol.clone(),
                    measure: m.measure.clone(),
                    value_deg: value,
                    peak_deg: peak,
                });
            }
        }
        for (field, sha) in [
            ("source_sha256", &m.source_sha256),
            ("evidence_sha256", &m.evidence_sha256),
        ] {
            if let Some(sha) = sha.as_ref().filter(|sha| {
                sha.len() != 64
                    || !sha
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }) {
                return Err(Implausible::Sha {
                    label,
                    protocol: m.protocol.clone(),
                    measure: m.measure.clone(),
                    field,
                    sha: sha.clone(),
                });
            }
        }
        if let Some(settings) = m.settings.filter(|s| !s.is_plausible()) {
            return Err(Implausible::Settings {
                label,
                protocol: m.protocol.clone(),
                measure: m.measure.clone(),
                settings: settings.to_string(),
            });
        }
        if let Some([start, end]) = m
            .source_span_s
            .filter(|&[start, end]| !(start.is_finite() && end.is_finite() && start <= end))
        {
            return Err(Implausible::Span {
                label,
                protocol: m.protocol.clone(),
                measure: m.measure.clone(),
                start_s: start,
                end_s: end,
            });
        }
        if m.picture.as_ref().is_some_and(|p| !p.is_plausible()) {
            return Err(Implausible::Picture {
                label,
                protocol: m.protocol.clone(),
                measure: m.measure.clone(),
            });
        }
    }
    Ok(())
}
