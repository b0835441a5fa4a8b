//! Choosing the subject among the people in view and keeping it, frame after frame: a state
//! machine fed with what the models saw ([`SubjectLock`]), and the counts and doubts it leaves
//! behind ([`PeopleSeen`]). Nothing here runs a model; [`super::SubjectFinder`] does.

use super::multipose::{BoxInFrame, Person};
use super::{BodyPart, Keypoint, Pose, KEYPOINT_COUNT};

/// The posture a protocol's subject is in, for choosing the subject among several people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Posture {
    /// Lying on a table or the floor (trunk within 35 degrees of horizontal).
    Lying,
    /// Kneeling or lunging: trunk upright, a knee bent more than 60 degrees.
    Kneeling,
    /// Standing: trunk within 35 degrees of vertical, knees nearly straight.
    Standing,
}

impl Posture {
    /// The posture in words: "2 people {word}".
    pub fn words(self) -> &'static str {
        match self {
            Posture::Lying => "lying",
            Posture::Kneeling => "kneeling or lunging",
            Posture::Standing => "standing",
        }
    }
}

/// How the subject is chosen among the people in view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pick {
    /// The person in the protocol's posture (the patient lying on the table while the
    /// therapist stands); the largest when none or several are.
    Auto(Posture),
    /// The largest person (longest torso: nearest the camera).
    Largest,
    /// The leftmost person in the picture.
    Left,
    /// The rightmost person in the picture.
    Right,
    /// The person nearest the centre of the picture.
    Center,
    /// The person at this point of the frame (pixels), for example where the user clicked.
    At(f32, f32),
}

/// The subject in one frame, and how sure the lock is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    /// The subject's pose, frame pixels; no person ([`Pose::has_person`] false) when the
    /// subject was not found in this frame.
    pub pose: Pose,
    /// The subject's id, the same for as long as it is followed; a new id means another person
    /// was chosen (a new lock).
    pub subject_id: Option<u32>,
    /// People the detector saw in this frame.
    pub people: usize,
    /// Another person was about as likely to be the subject as the one chosen (two bodies
    /// overlapping), or the single-person model drifted onto another body and was overruled.
    pub ambiguous: bool,
    /// The subject followed in this frame was chosen by a guess that still stands (see
    /// [`guessed_choice`]); None when the choice was clear, or the user's.
    pub guessed: Option<Guess>,
}

/// A subject chosen by size where the posture did not tell who is meant: several people of
/// about the same size in the protocol's posture (two people standing for a toe touch: the
/// therapist showing the movement beside the patient), or nobody in it yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Guess {
    /// The protocol's posture.
    pub posture: Posture,
    /// People in that posture when the subject was chosen: 0, or 2 and more.
    pub in_posture: usize,
}

impl Found {
    /// A pose found with one person assumed in view (no detector).
    pub fn alone(pose: Pose) -> Found {
        let person = pose.has_person();
        Found {
            pose,
            subject_id: person.then_some(1),
            people: usize::from(person),
            ambiguous: false,
            guessed: None,
        }
    }
}

/// Keypoint confidence for matching people between frames.
const MATCH_MIN_CONFIDENCE: f32 = 0.3;
/// A person whose keypoints moved on average more than this (in torso lengths) since the last
/// frame is not the subject.
const MAX_MATCH_DISTANCE: f32 = 0.8;
/// A rival within this factor of the best match's distance makes the frame ambiguous.
const AMBIGUITY_RATIO: f32 = 1.5;
/// With the subject alone in view, the detector looks for newcomers every this many frames, or
/// after [`DETECT_EVERY_ALONE_S`] when that is longer.
pub const DETECT_EVERY_ALONE: usize = 5;
/// With the subject alone in view, the detector waits at least this long between looks: every 5th
/// frame at 30 frames/s, every 10th at 60. Counted in time as well as frames, so that a 60-fps
/// recording does not pay the detector twice as often for the same watchfulness; off the grids
/// of common frame rates (0.16 s is exactly 4 frames at 25 and 8 at 50), so that rounding does
/// not decide. A clock that stalls or goes back leaves the frame count alone in charge. With
/// others in view the detector runs on every frame.
pub const DETECT_EVERY_ALONE_S: f64 = 0.155;
/// Keypoints of a rival's found in the subject's reading that count as seeing the rival (merged
/// with the subject), as many as [`pose_distance`] needs to compare two poses.
const MIN_SIGHTING_KEYPOINTS: usize = 4;
/// Frames the subject may go unseen before it is chosen afresh.
pub const MAX_MISSED_FRAMES: usize = 30;

/// A torso length guessed from a body's box, pixels: for a person without confident shoulders
/// and hips.
pub(super) fn torso_from_box(bbox: BoxInFrame) -> f32 {
    0.3 * bbox.width().hypot(bbox.height())
}

/// Mid-shoulder to mid-hip distance of a pose, pixels (None without those keypoints).
pub(super) fn torso_length(pose: &Pose) -> Option<f32> {
    let mid = |a: BodyPart, b: BodyPart| {
        let (ka, kb) = (pose.get(a), pose.get(b));
        (ka.confidence >= MATCH_MIN_CONFIDENCE && kb.confidence >= MATCH_MIN_CONFIDENCE)
            .then(|| ((ka.x + kb.x) / 2.0, (ka.y + kb.y) / 2.0))
    };
    let shoulders = mid(BodyPart::LeftShoulder, BodyPart::RightShoulder)?;
    let hips = mid(BodyPart::LeftHip, BodyPart::RightHip)?;
    let length = (shoulders.0 - hips.0).hypot(shoulders.1 - hips.1);
    (length > 1.0).then_some(length)
}

