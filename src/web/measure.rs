//! Live measuring in the page: the same capture loop, live meter and protocol as `gonio live`,
//! on a thread of its own, with a sink that sends each frame (skeleton and angle drawn) to the
//! page over a WebSocket, takes Start/Stop from it, and saves each trial with its evidence
//! picture into the patient's session.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use image::RgbImage;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{broadcast, watch};

use super::{blocking, App, CameraSource, WebError};
use crate::angles::{SeriesOptions, Side};
use crate::capture::{CameraRequest, Frame, VideoFrames};
use crate::live::{
    self, status_text, Command, LiveConfig, LiveError, LiveMeter, LiveSink, LoopStats, Pacing,
    Reading, Trial,
};
use crate::pose::{PoseEstimator, Runtime};
use crate::protocols::{self, HoldCriteria, Protocol};
use crate::report::evidence::{draw_result_evidence, ResultInFrame};
use crate::report::live_view::{fit_within, LiveViewRenderer};
use crate::run::analyze::People;
use crate::store::{Picture, Store, StoredMeasurement};

/// The largest side of the picture sent to the page, pixels.
const VIEW_PX: u32 = 640;
/// Frames on their way to the page at once.
const MAX_IN_FLIGHT: usize = 2;
/// JPEG quality of the frames sent (1-100).
const FRAME_QUALITY: u8 = 75;
/// Seconds without a word from a page that is sent frames before it counts as gone (it
/// acknowledges every frame it draws).
const PAGE_SILENT_S: u64 = 20;
/// Seconds a session runs with no page showing it (one that never connected, or whose socket
/// failed to open) before it ends.
const NO_PAGE_S: u64 = 20;
/// Frames of one trial kept for its evidence picture: five minutes at 30 frames/s (about
/// 50 kB each).
const MAX_TRIAL_FRAMES: usize = 9000;

/// What a page asks of the measuring loop.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PageCommand {
    /// A command for the loop as it is.
    Loop(Command),
    /// Measure the person at this point of the view, in shares of its width and height (0 to
    /// 1, from the top left): the page shows the frame scaled and does not know its size.
    PickAtShare { x: f32, y: f32 },
}

/// A running live session.
pub struct LiveHandle {
    commands: mpsc::Sender<PageCommand>,
    frames: watch::Receiver<Option<Arc<LiveFrame>>>,
    events: broadcast::Sender<String>,
    running: Arc<AtomicBool>,
    /// The session's last word ("ended", with its error), for a page that connects late.
    last_event: Arc<std::sync::Mutex<Option<String>>>,
    /// The measuring thread, joined by [`App::end_live`].
    thread: Option<std::thread::JoinHandle<()>>,
    /// Pages showing the session now.
    viewers: Arc<AtomicUsize>,
    /// Told to stop (Stop, or its last page went away): the next Start waits for it to end
    /// rather than refusing. (A trial left running with no page attached went on recording
    /// whoever stepped in front of the camera, for the patient of the closed page.)
    ending: Arc<AtomicBool>,
    /// Whom it measures (row id and name), for the refusal of a second session and of
    /// forgetting the patient meanwhile.
    patient: i64,
    patient_alias: String,
    /// Set when the session has ended (its trial in progress saved): waited on by the next
    /// Start and by [`App::end_live`], the handle staying in its place meanwhile.
    ended: Arc<Ended>,
    /// Why trials of the session were not saved ([`Measuring::not_saved`]).
    not_saved: Arc<std::sync::Mutex<Vec<String>>>,
}

/// A one-time signal that a session has ended.
#[derive(Default)]
struct Ended {
    done: std::sync::Mutex<bool>,
    signal: std::sync::Condvar,
}

impl Ended {
    fn set(&self) {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        *done = true;
        self.signal.notify_all();
    }

    fn wait(&self) {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        while !*done {
            done = self.signal.wait(done).unwrap_or_else(|p| p.into_inner());
        }
    }
}

impl App {
    /// Whether the patient (row id) is being measured live now.
    pub(crate) fn measuring(&self, patient: i64) -> bool {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .as_ref()
            .is_some_and(|l| l.patient == patient && l.running.load(Ordering::SeqCst))
    }

