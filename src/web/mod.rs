//! The clinic app (`gonio serve`): a local web app over the same library code as `analyze` and
//! `live`. Patients, their sessions with trend charts and before/after verdicts, live measuring
//! in the page, and upload of recorded videos.
//!
//! - [`security`]: who may ask (an access token in a cookie, cross-site requests refused);
//! - `patients`: the patient and result pages' data, exports, report, pictures;
//! - `measure`: live measuring: the capture loop on its own thread, frames over a WebSocket;
//! - `upload`: recorded videos analysed as background jobs;
//! - [`Tls`]: the certificate to serve over TLS.
//!
//! The database is the only store: pictures of live trials are kept in it, uploads are analysed
//! from a temporary file deleted afterwards, and nothing is logged about patients.

mod measure;
mod patients;
pub mod security;
mod tls;
mod upload;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;

use crate::pose::{Device, ModelKind};
use crate::store::{MdcOverrides, Store, StoreError};

pub use security::Access;
pub use tls::{Tls, TlsError};

/// Where live measuring takes its frames.
#[derive(Debug, Clone, PartialEq)]
pub enum CameraSource {
    /// A camera by index (`gonio cameras`).
    Camera(u32),
    /// A video file standing in for the camera, played in real time (for demonstrations and
    /// tests).
    Video(PathBuf),
}

/// How the app runs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The session database (created when missing).
    pub db: PathBuf,
    pub camera: CameraSource,
    /// Model for live measuring (Lightning keeps up with a camera on a laptop).
    pub live_model: ModelKind,
    /// Model for uploaded recordings.
    pub upload_model: ModelKind,
    /// Inference threads (0 = all cores, see [`crate::run::inference_threads`]).
    pub threads: usize,
    pub device: Device,
    /// The clinic's own MDC95 values, overriding the published ones in every comparison the
    /// app shows (as `gonio compare --mdc-config` does).
    pub mdc: MdcOverrides,
}

/// Why a request failed: shown to the user as JSON `{"error": ...}` with a status.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    fn message(&self) -> String {
        match self {
            WebError::Store(e) => in_app_words(e),
            other => other.to_string(),
        }
    }
}

/// A store error in the app's words: the store's own point at command-line tools (`gonio
/// subjects`) that a clinic's staff never see, and name the database's file, which is not the
/// page's business.
pub(crate) fn in_app_words(error: &StoreError) -> String {
    match error {
        StoreError::NoSubject(name) => format!("no patient `{name}`"),
        StoreError::Implausible { problem, .. } => problem.to_string(),
        StoreError::SimilarSubject { existing, .. } => format!(
            "there is already a patient `{existing}`: the same person? open that patient; \
             another person needs a name that differs by more than letter case, width, apostrophes or dashes"
        ),
        StoreError::SimilarSession { given, existing } => format!(
            "no session `{given}`, but this patient has `{existing}`: the same session? type \
             its label as shown on the patient's page; another session needs a label that \
             differs by more than letter case, width, apostrophes or dashes"
        ),
        StoreError::UndatedOtherDay {
            label,
            stored,
            today,
        } => format!(
            "session `{label}` is dated {stored}, and no date was given (today is {today}): type \
             that date in \"Recorded on\" if the videos are of that visit, or use another session"
        ),
        StoreError::Sql { detail, .. } if is_busy(detail) => {
            "the database is busy: another program (another gonio, a backup) has been writing to \
             it for over 10 s; try again in a moment"
                .to_string()
        }
        other => other.to_string(),
    }
}

/// Whether SQLite's message says another connection held the database past the wait.
fn is_busy(detail: &str) -> bool {
    detail.contains("database is locked") || detail.contains("database is busy")
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::Store(StoreError::NoSubject(_) | StoreError::NoSession { .. }) => {
                StatusCode::NOT_FOUND
            }
            WebError::Store(
                StoreError::SubjectExists(_)
                | StoreError::OtherDay { .. }
                | StoreError::UndatedOtherDay { .. }
                | StoreError::SimilarSubject { .. }
                | StoreError::SimilarSession { .. },
            ) => StatusCode::CONFLICT,
            WebError::Store(StoreError::Implausible { .. }) => StatusCode::BAD_REQUEST,
            WebError::Store(StoreError::Sql { detail, .. }) if is_busy(detail) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            WebError::Store(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Conflict(_) => StatusCode::CONFLICT,
        };
        (
            status,
            axum::Json(serde_json::json!({ "error": self.message() })),
        )
            .into_response()
    }
}

