//! The subject lock as a state machine, driven with synthetic stick figures: a simulated
//! detector and single-person model answer its questions from a scene whose truth is known, so
//! each test checks that the person measured is the person meant, frame by frame.

mod synthetic;

use gonio::angles::Side;
use gonio::pose::{
    Ask, BodyPart, BoxInFrame, Found, Guess, PeopleSeen, Person, Pick, Pose, Posture, Seen, Step,
    SubjectLock, DETECT_EVERY_ALONE, DETECT_EVERY_ALONE_S, MAX_MISSED_FRAMES,
};
use gonio::protocols::{Warning, WarningKind};
use synthetic::{render, Body, Placement, Posture as Figure};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;

/// One frame of a scene: everyone in it, and what the models make of them.
#[derive(Debug, Clone, Default)]
struct Frame {
    /// Everyone in view (truth), by identity: index 0 is the subject meant.
    people: Vec<Option<Pose>>,
    /// Who the detector reports: the others are hidden behind someone or merged into them.
    detected: Vec<usize>,
    /// The single-person model moves this keypoint of the person it finds to this point (it
    /// drifted onto another body).
    drift: Option<(BodyPart, (f32, f32))>,
    /// The detector reports this keypoint of the subject this far off, pixels (the detector is
    /// less precise than the single-person model).
    detector_error: Option<(BodyPart, (f32, f32))>,
    /// Both models read the subject and the person at index 1 as one body, this one (parts of
    /// each): the detector reports it alone, and a crop around either person finds it (with
    /// `drift` applied).
    merged: Option<Pose>,
}

impl Frame {
    fn with(people: Vec<Option<Pose>>) -> Frame {
        let detected = (0..people.len()).filter(|&i| people[i].is_some()).collect();
        Frame {
            people,
            detected,
            drift: None,
            detector_error: None,
            merged: None,
        }
    }

    /// `pose` as the single-person model reads it in this frame: with [`Frame::drift`] applied.
    fn drifted(&self, mut pose: Pose) -> Pose {
        if let Some((part, (x, y))) = self.drift {
            pose.keypoints[part.index()].x = x;
            pose.keypoints[part.index()].y = y;
        }
        pose
    }
}

/// The models' answers, and how often the detector ran.
#[derive(Debug, Default)]
struct Models {
    detector_runs: usize,
}

fn box_of(pose: &Pose) -> BoxInFrame {
    let xs = pose.keypoints.iter().map(|k| k.x);
    let ys = pose.keypoints.iter().map(|k| k.y);
    BoxInFrame {
        left: xs.clone().fold(f32::MAX, f32::min),
        right: xs.fold(f32::MIN, f32::max),
        top: ys.clone().fold(f32::MAX, f32::min),
        bottom: ys.fold(f32::MIN, f32::max),
    }
}

/// Mean distance between the keypoints confident in both poses, pixels.
fn distance(a: &Pose, b: &Pose) -> f32 {
    let (mut sum, mut count) = (0.0, 0);
    for (ka, kb) in a.keypoints.iter().zip(&b.keypoints) {
        if ka.confidence >= 0.3 && kb.confidence >= 0.3 {
            sum += (ka.x - kb.x).hypot(ka.y - kb.y);
            count += 1;
        }
    }
    if count == 0 {
        f32::INFINITY
    } else {
        sum / count as f32
    }
}

impl Models {
    /// Runs the lock through one frame, answering its questions from the scene.
    fn frame(&mut self, lock: &mut SubjectLock, frame: &Frame, time_s: f64) -> Found {
        let mut ask = lock.start_frame(WIDTH, HEIGHT, time_s);
        for _ in 0..3 {
            let seen = match ask {
                Ask::People if frame.merged.is_some() => {
                    self.detector_runs += 1;
                    Seen::People(
                        frame
                            .merged
                            .iter()
                            .map(|&pose| Person {
                                pose,
                                bbox: box_of(&pose),
                                score: 0.9,
                            })
                            .collect(),
                    )
                }
                Ask::CropAround(_) if frame.merged.is_some() => {
                    Seen::Crop(frame.merged.map(|pose| frame.drifted(pose)))
                }
                Ask::People => {
                    self.detector_runs += 1;
                    Seen::People(
                        frame
                            .detected
                            .iter()
                            .filter_map(|&i| {
                                let mut pose = frame.people[i]?;
                                if let (0, Some((part, (dx, dy)))) = (i, frame.detector_error) {
                                    pose.keypoints[part.index()].x += dx;
                                    pose.keypoints[part.index()].y += dy;
                                }
                                Some(pose)
                            })
                            .map(|pose| Person {
                                pose,
                                bbox: box_of(&pose),
                                score: 0.9,
                            })
                            .collect(),
                    )
                }
                // The single-person model finds the body that best fills the crop: the person
                // whose keypoints lie nearest those it was centred on, if any is near.
                Ask::CropAround(around) => Seen::Crop(
                    frame
                        .people
                        .iter()
                        .flatten()
                        .map(|p| (distance(p, &around), p))
                        .filter(|(d, _)| *d < 150.0)
                        .min_by(|a, b| a.0.total_cmp(&b.0))
                        .map(|(_, p)| frame.drifted(*p)),
                ),
                // The whole-frame search finds nobody the detector missed in these scenes.
                Ask::Search => Seen::Search(Pose::nobody()),
            };
            match lock.answer(seen) {
                Step::Ask(next) => ask = next,
                Step::Done(found) => return found,
            }
        }
        panic!("the lock asked more than three questions in one frame");
    }
}