/// How far apart two poses of (maybe) the same person are: the mean distance of the keypoints
/// confident in both, in units of `scale` pixels. Left and right are compared both ways round
/// (a model may swap them) and the nearer reading taken. Infinite with fewer than 4 keypoints in
/// common.
pub(super) fn pose_distance(a: &Pose, b: &Pose, scale: f32) -> f32 {
    let mean = |mirror: bool| {
        let (mut sum, mut count) = (0.0, 0);
        for part in BodyPart::ALL {
            let other = if mirror { part.mirrored() } else { part };
            let (ka, kb) = (a.get(part), b.get(other));
            if ka.confidence >= MATCH_MIN_CONFIDENCE && kb.confidence >= MATCH_MIN_CONFIDENCE {
                sum += (ka.x - kb.x).hypot(ka.y - kb.y);
                count += 1;
            }
        }
        if count >= 4 {
            sum / count as f32 / scale.max(1.0)
        } else {
            f32::INFINITY
        }
    };
    mean(false).min(mean(true))
}

/// The trunk's angle from vertical, degrees (0 upright, 90 lying), and the larger knee bend,
/// degrees (0 straight); None without shoulders and hips.
fn trunk_and_knee(pose: &Pose) -> Option<(f32, f32)> {
    let point = |part: BodyPart| {
        let k = pose.get(part);
        (k.confidence >= MATCH_MIN_CONFIDENCE).then_some((k.x, k.y))
    };
    let mid = |a: BodyPart, b: BodyPart| match (point(a), point(b)) {
        (Some(p), Some(q)) => Some(((p.0 + q.0) / 2.0, (p.1 + q.1) / 2.0)),
        (p, q) => p.or(q),
    };
    let shoulders = mid(BodyPart::LeftShoulder, BodyPart::RightShoulder)?;
    let hips = mid(BodyPart::LeftHip, BodyPart::RightHip)?;
    let trunk = (shoulders.0 - hips.0)
        .abs()
        .atan2((hips.1 - shoulders.1).abs())
        .to_degrees();
    let bend = |hip: BodyPart, knee: BodyPart, ankle: BodyPart| -> Option<f32> {
        let (h, k, a) = (point(hip)?, point(knee)?, point(ankle)?);
        let (u, v) = ((k.0 - h.0, k.1 - h.1), (a.0 - k.0, a.1 - k.1));
        let cos = (u.0 * v.0 + u.1 * v.1) / (u.0.hypot(u.1) * v.0.hypot(v.1)).max(1e-6);
        Some(cos.clamp(-1.0, 1.0).acos().to_degrees())
    };
    let knee = bend(BodyPart::LeftHip, BodyPart::LeftKnee, BodyPart::LeftAnkle)
        .into_iter()
        .chain(bend(
            BodyPart::RightHip,
            BodyPart::RightKnee,
            BodyPart::RightAnkle,
        ))
        .fold(0.0f32, f32::max);
    Some((trunk, knee))
}

/// Whether a pose is in `posture`.
pub fn is_in_posture(pose: &Pose, posture: Posture) -> bool {
    let Some((trunk, knee)) = trunk_and_knee(pose) else {
        return false;
    };
    match posture {
        Posture::Lying => trunk >= 55.0,
        Posture::Kneeling => trunk <= 35.0 && knee >= 60.0,
        Posture::Standing => trunk <= 35.0 && knee <= 30.0,
    }
}

/// The index of the person `pick` chooses among `people` in a `width` x `height` frame (None
/// when there is nobody).
pub fn choose_subject(people: &[Person], pick: Pick, width: u32, height: u32) -> Option<usize> {
    let by = |key: &dyn Fn(&Person) -> f32| {
        people
            .iter()
            .enumerate()
            .max_by(|a, b| key(a.1).total_cmp(&key(b.1)))
            .map(|(i, _)| i)
    };
    // Size as nearness to the camera: the torso's length (a box's area depends on the posture:
    // a person lying with a leg raised has a larger box than one standing nearer).
    let size = |p: &Person| torso_length(&p.pose).unwrap_or_else(|| torso_from_box(p.bbox));
    match pick {
        Pick::Largest => by(&size),
        Pick::Left => by(&|p: &Person| -p.bbox.centre().0),
        Pick::Right => by(&|p: &Person| p.bbox.centre().0),
        Pick::Center => {
            let (cx, cy) = (width as f32 / 2.0, height as f32 / 2.0);
            by(&|p: &Person| {
                let c = p.bbox.centre();
                -(c.0 - cx).hypot(c.1 - cy)
            })
        }
        Pick::At(x, y) => by(&|p: &Person| {
            let c = p.bbox.centre();
            // Inside a box beats outside; among those, the nearer centre.
            let inside = if p.bbox.contains(x, y) { 1e6 } else { 0.0 };
            inside - (c.0 - x).hypot(c.1 - y)
        }),
        Pick::Auto(posture) => {
            let max_size = people.iter().map(size).fold(0.0, f32::max);
            by(&|p: &Person| {
                let fits = if is_in_posture(&p.pose, posture) {
                    1.0
                } else {
                    0.0
                };
                fits + 0.5 * size(p) / max_size.max(1.0)
            })
        }
    }
}

/// Another candidate for the subject at least this share of the chosen one's size (torso
/// length) makes a choice by size a guess: people within 1.5 times each other's distance from
/// the camera (a therapist a step nearer than the patient). A smaller one is taken for someone
/// further back (passing in the background).
const GUESS_SIZE_RATIO: f32 = 2.0 / 3.0;

/// Whether [`Pick::Auto`] choosing among `people` is a guess: the posture does not single out
/// one person (several are in it, or nobody is) and the one taken for being the largest has a
/// candidate of about its size (two-thirds of its size or more). None for any other pick (the user
/// said who), or when the choice is clear.
pub fn guessed_choice(people: &[Person], pick: Pick) -> Option<Guess> {
    let Pick::Auto(posture) = pick else {
        return None;
    };
    let fitting: Vec<&Person> = people
        .iter()
        .filter(|p| is_in_posture(&p.pose, posture))
        .collect();
    let candidates: Vec<&Person> = match fitting.len() {
        1 => return None,
        0 => people.iter().collect(),
        _ => fitting.clone(),
    };
    let mut sizes: Vec<f32> = candidates
        .iter()
        .map(|p| torso_length(&p.pose).unwrap_or_else(|| torso_from_box(p.bbox)))
        .collect();
    sizes.sort_by(|a, b| b.total_cmp(a));
    match sizes[..] {
        [largest, second, ..] if second >= GUESS_SIZE_RATIO * largest => Some(Guess {
            posture,
            in_posture: fitting.len(),
        }),
        _ => None,
    }
}