    /// Stops the live session, if any, and waits for its thread to end (a trial in progress is
    /// measured and saved, the pose model released). A process that exits while the thread is
    /// still running the model crashes inside ONNX Runtime's exit handlers. Returns why the
    /// trial in progress was not saved, if it was not.
    pub fn end_live(&self) -> Vec<String> {
        let handle = self
            .live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(mut handle) = handle {
            let _ = handle.commands.send(PageCommand::Loop(Command::Quit));
            handle.ended.wait();
            if let Some(thread) = handle.thread.take() {
                let _ = thread.join();
            }
            return std::mem::take(
                &mut *handle
                    .not_saved
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            );
        }
        Vec::new()
    }
}

/// Ends a session when dropped: marks it stopped and sends (and keeps) its last event.
struct Ending {
    events: broadcast::Sender<String>,
    running: Arc<AtomicBool>,
    last_event: Arc<std::sync::Mutex<Option<String>>>,
    ended: Arc<Ended>,
    error: Option<String>,
}

impl Drop for Ending {
    fn drop(&mut self) {
        let event = json!({ "type": "ended", "error": self.error }).to_string();
        if let Ok(mut last) = self.last_event.lock() {
            *last = Some(event.clone());
        }
        self.running.store(false, Ordering::SeqCst);
        let _ = self.events.send(event);
        self.ended.set();
    }
}

/// One frame as the page gets it.
pub struct LiveFrame {
    id: u64,
    jpeg: Vec<u8>,
    status: Value,
    captured_at: Instant,
}

#[derive(Deserialize)]
pub struct StartRequest {
    patient: i64,
    protocol: String,
    /// `auto`, `left` or `right`.
    #[serde(default)]
    side: Option<String>,
    /// The session the trials go into (default: today's date on the server's clock).
    #[serde(default)]
    session: Option<String>,
}

/// Starts measuring: one live session at a time.
pub async fn start(
    State(app): State<Arc<App>>,
    Json(request): Json<StartRequest>,
) -> Result<Json<Value>, WebError> {
    app.refuse_while_stopping()?;
    let protocol = protocols::find(&request.protocol)
        .ok_or_else(|| WebError::BadRequest(format!("no protocol `{}`", request.protocol)))?;
    let side = match request.side.as_deref().unwrap_or("auto") {
        "auto" => None,
        "left" => Some(Side::Left),
        "right" => Some(Side::Right),
        other => return Err(WebError::BadRequest(format!("no side `{other}`"))),
    };
    let session = request
        .session
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(crate::store::today_local);
    if session.chars().any(crate::store::is_hidden_character) || session.chars().count() > 80 {
        return Err(WebError::BadRequest(
            "a session label is one line of at most 80 characters, without invisible ones".into(),
        ));
    }
    let patient = request.patient;
    let patient_alias = {
        // Live trials are measured today: a session of another day, or a label that differs
        // from a saved one only in letter case, is refused now, before any trial is measured,
        // rather than when the first one is saved.
        let (app, session) = (Arc::clone(&app), session.clone());
        blocking(move || {
            let store = app.store()?;
            let alias = store.patient(patient)?.alias;
            // Checked as each trial is saved: dated now.
            let now = crate::store::now_utc();
            store.check_save_trial(patient, &session, Some(&now))?;
            Ok(alias)
        })
        .await?
    };
    // A session told to stop, or whose page went away, ends (its trial in progress saved)
    // before the next one.
    let ending = {
        let live = app.live.lock().map_err(|_| busy())?;
        live.as_ref()
            .filter(|l| l.ending.load(Ordering::SeqCst))
            .map(|l| Arc::clone(&l.ended))
    };
    if let Some(ended) = ending {
        let _ = tokio::task::spawn_blocking(move || ended.wait()).await;
    }
    // Checked and taken under one lock: two clicks on Start make one session, never a second
    // loop nobody can stop.
    let mut live = app.live.lock().map_err(|_| busy())?;
    if let Some(other) = live.as_ref().filter(|l| l.running.load(Ordering::SeqCst)) {
        return Err(WebError::Conflict(format!(
            "measuring is already running for {}: stop it first",
            other.patient_alias
        )));
    }
    let (commands, commands_rx) = mpsc::channel();
    let (frames_tx, frames) = watch::channel(None);
    let (events, _) = broadcast::channel(64);
    let running = Arc::new(AtomicBool::new(true));
    let last_event = Arc::new(std::sync::Mutex::new(None));
    let ended = Arc::new(Ended::default());
    let session_label = session.clone();
    let thread;
    let (viewers, ending) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let not_saved = Arc::default();
    let measuring = Measuring {
        app: Arc::clone(&app),
        patient,
        session,
        protocol,
        side,
        viewers: Arc::clone(&viewers),
        ending: Arc::clone(&ending),
        not_saved: Arc::clone(&not_saved),
        patient_alias: patient_alias.clone(),
    };
    {
        let (events, running, last_event, ended) = (
            events.clone(),
            Arc::clone(&running),
            Arc::clone(&last_event),
            Arc::clone(&ended),
        );
        thread = Some(std::thread::spawn(move || {
            // Whatever happens in the loop (a panic included), the session ends and says so.
            let mut ending = Ending {
                events,
                running,
                last_event,
                ended,
                error: Some("measuring stopped unexpectedly".to_string()),
            };
            ending.error = measuring
                .run(commands_rx, frames_tx, ending.events.clone())
                .err()
                .map(|e| e.to_string());
        }));
    }
    *live = Some(LiveHandle {
        commands,
        frames,
        events,
        running,
        last_event,
        thread,
        viewers,
        ending,
        patient,
        patient_alias,
        ended,
        not_saved,
    });
    Ok(Json(
        json!({ "started": true, "session": session_label, "protocol": protocol.id }),
    ))
}