/// Longest wait, when the server stops, for the upload being analysed to stop.
const SHUT_DOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The app's shared state.
pub struct App {
    config: ServeConfig,
    access: Access,
    live: Mutex<Option<measure::LiveHandle>>,
    jobs: Mutex<HashMap<u64, upload::Job>>,
    next_job: AtomicU64,
    /// Held by the upload being analysed: one at a time.
    analysing: Mutex<()>,
    /// The uploads' temporary folders.
    upload_folders: Arc<upload::UploadFolders>,
    /// The server is stopping ([`App::shut_down`]): new measuring and uploads are refused.
    stopping: AtomicBool,
}

/// What stopping the app left undone ([`App::shut_down`]).
#[derive(Debug, Default, PartialEq)]
pub struct Stopped {
    /// The names of the uploads cancelled before their analysis ended (their files deleted).
    pub uploads_not_analysed: Vec<String>,
    /// Why the live trial in progress was not saved ("trial 2 not saved: ..."), if it was not.
    pub trials_not_saved: Vec<String>,
}

impl App {
    /// An app over `config`, admitting requests as `access` says.
    pub fn new(config: ServeConfig, access: Access) -> Arc<App> {
        Arc::new(App {
            config,
            access,
            live: Mutex::new(None),
            jobs: Mutex::new(HashMap::new()),
            next_job: AtomicU64::new(1),
            analysing: Mutex::new(()),
            upload_folders: Arc::default(),
            stopping: AtomicBool::new(false),
        })
    }

    /// Stops the app's work for the server to end (Ctrl-C): the live session ends and its
    /// trial in progress is measured and saved; the uploads not analysed yet are cancelled and
    /// their files deleted (patients' recordings must not stay in the temporary folder). Returns
    /// what was lost: the names of those uploads, to be uploaded again, and why the trial in
    /// progress was not saved, if it was not (its page may be gone before it is told). Blocks
    /// until the live session has ended and the upload being analysed has stopped (between two
    /// frames).
    pub fn shut_down(&self) -> Stopped {
        // New measuring and uploads are refused from now on; every upload not analysed yet is
        // cancelled: one queued never starts, the one being analysed stops between two frames.
        // (Under the jobs' lock: an upload is registered before this, and cancelled, or
        // refused.)
        let unfinished: Vec<u64> = {
            let jobs = self.jobs();
            self.stopping.store(true, Ordering::SeqCst);
            jobs.iter()
                .filter(|(_, job)| job.is_unfinished())
                .map(|(id, job)| {
                    job.cancel.request();
                    *id
                })
                .collect()
        };
        let trials_not_saved = self.end_live();
        // Their threads end before the folders are deleted and the names are taken: the
        // analysis went on writing into its deleted folder (made again, readable by all), and
        // one saving its results as the server stopped was named to be uploaded again. Each
        // queued job takes its turn only to find itself cancelled. A decoder that never hands
        // over its next frame is not waited for past a limit: the folders are deleted anyway.
        // (Their states are watched, not the turn taken: a turn held by a stuck analysis would
        // hold the stop past the limit.)
        let began = std::time::Instant::now();
        loop {
            let jobs = self.jobs();
            if !unfinished
                .iter()
                .any(|id| jobs.get(id).is_some_and(upload::Job::is_unfinished))
                || began.elapsed() > SHUT_DOWN_WAIT
            {
                break;
            }
            drop(jobs);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let mut names: Vec<String> = {
            let jobs = self.jobs();
            let mut unfinished = unfinished;
            unfinished.sort_unstable();
            unfinished
                .iter()
                .filter_map(|id| jobs.get(id))
                .filter(|job| job.state == "cancelled" || job.is_unfinished())
                .map(|job| job.file.clone())
                .collect()
        };
        // What is left are uploads still arriving (no job yet).
        let arriving = self.upload_folders.delete_all();
        if arriving > 0 {
            names.push(format!("{arriving} still arriving"));
        }
        Stopped {
            uploads_not_analysed: names,
            trials_not_saved,
        }
    }

    /// The upload jobs (a panic elsewhere does not make them unusable).
    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<u64, upload::Job>> {
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many uploads have their files on disk now (arriving, waiting or being analysed).
    pub fn uploads_on_disk(&self) -> usize {
        self.upload_folders.count()
    }

    /// Whether the server is stopping ([`App::shut_down`]).
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Refuses new work once the server is stopping.
    fn refuse_while_stopping(&self) -> Result<(), WebError> {
        if self.stopping.load(Ordering::SeqCst) {
            Err(WebError::Conflict("the app is stopping".into()))
        } else {
            Ok(())
        }
    }

    /// Opens the database for one request (a connection is not shared between threads).
    fn store(&self) -> Result<Store, WebError> {
        Ok(Store::open_again(&self.config.db)?)
    }

    /// The access rules: for printing the address to open.
    pub fn access(&self) -> &Access {
        &self.access
    }
}

/// Runs `work` (database or model work) on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| WebError::Internal(format!("a task stopped: {e}")))?
}

const INDEX_HTML: &str = include_str!("../../assets/web/index.html");
const APP_JS: &str = include_str!("../../assets/web/app.js");
const APP_CSS: &str = include_str!("../../assets/web/app.css");

/// The app's routes, every one behind [`security::guard`].
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/app.js", get(|| static_file("text/javascript", APP_JS)))
        .route("/app.css", get(|| static_file("text/css", APP_CSS)))
        .route("/api/protocols", get(patients::protocols))
        .route("/api/patients", get(patients::list).post(patients::add))
        .route(
            "/api/patients/{id}",
            get(patients::show).delete(patients::forget),
        )
        .route("/api/patients/{id}/export.json", get(patients::export_json))
        .route("/api/patients/{id}/export.csv", get(patients::export_csv))
        .route("/api/patients/{id}/report.html", get(patients::report))
        .route("/api/patients/{id}/trend/{n}", get(patients::trend))
        .route(
            "/api/patients/{id}/session-date",
            post(patients::date_session),
        )
        .route(
            "/api/patients/{id}/uploads",
            // Recordings: up to 2 GiB each (everything else keeps axum's 2 MB).
            post(upload::start).layer(axum::extract::DefaultBodyLimit::max(2 << 30)),
        )
        .route("/api/jobs/{id}", get(upload::status).delete(upload::cancel))
        .route("/api/pictures/{id}", get(patients::picture))
        .route("/api/measurements/{id}", delete(patients::discard))
        .route("/api/measure/start", post(measure::start))
        .route("/api/measure/stop", post(measure::stop))
        .route("/api/measure/live", get(measure::live_socket))
        .layer(axum::middleware::map_response(json_errors))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            security::guard,
        ))
        .with_state(app)
}