/// How long (seconds) one person alone must hold the protocol's posture to settle a choice made
/// with nobody in it (the recording started before the patient lay down): the subject holding it
/// confirms the choice; another person holding it while the subject does not is taken instead.
/// Long enough that a therapist bending over the table for a moment does not take the lock.
pub const POSTURE_SETTLES_S: f64 = 1.0;

/// One person followed from frame to frame: the subject, or someone else in view.
#[derive(Debug, Clone, Copy)]
struct Track {
    /// The last pose seen, frame pixels; a keypoint not seen since keeps its last place.
    pose: Pose,
    /// Frames since the person was last seen.
    missed: usize,
    /// The whole body's motion per frame, pixels (the mean shift of its confident keypoints):
    /// two people crossing are told apart by where each was heading, not only where each was.
    velocity: (f32, f32),
    /// Which keypoints of `pose` were seen in the last frame the person was seen (the others
    /// keep an older place, and say nothing about the motion).
    fresh: [bool; KEYPOINT_COUNT],
}

/// The fastest motion a track predicts, torso lengths per frame: a bad match must not fling
/// the prediction across the frame.
const MAX_SPEED: f32 = 0.3;

/// Frames of motion a prediction carries on: a person unseen for longer may have stopped, and
/// a guess run on further would drift away from where they are.
const MAX_PREDICTED_FRAMES: usize = 3;

impl Track {
    fn new(pose: Pose) -> Track {
        Track {
            pose,
            missed: 0,
            velocity: (0.0, 0.0),
            fresh: pose.keypoints.map(|k| k.confidence >= MATCH_MIN_CONFIDENCE),
        }
    }

    /// The last pose moved on by `frames` frames of its motion (at most
    /// [`MAX_PREDICTED_FRAMES`]).
    fn moved_on(&self, frames: usize) -> Pose {
        let steps = frames.min(MAX_PREDICTED_FRAMES) as f32;
        let mut pose = self.pose;
        for k in &mut pose.keypoints {
            k.x += self.velocity.0 * steps;
            k.y += self.velocity.1 * steps;
        }
        pose
    }

    /// Where the person should be in the coming frame.
    fn predicted(&self) -> Pose {
        self.moved_on(self.missed + 1)
    }

    /// Where the person should be in the frame being answered, after [`Track::seen`] or a miss
    /// has already been counted for it.
    fn now(&self) -> Pose {
        self.moved_on(self.missed)
    }

    /// How far `pose` is from this person (see [`pose_distance`]): from where they should be
    /// or, when nearer, from where they were last seen (a person who stopped while hidden).
    fn distance(&self, pose: &Pose, scale: f32) -> f32 {
        pose_distance(pose, &self.predicted(), scale).min(pose_distance(pose, &self.pose, scale))
    }

    /// Takes the person's pose in this frame.
    fn seen(&mut self, pose: &Pose) {
        let (mut dx, mut dy, mut count) = (0.0, 0.0, 0);
        for ((kept, new), &fresh) in self
            .pose
            .keypoints
            .iter()
            .zip(&pose.keypoints)
            .zip(&self.fresh)
        {
            if fresh && new.confidence >= MATCH_MIN_CONFIDENCE {
                dx += new.x - kept.x;
                dy += new.y - kept.y;
                count += 1;
            }
        }
        if count >= 4 {
            let steps = (self.missed + 1) as f32 * count as f32;
            let (vx, vy) = (dx / steps, dy / steps);
            let limit = MAX_SPEED * torso_length(pose).unwrap_or(100.0);
            let speed = vx.hypot(vy);
            let cap = if speed > limit { limit / speed } else { 1.0 };
            self.velocity = (vx * cap, vy * cap);
        }
        // A keypoint not seen now keeps its last place, for matching the next frame.
        for ((kept, new), fresh) in self
            .pose
            .keypoints
            .iter_mut()
            .zip(pose.keypoints)
            .zip(&mut self.fresh)
        {
            *fresh = new.confidence >= MATCH_MIN_CONFIDENCE;
            if *fresh || kept.confidence < MATCH_MIN_CONFIDENCE {
                *kept = new;
            }
        }
        self.missed = 0;
    }
}

/// The subject's track and its id.
#[derive(Debug, Clone, Copy)]
struct Lock {
    id: u32,
    track: Track,
    /// The choice was a guess, and still stands as one (see [`guessed_choice`]).
    guess: Option<Guess>,
    /// Since when (seconds) the posture has told who is meant while the choice was a guess with
    /// nobody in the posture: one person alone has held it, the subject or another (true when it
    /// is the subject). See [`POSTURE_SETTLES_S`].
    posture_told: Option<(f64, bool)>,
}

/// What the lock asks of the models to follow the subject through one frame.
// A pose is 204 bytes, asked at most three times a frame: boxing it would allocate per question.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ask {
    /// Everyone in view: run the person detector on the whole frame and answer with
    /// [`Seen::People`].
    People,
    /// The single-person model on a crop around this pose (frame pixels): answer with
    /// [`Seen::Crop`].
    CropAround(Pose),
    /// The single-person model alone, searching the frame (used while the detector sees
    /// nobody): answer with [`Seen::Search`].
    Search,
}

