//! Recorded videos uploaded for a patient: each is written to a private temporary folder,
//! analysed as a background job by the same batch code as `gonio analyze`, its results saved
//! into the patient's session with their evidence pictures, and the temporary folder deleted.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Multipart, Path as UrlPath, State};
use axum::Json;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use super::{blocking, App, WebError};
use crate::angles::Side;
use crate::protocols::{self, SideChoice};
use crate::run::analyze::{analyze_batch, batch, AnalyzeConfig, People, Progress};
use crate::run::save::picture_of;
use crate::run::StopRequest;
use crate::store::{file_sha256, Picture, Store, StoredMeasurement};

/// A job's state, as `/api/jobs/{id}` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Job {
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub state: &'static str,
    /// The patient's row id.
    pub patient: i64,
    /// The uploaded file's name.
    pub file: String,
    pub frames: usize,
    /// Frames expected (from the video's duration), when known.
    pub expected_frames: Option<usize>,
    pub results: Vec<Value>,
    pub error: Option<String>,
    /// Asked by `DELETE /api/jobs/{id}`: a queued job is never started, a running one stops
    /// between two frames; nothing of it is saved.
    #[serde(skip)]
    pub cancel: StopRequest,
}

impl Job {
    /// Whether it is still to be analysed or being analysed.
    pub fn is_unfinished(&self) -> bool {
        self.state == "queued" || self.state == "running"
    }
}

/// Frames per second analysed from uploads (as `gonio analyze` does by default).
const MAX_FPS: f64 = 30.0;

/// Longest wait, seconds, for the next part of an upload: a client gone silent without closing
/// (a laptop shut mid-upload) is answered and its partial file deleted, not kept open until the
/// server stops.
pub const UPLOAD_IDLE_S: u64 = 60;

/// Longest text field of an upload, bytes (a protocol, a side, a session label of at most 80
/// characters, a date): a longer one is refused as it arrives, not read whole first.
const TEXT_FIELD_BYTES: usize = 1024;

/// `next` (the next part of an upload), or an error once nothing arrived for
/// [`UPLOAD_IDLE_S`].
async fn arriving<T>(next: impl std::future::Future<Output = T>) -> Result<T, WebError> {
    tokio::time::timeout(std::time::Duration::from_secs(UPLOAD_IDLE_S), next)
        .await
        .map_err(|_| {
            WebError::BadRequest(format!(
                "the upload stalled: nothing arrived for {UPLOAD_IDLE_S} s; send it again"
            ))
        })
}

/// A text field of an upload, refused past [`TEXT_FIELD_BYTES`].
async fn small_text(field: &mut axum::extract::multipart::Field<'_>) -> Result<String, WebError> {
    let bad = |e: axum::extract::multipart::MultipartError| WebError::BadRequest(e.to_string());
    let name = field.name().unwrap_or_default().to_string();
    let mut bytes = Vec::new();
    while let Some(chunk) = arriving(field.chunk()).await?.map_err(bad)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > TEXT_FIELD_BYTES {
            return Err(WebError::BadRequest(format!(
                "the field `{name}` is over {TEXT_FIELD_BYTES} bytes"
            )));
        }
    }
    String::from_utf8(bytes)
        .map_err(|_| WebError::BadRequest(format!("the field `{name}` is not UTF-8 text")))
}