/// Axum's own refusals of a request (a body that is not JSON, another content type, an id
/// that is not a number) come as plain text, and the page showed only "400 Bad Request": every
/// refusal in plain text is given as the app's others are, `{"error": ...}`.
async fn json_errors(response: Response) -> Response {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let status = response.status();
    if !(status.is_client_error() && plain) {
        return response;
    }
    // (Axum's refusals are a line or two; a body too long to read is given by its status.)
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(body) => String::from_utf8_lossy(&body).trim().to_string(),
        Err(_) => String::new(),
    };
    let text = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("bad request")
            .to_string()
    } else {
        text
    };
    (status, axum::Json(serde_json::json!({ "error": text }))).into_response()
}

async fn index(State(app): State<Arc<App>>) -> Response {
    let page = INDEX_HTML.replace("{{csrf}}", app.access.csrf());
    let mut response = Html(page).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&app.access.cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn static_file(mime: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, mime)], body).into_response()
}

/// How long a client may take to send a request's headers, seconds: a page sends them at once,
/// and connections that never finish (a slow or hostile client) must not pile up until the
/// server runs out of file descriptors.
pub const HEADER_TIMEOUT_S: u64 = 10;

/// Serves the app on `listener` until the process ends: over TLS with `tls` (the app's
/// [`Access`] must have been made with it), else over plain HTTP.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    tls: Option<Tls>,
) -> std::io::Result<()> {
    if tls.is_some() != app.access.is_tls() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the app's addresses and the TLS setting disagree",
        ));
    }
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let header_timeout = std::time::Duration::from_secs(HEADER_TIMEOUT_S);
    let listener = listener.into_std()?;
    match tls {
        None => {
            let mut server = axum_server::from_tcp(listener)?;
            server
                .http_builder()
                .http1()
                .header_read_timeout(header_timeout);
            server.serve(service).await
        }
        Some(tls) => {
            let config = axum_server::tls_rustls::RustlsConfig::from_config(tls.server_config());
            let mut server = axum_server::tls_rustls::from_tcp_rustls(listener, config)?;
            server
                .http_builder()
                .http1()
                .header_read_timeout(header_timeout);
            server.serve(service).await
        }
    }
}