/// What the models saw, in answer to an [`Ask`]; frame pixels.
#[derive(Debug, Clone, PartialEq)]
pub enum Seen {
    /// Everyone the detector found, including detections without a clear person.
    People(Vec<Person>),
    /// The single-person model's pose on the crop (None when the crop was empty).
    Crop(Option<Pose>),
    /// The single-person search's pose (no person when it found nobody).
    Search(Pose),
}

/// The lock's next step within a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The models must answer this before the subject is known.
    Ask(Ask),
    /// The subject in this frame.
    Done(Found),
}

/// Where the lock is within the current frame: what it asked, and what it keeps for the answer.
// Poses by value, one phase per frame: see `Ask`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Default)]
enum Phase {
    /// No question open (between frames).
    #[default]
    Idle,
    /// The subject was alone lately: a crop around its last pose, without the detector.
    FollowingAlone,
    /// Waiting for the detector.
    Detecting,
    /// The detector saw nobody clearly: waiting for the single-person search.
    Searching { people: usize, unclear: bool },
    /// The subject was chosen among the detected people: waiting for its refined keypoints.
    Refining {
        person: Person,
        others: Vec<Person>,
        people: usize,
        ambiguous: bool,
    },
    /// The detector did not see the subject: waiting for a crop around where it should be.
    /// `others` are the people seen, nearer someone else's track than the subject's.
    LookingUnseen { people: usize, others: Vec<Person> },
}

/// Follows one subject among several people, as a state machine fed with what the models saw;
/// it never runs a model itself (see [`super::SubjectFinder`] for the loop that does).
///
/// Every frame the person detector finds everyone; the subject is the person nearest the
/// subject's last pose (so the lock holds while bodies overlap); its keypoints are then refined
/// by the single-person model on a crop around it, as accurate as with one person in view. A
/// refined keypoint that landed on another person is overruled by the detector's own keypoint
/// for the subject. Where both models read the subject and someone in close contact as one body,
/// the subject keeps only the keypoints clearly its own, and the other person's track takes
/// theirs. While the subject has been alone, the detector runs only every
/// [`DETECT_EVERY_ALONE`] frames, and no more often than every [`DETECT_EVERY_ALONE_S`]. The
/// lock never jumps to another person while the subject is unseen: it chooses afresh only after
/// [`MAX_MISSED_FRAMES`] frames without the subject.
///
/// Per frame: [`SubjectLock::start_frame`], then [`SubjectLock::answer`] each [`Ask`] until it
/// returns [`Step::Done`] (at most three questions).
#[derive(Debug, Clone)]
pub struct SubjectLock {
    pick: Pick,
    frame_size: (u32, u32),
    lock: Option<Lock>,
    next_id: u32,
    /// The other people lately seen, with the frames since each was last seen: a person hidden
    /// behind the subject still claims the keypoints near where it was.
    rivals: Vec<Track>,
    /// The detector's last run saw the subject alone (and nobody lately).
    alone: bool,
    /// Frames followed since the detector last ran; when it ran, and when this frame was taken
    /// (seconds, the frames' clock).
    frames_since_detection: usize,
    last_detection_s: Option<f64>,
    now_s: f64,
    phase: Phase,
    /// The choice made in this frame was a guess: given to the lock it starts.
    pending_guess: Option<Guess>,
}

impl SubjectLock {
    /// A lock that chooses its subject by `pick` in the first frame with people.
    pub fn new(pick: Pick) -> Self {
        SubjectLock {
            pick,
            frame_size: (0, 0),
            lock: None,
            next_id: 1,
            rivals: Vec::new(),
            alone: false,
            frames_since_detection: 0,
            last_detection_s: None,
            now_s: 0.0,
            phase: Phase::Idle,
            pending_guess: None,
        }
    }

    /// Chooses the subject afresh by `pick` at the next frame (for example after a click).
    pub fn repick(&mut self, pick: Pick) {
        self.pick = pick;
        self.lock = None;
        self.alone = false;
    }

    /// Forgets the subject and everyone else (a new video).
    pub fn reset(&mut self) {
        self.lock = None;
        self.rivals.clear();
        self.alone = false;
        self.last_detection_s = None;
        self.phase = Phase::Idle;
    }

    /// Starts a frame `width` x `height` pixels taken at `time_s` (seconds on the frames' clock;
    /// where it stalls or goes back, frames alone pace the detector): the first question for
    /// the models. A frame left unfinished (a model failed) is abandoned.
    pub fn start_frame(&mut self, width: u32, height: u32, time_s: f64) -> Ask {
        self.frame_size = (width, height);
        self.now_s = time_s;
        // Only a clock that moved forward can ask for a longer wait than the frame count.
        let too_soon = self
            .last_detection_s
            .is_some_and(|t| time_s > t && time_s - t < DETECT_EVERY_ALONE_S);
        let wait = self.frames_since_detection + 1 < DETECT_EVERY_ALONE || too_soon;
        match self.lock {
            Some(lock) if self.alone && wait => {
                self.phase = Phase::FollowingAlone;
                Ask::CropAround(lock.track.predicted())
            }
            _ => self.detect(),
        }
    }

    /// Takes the models' answer to the last question: the next question, or the subject in this
    /// frame. An answer of the wrong kind counts as nothing seen.
    pub fn answer(&mut self, seen: Seen) -> Step {
        match (std::mem::take(&mut self.phase), seen) {
            (Phase::FollowingAlone, Seen::Crop(pose)) => {
                match self.near_subject(pose, MAX_MATCH_DISTANCE) {
                    Some(pose) => {
                        self.frames_since_detection += 1;
                        Step::Done(self.keep(pose, 1, false))
                    }
                    None => Step::Ask(self.detect()),
                }
            }
            (Phase::Detecting, Seen::People(detected)) => self.detected(detected),
            (Phase::Searching { people, unclear }, Seen::Search(pose)) => {
                // Nobody the detector saw: the others are hidden or gone.
                self.remember_rivals(&[]);
                // With a subject locked, only a pose near it is the subject: the search never
                // jumps to someone else.
                let pose = match self.lock {
                    Some(_) => self.near_subject(Some(pose), 1.5 * MAX_MATCH_DISTANCE),
                    None => Some(pose),
                };
                Step::Done(match pose {
                    Some(pose) => self.keep(pose, people, unclear),
                    None => self.missed(people),
                })
            }
            (
                Phase::Refining {
                    person,
                    others,
                    people,
                    ambiguous,
                },
                Seen::Crop(refined),
            ) => Step::Done(self.refined(refined, person, &others, people, ambiguous)),
            (Phase::LookingUnseen { people, others }, Seen::Crop(pose)) => {
                Step::Done(self.looked_where_unseen(pose, people, &others))
            }
            _ => Step::Done(self.missed(0)),
        }
    }