/// Runs a whole scene: each frame's result, and the people seen over it.
/// Runs the lock through `frames` taken at 30 frames/s.
fn run(pick: Pick, frames: &[Frame]) -> (Vec<Found>, PeopleSeen, Models) {
    run_at(pick, frames, 30.0)
}

/// Runs the lock through `frames` taken at `fps` frames per second.
fn run_at(pick: Pick, frames: &[Frame], fps: f64) -> (Vec<Found>, PeopleSeen, Models) {
    run_timed(pick, frames, |f| f as f64 / fps)
}

/// Runs the lock through `frames`, frame `f` taken at `time_s(f)` seconds.
fn run_timed(
    pick: Pick,
    frames: &[Frame],
    time_s: impl Fn(usize) -> f64,
) -> (Vec<Found>, PeopleSeen, Models) {
    let mut lock = SubjectLock::new(pick);
    let mut models = Models::default();
    let mut seen = PeopleSeen::default();
    let mut last_id = None;
    let found: Vec<Found> = frames
        .iter()
        .enumerate()
        .map(|(f, frame)| {
            let found = models.frame(&mut lock, frame, time_s(f));
            seen.add(&found, &mut last_id);
            found
        })
        .collect();
    (found, seen, models)
}

/// Whether the found pose is the subject's (index 0) rather than anyone else's in the frame.
fn is_subject(found: &Found, frame: &Frame) -> bool {
    let Some(subject) = frame.people[0] else {
        return false;
    };
    let own = distance(&found.pose, &subject);
    own < 10.0
        && frame.people[1..]
            .iter()
            .flatten()
            .all(|other| distance(&found.pose, other) > own)
}

fn standing(towards_right: bool, thigh_px: f32, hip_at: (f32, f32)) -> Placement {
    Placement {
        thigh_px,
        hip_at,
        ..Placement::new(Figure::Standing, towards_right)
    }
}

/// A walking stride at frame `f`: the legs swing in opposition.
fn stride(f: usize) -> Body {
    let swing = 25.0 * (f as f32 * 0.4).sin();
    let mut body = Body::default();
    body.left.hip_flexion = swing;
    body.right.hip_flexion = -swing;
    body.left.knee_flexion = 10.0 + swing.max(0.0);
    body.right.knee_flexion = 10.0 + (-swing).max(0.0);
    body
}

#[test]
fn two_people_crossing_keep_their_identities() {
    // A walks right, B walks left at the same depth; they cross at frame 30, and for the frames
    // where they overlap the detector reports only B, in front.
    let frames: Vec<Frame> = (0..60)
        .map(|f| {
            let xa = 300.0 + 10.0 * f as f32;
            let xb = 900.0 - 10.0 * f as f32;
            let a = render(&standing(true, 100.0, (xa, 400.0)), &stride(f));
            let b = render(&standing(false, 100.0, (xb, 400.0)), &stride(f + 7));
            let mut frame = Frame::with(vec![Some(a), Some(b)]);
            if (xa - xb).abs() < 60.0 {
                frame.detected = vec![1];
            }
            frame
        })
        .collect();
    let (found, seen, _) = run(Pick::Left, &frames);
    for (f, (found, frame)) in found.iter().zip(&frames).enumerate() {
        assert!(
            found.subject_id.is_none() || found.subject_id == Some(1),
            "frame {f}: another subject was chosen ({:?})",
            found.subject_id
        );
        if found.pose.has_person() {
            assert!(is_subject(found, frame), "frame {f}: the lock jumped to B");
        }
    }
    let followed = found.iter().filter(|f| f.pose.has_person()).count();
    assert!(followed >= 57, "A followed in only {followed} of 60 frames");
    assert!(
        found[40..].iter().all(|f| f.pose.has_person()),
        "A lost after the crossing"
    );
    // The overlap is reported, so the result carries a doubt.
    assert!(seen.ambiguous_frames > 0);
    assert_eq!(seen.locks, 1);
    assert_eq!(seen.most, 2);
}

/// Frame `f` of 60 at the table: the patient lying on the back raising the right leg from 0 to
/// 70 degrees, and the therapist (larger in the picture) kneeling at the feet, facing the patient.
fn at_the_table(f: usize) -> (Pose, Pose) {
    let patient_at = Placement {
        hip_at: (450.0, 520.0),
        ..Placement::new(Figure::Supine, true)
    };
    let therapist_at = Placement {
        thigh_px: 120.0,
        hip_at: (760.0, 400.0),
        ..Placement::new(Figure::Kneeling, false)
    };
    let mut therapist_body = Body::default();
    for side in [Side::Left, Side::Right] {
        therapist_body.leg_mut(side).hip_flexion = 90.0;
        therapist_body.leg_mut(side).knee_flexion = 90.0;
    }
    let mut body = Body::default();
    body.right.hip_flexion = 70.0 * f as f32 / 59.0;
    (
        render(&patient_at, &body),
        render(&therapist_at, &therapist_body),
    )
}

