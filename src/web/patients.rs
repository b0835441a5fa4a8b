//! The patient pages' data: patients, their sessions and results, before/after verdicts against
//! the MDC, trend charts, exports, the HTML report, evidence pictures, discarding a trial and
//! forgetting a patient.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{blocking, App, WebError};
use crate::protocols;
use crate::report::html::{subject_report, trend_png, trends_of, ComparedPair};
use crate::store::{
    compare, history_doubt, order_doubt, uncompared, withhold_verdicts, write_csv, Comparison,
    ExportPictures, MdcOverrides, Session, SubjectExport, Uncompared,
};

/// Every protocol with what the page shows before measuring.
pub async fn protocols() -> Json<Value> {
    Json(Value::Array(
        protocols::ALL
            .iter()
            .map(|p| {
                json!({
                    "id": p.id,
                    "title": p.title,
                    "instructions": p.instructions,
                    "norm": p.norm,
                    "measures": p.measures.iter().map(|m| json!({
                        "name": m.name,
                        "description": m.description,
                        "mdc95_deg": m.mdc95.map(|(v, _)| v),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}

pub async fn list(State(app): State<Arc<App>>) -> Result<Json<Value>, WebError> {
    blocking(move || Ok(Json(json!(app.store()?.patients()?)))).await
}

#[derive(Deserialize)]
pub struct NewPatient {
    alias: String,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    date_of_birth: Option<String>,
}

pub async fn add(
    State(app): State<Arc<App>>,
    Json(new): Json<NewPatient>,
) -> Result<Json<Value>, WebError> {
    let blank = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    if crate::store::stored_name(&new.alias).chars().count() > 80 {
        return Err(WebError::BadRequest(
            "an alias has at most 80 characters".into(),
        ));
    }
    if new.notes.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(WebError::BadRequest(
            "notes have at most 2000 characters".into(),
        ));
    }
    blocking(move || {
        let id = app.store()?.add_patient(
            &new.alias,
            blank(new.notes).as_deref(),
            blank(new.date_of_birth).as_deref(),
        )?;
        Ok(Json(json!({ "id": id })))
    })
    .await
}

/// A patient's history and the comparisons of each session with the one before.
struct Record {
    history: SubjectExport,
    ids: Vec<Vec<i64>>,
    /// (before label, after label, comparisons), consecutive sessions.
    steps: Vec<(String, String, Vec<Comparison>)>,
    /// The first session against the last.
    overall: Vec<Comparison>,
    /// The measures with a result in only one of those two.
    not_compared: Vec<Uncompared>,
}

/// Two sessions compared in date order, their verdicts withheld where the dates (or labels)
/// do not confirm that order (see [`crate::store::order_doubt`]).
fn in_date_order(first: &Session, last: &Session, overrides: &MdcOverrides) -> Vec<Comparison> {
    let mut comparisons = compare(first, last, overrides);
    if order_doubt(first, last).is_some() {
        withhold_verdicts(&mut comparisons);
    }
    comparisons
}

/// The note for verdicts withheld because of `doubt` about the sessions' order.
fn withheld_because(doubt: &str) -> String {
    format!("{doubt}: verdicts withheld; give the sessions their dates and times of day (on the patient page)")
}

fn record(app: &App, id: i64) -> Result<(crate::store::Patient, Record), WebError> {
    let store = app.store()?;
    let patient = store.patient(id)?;
    let (history, ids) = store.history_with_ids(&patient.alias)?;
    let overrides = &app.config.mdc;
    let steps = history
        .sessions
        .windows(2)
        .map(|pair| {
            (
                pair[0].label.clone(),
                pair[1].label.clone(),
                in_date_order(&pair[0], &pair[1], overrides),
            )
        })
        .collect();
    let (overall, not_compared) = match (history.sessions.first(), history.sessions.last()) {
        (Some(first), Some(last)) if history.sessions.len() > 1 => {
            let mut overall = in_date_order(first, last, overrides);
            // Another session that may have come first or last: the baseline is in doubt.
            if history_doubt(&history.sessions).is_some() {
                withhold_verdicts(&mut overall);
            }
            (overall, uncompared(first, last))
        }
        _ => (Vec::new(), Vec::new()),
    };
    Ok((
        patient,
        Record {
            history,
            ids,
            steps,
            overall,
            not_compared,
        },
    ))
}

pub async fn show(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, WebError> {
    blocking(move || {
        let (patient, record) = record(&app, id)?;
        let sessions: Vec<Value> = record
            .history
            .sessions
            .iter()
            .zip(&record.ids)
            .map(|(session, ids)| {
                let measurements: Vec<Value> = session
                    .measurements
                    .iter()
                    .zip(ids)
                    .map(|(m, id)| {
                        let mut value = json!(m);
                        if let Some(fields) = value.as_object_mut() {
                            fields.insert("id".into(), json!(id));
                            fields.remove("evidence_path");
                            fields.insert(
                                "warnings_text".into(),
                                json!(m.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>()),
                            );
                        }
                        value
                    })
                    .collect();
                json!({
                    "label": session.label,
                    "started_at": session.started_at,
                    "notes": session.notes,
                    "measurements": measurements,
                    "spread": spreads(session),
                })
            })
            .collect();
        let trends: Vec<Value> = trends_of(&record.history, &record.overall)
            .iter()
            .enumerate()
            .map(|(n, t)| json!({ "n": n, "title": t.title }))
            .collect();
        let verdict = |c: &Comparison| {
            let mut v = json!(c);
            if let Some(fields) = v.as_object_mut() {
                fields.insert("verdict_text".into(), json!(c.verdict.text()));
            }
            v
        };
        Ok(Json(json!({
            "patient": patient,
            "sessions": sessions,
            "steps": record.steps.iter().map(|(b, a, cs)| json!({
                "before": b, "after": a,
                "comparisons": cs.iter().map(verdict).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "overall": record.overall.iter().map(verdict).collect::<Vec<_>>(),
            "order_doubt": history_doubt(&record.history.sessions)
                .map(|doubt| withheld_because(&doubt)),
            "not_compared": record.not_compared.iter().map(|u| {
                let mut v = json!(u);
                if let Some(fields) = v.as_object_mut() {
                    fields.insert("text".into(), json!(u.to_string()));
                }
                v
            }).collect::<Vec<_>>(),
            "trends": trends,
        })))
    })
    .await
}

/// Per protocol, measure and side of a session with two or more trials: the mean, the spread
/// (largest minus smallest, degrees) and the count, so that repeated trials show how well they
/// agree.
fn spreads(session: &crate::store::Session) -> Vec<Value> {
    // The trials a comparison counts: repeats and copies of one recording once.
    crate::store::counted_trials(session)
        .into_iter()
        .filter(|(_, values)| values.len() >= 2)
        .map(|((protocol, measure, side), values)| {
            let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            json!({
                "protocol": protocol, "measure": measure, "side": side.name(),
                "trials": values.len(),
                "mean_deg": crate::stats::mean(&values),
                "range_deg": hi - lo,
            })
        })
        .collect()
}

/// A file to save, named by the patient's number (never the alias: names go into downloads
/// folders and browser histories).
fn attachment(mime: &'static str, name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn export_json(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    blocking(move || {
        let store = app.store()?;
        let history = store.export(&store.patient(id)?.alias, ExportPictures::KeptOrFiles)?;
        let body =
            serde_json::to_vec_pretty(&history).map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(attachment(
            "application/json",
            format!("gonio-patient-{id}.json"),
            body,
        ))
    })
    .await
}

pub async fn export_csv(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    blocking(move || {
        let (_, record) = record(&app, id)?;
        let mut body = Vec::new();
        write_csv(&mut body, &record.history).map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(attachment(
            "text/csv",
            format!("gonio-patient-{id}.csv"),
            body,
        ))
    })
    .await
}

pub async fn report(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    blocking(move || {
        let (_, record) = record(&app, id)?;
        let sessions = &record.history.sessions;
        let (Some(first), Some(last)) = (sessions.first(), sessions.last()) else {
            return Err(WebError::NotFound("no sessions to report yet".into()));
        };
        let trends = trends_of(&record.history, &record.overall);
        let pictures = app.store()?.pictures(&record.ids)?;
        let pair = ComparedPair {
            before: &first.label,
            after: &last.label,
            notes: history_doubt(sessions)
                .map(|doubt| withheld_because(&doubt))
                .into_iter()
                .collect(),
        };
        let html = subject_report(
            &record.history,
            &pictures,
            &record.overall,
            &record.not_compared,
            &pair,
            &trends,
        )
        .map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(attachment(
            "text/html; charset=utf-8",
            format!("gonio-patient-{id}-report.html"),
            html.into_bytes(),
        ))
    })
    .await
}

pub async fn trend(
    State(app): State<Arc<App>>,
    Path((id, n)): Path<(i64, usize)>,
) -> Result<Response, WebError> {
    blocking(move || {
        let (_, record) = record(&app, id)?;
        let trends = trends_of(&record.history, &record.overall);
        let trend = trends
            .get(n)
            .ok_or_else(|| WebError::NotFound(format!("no trend chart {n}")))?;
        let png = trend_png(trend, 640, 320).map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
    })
    .await
}

pub async fn picture(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    blocking(move || {
        let picture = app
            .store()?
            .picture(id)?
            .ok_or_else(|| WebError::NotFound(format!("no picture for result {id}")))?;
        Ok(([(header::CONTENT_TYPE, picture.mime)], picture.bytes).into_response())
    })
    .await
}

pub async fn discard(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, WebError> {
    blocking(move || {
        let discarded = app.store()?.discard(id)?;
        if !discarded.is_empty() {
            Ok(Json(json!({ "discarded": discarded })))
        } else {
            Err(WebError::NotFound(format!("no result {id}")))
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct SessionDate {
    /// The session's label (in the body: labels may carry patient details).
    session: String,
    /// `YYYY-MM-DD`, or with a time `YYYY-MM-DDTHH:MM` (UTC).
    date: String,
}

/// Dates one of the patient's sessions: sessions are ordered by date, and the first and the
/// last make the before/after verdict.
pub async fn date_session(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Json(request): Json<SessionDate>,
) -> Result<Json<Value>, WebError> {
    blocking(move || {
        let at = app
            .store()?
            .set_session_date(id, &request.session, &request.date)?;
        Ok(Json(
            json!({ "session": request.session, "started_at": at }),
        ))
    })
    .await
}

#[derive(Deserialize)]
pub struct Confirm {
    /// The patient's alias typed again: what is deleted is named, and a slip cannot delete.
    confirm: String,
}

pub async fn forget(
    State(app): State<Arc<App>>,
    Path(id): Path<i64>,
    Json(confirm): Json<Confirm>,
) -> Result<Json<Value>, WebError> {
    blocking(move || {
        let mut store = app.store()?;
        let patient = store.patient(id)?;
        // Not while in use: a live trial would fail to save and an upload finish for nobody.
        if app.measuring(id) {
            return Err(WebError::Conflict(format!(
                "{} is being measured: stop measuring first, then forget",
                patient.alias
            )));
        }
        let analysing = app.jobs.lock().is_ok_and(|jobs| {
            jobs.values()
                .any(|job| job.patient == id && (job.state == "queued" || job.state == "running"))
        });
        if analysing {
            return Err(WebError::Conflict(format!(
                "{}'s uploads are being analysed: forget once they are done",
                patient.alias
            )));
        }
        // Letter case aside: names that differ only in case are one patient.
        if crate::store::stored_name(&confirm.confirm).to_lowercase()
            != crate::store::stored_name(&patient.alias).to_lowercase()
        {
            return Err(WebError::BadRequest(
                "type the patient's alias to confirm: nothing was deleted".into(),
            ));
        }
        let forgotten = store.forget(&patient.alias)?;
        // This patient's finished upload jobs hold results and file names: gone too (and
        // only theirs: an upload page still polling for another patient's job lost it).
        if let Ok(mut jobs) = app.jobs.lock() {
            jobs.retain(|_, job| {
                job.patient != id || job.state == "running" || job.state == "queued"
            });
        }
        Ok(Json(json!({
            "deleted_sessions": patient.sessions,
            "deleted_measurements": patient.measurements,
            "deleted_files": forgotten.deleted.len(),
            "files_left": forgotten.left,
            "files_changed": forgotten.changed,
            "files_shared": forgotten.shared,
            "files_missing": forgotten.missing,
        })))
    })
    .await
}