    /// Whether the posture has settled a choice made with nobody in it (see
    /// [`POSTURE_SETTLES_S`]): Some(true) when the subject has held it alone for that long (the
    /// guess stands confirmed), Some(false) when another person has while the subject has not
    /// (they are to be chosen instead); None while it has not, or for any other choice.
    fn posture_settles(&mut self, people: &[Person]) -> Option<bool> {
        let Pick::Auto(posture) = self.pick else {
            return None;
        };
        let now_s = self.now_s;
        let lock = self.lock.as_mut()?;
        if lock.guess.is_none_or(|g| g.in_posture > 0) {
            return None;
        }
        let subject = lock.track.predicted();
        let scale = torso_length(&subject).unwrap_or_else(|| torso_from_box(box_of(&subject)));
        let is_subject = |p: &Person| lock.track.distance(&p.pose, scale) <= MAX_MATCH_DISTANCE;
        let fitting: Vec<&Person> = people
            .iter()
            .filter(|p| is_in_posture(&p.pose, posture))
            .collect();
        // Only with the subject seen in this frame: a subject the detector missed may be in the
        // position all the same (a patient lying low on the table, hidden by the therapist).
        let subject_seen = people.iter().any(&is_subject);
        let told = match fitting[..] {
            [one] if subject_seen => Some(is_subject(one)),
            _ => None,
        };
        let Some(is_subject) = told else {
            lock.posture_told = None;
            return None;
        };
        let since = match lock.posture_told {
            Some((since, was_subject)) if was_subject == is_subject => since,
            _ => now_s,
        };
        lock.posture_told = Some((since, is_subject));
        if now_s - since < POSTURE_SETTLES_S {
            return None;
        }
        if is_subject {
            lock.guess = None;
            lock.posture_told = None;
        }
        Some(is_subject)
    }

    /// `pose` when it is a person within `max_distance` torso lengths of the subject (see
    /// [`Track::distance`]); None without a subject.
    fn near_subject(&self, pose: Option<Pose>, max_distance: f32) -> Option<Pose> {
        let (pose, track) = (pose?, self.lock?.track);
        let scale = torso_length(&track.pose).unwrap_or(100.0);
        (pose.has_person() && track.distance(&pose, scale) <= max_distance).then_some(pose)
    }

    fn detect(&mut self) -> Ask {
        self.pending_guess = None;
        self.frames_since_detection = 0;
        self.last_detection_s = Some(self.now_s);
        self.phase = Phase::Detecting;
        Ask::People
    }