#[test]
fn a_therapist_kneeling_beside_the_patient_and_holding_the_leg_is_never_measured() {
    // The patient lies on the back raising the right leg (straight-leg raise) from 0 to 70
    // degrees; the therapist, larger in the picture, kneels at the feet facing the patient,
    // hands on the raised ankle. In frames 20-39 the single-person model's right ankle drifts
    // onto the therapist's knee.
    let therapist_knee = at_the_table(0).1.get(BodyPart::LeftKnee);
    let frames: Vec<Frame> = (0..60)
        .map(|f| {
            let (patient, mut therapist) = at_the_table(f);
            let ankle = patient.get(BodyPart::RightAnkle);
            for wrist in [BodyPart::LeftWrist, BodyPart::RightWrist] {
                therapist.keypoints[wrist.index()].x = ankle.x + 5.0;
                therapist.keypoints[wrist.index()].y = ankle.y;
            }
            let mut frame = Frame::with(vec![Some(patient), Some(therapist)]);
            if (20..40).contains(&f) {
                frame.drift = Some((BodyPart::RightAnkle, (therapist_knee.x, therapist_knee.y)));
            }
            frame
        })
        .collect();
    let (found, seen, _) = run(Pick::Auto(Posture::Lying), &frames);
    for (f, (found, frame)) in found.iter().zip(&frames).enumerate() {
        assert_eq!(found.subject_id, Some(1), "frame {f}: the patient was lost");
        assert!(is_subject(found, frame), "frame {f}: not the patient");
        let (Some(patient), ankle) = (frame.people[0], found.pose.get(BodyPart::RightAnkle)) else {
            unreachable!()
        };
        let truth = patient.get(BodyPart::RightAnkle);
        assert!(
            (ankle.x - truth.x).hypot(ankle.y - truth.y) < 1.0,
            "frame {f}: the measured ankle is at ({:.0}, {:.0}), the patient's at ({:.0}, {:.0})",
            ankle.x,
            ankle.y,
            truth.x,
            truth.y
        );
        if (20..40).contains(&f) {
            assert!(found.ambiguous, "frame {f}: the drift was not reported");
        }
    }
    assert_eq!(seen.locks, 1);
    // Only the patient lies: the posture told who is meant.
    assert_eq!(seen.guessed, None);
}

#[test]
fn someone_walking_behind_the_subject_does_not_take_the_lock() {
    // The subject stands bending forward and back (a toe touch); a smaller person walks across
    // behind, hidden from the detector while passing behind the subject.
    let frames: Vec<Frame> = (0..90)
        .map(|f| {
            let body = Body {
                trunk_lean: 60.0 * (f as f32 / 89.0 * std::f32::consts::PI).sin(),
                ..Body::default()
            };
            let subject = render(&standing(true, 100.0, (640.0, 420.0)), &body);
            let xw = 100.0 + 12.0 * f as f32;
            let walker = render(&standing(true, 60.0, (xw, 330.0)), &stride(f));
            let mut frame = Frame::with(vec![Some(subject), Some(walker)]);
            if (xw - 640.0).abs() < 120.0 {
                frame.detected = vec![0];
            }
            frame
        })
        .collect();
    let (found, seen, _) = run(Pick::Auto(Posture::Standing), &frames);
    for (f, (found, frame)) in found.iter().zip(&frames).enumerate() {
        assert_eq!(found.subject_id, Some(1), "frame {f}: the subject was lost");
        assert!(is_subject(found, frame), "frame {f}: not the subject");
    }
    assert_eq!(seen.locks, 1);
    assert_eq!(seen.most, 2);
    // Both stand, but the walker is well behind (0.6 of the subject's size): not a guess.
    assert_eq!(seen.guessed, None);
}

fn alone(f: usize) -> Pose {
    let mut body = Body::default();
    body.right.hip_flexion = 40.0 * (f as f32 * 0.2).sin().abs();
    render(&standing(true, 100.0, (640.0, 420.0)), &body)
}

#[test]
fn the_subject_leaving_briefly_is_the_same_subject_on_return() {
    let frames: Vec<Frame> = (0..60)
        .map(|f| {
            let present = !(20..40).contains(&f);
            Frame::with(vec![present.then(|| alone(f))])
        })
        .collect();
    const { assert!(20 <= MAX_MISSED_FRAMES) };
    let (found, seen, _) = run(Pick::Largest, &frames);
    for (f, found) in found.iter().enumerate() {
        if (20..40).contains(&f) {
            assert!(!found.pose.has_person(), "frame {f}: a subject out of view");
            assert_eq!(found.subject_id, None);
        } else {
            assert_eq!(found.subject_id, Some(1), "frame {f}");
        }
    }
    assert_eq!(seen.locks, 1);
    assert!(Warning::from_people(&seen, 60).is_empty());
}