/// Receives one video (multipart field `file`, with `protocol`, optional `side`, `session` and
/// `date` (the day it was recorded, `YYYY-MM-DD`) fields before it) and starts its analysis.
/// Returns the job's number.
pub async fn start(
    State(app): State<Arc<App>>,
    UrlPath(patient): UrlPath<i64>,
    mut form: Multipart,
) -> Result<Json<Value>, WebError> {
    app.refuse_while_stopping()?;
    {
        let app = Arc::clone(&app);
        blocking(move || Ok(app.store()?.patient(patient)?.id)).await?;
    }
    let mut protocol = None;
    let mut side = SideChoice::Auto;
    let mut session = crate::store::today_local();
    // When the recording was made: it dates a new session (an old "before" uploaded after the
    // "after" session must still come first).
    let mut recorded_at: Option<String> = None;
    // Deleted when dropped: on every error, a closed connection or the job's end.
    let folder =
        PrivateFolder::new(&app.upload_folders).map_err(|e| WebError::Internal(e.to_string()))?;
    let mut upload: Option<(String, PathBuf)> = None;
    let bad = |e: axum::extract::multipart::MultipartError| WebError::BadRequest(e.to_string());
    while let Some(mut field) = arriving(form.next_field()).await?.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "protocol" => {
                let id = small_text(&mut field).await?;
                protocol = Some(
                    protocols::find(id.trim())
                        .ok_or_else(|| WebError::BadRequest(format!("no protocol `{id}`")))?,
                );
            }
            "side" => {
                side = match small_text(&mut field).await?.trim() {
                    "left" => SideChoice::Named(Side::Left),
                    "right" => SideChoice::Named(Side::Right),
                    "both" => SideChoice::Both,
                    "auto" | "" => SideChoice::Auto,
                    other => {
                        return Err(WebError::BadRequest(format!(
                            "no side `{other}` (left, right, both or auto)"
                        )))
                    }
                }
            }
            "session" => {
                let label = small_text(&mut field).await?;
                let label = label.trim();
                if label.chars().any(crate::store::is_hidden_character)
                    || label.chars().count() > 80
                {
                    return Err(WebError::BadRequest(
                        "a session label is one line of at most 80 characters, without invisible ones".into(),
                    ));
                }
                if !label.is_empty() {
                    session = label.to_string();
                }
            }
            "date" => {
                let text = small_text(&mut field).await?;
                let text = text.trim();
                if !text.is_empty() {
                    // Checked here, kept as given: a day alone (no time) is read as such when
                    // saved (see `Store::save_trial`).
                    crate::store::parse_recording_date(text)
                        .map_err(|e| WebError::BadRequest(format!("the recording's date: {e}")))?;
                    recorded_at = Some(text.to_string());
                }
            }
            "file" => {
                if upload.is_some() {
                    // Only one would be analysed, the other dropped without a word.
                    return Err(WebError::BadRequest(
                        "one recording per upload: send each file on its own".into(),
                    ));
                }
                if protocol.is_none() {
                    return Err(WebError::BadRequest(
                        "send the protocol before the file".into(),
                    ));
                }
                // The browser's name (often the patient's) stays in memory and the database:
                // on disk, and in the decoder's command line, the file is `upload.<ext>`.
                let name = field
                    .file_name()
                    .and_then(|n| Path::new(n).file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .filter(|n| !n.trim_start_matches('.').is_empty())
                    .unwrap_or_else(|| "upload.mp4".to_string());
                // (`.trial.csv` is a CSV: a leading dot hides a file, it is not its extension.)
                let extension: String = Path::new(name.trim_start_matches('.'))
                    .extension()
                    .map(|e| e.to_string_lossy().to_ascii_lowercase())
                    .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
                    .unwrap_or_else(|| "mp4".to_string());
                let path = folder.path().join(format!("upload.{extension}"));
                let mut file = tokio::fs::File::create(&path)
                    .await
                    .map_err(|e| WebError::Internal(e.to_string()))?;
                let mut bytes = 0;
                while let Some(chunk) = arriving(field.chunk()).await?.map_err(bad)? {
                    bytes += chunk.len();
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| WebError::Internal(e.to_string()))?;
                }
                file.flush()
                    .await
                    .map_err(|e| WebError::Internal(e.to_string()))?;
                if bytes == 0 {
                    return Err(WebError::BadRequest(format!(
                        "{name}: the file is empty (0 bytes): choose the recording again"
                    )));
                }
                upload = Some((name, path));
            }
            _ => {}
        }
    }
    let (Some(protocol), Some((name, path))) = (protocol, upload) else {
        return Err(WebError::BadRequest(
            "send a protocol and then a file".into(),
        ));
    };
    {
        // Refused before the analysis, not after it: a label that differs from a saved one only
        // in letter case, or a date of another day than the session's (see `Store::save_trial`).
        let (app, session, recorded_at) = (Arc::clone(&app), session.clone(), recorded_at.clone());
        blocking(move || {
            Ok(app
                .store()?
                .check_save_trial(patient, &session, recorded_at.as_deref())?)
        })
        .await?;
    }
    let id = app.next_job.fetch_add(1, Ordering::SeqCst);
    let cancel = StopRequest::new();
    let expected_frames = {
        let path = path.clone();
        blocking(move || Ok(crate::capture::video::probe(&path).ok()))
            .await?
            .map(|info| {
                // Thinned per real second: slow motion has more frames per second than it plays.
                let scale = info.real_s_per_video_s();
                let real_s = info.duration_s * scale;
                (real_s * (info.fps / scale).clamp(1.0, MAX_FPS)).round() as usize
            })
    };
    // Refused if the server began stopping while the file arrived (its folder is deleted then).
    register_job(
        &app,
        id,
        Job {
            state: "queued",
            patient,
            file: name.clone(),
            frames: 0,
            expected_frames,
            results: Vec::new(),
            error: None,
            cancel: cancel.clone(),
        },
    )?;
    let job_app = Arc::clone(&app);
    std::thread::spawn(move || {
        // Whatever ends this thread, a panic included, ends its job: stopping the server waits
        // for it.
        let _ended = JobEnded { app: &job_app, id };
        // One recording analysed at a time: twenty dropped at once queue, and live measuring
        // keeps its share of the cores.
        let _turn = job_app
            .analysing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if cancel.requested() {
            drop(folder);
            update_job(&job_app, id, |job| job.state = "cancelled");
            return;
        }
        update_job(&job_app, id, |job| job.state = "running");
        let outcome = analyse(
            &job_app,
            (id, &cancel),
            Destination {
                patient,
                session: &session,
                recorded_at: recorded_at.as_deref(),
            },
            protocol,
            side,
            &name,
            &path,
        );
        drop(folder);
        update_job(&job_app, id, |job| match outcome {
            Ok(results) => {
                job.state = "done";
                job.results = results;
            }
            Err(_) if cancel.requested() => job.state = "cancelled",
            Err(error) => {
                job.state = "failed";
                job.error = Some(error);
            }
        });
    });
    Ok(Json(json!({ "job": id })))
}