    /// The detector's people: choose or follow the subject among them.
    fn detected(&mut self, detected: Vec<Person>) -> Step {
        // A detection without a clear person is often two bodies the detector could not tell
        // apart.
        let unclear = detected.iter().any(|p| !p.pose.has_person());
        let people: Vec<Person> = detected
            .into_iter()
            .filter(|p| p.pose.has_person())
            .collect();
        let count = people.len();
        self.alone = count == 1 && !unclear && self.rivals.is_empty();
        if people.is_empty() {
            // (Nobody seen holds the test's position.)
            if let Some(lock) = &mut self.lock {
                lock.posture_told = None;
            }
            // The detector saw nobody clearly: the single-person search (sliding windows,
            // tracking crop) may still find a small or unusual figure.
            self.phase = Phase::Searching {
                people: count,
                unclear,
            };
            return Step::Ask(Ask::Search);
        }
        if self.posture_settles(&people) == Some(false) {
            // Another person took the test's position: they are the subject now.
            self.lock = None;
        }
        let (chosen, ambiguous) = match self.lock {
            Some(lock) => {
                let subject = lock.track.predicted();
                let scale =
                    torso_length(&subject).unwrap_or_else(|| torso_from_box(box_of(&subject)));
                let rivals = &self.rivals;
                // Each person's distance from where the subject should be, and from where the
                // nearest other person should be.
                let distances: Vec<(f32, f32)> = people
                    .iter()
                    .map(|p| {
                        let to_rival = rivals
                            .iter()
                            .map(|r| r.distance(&p.pose, scale))
                            .fold(f32::INFINITY, f32::min);
                        (lock.track.distance(&p.pose, scale), to_rival)
                    })
                    .collect();
                // The subject is a person near its prediction and nearer it than any other
                // person's: one who merely stepped into the subject's place is not it.
                let best = distances
                    .iter()
                    .enumerate()
                    .filter(|(_, &(d, to_rival))| d <= MAX_MATCH_DISTANCE && d <= to_rival)
                    .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
                    .map(|(i, &(d, to_rival))| (i, d, to_rival));
                let Some((best, best_distance, to_rival)) = best else {
                    // The detector did not see the subject (or merged it with someone): look
                    // where it should be with the single-person model, never jumping to someone
                    // else.
                    let others = people
                        .iter()
                        .zip(&distances)
                        .filter(|(_, &(d, to_rival))| to_rival < d)
                        .map(|(p, _)| *p)
                        .collect();
                    self.phase = Phase::LookingUnseen {
                        people: count,
                        others,
                    };
                    return Step::Ask(Ask::CropAround(subject));
                };
                let near_enough = |d: f32| {
                    d < MAX_MATCH_DISTANCE && d < AMBIGUITY_RATIO * best_distance.max(0.05)
                };
                let rival = near_enough(to_rival)
                    || distances
                        .iter()
                        .enumerate()
                        .any(|(i, &(d, _))| i != best && near_enough(d));
                (best, rival)
            }
            None => {
                let (width, height) = self.frame_size;
                self.pending_guess = guessed_choice(&people, self.pick);
                match choose_subject(&people, self.pick, width, height) {
                    Some(i) => (i, false),
                    None => return Step::Done(self.missed(count)),
                }
            }
        };
        let person = people[chosen];
        let others: Vec<Person> = people
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != chosen)
            .map(|(_, p)| *p)
            .collect();
        self.phase = Phase::Refining {
            person,
            others,
            people: count,
            ambiguous,
        };
        Step::Ask(Ask::CropAround(person.pose))
    }

    /// The chosen person's refined keypoints, checked against the detector's.
    fn refined(
        &mut self,
        refined: Option<Pose>,
        person: Person,
        others: &[Person],
        people: usize,
        ambiguous: bool,
    ) -> Found {
        let refined = refined.unwrap_or(person.pose);
        let expected = self.lock.map(|l| l.track.predicted());
        let (pose, overruled) = if refined.has_person() {
            overrule_drift(&refined, &person, others, expected.as_ref())
        } else {
            (person.pose, false)
        };
        self.remember_rivals(others);
        let Some(last) = self.lock.map(|l| l.track.predicted()) else {
            return self.keep(pose, people, ambiguous || overruled);
        };
        // Someone the detector did not see now may be merged into this reading (a therapist in
        // close contact read as one body with the client): only the keypoints clearly the
        // subject's rather than theirs are taken.
        let unseen: Vec<Pose> = self
            .rivals
            .iter()
            .filter(|r| r.missed > 0)
            .map(Track::now)
            .collect();
        let (pose, disowned) = self.disown(&pose, &last);
        let scale = torso_length(&last).unwrap_or(100.0);
        let kept = clearly_own(&pose, &last, &unseen, scale);
        let doubted =
            kept.confident_count(MATCH_MIN_CONFIDENCE) < pose.confident_count(MATCH_MIN_CONFIDENCE);
        self.keep(kept, people, ambiguous || overruled || disowned || doubted)
    }

    /// The subject where the detector missed it: the single-person model's pose on a crop around
    /// its last pose, with the keypoints that lie on other people dropped, accepted only when
    /// what is left is near that pose.
    fn looked_where_unseen(
        &mut self,
        pose: Option<Pose>,
        people: usize,
        others: &[Person],
    ) -> Found {
        // The people seen now are someone else's: their tracks move on whatever the crop shows.
        self.remember_rivals(others);
        let (Some(pose), Some(last)) = (pose, self.lock.map(|l| l.track.predicted())) else {
            return self.missed(people);
        };
        // Keypoints on others first, then the judgement on what is left: where a therapist is in
        // close contact, both models can read the two as one body (the therapist's head and
        // shoulders on the client's hips and legs), which as a whole is nearer the therapist's
        // track than the client's.
        let (pose, _) = self.disown(&pose, &last);
        // Unconfirmed by the detector, only the keypoints clearly nearer the subject's than
        // anyone else's are taken: what is left of a merged reading may still hold a limb of the
        // other person that their track does not claim as its own (read left for right, or
        // placed a little off).
        let scale = torso_length(&last).unwrap_or(100.0);
        let others: Vec<Pose> = self.rivals.iter().map(Track::now).collect();
        let pose = clearly_own(&pose, &last, &others, scale);
        // Looser than a detector match: the crop is already centred on the subject.
        let Some(pose) = self.near_subject(Some(pose), 1.5 * MAX_MATCH_DISTANCE) else {
            return self.missed(people);
        };
        // A crop that found another person (nearer their track than the subject's) is not the
        // subject.
        let own = pose_distance(&pose, &last, scale);
        if self
            .rivals
            .iter()
            .any(|r| pose_distance(&pose, &r.now(), scale) < own)
        {
            return self.missed(people);
        }
        self.keep(pose, people, true)
    }

    /// `pose` without the keypoints that lie on other people remembered (see
    /// [`disown_rival_keypoints`]), `last` being where the subject should be; returns whether any
    /// was dropped. A rival the detector did not see now whose keypoints these are was seen after
    /// all, merged into the subject's reading (a therapist in close contact): its track takes
    /// them, so that it is not forgotten while the merge lasts and keeps claiming them.
    fn disown(&mut self, pose: &Pose, last: &Pose) -> (Pose, bool) {
        let (pose_left, claimed) = disown_rival_keypoints(pose, last, &self.rivals);
        for (i, rival) in self.rivals.iter_mut().enumerate() {
            if rival.missed == 0 {
                continue;
            }
            let mut sighting = Pose::nobody();
            for part in BodyPart::ALL {
                if claimed[part.index()] == Some(i) {
                    sighting.keypoints[part.index()] = pose.get(part);
                }
            }
            // Several keypoints, as a match needs: one keypoint of the subject's that happens to
            // lie where a person who left had theirs must not keep that person's track alive.
            if sighting.confident_count(MATCH_MIN_CONFIDENCE) >= MIN_SIGHTING_KEYPOINTS {
                rival.seen(&sighting);
            }
        }
        (pose_left, claimed.iter().any(Option::is_some))
    }

    /// Updates the other people: those seen now, and those seen lately that no one seen now is
    /// (hidden, or merged with the subject by the detector).
    fn remember_rivals(&mut self, others: &[Person]) {
        let mut old = std::mem::take(&mut self.rivals);
        // Where the subject should be in this frame.
        let subject = self.lock.map(|l| l.track.predicted());
        for person in others {
            // The track of the person seen now: the nearest remembered one, when near.
            let scale = torso_length(&person.pose).unwrap_or_else(|| torso_from_box(person.bbox));
            let nearest = old
                .iter()
                .enumerate()
                .map(|(i, r)| (i, r.distance(&person.pose, scale)))
                .filter(|&(_, d)| d < MAX_MATCH_DISTANCE)
                .min_by(|a, b| a.1.total_cmp(&b.1));
            let mut track = match nearest {
                Some((i, _)) => old.swap_remove(i),
                None => Track::new(Pose::nobody()),
            };
            // Two bodies in close contact read as one: the keypoints that lie on the subject's
            // are not this person's, and must not drag their track onto the subject.
            let pose = match &subject {
                Some(subject) => off_the_subject(&person.pose, &track.predicted(), subject),
                None => person.pose,
            };
            track.seen(&pose);
            self.rivals.push(track);
        }
        // Those not seen now are hidden, or merged with the subject by the detector.
        for mut track in old {
            track.missed += 1;
            if track.missed <= MAX_MISSED_FRAMES {
                self.rivals.push(track);
            }
        }
    }

    fn keep(&mut self, pose: Pose, people: usize, ambiguous: bool) -> Found {
        if !pose.has_person() {
            return self.missed(people);
        }
        let (id, guessed) = match &mut self.lock {
            Some(lock) => {
                lock.track.seen(&pose);
                (lock.id, lock.guess)
            }
            None => {
                // Chosen among people followed as others until now (the subject lost and another
                // chosen, or the one who took the test's position): their own track would claim
                // them from the subject.
                let scale = torso_length(&pose).unwrap_or_else(|| torso_from_box(box_of(&pose)));
                // (Those seen in this frame are others: a therapist in close contact stays.)
                self.rivals
                    .retain(|r| r.missed == 0 || r.distance(&pose, scale) > MAX_MATCH_DISTANCE);
                let id = self.next_id;
                self.next_id += 1;
                let guess = self.pending_guess.take();
                self.lock = Some(Lock {
                    id,
                    track: Track::new(pose),
                    guess,
                    posture_told: None,
                });
                (id, guess)
            }
        };
        Found {
            pose,
            subject_id: Some(id),
            people,
            ambiguous,
            guessed,
        }
    }

    fn missed(&mut self, people: usize) -> Found {
        if let Some(lock) = &mut self.lock {
            lock.track.missed += 1;
            if lock.track.missed > MAX_MISSED_FRAMES {
                self.lock = None;
            }
        }
        Found {
            pose: Pose::nobody(),
            subject_id: None,
            people,
            ambiguous: false,
            guessed: None,
        }
    }
}