#[test]
fn the_subject_gone_long_is_chosen_again_and_the_result_says_so() {
    let away = MAX_MISSED_FRAMES + 10;
    let frames: Vec<Frame> = (0..away + 40)
        .map(|f| {
            let present = !(20..20 + away).contains(&f);
            Frame::with(vec![present.then(|| alone(f))])
        })
        .collect();
    let (found, seen, _) = run(Pick::Largest, &frames);
    assert_eq!(found[19].subject_id, Some(1));
    assert_eq!(found[20 + away].subject_id, Some(2));
    assert_eq!(seen.locks, 2);
    let warnings = Warning::from_people(&seen, frames.len());
    assert!(
        warnings
            .iter()
            .any(|w| w.kind == WarningKind::ChosenAgain && w.value == Some(1.0)),
        "{warnings:?}"
    );
}

#[test]
fn while_the_subject_is_away_the_lock_never_measures_the_other_person() {
    // A (the leftmost, chosen) and B stand apart; A leaves for 20 frames while B stays.
    let frames: Vec<Frame> = (0..60)
        .map(|f| {
            let a = (!(20..40).contains(&f))
                .then(|| render(&standing(true, 100.0, (400.0, 420.0)), &Body::default()));
            let b = render(&standing(false, 100.0, (900.0, 420.0)), &stride(f));
            Frame::with(vec![a, Some(b)])
        })
        .collect();
    let (found, seen, _) = run(Pick::Left, &frames);
    for (f, (found, frame)) in found.iter().zip(&frames).enumerate() {
        if (20..40).contains(&f) {
            assert!(
                !found.pose.has_person(),
                "frame {f}: B measured in A's place"
            );
        } else {
            assert_eq!(found.subject_id, Some(1), "frame {f}");
            assert!(is_subject(found, frame), "frame {f}");
        }
    }
    assert_eq!(seen.locks, 1);
}

#[test]
fn alone_the_detector_runs_rarely_and_still_sees_a_newcomer() {
    // The subject alone for one second; then a second person stands in view. The detector's pace
    // is every fifth frame, at most every 0.155 s: at 60 frames/s it runs on half as many frames
    // as at 30, at 10 on every fifth as before, and the newcomer is seen within one look.
    for fps in [10.0, 30.0, 60.0] {
        let alone_frames = fps as usize;
        let frames: Vec<Frame> = (0..2 * alone_frames)
            .map(|f| {
                let other = (f >= alone_frames)
                    .then(|| render(&standing(false, 90.0, (1000.0, 420.0)), &Body::default()));
                Frame::with(vec![Some(alone(f)), other])
            })
            .collect();
        let frames_per_look = DETECT_EVERY_ALONE.max((DETECT_EVERY_ALONE_S * fps).ceil() as usize);
        let (found, _, models) = run_at(Pick::Largest, &frames[..alone_frames], fps);
        assert!(found.iter().all(|f| f.subject_id == Some(1)));
        assert!(
            models.detector_runs <= alone_frames / frames_per_look + 1,
            "{fps} frames/s: the detector ran {} times in {alone_frames} frames with the subject alone",
            models.detector_runs
        );
        assert!(
            models.detector_runs >= alone_frames / frames_per_look,
            "{fps} frames/s: the detector ran only {} times in {alone_frames} frames",
            models.detector_runs
        );
        let (found, _, _) = run_at(Pick::Largest, &frames, fps);
        let first_seen = found.iter().position(|f| f.people == 2);
        assert!(
            first_seen.is_some_and(|f| f < alone_frames + frames_per_look),
            "{fps} frames/s: the newcomer was first counted at frame {first_seen:?}"
        );
        assert!(found.iter().all(|f| f.subject_id == Some(1)));
    }
}

#[test]
fn a_clock_that_stalls_or_goes_back_leaves_the_frame_count_in_charge() {
    // Repeated timestamps (broken muxers, photos at time 0) and a clock that goes back (a looped
    // stand-in camera) must not keep the detector from looking for newcomers.
    let frames: Vec<Frame> = (0..60)
        .map(|f| {
            let other = (f >= 30)
                .then(|| render(&standing(false, 90.0, (1000.0, 420.0)), &Body::default()));
            Frame::with(vec![Some(alone(f)), other])
        })
        .collect();
    /// A frame number's time, seconds.
    type Clock = fn(usize) -> f64;
    let clocks: [(&str, Clock); 2] = [("stalled", |_| 0.0), ("going back", |f| -(f as f64) / 30.0)];
    for (name, clock) in clocks {
        let (_, _, models) = run_timed(Pick::Largest, &frames[..30], clock);
        assert_eq!(
            models.detector_runs,
            30 / DETECT_EVERY_ALONE,
            "{name} clock: the detector ran {} times in 30 frames alone",
            models.detector_runs
        );
        let (found, _, _) = run_timed(Pick::Largest, &frames, clock);
        let first_seen = found.iter().position(|f| f.people == 2);
        assert!(
            first_seen.is_some_and(|f| f < 30 + DETECT_EVERY_ALONE),
            "{name} clock: the newcomer was first counted at frame {first_seen:?}"
        );
    }
}