/// Cancels a job that is queued or running (a recording uploaded by mistake, an hour long,
/// would hold every other upload back): it stops between two frames and saves nothing.
pub async fn cancel(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<u64>,
) -> Result<Json<Value>, WebError> {
    let jobs = app
        .jobs
        .lock()
        .map_err(|_| WebError::Internal("jobs unusable".into()))?;
    let job = jobs
        .get(&id)
        .ok_or_else(|| WebError::NotFound(format!("no job {id}")))?;
    if !job.is_unfinished() {
        return Err(WebError::Conflict(format!(
            "job {id} is {} already: nothing to cancel",
            job.state
        )));
    }
    job.cancel.request();
    Ok(Json(json!({ "job": id, "cancelling": true })))
}

/// A job's progress and, when done, its results.
pub async fn status(
    State(app): State<Arc<App>>,
    UrlPath(id): UrlPath<u64>,
) -> Result<Json<Job>, WebError> {
    let jobs = app
        .jobs
        .lock()
        .map_err(|_| WebError::Internal("jobs unusable".into()))?;
    jobs.get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| WebError::NotFound(format!("no job {id}")))
}

/// Adds job `id`, unless the server is stopping (checked under the same lock as
/// [`App::shut_down`] takes its list of jobs to cancel: none slips between the two).
fn register_job(app: &App, id: u64, job: Job) -> Result<(), WebError> {
    let mut jobs = app.jobs();
    app.refuse_while_stopping()?;
    jobs.insert(id, job);
    Ok(())
}

fn update_job(app: &App, id: u64, change: impl FnOnce(&mut Job)) {
    if let Some(job) = app.jobs().get_mut(&id) {
        change(job);
    }
}

/// Marks its job failed when dropped while it is still queued or running: its thread ended
/// without finishing it (a panic).
struct JobEnded<'a> {
    app: &'a App,
    id: u64,
}

impl Drop for JobEnded<'_> {
    fn drop(&mut self) {
        update_job(self.app, self.id, |job| {
            if job.is_unfinished() {
                job.state = "failed";
                job.error = Some("the analysis stopped unexpectedly; upload it again".into());
            }
        });
    }
}

/// Every upload folder of an app there is now, from the first byte received: deleted when the
/// server is stopped (an upload still arriving has no job yet).
#[derive(Debug, Default)]
pub struct UploadFolders(std::sync::Mutex<Vec<PathBuf>>);

impl UploadFolders {
    fn folders(&self) -> std::sync::MutexGuard<'_, Vec<PathBuf>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many there are.
    pub fn count(&self) -> usize {
        self.folders().len()
    }