/// The box around a pose's confident keypoints.
fn box_of(pose: &Pose) -> BoxInFrame {
    let mut b = BoxInFrame {
        left: f32::MAX,
        top: f32::MAX,
        right: f32::MIN,
        bottom: f32::MIN,
    };
    for k in pose
        .keypoints
        .iter()
        .filter(|k| k.confidence >= MATCH_MIN_CONFIDENCE)
    {
        b.left = b.left.min(k.x);
        b.top = b.top.min(k.y);
        b.right = b.right.max(k.x);
        b.bottom = b.bottom.max(k.y);
    }
    if b.left > b.right {
        BoxInFrame::default()
    } else {
        b
    }
}

/// The refined pose, with each keypoint that moved onto another person (far from the subject's
/// own detected keypoint, near one of the other person's) replaced by the detector's keypoint;
/// the whole detected pose when the refined one is nearer another person than the subject.
/// Returns whether anything was overruled.
fn overrule_drift(
    refined: &Pose,
    subject: &Person,
    others: &[Person],
    expected: Option<&Pose>,
) -> (Pose, bool) {
    if others.is_empty() {
        return (*refined, false);
    }
    let scale = torso_length(&subject.pose)
        .or_else(|| torso_length(refined))
        .unwrap_or_else(|| torso_from_box(subject.bbox));
    let own = pose_distance(refined, &subject.pose, scale);
    if others
        .iter()
        .any(|o| pose_distance(refined, &o.pose, scale) < own)
    {
        return (subject.pose, true);
    }
    let mut keypoints = refined.keypoints;
    let mut overruled = false;
    for (i, k) in keypoints.iter_mut().enumerate() {
        let detected = subject.pose.keypoints[i];
        if k.confidence < MATCH_MIN_CONFIDENCE || detected.confidence < MATCH_MIN_CONFIDENCE {
            continue;
        }
        // Beyond the two models' usual disagreement, and on another person's keypoint, clearly
        // nearer it than the subject's own: the therapist's knee beside the patient's held
        // ankle can be a fifth of a torso away.
        let from_own = (k.x - detected.x).hypot(k.y - detected.y) / scale;
        if from_own < 0.1 {
            continue;
        }
        // Only against where the subject's own track expects this keypoint: a refined keypoint
        // there is the subject's, even with a hand on it and the detector a little off. Without
        // a track yet (the lock's first frame) there is nothing to tell a hand from a drift by.
        let Some(expected) = expected
            .map(|e| e.keypoints[i])
            .filter(|e| e.confidence >= MATCH_MIN_CONFIDENCE)
        else {
            continue;
        };
        if (k.x - expected.x).hypot(k.y - expected.y) / scale < 0.1 {
            continue;
        }
        let on_other = others.iter().any(|o| {
            o.pose.keypoints.iter().any(|ok| {
                let d = (k.x - ok.x).hypot(k.y - ok.y) / scale;
                ok.confidence >= MATCH_MIN_CONFIDENCE && d < 0.25 && d < 0.5 * from_own
            })
        });
        if on_other {
            *k = Keypoint {
                confidence: k.confidence.min(detected.confidence),
                ..detected
            };
            overruled = true;
        }
    }
    (Pose::from_keypoints(keypoints), overruled)
}