#[test]
fn an_answer_of_the_wrong_kind_is_nothing_seen_not_a_panic() {
    let mut lock = SubjectLock::new(Pick::Largest);
    assert_eq!(lock.start_frame(WIDTH, HEIGHT, 0.0), Ask::People);
    match lock.answer(Seen::Crop(Some(alone(0)))) {
        Step::Done(found) => assert!(!found.pose.has_person()),
        Step::Ask(ask) => panic!("asked {ask:?} after a wrong answer"),
    }
}

#[test]
fn a_hand_on_the_ankle_does_not_overrule_the_refined_ankle_where_the_subject_is_expected() {
    // The therapist's hands hold the raised ankle and the detector puts the patient's ankle 15 px
    // (an eighth of a torso) off; the single-person model has it right. Its ankle is kept.
    let frames: Vec<Frame> = (0..60)
        .map(|f| {
            let (patient, mut therapist) = at_the_table(f);
            let ankle = patient.get(BodyPart::RightAnkle);
            therapist.keypoints[BodyPart::LeftWrist.index()].x = ankle.x + 4.0;
            therapist.keypoints[BodyPart::LeftWrist.index()].y = ankle.y;
            let mut frame = Frame::with(vec![Some(patient), Some(therapist)]);
            frame.detector_error = Some((BodyPart::RightAnkle, (-15.0, 0.0)));
            frame
        })
        .collect();
    let (found, _, _) = run(Pick::Auto(Posture::Lying), &frames);
    for (f, (found, frame)) in found.iter().zip(&frames).enumerate().skip(2) {
        let (Some(patient), ankle) = (frame.people[0], found.pose.get(BodyPart::RightAnkle)) else {
            unreachable!()
        };
        let truth = patient.get(BodyPart::RightAnkle);
        assert!(
            (ankle.x - truth.x).hypot(ankle.y - truth.y) < 1.0,
            "frame {f}: the ankle was replaced by the detector's ({:.0}, {:.0}) for ({:.0}, {:.0})",
            ankle.x,
            ankle.y,
            truth.x,
            truth.y
        );
    }
}

#[test]
fn a_subject_who_stops_while_hidden_is_found_again_where_they_stopped() {
    // The subject walks right for 20 frames, is hidden for 20 (behind a screen, not seen by
    // either model) and stands where they were when they came out: the lock must not look for
    // them further along their old path.
    let frames: Vec<Frame> = (0..60)
        .map(|f| {
            let x = 400.0 + 10.0 * f.min(20) as f32;
            let subject = (!(20..40).contains(&f))
                .then(|| render(&standing(true, 100.0, (x, 420.0)), &stride(f.min(20))));
            Frame::with(vec![subject])
        })
        .collect();
    let (found, seen, _) = run(Pick::Largest, &frames);
    for (f, found) in found.iter().enumerate() {
        if !(20..40).contains(&f) {
            assert_eq!(found.subject_id, Some(1), "frame {f}");
        }
    }
    assert_eq!(seen.locks, 1);
}

/// Frame `f` of a client on all fours rocking gently (hips flexed 80-100 degrees), and a
/// therapist kneeling close behind, facing the client, both hands on the client's lower back.
fn on_all_fours(f: usize) -> (Pose, Pose) {
    let mut body = Body::default();
    for side in [Side::Left, Side::Right] {
        body.leg_mut(side).hip_flexion = 90.0 + 10.0 * (f as f32 * 0.15).sin();
        body.leg_mut(side).knee_flexion = 90.0;
    }
    let client_at = Placement {
        hip_at: (600.0, 420.0),
        ..Placement::new(Figure::Prone, true)
    };
    let mut client = render(&client_at, &body);
    // Arms straight down to the floor under the shoulders.
    for (shoulder, elbow, wrist) in [
        (
            BodyPart::LeftShoulder,
            BodyPart::LeftElbow,
            BodyPart::LeftWrist,
        ),
        (
            BodyPart::RightShoulder,
            BodyPart::RightElbow,
            BodyPart::RightWrist,
        ),
    ] {
        let s = client.get(shoulder);
        client.keypoints[elbow.index()].x = s.x;
        client.keypoints[elbow.index()].y = s.y + 50.0;
        client.keypoints[wrist.index()].x = s.x;
        client.keypoints[wrist.index()].y = s.y + 100.0;
    }
    let therapist_at = Placement {
        thigh_px: 110.0,
        hip_at: (700.0, 400.0),
        ..Placement::new(Figure::Kneeling, false)
    };
    let mut kneel = Body::default();
    for side in [Side::Left, Side::Right] {
        kneel.leg_mut(side).knee_flexion = 90.0;
    }
    let mut therapist = render(&therapist_at, &kneel);
    for (elbow, wrist, x) in [
        (BodyPart::LeftElbow, BodyPart::LeftWrist, 560.0),
        (BodyPart::RightElbow, BodyPart::RightWrist, 575.0),
    ] {
        therapist.keypoints[elbow.index()].x = 640.0;
        therapist.keypoints[elbow.index()].y = 330.0;
        therapist.keypoints[wrist.index()].x = x;
        therapist.keypoints[wrist.index()].y = 412.0;
    }
    (client, therapist)
}

