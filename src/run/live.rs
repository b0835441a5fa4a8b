//! The live loop: the same stages as [`crate::pipeline`] with a different source and sink.
//!
//! A capture thread hands over only the newest frame (an older frame not yet taken is dropped,
//! so latency never queues up behind a slow model); the loop estimates the subject's pose on
//! it, computes the angles with a causal filter, and tells a [`LiveSink`] what to show. A trial
//! records every analysed pose; when it ends it is measured exactly as `gonio analyze` measures a
//! recording, so a live result and the result of re-analysing its keypoints agree.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::angles::{frame_lateral_spread, AngleSeries, Channel, LiveAngles, SeriesOptions, Side};
use crate::capture::{Camera, CameraError, CameraRequest, Frame, Retimed, StreamError, VideoError};
use crate::pose::csv::PoseTrack;
use crate::pose::{
    BodyPart, Found, Guess, PeopleSeen, Pick, Pose, PoseError, PoseEstimator, SubjectFinder,
    KEYPOINT_COUNT,
};
use crate::protocols::{
    self, HoldCriteria, Measure, Measurement, Posture, Protocol, ResultKind, Role, SideChoice,
    SideRule, HEEL_LIFT_SHANKS, OBLIQUE_SPREAD,
};
use crate::report::frames_csv::write_frames_csv;
use crate::report::live_view::MeasuredAngle;
use crate::report::plot::result_plot;
use crate::report::{output_folder, save_png, write_atomically, WriteError};

pub use super::StopRequest;