fn busy() -> WebError {
    WebError::Internal("the live session's state is unusable after a crash".into())
}

/// Stops measuring; a trial in progress is measured and saved.
pub async fn stop(State(app): State<Arc<App>>) -> Result<Json<Value>, WebError> {
    let live = app.live.lock().map_err(|_| busy())?;
    match live.as_ref() {
        Some(handle) if handle.running.load(Ordering::SeqCst) => {
            handle.ending.store(true, Ordering::SeqCst);
            let _ = handle.commands.send(PageCommand::Loop(Command::Quit));
            Ok(Json(json!({ "stopping": true })))
        }
        _ => Ok(Json(json!({ "stopping": false }))),
    }
}

/// The live view: frames (a JSON status, then the JPEG) and events out; `{"ack": id}` when a
/// frame is shown (`"skipped": true` when the page dropped it for a newer one), `{"cmd":
/// "toggle" | "stop"}` and `{"cmd": "pick", "x", "y"}` (the person clicked on, in shares of the
/// view's width and height) in.
pub async fn live_socket(
    State(app): State<Arc<App>>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, WebError> {
    let (commands, frames, events, last, viewer) = {
        let live = app.live.lock().map_err(|_| busy())?;
        let handle = live
            .as_ref()
            .ok_or_else(|| WebError::NotFound("nothing is being measured".into()))?;
        let events = handle.events.subscribe();
        // Read after subscribing: an end between the two is either kept or received.
        let last = handle.last_event.lock().ok().and_then(|l| l.clone());
        (
            handle.commands.clone(),
            handle.frames.clone(),
            events,
            last,
            Viewer::new(handle),
        )
    };
    Ok(upgrade.on_upgrade(move |mut socket| async move {
        let mut viewer = viewer;
        if let Some(last) = last {
            // The session has ended already: say how, and close.
            let _ = socket.send(Message::Text(last.into())).await;
            return;
        }
        viewer.page_gone = talk(socket, commands, frames, events).await;
    }))
}

/// One page counted among a session's viewers while it lives (dropped also when the socket's
/// upgrade fails: the count must not stay up). The last page to go away, closed or reloaded,
/// stops the session rather than let it record whoever comes next.
struct Viewer {
    viewers: Arc<AtomicUsize>,
    ending: Arc<AtomicBool>,
    commands: mpsc::Sender<PageCommand>,
    /// The page went away (not the session that ended).
    page_gone: bool,
}

impl Viewer {
    fn new(handle: &LiveHandle) -> Viewer {
        handle.viewers.fetch_add(1, Ordering::SeqCst);
        Viewer {
            viewers: Arc::clone(&handle.viewers),
            ending: Arc::clone(&handle.ending),
            commands: handle.commands.clone(),
            page_gone: false,
        }
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        if self.viewers.fetch_sub(1, Ordering::SeqCst) == 1 && self.page_gone {
            self.ending.store(true, Ordering::SeqCst);
            let _ = self.commands.send(PageCommand::Loop(Command::Quit));
        }
    }
}

/// Talks to one page until the session ends (false) or the page goes away (true).
async fn talk(
    mut socket: WebSocket,
    commands: mpsc::Sender<PageCommand>,
    mut frames: watch::Receiver<Option<Arc<LiveFrame>>>,
    mut events: broadcast::Receiver<String>,
) -> bool {
    // The newest frame only, and at most two on their way to the page (one drawn while the
    // next travels): a slow page sees fewer frames, never older ones. A frame unanswered for a
    // second is given up.
    let mut in_flight: std::collections::VecDeque<(u64, Instant, Instant)> =
        std::collections::VecDeque::new();
    let mut latencies: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
    let mut shown_at: std::collections::VecDeque<Instant> = std::collections::VecDeque::new();
    // The loop's frames end before its last events (the trial measured, "ended"): those are
    // still sent.
    let mut frames_open = true;
    // A page that stops answering without closing (a laptop asleep, the network gone) is a
    // page gone: frames sent and nothing heard for this long.
    let mut last_heard = Instant::now();
    let mut last_sent: Option<Instant> = None;
    loop {
        if last_sent.is_some_and(|sent| sent > last_heard)
            && last_heard.elapsed() > Duration::from_secs(PAGE_SILENT_S)
        {
            return true;
        }
        while in_flight
            .front()
            .is_some_and(|(_, sent, _)| sent.elapsed() > Duration::from_secs(1))
        {
            in_flight.pop_front();
        }
        let ready = frames_open && in_flight.len() < MAX_IN_FLIGHT;
        tokio::select! {
            changed = frames.changed(), if ready => {
                if changed.is_err() {
                    frames_open = false;
                    continue;
                }
                let frame = frames.borrow_and_update().clone();
                let Some(frame) = frame else { continue };
                let mut status = frame.status.clone();
                if let Some(fields) = status.as_object_mut() {
                    fields.insert("type".into(), json!("frame"));
                    fields.insert("id".into(), json!(frame.id));
                    let mut sorted: Vec<f64> = latencies.iter().copied().collect();
                    sorted.sort_by(f64::total_cmp);
                    fields.insert("latency_ms".into(), json!(sorted.get(sorted.len() / 2)));
                    fields.insert(
                        "latency_p90_ms".into(),
                        json!(sorted.get((sorted.len() * 9) / 10)),
                    );
                    fields.insert("shown_fps".into(), json!(shown_at.len()));
                }
                if socket.send(Message::Text(status.to_string().into())).await.is_err()
                    || socket.send(Message::Binary(frame.jpeg.clone().into())).await.is_err()
                {
                    return true;
                }
                in_flight.push_back((frame.id, Instant::now(), frame.captured_at));
                last_sent = Some(Instant::now());
            }
            event = events.recv() => match event {
                Ok(text) => {
                    let ended = serde_json::from_str::<Value>(&text)
                        .is_ok_and(|v| v["type"] == "ended");
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return true;
                    }
                    if ended {
                        return false;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return false,
            },
            message = socket.recv() => {
                let Some(Ok(message)) = message else { return true };
                last_heard = Instant::now();
                let Message::Text(text) = message else { continue };
                let Ok(value) = serde_json::from_str::<Value>(&text) else { continue };
                let skipped = value.get("skipped").and_then(Value::as_bool) == Some(true);
                if let Some(id) = value.get("ack").and_then(Value::as_u64) {
                    if let Some(place) = in_flight.iter().position(|(sent_id, _, _)| *sent_id == id) {
                        // A frame the page skipped frees its place without counting as shown.
                        if let Some((_, _, captured_at)) = in_flight.remove(place).filter(|_| !skipped) {
                            let now = Instant::now();
                            latencies.push_back(now.duration_since(captured_at).as_secs_f64() * 1000.0);
                            if latencies.len() > 60 {
                                latencies.pop_front();
                            }
                            shown_at.push_back(now);
                            while shown_at.front().is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1)) {
                                shown_at.pop_front();
                            }
                        }
                    }
                }
                match value.get("cmd").and_then(Value::as_str) {
                    Some("toggle") => { let _ = commands.send(PageCommand::Loop(Command::ToggleTrial)); }
                    Some("stop") => { let _ = commands.send(PageCommand::Loop(Command::Quit)); }
                    Some("pick") => {
                        let share = |key: &str| {
                            value.get(key).and_then(Value::as_f64).filter(|v| (0.0..=1.0).contains(v))
                        };
                        if let (Some(x), Some(y)) = (share("x"), share("y")) {
                            let _ = commands.send(PageCommand::PickAtShare { x: x as f32, y: y as f32 });
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// What one live session measures, and for whom.
struct Measuring {
    app: Arc<App>,
    /// The patient's row id: trials go to this patient, never to an alias's next owner.
    patient: i64,
    session: String,
    protocol: &'static Protocol,
    side: Option<Side>,
    /// The session's [`LiveHandle::viewers`] and [`LiveHandle::ending`].
    viewers: Arc<AtomicUsize>,
    ending: Arc<AtomicBool>,
    /// Why the trial in progress as the session ended was not saved: said by the server as it
    /// stops, its page perhaps gone before the page is told.
    not_saved: Arc<std::sync::Mutex<Vec<String>>>,
    /// The patient's name, for the server's own words (whom to measure again).
    patient_alias: String,
}

impl Measuring {
    fn run(
        self,
        commands: mpsc::Receiver<PageCommand>,
        frames: watch::Sender<Option<Arc<LiveFrame>>>,
        events: broadcast::Sender<String>,
    ) -> Result<(), LiveError> {
        let config = &self.app.config;
        let model_error = |e: crate::pose::PoseError| LiveError::from(e);
        let runtime = Runtime::load_on(config.device).map_err(model_error)?;
        let threads = crate::run::inference_threads(config.threads, 1);
        let mut estimator =
            PoseEstimator::new(runtime, config.live_model, threads).map_err(model_error)?;
        let mut finder = People::Several(crate::pose::Pick::Auto(self.protocol.posture))
            .finder(threads)
            .map_err(model_error)?;
        let (source_name, capture) = match &config.camera {
            CameraSource::Video(path) => {
                let path = path.clone();
                (
                    path.display().to_string(),
                    live::start_capture(move || looping(path), Pacing::RealTime),
                )
            }
            CameraSource::Camera(index) => {
                let request = CameraRequest {
                    index: *index,
                    ..CameraRequest::default()
                };
                (format!("camera {index}"), live::start_camera(request))
            }
        };
        let options = SeriesOptions::default();
        let mut meter = LiveMeter::new(
            LiveConfig {
                protocol: self.protocol,
                side: self.side,
                hold: HoldCriteria::default(),
                options,
                source_name,
                stall_after: Duration::from_secs(10),
                retimed: None,
            },
            Some(estimator.model_id().to_string()),
        );
        let mut sink = PageSink {
            measuring: &self,
            commands,
            frames,
            events,
            renderer: LiveViewRenderer::new(),
            trial_frames: Vec::new(),
            frame_size: None,
            next_id: 0,
            picks: 0,
            min_confidence: options.min_confidence,
            unwatched_since: None,
        };
        live::run(
            &capture,
            &mut estimator,
            &mut finder,
            &mut meter,
            &mut sink,
            false,
        )?;
        Ok(())
    }
}

/// A video played again and again, as a camera that never ends, its timestamps running on.
fn looping(
    path: std::path::PathBuf,
) -> Result<impl Iterator<Item = Result<Frame, LiveError>>, LiveError> {
    let mut frames = VideoFrames::open_at_most(&path, 30.0)?;
    // Seconds added to this pass's timestamps, and the last timestamp given.
    let (mut offset, mut last) = (0.0_f64, 0.0_f64);
    let mut step = 1.0 / 30.0;
    Ok(std::iter::from_fn(move || loop {
        match frames.next() {
            Some(Ok(mut frame)) => {
                let t = frame.timestamp_s + offset;
                if t > last {
                    step = (t - last).clamp(1.0 / 240.0, 1.0);
                }
                frame.timestamp_s = t.max(last + 1.0 / 240.0);
                last = frame.timestamp_s;
                return Some(Ok(frame));
            }
            Some(Err(e)) => return Some(Err(LiveError::from(e))),
            None => {
                offset = last + step;
                match VideoFrames::open_at_most(&path, 30.0) {
                    Ok(again) => frames = again,
                    Err(e) => return Some(Err(LiveError::from(e))),
                }
            }
        }
    }))
}

/// The live loop's sink for the page.
struct PageSink<'a> {
    measuring: &'a Measuring,
    commands: mpsc::Receiver<PageCommand>,
    frames: watch::Sender<Option<Arc<LiveFrame>>>,
    events: broadcast::Sender<String>,
    renderer: LiveViewRenderer,
    /// The running trial's frames as JPEG at view size, for its evidence picture: one entry per
    /// frame of the trial (None where one could not be kept), so indices match the trial's.
    trial_frames: Vec<Option<Vec<u8>>>,
    /// The source's frame size, pixels: poses are in it.
    frame_size: Option<(u32, u32)>,
    next_id: u64,
    /// Clicks on a person handed to the loop: a frame's status counts those taken before it.
    picks: u64,
    min_confidence: f32,
    /// Since when no page has shown the session.
    unwatched_since: Option<Instant>,
}

impl PageSink<'_> {
    /// The page's commands, and Quit once no page has shown the session for [`NO_PAGE_S`]:
    /// a Start whose page never connected (or whose socket failed to open) left the camera
    /// running until Stop, with nobody able to start or end a trial.
    fn commands(&mut self) -> Vec<Command> {
        let (frame_size, picks) = (self.frame_size, &mut self.picks);
        let mut commands: Vec<Command> = self
            .commands
            .try_iter()
            .filter_map(|command| match command {
                PageCommand::Loop(command) => Some(command),
                PageCommand::PickAtShare { x, y } => {
                    let (width, height) = frame_size?;
                    *picks += 1;
                    Some(Command::PickAt {
                        x: x * width as f32,
                        y: y * height as f32,
                    })
                }
            })
            .collect();
        if self.measuring.viewers.load(Ordering::SeqCst) > 0 {
            self.unwatched_since = None;
        } else if self
            .unwatched_since
            .get_or_insert_with(Instant::now)
            .elapsed()
            > Duration::from_secs(NO_PAGE_S)
        {
            self.measuring.ending.store(true, Ordering::SeqCst);
            commands.push(Command::Quit);
        }
        commands
    }

    fn event(&self, value: Value) {
        let _ = self.events.send(value.to_string());
    }

    /// The evidence picture of `result`: the trial's frame it names, with the result drawn.
    fn evidence(&self, trial: &Trial, result: &crate::protocols::Measurement) -> Option<Picture> {
        let index = result.evidence_frame?;
        let jpeg = self.trial_frames.get(index)?.as_ref()?;
        let frame = image::load_from_memory(jpeg).ok()?.to_rgb8();
        let pose = trial.track.poses.get(index)?;
        let (width, height) = self.frame_size?;
        let scale = (
            frame.width() as f32 / width.max(1) as f32,
            frame.height() as f32 / height.max(1) as f32,
        );
        let mut pose_in_view = *pose;
        for k in &mut pose_in_view.keypoints {
            k.x = (k.x + 0.5) * scale.0 - 0.5;
            k.y = (k.y + 0.5) * scale.1 - 0.5;
        }
        let picture = draw_result_evidence(
            &frame,
            &pose_in_view,
            &ResultInFrame {
                protocol: self.measuring.protocol,
                result,
                series: &trial.series,
                index,
                time_s: trial.track.time_s.get(index).copied().unwrap_or(0.0),
                player_time_s: None,
                min_confidence: self.min_confidence,
            },
        );
        Some(Picture {
            mime: "image/jpeg".into(),
            bytes: jpeg_of(&picture, 85)?,
        })
    }
}

/// `image` as JPEG at `quality` (1-100). The `jpeg-encoder` crate, not `image`'s encoder: at
/// 640x360 it takes 2.7 ms against 8.9 ms (`benches/live.rs`), and the page gets one per frame.
fn jpeg_of(image: &RgbImage, quality: u8) -> Option<Vec<u8>> {
    let (width, height) = (
        u16::try_from(image.width()).ok()?,
        u16::try_from(image.height()).ok()?,
    );
    let mut bytes = Vec::new();
    jpeg_encoder::Encoder::new(&mut bytes, quality)
        .encode(image.as_raw(), width, height, jpeg_encoder::ColorType::Rgb)
        .ok()?;
    Some(bytes)
}

impl LiveSink for PageSink<'_> {
    fn show(
        &mut self,
        frame: &Frame,
        reading: &Reading,
        stats: &LoopStats,
    ) -> Result<Vec<Command>, LiveError> {
        let (width, height) = (frame.image.width(), frame.image.height());
        let size = fit_within(width, height, VIEW_PX, VIEW_PX);
        self.frame_size = Some((width, height));
        let value_text = reading.value_label();
        let measured = reading.angle_to_draw(self.min_confidence, &value_text);
        let view = self
            .renderer
            .render(&frame.image, size, &reading.pose, measured, &[]);
        let jpeg = jpeg_of(view, FRAME_QUALITY);
        if reading.recording_s.is_some() {
            // The frame as it was (scaled once, for the view), for the evidence picture drawn
            // when the trial ends; past MAX_TRIAL_FRAMES only a gap is kept (memory stays bounded
            // in a trial left running).
            let kept = (self.trial_frames.len() < MAX_TRIAL_FRAMES)
                .then(|| jpeg_of(self.renderer.plain(), 85))
                .flatten();
            self.trial_frames.push(kept);
        }
        let Some(jpeg) = jpeg else {
            return Ok(self.commands());
        };
        let (headline, trial) = status_text(reading);
        self.next_id += 1;
        let status = json!({
            "headline": headline,
            "trial": trial,
            "recording": reading.recording_s.is_some(),
            "guidance": reading.guidance,
            "people": reading.people,
            "ambiguous": reading.ambiguous,
            "guessed": reading.subject_guessed,
            "picks": self.picks,
            "loop_fps": stats.recent_fps(),
        });
        let _ = self.frames.send(Some(Arc::new(LiveFrame {
            id: self.next_id,
            jpeg,
            status,
            captured_at: stats.frame_captured_at.unwrap_or_else(Instant::now),
        })));
        Ok(self.commands())
    }

    fn idle(&mut self) -> Result<Vec<Command>, LiveError> {
        Ok(self.commands())
    }

    fn trial_started(&mut self, number: usize) -> Result<(), LiveError> {
        self.trial_frames.clear();
        self.event(json!({ "type": "trial_started", "number": number }));
        Ok(())
    }

    fn trial_finished(&mut self, trial: &Trial) -> Result<(), LiveError> {
        let results: Vec<(StoredMeasurement, Option<Picture>)> = trial
            .results
            .iter()
            .map(|r| {
                // Every measure drawn at its own frame (the back of a leg swing, the Thomas
                // test's knee): the main measure's picture would show another angle.
                let picture = self.evidence(trial, r);
                // A camera trial has no file: its own mark and keypoints identify it.
                let sha = Some(trial.camera_sha256());
                (StoredMeasurement::from_measurement(r, sha), picture)
            })
            .collect();
        self.trial_frames.clear();
        let db = self.measuring.app.config.db.clone();
        // Dated by the time it was measured: a live trial's time is the session's.
        let now = crate::store::now_utc();
        let saved = Store::open_again(&db).and_then(|mut store| {
            store.save_trial(
                self.measuring.patient,
                &self.measuring.session,
                Some(&now),
                &results,
            )
        });
        match saved {
            Ok(ids) => self.event(json!({
                "type": "trial",
                "number": trial.number,
                "session": self.measuring.session,
                "results": trial.results.iter().zip(&ids).zip(&results).map(|((r, id), (_, picture))| {
                    let mut value = json!(r);
                    if let Some(fields) = value.as_object_mut() {
                        fields.insert("id".into(), json!(id));
                        fields.insert("has_picture".into(), json!(picture.is_some()));
                        fields.insert("warnings_text".into(), json!(
                            r.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>()));
                    }
                    value
                }).collect::<Vec<_>>(),
            })),
            Err(e) => {
                let error =
                    format!("trial {} not saved: {}", trial.number, super::in_app_words(&e));
                if self.measuring.app.is_stopping() {
                    self.measuring
                        .not_saved
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push(format!(
                            "{error} (patient {}, session {})",
                            self.measuring.patient_alias, self.measuring.session
                        ));
                }
                self.event(json!({
                    "type": "trial_error",
                    "number": trial.number,
                    "error": error,
                }))
            }
        }
        Ok(())
    }
}