#[test]
fn a_therapist_in_close_contact_merged_with_the_client_is_never_measured_and_the_lock_holds() {
    // The client on all fours, the therapist kneeling close behind with both hands on the
    // client's back (assisted stretching). For two seconds (frames 30-89) both models read the
    // two as one body: the therapist's head, shoulders and arms on the client's hips and legs.
    // Neither the therapist's keypoints nor a new subject may come out of it.
    // Four readings of the merge: the therapist's whole upper body on the client's hips and legs
    // (nearer the therapist as a whole: the detector does not match it to the client); the
    // therapist's head alone on the client's body (nearer the client as a whole: matched); and
    // each of these with, in the single-person model's reading only, the client's right knee
    // placed 30 px up the therapist's left thigh: a limb of the other person under the other
    // side's label and a little off, so that it is not on a keypoint of the therapist's track of
    // its own name (26 px from the therapist's right knee, over a fifth of the client's 120-px
    // torso) yet within a quarter of a torso of one.
    let upper_body = &BodyPart::ALL[..11];
    let head = &BodyPart::ALL[..5];
    let knee_on_thigh = (BodyPart::RightKnee, BodyPart::LeftKnee, (0.0, -30.0));
    for (taken, drift) in [
        (upper_body, None),
        (head, None),
        (upper_body, Some(knee_on_thigh)),
        (head, Some(knee_on_thigh)),
    ] {
        close_contact_merged_for_two_seconds(taken, drift);
    }
}

/// The client followed through [`on_all_fours`], both models reading client and therapist as
/// one body in frames 30-89: the client's pose with the `taken_from_therapist` parts read where
/// the therapist's are; with `crop_drift` `(client's part, therapist's part, offset)`, the
/// single-person model also reads that part of the client where the therapist's part is, moved
/// by the offset (pixels).
fn close_contact_merged_for_two_seconds(
    taken_from_therapist: &[BodyPart],
    crop_drift: Option<(BodyPart, BodyPart, (f32, f32))>,
) {
    let merged_from = |client: &Pose, therapist: &Pose| {
        let mut mixed = *client;
        for &part in taken_from_therapist {
            mixed.keypoints[part.index()] = therapist.get(part);
        }
        mixed
    };
    let merged = (taken_from_therapist, crop_drift.map(|d| d.0));
    let frames: Vec<Frame> = (0..120)
        .map(|f| {
            let (client, therapist) = on_all_fours(f);
            let mut frame = Frame::with(vec![Some(client), Some(therapist)]);
            if (30..90).contains(&f) {
                frame.merged = Some(merged_from(&client, &therapist));
                frame.drift = crop_drift.map(|(part, theirs, (dx, dy))| {
                    let k = therapist.get(theirs);
                    (part, (k.x + dx, k.y + dy))
                });
            }
            frame
        })
        .collect();
    // The therapist is larger in the picture: the client is chosen by a click on the belly.
    let (found, seen, _) = run(Pick::At(580.0, 460.0), &frames);
    let mut hips_while_merged = 0;
    for (f, (found, frame)) in found.iter().zip(&frames).enumerate() {
        assert_eq!(
            found.subject_id,
            Some(1),
            "{merged:?} merged, frame {f}: the client was not followed"
        );
        let Some(client) = frame.people[0] else {
            unreachable!()
        };
        for part in BodyPart::ALL {
            let (k, truth) = (found.pose.get(part), client.get(part));
            assert!(
                k.confidence < 0.3 || (k.x - truth.x).hypot(k.y - truth.y) < 12.0,
                "{merged:?} merged, frame {f}: {part:?} measured at ({:.0}, {:.0}), the client's is at ({:.0}, {:.0})",
                k.x,
                k.y,
                truth.x,
                truth.y
            );
        }
        if (30..90).contains(&f) {
            let hips = [BodyPart::LeftHip, BodyPart::RightHip];
            hips_while_merged +=
                usize::from(hips.iter().all(|&h| found.pose.get(h).confidence >= 0.3));
            assert!(
                found.ambiguous,
                "{merged:?} merged, frame {f}: the merge was not reported"
            );
        }
        if f >= 95 {
            assert!(is_subject(found, frame), "frame {f}: not the whole client");
            assert_eq!(found.pose.confident_count(0.3), 17, "frame {f}");
        }
    }
    assert!(
        hips_while_merged >= 54,
        "{merged:?} merged: the client's hips measured in {hips_while_merged} of 60 merged frames"
    );
    assert_eq!(seen.locks, 1);
}

/// Frame `f` of a toe touch with two people standing: the patient at `patient_at` (thigh
/// 100 px) bending forward from frame 30, and another person at `other_at` with a thigh of
/// `other_thigh_px` (nearer the camera when larger), showing the bend in frames 5 to 25.
fn toe_touch_with_another(
    f: usize,
    patient_at: (f32, f32),
    other_at: (f32, f32),
    other_thigh_px: f32,
) -> Frame {
    let bend = |from: usize, to: usize| Body {
        trunk_lean: if (from..to).contains(&f) { 70.0 } else { 0.0 },
        ..Body::default()
    };
    let patient = render(&standing(true, 100.0, patient_at), &bend(30, 60));
    let other = render(&standing(false, other_thigh_px, other_at), &bend(5, 25));
    Frame::with(vec![Some(patient), Some(other)])
}