/// Why the live loop stopped.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Camera(#[from] CameraError),
    #[error(transparent)]
    Video(#[from] VideoError),
    #[error(transparent)]
    Stream(#[from] StreamError),
    #[error(transparent)]
    Pose(#[from] PoseError),
    #[error("{source_name}: no frame for {seconds:.0} s: the source stopped delivering frames")]
    Stalled { source_name: String, seconds: f64 },
    #[error("display: {0}")]
    Display(String),
}

/// How frames travel from the capture thread to the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// A camera: frames come when they come; a frame not yet taken is replaced by a newer one.
    Live,
    /// A recording played as if live: each frame is released at its timestamp; frames the loop
    /// is too slow for are dropped, as with a camera.
    RealTime,
    /// A recording as fast as the loop goes: every frame, none dropped.
    EveryFrame,
}

/// A frame and when it was captured (handed over by the source).
#[derive(Debug)]
pub struct Captured {
    pub frame: Frame,
    pub captured_at: Instant,
}

/// What [`NewestFrame::take`] found.
#[derive(Debug)]
pub enum Next {
    Frame(Captured),
    /// Nothing new within the wait.
    Nothing,
    /// The source ended: cleanly (None) or with an error.
    Ended(Option<LiveError>),
}

#[derive(Debug, Default)]
struct Slot {
    newest: Option<Captured>,
    /// Frames replaced before the loop took them.
    dropped: u64,
    ended: Option<Option<LiveError>>,
    /// The loop has gone: the capture thread should stop.
    closed: bool,
}

/// A one-frame mailbox between the capture thread and the loop.
#[derive(Debug, Default)]
pub struct NewestFrame {
    slot: Mutex<Slot>,
    changed: Condvar,
}

impl NewestFrame {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        // A panic while holding the lock cannot leave the slot inconsistent: take it anyway.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a frame over. With `wait_for_room`, waits until the previous one is taken instead of
    /// replacing it. Returns false when the loop has gone.
    pub fn put(&self, captured: Captured, wait_for_room: bool) -> bool {
        let mut slot = self.lock();
        while wait_for_room && slot.newest.is_some() && !slot.closed {
            slot = self.changed.wait(slot).unwrap_or_else(|e| e.into_inner());
        }
        if slot.closed {
            return false;
        }
        if slot.newest.replace(captured).is_some() {
            slot.dropped += 1;
        }
        self.changed.notify_all();
        true
    }

    /// The source has no more frames (`error` says why, when it failed).
    pub fn end(&self, error: Option<LiveError>) {
        let mut slot = self.lock();
        slot.ended = Some(error);
        self.changed.notify_all();
    }

    /// Takes the newest frame, waiting at most `wait`. After the source ended, the last frame is
    /// still delivered before [`Next::Ended`].
    pub fn take(&self, wait: Duration) -> Next {
        let deadline = Instant::now() + wait;
        let mut slot = self.lock();
        loop {
            if let Some(captured) = slot.newest.take() {
                self.changed.notify_all();
                return Next::Frame(captured);
            }
            if let Some(ended) = slot.ended.as_mut() {
                return Next::Ended(ended.take());
            }
            let now = Instant::now();
            if now >= deadline {
                return Next::Nothing;
            }
            slot = self
                .changed
                .wait_timeout(slot, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Frames dropped so far because a newer one arrived first.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// The loop has gone: the capture thread stops at its next frame.
    pub fn close(&self) {
        let mut slot = self.lock();
        slot.closed = true;
        self.changed.notify_all();
    }
}

/// Starts the capture thread: `open` opens the source on that thread (a camera belongs to the
/// thread that opened it on some systems), then frames are handed over as `pacing` says.
pub fn start_capture<S, F>(open: F, pacing: Pacing) -> Arc<NewestFrame>
where
    F: FnOnce() -> Result<S, LiveError> + Send + 'static,
    S: Iterator<Item = Result<Frame, LiveError>>,
{
    let mailbox = Arc::new(NewestFrame::default());
    let shared = Arc::clone(&mailbox);
    // Detached: a camera blocked in its driver must not keep the program from exiting.
    std::thread::spawn(move || {
        let frames = match open() {
            Ok(frames) => frames,
            Err(e) => return shared.end(Some(e)),
        };
        let mut clock: Option<(Instant, f64)> = None;
        for frame in frames {
            let frame = match frame {
                Ok(frame) => frame,
                Err(e) => return shared.end(Some(e)),
            };
            if pacing == Pacing::RealTime {
                let (started, first_s) = *clock.get_or_insert((Instant::now(), frame.timestamp_s));
                let due = Duration::from_secs_f64((frame.timestamp_s - first_s).max(0.0));
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            let captured = Captured {
                frame,
                captured_at: Instant::now(),
            };
            if !shared.put(captured, pacing == Pacing::EveryFrame) {
                return;
            }
        }
        shared.end(None);
    });
    mailbox
}

/// Starts capturing from a camera, newest frame first (see [`start_capture`]).
pub fn start_camera(request: CameraRequest) -> Arc<NewestFrame> {
    start_capture(
        move || {
            let mut camera = Camera::open(request)?;
            Ok(std::iter::from_fn(move || {
                Some(camera.next_frame().map_err(LiveError::from))
            }))
        },
        Pacing::Live,
    )
}

/// How the loop measures.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    pub protocol: &'static Protocol,
    /// The leg to measure; None lets the protocol's rule choose (and change) it.
    pub side: Option<Side>,
    pub hold: HoldCriteria,
    pub options: SeriesOptions,
    /// What the source is called in messages and results ("camera 0", a file name).
    pub source_name: String,
    /// Without a frame for this long, the source counts as stalled.
    pub stall_after: Duration,
    /// A slow-motion or time-lapse video played as the source, timed in real seconds (see
    /// [`crate::capture::VideoInfo::retimed`]): its trials say so.
    pub retimed: Option<Retimed>,
}

/// What the loop read from one frame.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The subject's pose, frame pixels ([`Pose::nobody`] when not found).
    pub pose: Pose,
    /// The leg measured.
    pub side: Side,
    /// The protocol's main measure.
    pub measure: &'static Measure,
    /// Its value now, filtered, degrees; None when it cannot be read in this frame.
    pub value_deg: Option<f32>,
    /// The anterior side this frame's angles were computed with (voted over the frames so far),
    /// for drawing the angle where it was measured.
    pub anterior_sign: Option<f32>,
    /// The protocol's result is the mean of swings (leg swings), not a hold: `best_deg` is the
    /// mean of the swings so far, and `hold_s` means nothing.
    pub swings: bool,
    /// Whether this frame meets the protocol's criteria.
    pub valid: bool,
    /// How long the value has stayed within the hold band, seconds (0 when the hold is lost;
    /// gaps up to the series' `max_gap_s` do not end it).
    pub hold_s: f64,
    /// The trial's sustained result so far, degrees: the final result as it would read if the
    /// trial ended now (the same side rule, validity and hold), updated a few times a second.
    pub best_deg: Option<f32>,
    /// The leg that result is of (it may differ from `side`, the leg shown now, while the side
    /// rule has not settled); None until there is a result.
    pub best_side: Option<Side>,
    /// What the person should change, most important first.
    pub guidance: Vec<String>,
    /// Seconds since the trial started; None between trials.
    pub recording_s: Option<f64>,
    /// People in view in this frame.
    pub people: usize,
    /// Whether another person was about as likely to be the subject.
    pub ambiguous: bool,
    /// Whether the subject followed was chosen by a guess (see [`crate::pose::guessed_choice`]):
    /// the user should say who the patient is.
    pub subject_guessed: bool,
}

impl Reading {
    /// The value now as the arc's label: whole degrees, "not counted" beside them in a frame
    /// that does not count for the test (the largest number on the screen must not pass for a
    /// measurement); empty without a value.
    pub fn value_label(&self) -> String {
        match self.value_deg {
            None => String::new(),
            Some(v) if self.valid => format!("{v:.0}°"),
            Some(v) => format!("{v:.0}° not counted"),
        }
    }

    /// The measured angle to draw at its joint, labelled `label` (see
    /// [`Reading::value_label`]); None when there is no value in this frame.
    pub fn angle_to_draw<'a>(
        &self,
        min_confidence: f32,
        label: &'a str,
    ) -> Option<MeasuredAngle<'a>> {
        self.value_deg.map(|_| MeasuredAngle {
            side: self.side,
            angle: self.measure.angle,
            anterior_sign: self.anterior_sign,
            min_confidence,
            label,
        })
    }
}

/// A finished trial.
#[derive(Debug, Clone)]
pub struct Trial {
    /// 1 for the first trial of this run.
    pub number: usize,
    /// Every analysed pose of the trial (frame pixels, left/right swaps corrected) and its time,
    /// seconds from the source's start: the same as `gonio analyze` writes, so a trial can be
    /// analysed again.
    pub track: PoseTrack,
    /// The trial's angles, as measured.
    pub series: AngleSeries,
    pub results: Vec<Measurement>,
    /// Drawn at random when the trial started: one capture's own mark (see
    /// [`Trial::camera_sha256`]).
    capture_id: [u8; 16],
}

impl Trial {
    /// What identifies a trial from a camera, which has no file: sha256 of a number drawn when
    /// it started, its times and its keypoints; an edited export of it carries it, and is known
    /// on import as the same trial. Two trials are two recordings even with the same frames: a
    /// video standing in for the camera, looping, gave a later trial the very frames and times
    /// of an earlier one, and the later was saved over the earlier (or refused as the earlier
    /// session's recording).
    pub fn camera_sha256(&self) -> String {
        let mut bytes = Vec::with_capacity(16 + self.track.poses.len() * (8 + 12 * KEYPOINT_COUNT));
        bytes.extend(self.capture_id);
        for (t, pose) in self.track.time_s.iter().zip(&self.track.poses) {
            bytes.extend(t.to_le_bytes());
            for k in &pose.keypoints {
                for v in [k.x, k.y, k.confidence] {
                    bytes.extend(v.to_le_bytes());
                }
            }
        }
        crate::store::bytes_sha256(&bytes)
    }

    /// Writes the trial into `dir` (created when missing) as `<stem>.trial<N>.json` (its
    /// results), `.csv` (its poses and angles, as `gonio analyze` writes them) and, per side of
    /// the main measure, `.<side>.plot.png` (the angle over the trial, the hold and the result:
    /// the picture a saved trial shows in the report), with the first N whose JSON does not
    /// exist yet: an earlier trial's files are never replaced. Returns the paths.
    pub fn write_files(&self, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, WriteError> {
        output_folder(dir)?;
        let stem = (1..)
            .map(|n| format!("{stem}.trial{n}"))
            .find(|s| !dir.join(format!("{s}.json")).exists())
            .unwrap_or_else(|| stem.to_string());
        let json_path = dir.join(format!("{stem}.json"));
        let csv_path = dir.join(format!("{stem}.csv"));
        write_atomically(&csv_path, |file| {
            write_frames_csv(io::BufWriter::new(file), &self.track, &self.series)
                .map_err(io::Error::other)
        })?;
        write_atomically(&json_path, |file| {
            serde_json::to_writer_pretty(
                io::BufWriter::new(file),
                &serde_json::json!({ "trial": self.number, "results": self.results }),
            )
            .map_err(io::Error::from)
        })?;
        let mut written = vec![json_path, csv_path];
        for r in &self.results {
            let Some(protocol) = protocols::find(&r.protocol) else {
                continue;
            };
            if r.measure != protocol.main_measure().name {
                continue;
            }
            let path = dir.join(format!("{stem}.{}.plot.png", r.side.name()));
            let picture = result_plot(protocol, &self.series, r).map_err(|e| WriteError {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            save_png(&picture, &path)?;
            written.push(path);
        }
        Ok(written)
    }
}

/// Running statistics of one leg, for choosing the side live.
#[derive(Debug, Clone, Copy)]
struct SideStats {
    known: f32,
    mean: f32,
    low: f32,
    high: f32,
}

impl Default for SideStats {
    fn default() -> Self {
        SideStats {
            known: 0.0,
            mean: f32::NAN,
            low: f32::INFINITY,
            high: f32::NEG_INFINITY,
        }
    }
}

impl SideStats {
    fn add(&mut self, value: f32) {
        if value.is_nan() {
            return;
        }
        self.known += 1.0;
        self.mean = if self.mean.is_nan() {
            value
        } else {
            self.mean + (value - self.mean) / self.known.min(90.0)
        };
        self.low = self.low.min(value);
        self.high = self.high.max(value);
    }
}

/// A number no other trial has: 16 random bytes, or where the system gives none (it always does
/// on the systems gonio runs on), the clock's nanoseconds and a count of the trials started.
fn new_capture_id() -> [u8; 16] {
    let mut id = [0; 16];
    if getrandom::fill(&mut id).is_err() {
        static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let count = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        id[..8].copy_from_slice(&nanos.to_le_bytes());
        id[8..].copy_from_slice(&count.to_le_bytes());
    }
    id
}

/// Seconds between recomputations of the trial's sustained result.
const BEST_EVERY_S: f64 = 0.25;

/// From poses to readings and trials: the loop's logic, independent of where frames come from
/// and where readings go.
#[derive(Debug)]
pub struct LiveMeter {
    config: LiveConfig,
    model: Option<String>,
    angles: LiveAngles,
    side: Side,
    side_stats: [SideStats; 2],
    hold_start_s: f64,
    hold_level: (f64, f64), // (sum, count) of the values in the current hold
    last_valid_s: f64,
    trial: Option<PoseTrack>,
    /// The running trial's [`Trial::capture_id`].
    capture_id: [u8; 16],
    trial_start_s: f64,
    trials: usize,
    best: (f64, Option<(Side, f32)>), // (when computed, side and value)
    /// Whether the measured leg's heel stood lifted in the trial's last frame, as the trial was
    /// last measured (for a protocol that keeps it down; see [`AngleSeries::ankle_lift`]).
    heel_lifted: bool,
    /// People in view during the trial, and the subject lock's certainty.
    people: PeopleSeen,
    last_subject: Option<u32>,
    /// Whether the subject followed now was chosen by a guess: a trial started while following
    /// them carries it.
    subject_guess: Option<Guess>,
}

impl LiveMeter {
    /// `model` is the pose model's id, stored with each result.
    pub fn new(config: LiveConfig, model: Option<String>) -> Self {
        LiveMeter {
            angles: LiveAngles::new(config.options.min_confidence, config.options.max_gap_s),
            side: config.side.unwrap_or(Side::Left),
            config,
            model,
            side_stats: Default::default(),
            hold_start_s: f64::NAN,
            hold_level: (0.0, 0.0),
            last_valid_s: f64::NEG_INFINITY,
            trial: None,
            capture_id: [0; 16],
            trial_start_s: 0.0,
            trials: 0,
            best: (f64::NEG_INFINITY, None),
            heel_lifted: false,
            people: PeopleSeen::default(),
            last_subject: None,
            subject_guess: None,
        }
    }

    pub fn config(&self) -> &LiveConfig {
        &self.config
    }

    pub fn is_recording(&self) -> bool {
        self.trial.is_some()
    }

    /// Starts recording a trial (ends the one running, if any, without measuring it).
    pub fn start_trial(&mut self) {
        self.trial = Some(PoseTrack::default());
        self.capture_id = new_capture_id();
        self.trial_start_s = f64::NAN;
        self.side_stats = Default::default();
        self.best = (f64::NEG_INFINITY, None);
        self.heel_lifted = false;
        self.people = PeopleSeen::default();
        // The subject followed into the trial is its first lock, not a change of subject.
        self.people.locks = usize::from(self.last_subject.is_some());
        self.people.guessed = self.subject_guess;
    }

    /// The number the trial under way (or the next one) gets when it ends with a frame.
    pub fn next_trial_number(&self) -> usize {
        self.trials + 1
    }

    /// Ends the trial and measures it; None when no trial was running or it has no frame.
    pub fn stop_trial(&mut self) -> Option<Trial> {
        let mut track = self.trial.take()?;
        self.heel_lifted = false;
        if track.poses.is_empty() {
            return None;
        }
        self.trials += 1;
        let side = self.side_choice();
        // Swap correction fixes the poses in place: the trial keeps the corrected ones, as the
        // per-frame CSV of `analyze` does.
        let series = AngleSeries::from_poses(&track.time_s, &mut track.poses, &self.config.options);
        let mut results = self.measure_series(&series, side);
        protocols::note_people(&mut results, Some(&self.people), &track.poses);
        if let Some(retimed) = self.config.retimed {
            protocols::note_retimed(&mut results, retimed.capture_fps, retimed.playback_fps);
        }
        Some(Trial {
            number: self.trials,
            track,
            series,
            results,
            capture_id: self.capture_id,
        })
    }

    /// The side a trial is measured on: the one given, else the protocol's rule over the whole
    /// trial.
    fn side_choice(&self) -> SideChoice {
        match self.config.side {
            Some(side) => SideChoice::Named(side),
            None => SideChoice::Auto,
        }
    }

    fn measure_series(&self, series: &AngleSeries, side: SideChoice) -> Vec<Measurement> {
        protocols::measure(
            self.config.protocol,
            series,
            side,
            &self.config.hold,
            &self.config.source_name,
            self.model.as_deref(),
        )
    }

    /// Reads one frame's subject, taken at `time_s` (seconds, increasing).
    pub fn push(&mut self, time_s: f64, found: &Found) -> Reading {
        if found.subject_id.is_some() {
            self.subject_guess = found.guessed;
        }
        self.people.add(found, &mut self.last_subject);
        let protocol = self.config.protocol;
        let person = found.pose.has_person();
        let pose = if person { found.pose } else { Pose::nobody() };
        let angles = self.angles.push(time_s, &pose);
        let angle_of = |channel: Channel| angles.angle(channel);
        let measure = protocol.main_measure();
        if self.config.side.is_none() && person {
            self.choose_side(measure, &angle_of);
        }
        let side = self.side;
        let value = measure.value_in_frame(side, angle_of);
        let unmet = protocols::unmet_criteria(protocol, side, angle_of);
        // A flagged condition is shown as guidance but does not stop a frame counting; a heel
        // lifted (as the trial was last measured, a few times a second) does, as in the result.
        let valid =
            !value.is_nan() && unmet.iter().all(|(c, _)| c.role == Role::Flag) && !self.heel_lifted;

        // Hold timer: time within ± band of the mean of the current hold.
        if valid {
            let (sum, count) = self.hold_level;
            let level = if count > 0.0 { sum / count } else { f64::NAN };
            if level.is_nan() || (value as f64 - level).abs() > self.config.hold.band_deg as f64 {
                self.hold_start_s = time_s;
                self.hold_level = (value as f64, 1.0);
            } else {
                self.hold_level = (sum + value as f64, count + 1.0);
            }
            self.last_valid_s = time_s;
        } else if time_s - self.last_valid_s > self.config.options.max_gap_s {
            // A missed frame or two does not end a hold (as gaps are filled in a recording).
            self.hold_start_s = f64::NAN;
            self.hold_level = (0.0, 0.0);
        }
        let hold_s = if self.hold_start_s.is_nan() {
            0.0
        } else {
            time_s - self.hold_start_s
        };

        let mut recording_s = None;
        if let Some(mut track) = self.trial.take() {
            track.time_s.push(time_s);
            track.poses.push(pose);
            if self.trial_start_s.is_nan() {
                self.trial_start_s = time_s;
            }
            // Re-measuring costs time in proportion to the trial's length: in long trials,
            // less often (every 0.25 s up to a minute, every 2.5 s at ten minutes).
            let every_s = BEST_EVERY_S.max((time_s - self.trial_start_s) / 240.0);
            if time_s - self.best.0 >= every_s {
                // The trial so far measured exactly as it will be at its end (on a copy: the
                // recording goes on; the same side choice), so the readout and the saved result
                // can never name different legs.
                let mut poses = track.poses.clone();
                let series =
                    AngleSeries::from_poses(&track.time_s, &mut poses, &self.config.options);
                let results = self.measure_series(&series, self.side_choice());
                self.heel_lifted = protocol.heel_down
                    && series
                        .ankle_lift(side)
                        .last()
                        .is_some_and(|&lift| lift > HEEL_LIFT_SHANKS);
                let best = results
                    .iter()
                    .find(|m| m.measure == measure.name)
                    .and_then(|m| Some((m.side, m.value_deg?)));
                self.best = (time_s, best);
            }
            recording_s = Some(time_s - self.trial_start_s);
            self.trial = Some(track);
        }

        let mut guidance = guidance(&pose, side, self.config.options.min_confidence, &unmet);
        if person && self.heel_lifted && recording_s.is_some() {
            guidance.insert(0, "keep the heel down: it came off the floor".to_string());
        }
        if person && angles.facing_guessed {
            // Said last (the terminal's status line shows only the first hint): it asks for
            // nothing the test needs, only for the face in profile now and then.
            guidance.push(
                match protocol.posture {
                    Posture::Lying => {
                        "face up or face down is a guess: let the camera see the face in \
                         profile now and then"
                    }
                    Posture::Kneeling | Posture::Standing => {
                        "forward and back are a guess: now and then look ahead, the way you \
                         face, not at the screen"
                    }
                }
                .to_string(),
            );
        }
        Reading {
            pose,
            side,
            measure,
            value_deg: (!value.is_nan()).then_some(value),
            valid,
            hold_s,
            best_deg: self.best.1.filter(|_| recording_s.is_some()).map(|b| b.1),
            best_side: self.best.1.filter(|_| recording_s.is_some()).map(|b| b.0),
            guidance,
            recording_s,
            people: found.people,
            ambiguous: found.ambiguous,
            subject_guessed: self.subject_guess.is_some(),
            anterior_sign: angles.raw.anterior_sign,
            swings: matches!(protocol.result, ResultKind::Swings { .. }),
        }
    }

    /// Follows the protocol's side rule on running statistics, changing side only on a clear
    /// difference so that the display does not flicker between legs.
    fn choose_side(&mut self, measure: &Measure, angle_of: &impl Fn(Channel) -> f32) {
        let protocol = self.config.protocol;
        for side in Side::BOTH {
            let value = match protocol.side_rule {
                SideRule::LowerMedianOf(angle) => -angle_of(angle.channel(side)),
                SideRule::MostMovementOf(angle) | SideRule::HigherMedianOf(angle) => {
                    angle_of(angle.channel(side))
                }
                _ => measure.value_in_frame(side, angle_of),
            };
            self.side_stats[side as usize].add(value);
        }
        let score = |s: &SideStats| -> f32 {
            if s.known < 5.0 {
                return f32::NEG_INFINITY;
            }
            match protocol.side_rule {
                SideRule::MostMovement | SideRule::MostMovementOf(_) => s.high - s.low,
                SideRule::HigherMedian
                | SideRule::HigherMedianOf(_)
                | SideRule::LowerMedianOf(_) => s.mean,
                SideRule::MostReliable => s.known,
            }
        };
        let margin = match protocol.side_rule {
            SideRule::MostReliable => 15.0,
            _ => 5.0,
        };
        let (current, other) = (self.side, self.side.other());
        let (now, alternative) = (
            score(&self.side_stats[current as usize]),
            score(&self.side_stats[other as usize]),
        );
        if alternative > now + margin || (now == f32::NEG_INFINITY && alternative.is_finite()) {
            self.side = other;
        }
    }
}

/// What the person should change for this frame to count, most important first.
fn guidance(
    pose: &Pose,
    side: Side,
    min_confidence: f32,
    unmet: &[(&'static protocols::Criterion, bool)],
) -> Vec<String> {
    if !pose.has_person() {
        return vec!["no one in view: step in front of the camera".to_string()];
    }
    let reliable = |part: BodyPart| pose.get(part).confidence >= min_confidence;
    let (hip, knee, ankle) = match side {
        Side::Left => (BodyPart::LeftHip, BodyPart::LeftKnee, BodyPart::LeftAnkle),
        Side::Right => (
            BodyPart::RightHip,
            BodyPart::RightKnee,
            BodyPart::RightAnkle,
        ),
    };
    // A position the test needs comes first: a person standing in front of the camera for a
    // straight-leg raise must read "lie on your back", not "turn sideways".
    let hints = |posture: bool| {
        unmet
            .iter()
            .filter(move |(c, unknown)| !unknown && (c.role == Role::Posture) == posture)
            .map(|(c, _)| c.hint.to_string())
    };
    let mut out: Vec<String> = hints(true).collect();
    if ![hip, knee, ankle].into_iter().all(reliable)
        || !(reliable(BodyPart::LeftShoulder) || reliable(BodyPart::RightShoulder))
    {
        out.push("whole body not in view: step back or move the camera".to_string());
    }
    if let Some(spread) = frame_lateral_spread(pose, min_confidence) {
        if spread > OBLIQUE_SPREAD {
            out.push("turn sideways to the camera".to_string());
        }
    }
    // A criterion that cannot be checked is covered by "whole body not in view".
    out.extend(hints(false));
    out
}

/// Per-frame times of the loop's stages, milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct StageTimes {
    /// From capture until the loop took the frame.
    pub queue_ms: f64,
    /// Pose estimation (crop, model, keypoints back to the frame).
    pub pose_ms: f64,
    /// Angles, filter, guidance, trial bookkeeping.
    pub angles_ms: f64,
    /// Drawing and showing (window or status line).
    pub display_ms: f64,
    /// From capture to the angle shown: the latency a person sees.
    pub total_ms: f64,
}

/// Latency and rate of the loop so far.
#[derive(Debug, Clone, Default)]
pub struct LoopStats {
    times: Vec<StageTimes>,
    shown_at: std::collections::VecDeque<Instant>,
    /// Frames the loop never saw because a newer one arrived first.
    pub dropped: u64,
    started: Option<Instant>,
    /// When the frame being shown was captured: a sink that shows it elsewhere (a web page)
    /// measures its own capture-to-shown latency from this.
    pub frame_captured_at: Option<Instant>,
}

/// Medians and 90th percentiles of each stage, and frame rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct LatencySummary {
    pub frames: usize,
    pub dropped: u64,
    /// Frames shown per second over the whole run.
    pub frames_per_second: f64,
    pub median: StageTimes,
    pub p90: StageTimes,
}

impl LoopStats {
    fn record(&mut self, times: StageTimes, shown_at: Instant) {
        self.started.get_or_insert(shown_at);
        self.times.push(times);
        self.shown_at.push_back(shown_at);
        while self
            .shown_at
            .front()
            .is_some_and(|t| shown_at.duration_since(*t) > Duration::from_secs(1))
        {
            self.shown_at.pop_front();
        }
    }

    /// Frames shown in the last second.
    pub fn recent_fps(&self) -> f64 {
        self.shown_at.len() as f64
    }

    /// The latest frame's stage times.
    pub fn last(&self) -> Option<&StageTimes> {
        self.times.last()
    }

    /// Median total latency of the last `n` frames, milliseconds.
    pub fn recent_median_ms(&self, n: usize) -> Option<f64> {
        let from = self.times.len().saturating_sub(n);
        let mut totals: Vec<f64> = self.times[from..].iter().map(|t| t.total_ms).collect();
        quantile(&mut totals, 0.5)
    }

    pub fn summary(&self) -> LatencySummary {
        let per_stage = |q: f64| {
            let stage = |get: fn(&StageTimes) -> f64| {
                let mut values: Vec<f64> = self.times.iter().map(get).collect();
                quantile(&mut values, q).unwrap_or(0.0)
            };
            StageTimes {
                queue_ms: stage(|t| t.queue_ms),
                pose_ms: stage(|t| t.pose_ms),
                angles_ms: stage(|t| t.angles_ms),
                display_ms: stage(|t| t.display_ms),
                total_ms: stage(|t| t.total_ms),
            }
        };
        let elapsed = match (self.started, self.shown_at.back()) {
            (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
            _ => 0.0,
        };
        LatencySummary {
            frames: self.times.len(),
            dropped: self.dropped,
            frames_per_second: if elapsed > 0.0 {
                (self.times.len().saturating_sub(1)) as f64 / elapsed
            } else {
                0.0
            },
            median: per_stage(0.5),
            p90: per_stage(0.9),
        }
    }
}

fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[((values.len() - 1) as f64 * q).round() as usize])
}

/// The status of a reading as two lines: the measure with its value (and hold), and the trial.
pub fn status_text(reading: &Reading) -> (String, String) {
    // An angle read in a frame that does not count (not the test's position, the knee bent) is
    // no measurement of the test: said beside it.
    let value = match reading.value_deg {
        None => "--".to_string(),
        Some(v) if reading.valid => format!("{v:.0}°"),
        Some(v) => format!("{v:.0}° (not counted)"),
    };
    let mut headline = format!(
        "{} {}: {value}",
        reading.side.name(),
        reading.measure.name.replace('_', " ")
    );
    if reading.valid && reading.hold_s >= 0.2 && !reading.swings {
        headline.push_str(&format!("   hold {:.1} s", reading.hold_s));
    }
    let trial = match reading.recording_s {
        Some(t) => format!(
            "● trial {t:.0} s   {} {}",
            if reading.swings {
                "mean of the swings"
            } else {
                "best held"
            },
            match (reading.best_side, reading.best_deg) {
                (Some(side), Some(v)) => format!("{} {v:.1}°", side.name()),
                _ => "--".to_string(),
            }
        ),
        None => "no trial running".to_string(),
    };
    (headline, trial)
}

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    /// Start a trial, or end the running one.
    ToggleTrial,
    /// Measure the person at this point of the frame (pixels), for example where the user
    /// clicked.
    PickAt {
        x: f32,
        y: f32,
    },
    Quit,
}

/// Where the loop's readings go: a window, a terminal status line, a test.
pub trait LiveSink {
    /// Shows one analysed frame; returns what the user asked for since the last call.
    fn show(
        &mut self,
        frame: &Frame,
        reading: &Reading,
        stats: &LoopStats,
    ) -> Result<Vec<Command>, LiveError>;
    /// Called about every 50 ms while no frame is ready, so that a window stays responsive.
    fn idle(&mut self) -> Result<Vec<Command>, LiveError>;
    /// A trial has ended and been measured.
    fn trial_finished(&mut self, trial: &Trial) -> Result<(), LiveError>;
    /// A trial has started: it will be trial `number` once it has a frame.
    fn trial_started(&mut self, number: usize) -> Result<(), LiveError> {
        let _ = number;
        Ok(())
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The source has no more frames (a recording).
    SourceEnded,
    /// The user quit.
    Quit,
}

/// Runs the loop until the source ends or the user quits. A trial running then is ended and
/// measured. `autostart` starts the first trial with the first frame.
pub fn run(
    frames: &NewestFrame,
    estimator: &mut PoseEstimator,
    finder: &mut SubjectFinder,
    meter: &mut LiveMeter,
    sink: &mut dyn LiveSink,
    autostart: bool,
) -> Result<(Ending, LoopStats), LiveError> {
    finder.reset();
    let mut stats = LoopStats::default();
    let mut last_frame_at = Instant::now();
    if autostart {
        meter.start_trial();
        sink.trial_started(meter.next_trial_number())?;
    }
    let stall_after = meter.config().stall_after;
    let outcome = (|| -> Result<Ending, LiveError> {
        loop {
            let commands = match frames.take(Duration::from_millis(50)) {
                Next::Frame(captured) => {
                    last_frame_at = Instant::now();
                    let queue_ms = ms(captured.captured_at.elapsed());
                    let t = Instant::now();
                    let frame = &captured.frame;
                    let found = finder.next(estimator, &frame.image, frame.timestamp_s)?;
                    let pose_ms = ms(t.elapsed());
                    let t = Instant::now();
                    let reading = meter.push(captured.frame.timestamp_s, &found);
                    let angles_ms = ms(t.elapsed());
                    let t = Instant::now();
                    stats.dropped = frames.dropped();
                    stats.frame_captured_at = Some(captured.captured_at);
                    let commands = sink.show(&captured.frame, &reading, &stats)?;
                    let shown_at = Instant::now();
                    stats.record(
                        StageTimes {
                            queue_ms,
                            pose_ms,
                            angles_ms,
                            display_ms: ms(shown_at - t),
                            total_ms: ms(shown_at - captured.captured_at),
                        },
                        shown_at,
                    );
                    commands
                }
                Next::Nothing => {
                    if last_frame_at.elapsed() > stall_after {
                        return Err(LiveError::Stalled {
                            source_name: meter.config().source_name.clone(),
                            seconds: last_frame_at.elapsed().as_secs_f64(),
                        });
                    }
                    sink.idle()?
                }
                Next::Ended(Some(error)) => return Err(error),
                Next::Ended(None) => return Ok(Ending::SourceEnded),
            };
            for command in commands {
                match command {
                    Command::Quit => return Ok(Ending::Quit),
                    Command::PickAt { x, y } => finder.repick(Pick::At(x, y)),
                    Command::ToggleTrial if meter.is_recording() => {
                        if let Some(trial) = meter.stop_trial() {
                            sink.trial_finished(&trial)?;
                        }
                    }
                    Command::ToggleTrial => {
                        meter.start_trial();
                        sink.trial_started(meter.next_trial_number())?;
                    }
                }
            }
        }
    })();
    frames.close();
    // Whatever happened, a trial in progress is measured and handed over.
    if let Some(trial) = meter.stop_trial() {
        sink.trial_finished(&trial)?;
    }
    Ok((outcome?, stats))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