/// The pose with each keypoint dropped (confidence 0) that lies on a rival's keypoint of the
/// same part (within a fifth of a torso), at most half as far from it as from the subject's last
/// place for it, which is more than a quarter of a torso away: where two bodies overlap, the
/// models take a hidden limb from the body in front. Also returns, per keypoint, the index in
/// `rivals` of the rival it was dropped for.
fn disown_rival_keypoints(
    pose: &Pose,
    last: &Pose,
    rivals: &[Track],
) -> (Pose, [Option<usize>; KEYPOINT_COUNT]) {
    let mut claimed = [None; KEYPOINT_COUNT];
    if rivals.is_empty() {
        return (*pose, claimed);
    }
    let Some(scale) = torso_length(last).or_else(|| torso_length(pose)) else {
        return (*pose, claimed);
    };
    let mut keypoints = pose.keypoints;
    for part in BodyPart::ALL {
        let k = &mut keypoints[part.index()];
        let own = last.get(part);
        if k.confidence < MATCH_MIN_CONFIDENCE || own.confidence < MATCH_MIN_CONFIDENCE {
            continue;
        }
        let from_own = (k.x - own.x).hypot(k.y - own.y);
        if from_own < 0.25 * scale {
            continue;
        }
        let nearest_rival = rivals
            .iter()
            .enumerate()
            .map(|(i, r)| (i, r.now().get(part)))
            .filter(|(_, r)| r.confidence >= MATCH_MIN_CONFIDENCE)
            .map(|(i, r)| (i, (k.x - r.x).hypot(k.y - r.y)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        // On the rival's own keypoint, and clearly nearer it than the subject's last place.
        if let Some((i, from_rival)) = nearest_rival {
            if from_rival < 0.2 * scale && from_rival < 0.5 * from_own {
                k.confidence = 0.0;
                claimed[part.index()] = Some(i);
            }
        }
    }
    (Pose::from_keypoints(keypoints), claimed)
}

/// The distance from `k` to `other`'s keypoint of `part` or of its mirror image, whichever is
/// nearer (a model may swap left and right); infinite when `other` has neither.
fn distance_either_side(k: &Keypoint, other: &Pose, part: BodyPart) -> f32 {
    [part, part.mirrored()]
        .into_iter()
        .map(|p| other.get(p))
        .filter(|o| o.confidence >= MATCH_MIN_CONFIDENCE)
        .map(|o| (k.x - o.x).hypot(k.y - o.y))
        .fold(f32::INFINITY, f32::min)
}

/// Another person's reading without the keypoints (confidence 0) that lie on the subject's:
/// within a fifth of the subject's torso of where the subject's keypoint of that part (or its
/// mirror image) should be, and at most half as far from it as from this person's own expected
/// keypoint (`own`; a person new to the lock has none, and gives up any keypoint on the subject).
fn off_the_subject(pose: &Pose, own: &Pose, subject: &Pose) -> Pose {
    let Some(scale) = torso_length(subject) else {
        return *pose;
    };
    without_keypoints_where(pose, |part, k| {
        let on_subject = distance_either_side(k, subject, part);
        let own = own.get(part);
        let from_own = if own.confidence >= MATCH_MIN_CONFIDENCE {
            (k.x - own.x).hypot(k.y - own.y)
        } else {
            f32::INFINITY
        };
        on_subject < 0.2 * scale && on_subject < 0.5 * from_own
    })
}

/// The pose with only the keypoints clearly one person's: at least twice as far from every
/// other person's keypoint of the same part or its mirror image as from where this person's
/// is expected (`own`; either way round too: a model may swap left and right), and a quarter of
/// a torso (`scale` pixels) from them at least. The others are dropped (confidence 0).
fn clearly_own(pose: &Pose, own: &Pose, others: &[Pose], scale: f32) -> Pose {
    without_keypoints_where(pose, |part, k| {
        let from_own = distance_either_side(k, own, part);
        let from_others = others
            .iter()
            .map(|o| distance_either_side(k, o, part))
            .fold(f32::INFINITY, f32::min);
        // A part this person was never seen with is theirs unless it is on someone else's.
        from_others < 0.25 * scale || (from_own.is_finite() && from_others < 2.0 * from_own)
    })
}

/// The pose with each confident keypoint for which `drop(part, keypoint)` holds dropped
/// (confidence 0).
fn without_keypoints_where(pose: &Pose, drop: impl Fn(BodyPart, &Keypoint) -> bool) -> Pose {
    let mut keypoints = pose.keypoints;
    for part in BodyPart::ALL {
        let k = &mut keypoints[part.index()];
        if k.confidence >= MATCH_MIN_CONFIDENCE && drop(part, k) {
            k.confidence = 0.0;
        }
    }
    Pose::from_keypoints(keypoints)
}

/// Who else was in view, and how sure the subject lock was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PeopleSeen {
    /// The most people seen in one frame.
    pub most: usize,
    /// Frames with more than one person.
    pub frames_with_several: usize,
    /// Frames where another person was about as likely to be the subject, or where the
    /// single-person model drifted onto another body and was overruled.
    pub ambiguous_frames: usize,
    /// Times a subject was chosen: more than one means the subject was lost and another (or the
    /// same) person chosen again.
    pub locks: usize,
    /// Whether the subject was chosen by a guess that still stood in the last frame with a
    /// subject (see [`guessed_choice`]).
    pub guessed: Option<Guess>,
}

impl PeopleSeen {
    /// Counts one frame.
    pub fn add(&mut self, found: &Found, last_id: &mut Option<u32>) {
        self.most = self.most.max(found.people);
        self.frames_with_several += usize::from(found.people > 1);
        self.ambiguous_frames += usize::from(found.ambiguous);
        if found.subject_id.is_some() && found.subject_id != *last_id {
            self.locks += 1;
            *last_id = found.subject_id;
        }
        if found.subject_id.is_some() {
            self.guessed = found.guessed;
        }
    }
}