#[test]
fn a_subject_chosen_by_size_among_people_alike_in_posture_is_a_guess_and_said() {
    // The therapist stands beside the patient, a step nearer the camera, and shows the bend
    // first: by size the therapist is measured, so the choice is a guess and the result says so.
    let scene = |other_at: (f32, f32), other_thigh_px: f32| -> Vec<Frame> {
        (0..60)
            .map(|f| toe_touch_with_another(f, (400.0, 420.0), other_at, other_thigh_px))
            .collect()
    };
    let beside = scene((900.0, 440.0), 115.0);
    let (found, seen, _) = run(Pick::Auto(Posture::Standing), &beside);
    assert_eq!(
        found[0].guessed,
        Some(Guess {
            posture: Posture::Standing,
            in_posture: 2
        })
    );
    // The guess stands while both stand.
    assert!(found.iter().all(|f| f.guessed == found[0].guessed));
    assert_eq!(seen.guessed, found[0].guessed);
    let warnings = Warning::from_people(&seen, beside.len());
    let guessed: Vec<String> = warnings
        .iter()
        .filter(|w| w.kind == WarningKind::SubjectGuessed && w.value == Some(2.0))
        .map(ToString::to_string)
        .collect();
    assert!(
        guessed.len() == 1
            && guessed[0].starts_with("2 people were standing (the test's position)")
            && guessed[0].contains("may not be the patient")
            && guessed[0].contains("--pick"),
        "{warnings:?}"
    );

    // Said who the patient is (the leftmost): no guess, and the patient is measured.
    let (found, seen, _) = run(Pick::Left, &beside);
    assert_eq!(seen.guessed, None);
    assert!(found
        .iter()
        .zip(&beside)
        .all(|(f, frame)| is_subject(f, frame)));
    assert!(Warning::from_people(&seen, beside.len())
        .iter()
        .all(|w| w.kind != WarningKind::SubjectGuessed));

    // Someone standing well behind (under two thirds of the patient's size) is not a candidate.
    let behind = scene((900.0, 330.0), 60.0);
    let (found, seen, _) = run(Pick::Auto(Posture::Standing), &behind);
    assert_eq!(seen.guessed, None);
    assert!(found
        .iter()
        .zip(&behind)
        .all(|(f, frame)| is_subject(f, frame)));

    // Nobody in the test's position (a straight-leg raise, both standing): also a guess.
    let (_, seen, _) = run(Pick::Auto(Posture::Lying), &beside);
    assert_eq!(
        seen.guessed,
        Some(Guess {
            posture: Posture::Lying,
            in_posture: 0
        })
    );
    let words: Vec<String> = Warning::from_people(&seen, beside.len())
        .iter()
        .filter(|w| w.kind == WarningKind::SubjectGuessed)
        .map(ToString::to_string)
        .collect();
    assert!(
        words.len() == 1 && words[0].starts_with("nobody was lying (the test's position)"),
        "{words:?}"
    );
}

/// Frame `f` of a straight-leg raise whose recording starts before the patient lies down: the
/// therapist (index 1, larger: nearer the camera) and the patient (index 0) stand side by side
/// until `lies_from`; then the patient lies on the table raising the right leg. The therapist
/// bends over in the frames of `bends`, 10 deg a frame down to 80 deg and up again (from 60 deg
/// on, lying to the lock's posture test).
fn patient_lies_down(f: usize, lies_from: usize, bends: std::ops::Range<usize>) -> Frame {
    let into_bend = if bends.contains(&f) {
        (f - bends.start).min(bends.end - 1 - f) as f32
    } else {
        0.0
    };
    let therapist_body = Body {
        trunk_lean: (10.0 * into_bend).min(80.0),
        ..Body::default()
    };
    let therapist = render(&standing(false, 115.0, (900.0, 420.0)), &therapist_body);
    let patient = if f < lies_from {
        render(&standing(true, 100.0, (450.0, 430.0)), &Body::default())
    } else {
        let mut body = Body::default();
        body.right.hip_flexion = 2.0 * (f - lies_from) as f32;
        render(
            &Placement {
                hip_at: (450.0, 560.0),
                ..Placement::new(Figure::Supine, true)
            },
            &body,
        )
    };
    Frame::with(vec![Some(patient), Some(therapist)])
}