    /// Deletes every one (the server is stopping); returns how many there were.
    pub fn delete_all(&self) -> usize {
        let mut folders = self.folders();
        let count = folders.len();
        for folder in folders.drain(..) {
            let _ = std::fs::remove_dir_all(folder);
        }
        count
    }
}

/// A new folder only this user can read, in the system's temporary folder, deleted with
/// everything in it when dropped.
struct PrivateFolder {
    path: PathBuf,
    registry: Arc<UploadFolders>,
}

impl PrivateFolder {
    fn new(registry: &Arc<UploadFolders>) -> std::io::Result<PrivateFolder> {
        use std::os::unix::fs::DirBuilderExt;
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let path = std::env::temp_dir().join(format!("gonio-upload-{name}"));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        registry.folders().push(path.clone());
        Ok(PrivateFolder {
            path,
            registry: Arc::clone(registry),
        })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        self.registry
            .folders()
            .retain(|folder| folder != &self.path);
    }
}

/// Where an upload's results are saved.
struct Destination<'a> {
    /// The patient's row id.
    patient: i64,
    session: &'a str,
    /// The day the recording was made (see `Store::save_trial`).
    recorded_at: Option<&'a str>,
}

/// Analyses the uploaded file as `gonio analyze` would and saves its results, named by the
/// uploaded file's name, with their evidence pictures. Returns the results for the page.
fn analyse(
    app: &App,
    job: (u64, &StopRequest),
    to: Destination,
    protocol: &'static crate::protocols::Protocol,
    side: SideChoice,
    name: &str,
    path: &Path,
) -> Result<Vec<Value>, String> {
    let (id, cancel) = job;
    let out = path
        .parent()
        .map(|p| p.join("out"))
        .ok_or_else(|| "no folder for the outputs".to_string())?;
    // One recording is one visit: one saved in another session of the patient is refused
    // before the analysis (minutes of it), not after.
    let sha = file_sha256(path);
    if let Some(sha) = &sha {
        Store::open_again(&app.config.db)
            .and_then(|store| store.check_recording_of(to.patient, to.session, sha, None))
            .map_err(|e| super::in_app_words(&e))?;
    }
    let (hold, series) = (Default::default(), Default::default());
    let config = AnalyzeConfig {
        protocol,
        side,
        hold,
        series,
        out: Some(out),
        frames_fps: None,
        max_fps: Some(MAX_FPS),
        jobs: 1,
        model: app.config.upload_model,
        threads: app.config.threads,
        device: app.config.device,
        people: People::Several(crate::pose::Pick::Auto(protocol.posture)),
        save: None,
        names: [(path.to_path_buf(), name.to_string())]
            .into_iter()
            .collect(),
        stop: None,
        abandon: Some(cancel.clone()),
        resume: false,
    };
    let progress = |event: Progress| {
        if let Progress::Frames { frames, .. } = event {
            update_job(app, id, |job| job.frames = frames);
        }
    };
    let report = analyze_batch(batch(&[path.to_path_buf()], None), &config, &progress)
        .map_err(|e| e.to_string())?;
    if let Some(failure) = report.errors.first() {
        // The message names the temporary file: name the upload instead.
        return Err(failure
            .error
            .to_string()
            .replace(&path.display().to_string(), name));
    }
    let Some(file) = report.files.first() else {
        return Err("nothing was analysed".into());
    };
    let mut saved = Vec::new();
    for r in &file.results {
        let result = r.clone();
        let picture = picture_of(r, &file.outputs)
            .and_then(|p| std::fs::read(p).ok())
            .map(|bytes| Picture {
                mime: "image/png".into(),
                bytes,
            });
        saved.push((result, picture));
    }
    let stored: Vec<(StoredMeasurement, Option<Picture>)> = saved
        .iter()
        .map(|(r, picture)| {
            (
                StoredMeasurement::from_measurement(r, sha.clone()),
                picture.clone(),
            )
        })
        .collect();
    // Cancelled after the last frame (or the server stopping): nothing is saved, as asked.
    if cancel.requested() {
        return Err("cancelled".into());
    }
    let (ids, also_for) = Store::open_again(&app.config.db)
        .and_then(|mut store| {
            let ids = store.save_trial(to.patient, to.session, to.recorded_at, &stored)?;
            // The same file saved for another patient: most often uploaded on the wrong page.
            // (A failed lookup only loses the warning: the results are saved.)
            let also_for = sha
                .as_deref()
                .and_then(|sha| {
                    let alias = store.patient(to.patient).ok()?.alias;
                    store.others_measured_from(sha, &alias).ok()
                })
                .unwrap_or_default();
            Ok((ids, also_for))
        })
        .map_err(|e| super::in_app_words(&e))?;
    Ok(saved
        .iter()
        .zip(ids)
        .map(|((r, picture), id)| {
            let mut value = json!(r);
            if let Some(fields) = value.as_object_mut() {
                fields.insert("id".into(), json!(id));
                fields.insert("has_picture".into(), json!(picture.is_some()));
                fields.insert("also_for".into(), json!(also_for));
                fields.insert(
                    "warnings_text".into(),
                    json!(r.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>()),
                );
            }
            value
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::{router, Access, CameraSource, ServeConfig};
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use tower::ServiceExt;

    /// An app over a new database in `dir`, with a patient `P-1`, its requests sent as the
    /// browser sends them.
    struct Harness {
        app: Arc<App>,
        db: PathBuf,
        cookie: String,
        csrf: String,
        patient: i64,
    }

    impl Harness {
        async fn new(dir: &Path) -> Harness {
            let db = dir.join("clinic.sqlite");
            let access = Access::new("127.0.0.1:8732".parse().unwrap(), None, None).unwrap();
            let cookie = access.cookie().split(';').next().unwrap().to_string();
            let csrf = access.csrf().to_string();
            let app = App::new(
                ServeConfig {
                    db: db.clone(),
                    camera: CameraSource::Camera(0),
                    live_model: crate::ModelKind::Lightning,
                    upload_model: crate::ModelKind::Lightning,
                    threads: 1,
                    device: crate::pose::Device::Cpu,
                    mdc: Default::default(),
                },
                access,
            );
            let mut harness = Harness {
                app,
                db,
                cookie,
                csrf,
                patient: 0,
            };
            let (status, patient) = harness
                .send(
                    "POST",
                    "/api/patients",
                    "application/json",
                    br#"{"alias": "P-1"}"#.to_vec(),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{patient}");
            harness.patient = patient["id"].as_i64().unwrap();
            harness
        }

        async fn send(
            &self,
            method: &str,
            path: &str,
            content_type: &str,
            body: Vec<u8>,
        ) -> (StatusCode, Value) {
            let request = Request::builder()
                .method(method)
                .uri(path)
                .header(header::HOST, "127.0.0.1:8732")
                .header(header::COOKIE, &self.cookie)
                .header("x-gonio-csrf", &self.csrf)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap();
            let response = router(Arc::clone(&self.app))
                .oneshot(request)
                .await
                .unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
            )
        }

        /// Uploads a file named `name` (not a video: it is never analysed) for the straight-leg
        /// raise.
        async fn upload(&self, name: &str) -> (StatusCode, Value) {
            let boundary = "b";
            let form = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"protocol\"\r\n\r\nslr\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\nnot analysed\r\n\
                 --{boundary}--\r\n"
            );
            self.send(
                "POST",
                &format!("/api/patients/{}/uploads", self.patient),
                &format!("multipart/form-data; boundary={boundary}"),
                form.into_bytes(),
            )
            .await
        }

        fn state(&self, job: u64) -> &'static str {
            self.app.jobs.lock().unwrap()[&job].state
        }

        /// Waits, however long the job's thread takes, for `job` to leave the state `from`.
        async fn state_after(&self, job: u64, from: &str) -> &'static str {
            loop {
                let state = self.state(job);
                if state != from {
                    return state;
                }
                tokio::task::yield_now().await;
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }

        fn nothing_saved(&self) -> bool {
            let store = crate::store::Store::open(&self.db).unwrap();
            store.history("P-1").unwrap().sessions.is_empty()
        }
    }

    /// A recording uploaded by mistake (an hour long) held every later upload back, and nothing
    /// could stop it short of stopping the server. A job cancelled while it waits is never
    /// started: its file is deleted and nothing is saved; a finished job is not "cancelled".
    // The turn is held across the requests on purpose: it stands for another upload being
    // analysed (the job's thread, not the handler, waits for it).
    #[allow(clippy::await_holding_lock)]
    #[tokio::test]
    async fn a_waiting_upload_is_cancelled_and_nothing_of_it_kept() {
        let dir = tempfile::tempdir().unwrap();
        let harness = Harness::new(dir.path()).await;
        let app = &harness.app;
        // Another upload is being analysed: this one waits its turn.
        let turn = app.analysing.lock().unwrap();
        let (status, job) = harness.upload("hour.mp4").await;
        assert_eq!(status, StatusCode::OK, "{job}");
        let job = job["job"].as_u64().unwrap();
        assert_eq!(
            app.upload_folders.count(),
            1,
            "the upload waits in its folder"
        );
        let (status, answer) = harness
            .send("DELETE", &format!("/api/jobs/{job}"), "", Vec::new())
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        drop(turn);
        assert_eq!(harness.state_after(job, "queued").await, "cancelled");
        assert_eq!(app.upload_folders.count(), 0, "its file deleted");
        assert!(harness.nothing_saved());
        let (status, answer) = harness
            .send("DELETE", &format!("/api/jobs/{job}"), "", Vec::new())
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        let (status, _) = harness
            .send("DELETE", "/api/jobs/999", "", Vec::new())
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    /// A job whose thread ends without finishing it (a panic in the analysis) is failed, not
    /// left "running": stopping the server waits for every running job.
    #[tokio::test]
    async fn a_job_whose_thread_ends_unfinished_is_failed() {
        let dir = tempfile::tempdir().unwrap();
        let harness = Harness::new(dir.path()).await;
        let app = Arc::clone(&harness.app);
        let job = |state| Job {
            state,
            patient: harness.patient,
            file: "crash.mp4".into(),
            frames: 0,
            expected_frames: None,
            results: Vec::new(),
            error: None,
            cancel: StopRequest::new(),
        };
        register_job(&app, 7, job("running")).unwrap();
        register_job(&app, 8, job("done")).unwrap();
        let thread = std::thread::spawn({
            let app = Arc::clone(&app);
            move || {
                let _ended = JobEnded { app: &app, id: 7 };
                let _also = JobEnded { app: &app, id: 8 };
                panic!("an analysis that crashed");
            }
        });
        assert!(thread.join().is_err());
        assert_eq!(harness.state(7), "failed");
        assert_eq!(harness.state(8), "done");
        assert_eq!(app.shut_down(), super::super::Stopped::default());
    }

    /// Stopping the server (Ctrl-C, SIGTERM) cancels the uploads not analysed yet and waits for
    /// the one being analysed before deleting folders and naming what to upload again: the
    /// analysis went on writing into its deleted folder (made again), and an upload that
    /// finished saving meanwhile was named to be uploaded again (4 of 18 names).
    #[allow(clippy::await_holding_lock)]
    #[tokio::test]
    async fn stopping_names_only_the_uploads_not_saved() {
        let dir = tempfile::tempdir().unwrap();
        let harness = Harness::new(dir.path()).await;
        let app = &harness.app;
        // This test's thread stands for the upload being analysed: job `saving` below.
        let turn = app.analysing.lock().unwrap();
        let (status, waiting) = harness.upload("waiting.mp4").await;
        assert_eq!(status, StatusCode::OK, "{waiting}");
        let waiting = waiting["job"].as_u64().unwrap();
        let saving = app.next_job.fetch_add(1, Ordering::SeqCst);
        register_job(
            app,
            saving,
            Job {
                state: "running",
                patient: harness.patient,
                file: "saving.mp4".into(),
                frames: 0,
                expected_frames: None,
                results: Vec::new(),
                error: None,
                cancel: StopRequest::new(),
            },
        )
        .unwrap();
        let stopping = std::thread::spawn({
            let app = Arc::clone(app);
            move || app.shut_down()
        });
        // Once the waiting job is cancelled, the server is stopping...
        let began = std::time::Instant::now();
        while !app.jobs.lock().unwrap()[&waiting].cancel.requested() {
            assert!(
                began.elapsed().as_secs() < 60,
                "stopping never cancelled the waiting upload"
            );
            tokio::task::yield_now().await;
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // ... and the upload being analysed finishes saving before it stops.
        update_job(app, saving, |job| job.state = "done");
        drop(turn);
        let names = stopping.join().unwrap().uploads_not_analysed;
        assert_eq!(names, ["waiting.mp4"]);
        assert_eq!(harness.state(waiting), "cancelled");
        assert_eq!(app.upload_folders.count(), 0, "every file deleted");
        assert!(harness.nothing_saved());
        let (status, answer) = harness.upload("late.mp4").await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    }
}