#[test]
fn a_choice_made_before_anyone_was_in_position_is_settled_by_who_takes_it() {
    // Nobody lies in the first frame: the nearer therapist is taken, a guess. Once the patient
    // has lain on the table for a second (and the therapist not), the patient is taken instead,
    // by posture: no guess left, the change counted.
    let scene = |bends: std::ops::Range<usize>| -> Vec<Frame> {
        (0..120)
            .map(|f| patient_lies_down(f, 30, bends.clone()))
            .collect()
    };
    let frames = scene(0..0);
    let (found, seen, _) = run(Pick::Auto(Posture::Lying), &frames);
    assert!(
        !is_subject(&found[0], &frames[0]),
        "the nearer therapist is taken first"
    );
    assert_eq!(found[0].guessed.map(|g| g.in_posture), Some(0));
    // One second after lying down (30 frames at 30 frames/s), the patient is taken.
    let taken = found.iter().position(|f| f.subject_id == Some(2));
    assert!(
        taken.is_some_and(|t| (60..=62).contains(&t)),
        "taken at {taken:?}"
    );
    for (f, (found, frame)) in found.iter().zip(&frames).enumerate().skip(62) {
        assert!(is_subject(found, frame), "frame {f}: not the patient");
        assert_eq!(found.guessed, None, "frame {f}");
    }
    assert_eq!((seen.locks, seen.guessed), (2, None));
    let warnings = Warning::from_people(&seen, frames.len());
    assert!(
        warnings.iter().any(|w| w.kind == WarningKind::ChosenAgain)
            && warnings
                .iter()
                .all(|w| w.kind != WarningKind::SubjectGuessed),
        "{warnings:?}"
    );

    // The therapist (the subject) bending over the table for half a second before the patient
    // lies down does not confirm the guess; the patient is still taken once lying.
    let frames: Vec<Frame> = (0..150).map(|f| patient_lies_down(f, 40, 5..31)).collect();
    let (found, seen, _) = run(Pick::Auto(Posture::Lying), &frames);
    assert!(found[..40]
        .iter()
        .all(|f| f.subject_id == Some(1) && f.guessed.is_some()));
    assert_eq!(seen.locks, 2);
    assert!(is_subject(&found[149], &frames[149]));

    // Bent over for two seconds, the therapist held the position alone: the guess is confirmed
    // (the lock cannot tell a bend from lying down), and the patient lying down later is not
    // taken. Which person was measured, the evidence picture shows.
    let frames: Vec<Frame> = (0..180).map(|f| patient_lies_down(f, 100, 5..85)).collect();
    let (found, seen, _) = run(Pick::Auto(Posture::Lying), &frames);
    assert!(found.iter().all(|f| f.subject_id == Some(1)));
    assert!(found[..40].iter().all(|f| f.guessed.is_some()));
    assert!(found[50..].iter().all(|f| f.guessed.is_none()));
    assert_eq!((seen.locks, seen.guessed), (1, None));

    // The subject (the patient, nearer: taken first) bends down into the position but is then
    // missed by the detector (followed by the crop around them), while the therapist bends
    // over for two seconds: with the subject unseen nobody can tell who holds the position
    // alone, so the lock stays, and so does the doubt.
    let frames: Vec<Frame> = (0..150usize)
        .map(|f| {
            let into = |from: usize| (10.0 * f.saturating_sub(from) as f32).min(80.0f32);
            let patient = Body {
                trunk_lean: into(20),
                ..Body::default()
            };
            let therapist = Body {
                trunk_lean: if f < 110 { into(40) } else { 0.0 },
                ..Body::default()
            };
            let mut frame = Frame::with(vec![
                Some(render(&standing(true, 120.0, (400.0, 430.0)), &patient)),
                Some(render(&standing(false, 100.0, (950.0, 420.0)), &therapist)),
            ]);
            if f >= 30 {
                frame.detected = vec![1];
            }
            frame
        })
        .collect();
    let (found, seen, _) = run(Pick::Auto(Posture::Lying), &frames);
    assert!(is_subject(&found[0], &frames[0]));
    assert!(
        found.iter().all(|f| f.subject_id == Some(1)),
        "the lock moved"
    );
    assert_eq!(seen.locks, 1);
    assert!(seen.guessed.is_some());

    // An explicit pick is never changed by who takes the position.
    let (found, seen, _) = run(Pick::Largest, &scene(0..0));
    assert_eq!(seen.locks, 1);
    assert!(found.iter().all(|f| f.guessed.is_none()));
}

#[test]
fn a_person_chosen_after_the_subject_was_lost_is_followed_from_then_on() {
    // A (chosen, the leftmost) leaves for good; B, followed until then as someone else, walks on
    // in view: once A has been gone long enough, B is chosen and followed in every frame after,
    // not claimed back by B's own earlier track.
    let away_from = 20;
    let frames: Vec<Frame> = (0..away_from + MAX_MISSED_FRAMES + 40)
        .map(|f| {
            let a = (f < away_from)
                .then(|| render(&standing(true, 100.0, (300.0, 420.0)), &Body::default()));
            let b = render(
                &standing(false, 100.0, (900.0 - 3.0 * f as f32, 420.0)),
                &stride(f),
            );
            Frame::with(vec![a, Some(b)])
        })
        .collect();
    let (found, seen, _) = run(Pick::Left, &frames);
    let chosen = found
        .iter()
        .position(|f| f.subject_id == Some(2))
        .expect("B chosen once A was gone");
    for (f, found) in found.iter().enumerate().skip(chosen) {
        assert_eq!(found.subject_id, Some(2), "frame {f}: B not followed");
        let b = frames[f].people[1].unwrap_or(Pose::nobody());
        assert!(distance(&found.pose, &b) < 10.0, "frame {f}");
    }
    assert_eq!(seen.locks, 2);
}
