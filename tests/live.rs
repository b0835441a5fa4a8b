//! The live loop: the meter on synthetic stretches, the newest-frame hand-over, `gonio live` from a
//! video standing in for the camera (headless and in a window on a virtual X display), and clean
//! failures without a camera.

mod common;
mod synthetic;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use gonio::angles::{SeriesOptions, Side};
use gonio::capture::Frame;
use gonio::live::{Captured, LiveConfig, LiveMeter, NewestFrame, Next};
use gonio::pose::{BodyPart, Found, SubjectFinder};
use gonio::protocols::{self, HoldCriteria};
use synthetic::*;

fn config(protocol: &str) -> LiveConfig {
    LiveConfig {
        protocol: protocols::find(protocol).unwrap(),
        side: None,
        hold: HoldCriteria::default(),
        options: SeriesOptions::default(),
        source_name: "test".to_string(),
        stall_after: Duration::from_secs(5),
        retimed: None,
    }
}

#[test]
fn meter_follows_a_straight_leg_raise_and_measures_the_trial() {
    // 10 s: raise to 72 degrees and hold, with pose-model noise, dropouts and swaps.
    let track = noisy_slr(72.0, 10.0, false, false, 5);
    let mut meter = LiveMeter::new(config("slr"), None);
    meter.start_trial();
    let mut longest_hold: f64 = 0.0;
    let mut last = None;
    for (&t, pose) in track.time_s.iter().zip(&track.poses) {
        let reading = meter.push(t, &Found::alone(*pose));
        longest_hold = longest_hold.max(reading.hold_s);
        last = Some(reading);
    }
    let last = last.unwrap();
    assert_eq!(last.side, Side::Left, "the raised leg is chosen live");
    assert!(last.recording_s.is_some_and(|s| s > 9.0));
    let best = last.best_deg.expect("a hold was found during the trial");
    assert!((best - 72.0).abs() < 2.0, "best so far {best}");
    assert!(longest_hold > 2.0, "hold timer reached {longest_hold} s");

    let trial = meter.stop_trial().expect("the trial had frames");
    assert!(!meter.is_recording());
    assert_eq!(trial.number, 1);
    assert_eq!(trial.track.poses.len(), track.poses.len());
    let main = &trial.results[0];
    assert_eq!(
        (main.side, main.measure.as_str()),
        (Side::Left, "hip_flexion")
    );
    let value = main.value_deg.unwrap();
    assert!((value - 72.0).abs() < 2.0, "trial result {value}");
    // The live figure is the final result as it stood at its last update (every 0.25 s), of
    // the same leg.
    assert!((value - best).abs() < 0.5, "live {best} vs final {value}");
    assert_eq!(last.best_side, Some(main.side));
}

/// Two trials from a camera are two recordings, even with the very same frames: a video standing
/// in for the camera, looping, once gave a later trial the frames and times of an earlier one,
/// and the later was saved over the earlier (the before/after assessment lost a trial).
#[test]
fn two_camera_trials_of_the_same_frames_are_both_saved() {
    let track = noisy_slr(72.0, 4.0, false, false, 5);
    let mut meter = LiveMeter::new(config("slr"), None);
    let trials: Vec<_> = (0..2)
        .map(|_| {
            meter.start_trial();
            for (&t, pose) in track.time_s.iter().zip(&track.poses) {
                meter.push(t, &Found::alone(*pose));
            }
            meter.stop_trial().expect("the trial had frames")
        })
        .collect();
    assert_eq!(trials[0].track.time_s, trials[1].track.time_s);
    assert_ne!(trials[0].camera_sha256(), trials[1].camera_sha256());

    let dir = tempfile::tempdir().unwrap();
    let mut store = gonio::store::Store::open(&dir.path().join("clinic.sqlite")).unwrap();
    let patient = store.add_patient("P-1", None, None).unwrap();
    for trial in &trials {
        let results: Vec<_> = trial
            .results
            .iter()
            .map(|r| {
                let sha = Some(trial.camera_sha256());
                (
                    gonio::store::StoredMeasurement::from_measurement(r, sha),
                    None,
                )
            })
            .collect();
        store.save_trial(patient, "before", None, &results).unwrap();
    }
    let saved = store.patient(patient).unwrap().measurements;
    assert_eq!(saved, 2 * trials[0].results.len(), "both trials are kept");
}

/// The lunge test keeps the heel down: while it is lifted, the live view says so and its hold
/// timer does not run, as the result does not count those frames (the live result and the
/// guidance once disagreed: the timer ran on frames the result left out).
#[test]
fn the_live_view_says_when_the_heel_came_up_in_a_lunge() {
    let times: Vec<f64> = (0..300).map(|i| f64::from(i) / 30.0).collect();
    // Into the lunge to 30 deg by 2.5 s, held; from 5 s on to 40 with the heel lifted, held.
    let further = |t: f64| ramp(t, 5.0, 6.0);
    let poses: Vec<_> = times
        .iter()
        .map(|&t| {
            let mut body = Body::default();
            let shank = 8.0 + 22.0 * ramp(t, 1.0, 2.5) + 10.0 * further(t);
            body.left = Leg {
                hip_flexion: 40.0,
                knee_flexion: 40.0 + shank,
            };
            body.right = Leg {
                hip_flexion: -5.0,
                knee_flexion: 10.0,
            };
            render(&Placement::new(Posture::Kneeling, true), &body)
        })
        .collect();
    let mut poses = planted(poses, Side::Left);
    // The heel lifted raises the ankle 15 % of the shank, and the body above it with it.
    for (pose, &t) in poses.iter_mut().zip(&times) {
        let knee = pose.keypoints[BodyPart::LeftKnee.index()];
        let ankle = pose.keypoints[BodyPart::LeftAnkle.index()];
        let up = 0.15 * further(t) * (knee.x - ankle.x).hypot(knee.y - ankle.y);
        for (i, k) in pose.keypoints.iter_mut().enumerate() {
            if i != BodyPart::RightAnkle.index() {
                k.y -= up;
            }
        }
    }
    let mut config = config("lunge-ankle");
    config.side = Some(Side::Left);
    let mut meter = LiveMeter::new(config, None);
    meter.start_trial();
    let said = |r: &gonio::live::Reading| {
        r.guidance
            .first()
            .is_some_and(|g| g.starts_with("keep the heel down"))
    };
    let (mut said_down, mut said_up, mut longest_up) = (0, 0, 0.0f64);
    for (&t, pose) in times.iter().zip(&poses) {
        let reading = meter.push(t, &Found::alone(*pose));
        if t < 5.0 {
            said_down += usize::from(said(&reading));
        } else if t > 6.5 {
            said_up += usize::from(said(&reading));
            longest_up = longest_up.max(reading.hold_s);
        }
    }
    assert_eq!(said_down, 0, "said with the heel down");
    assert!(
        said_up > 60,
        "said in {said_up} of 105 frames with the heel up"
    );
    assert!(
        longest_up < 0.5,
        "the hold timer ran {longest_up} s with the heel up"
    );
    let trial = meter.stop_trial().expect("frames");
    let value = trial.results[0]
        .value_deg
        .expect("the hold with the heel down");
    assert!((value - 30.0).abs() < 1.5, "{value}");
}

#[test]
fn a_trial_of_a_subject_chosen_by_a_guess_is_fair_and_says_so_until_the_patient_is_clicked() {
    use gonio::pose::{Guess, Posture};
    use gonio::protocols::{Quality, WarningKind};
    let track = noisy_slr(72.0, 10.0, false, false, 5);
    // The frames of a trial as two people in view, the subject's id `id`, followed on a guess
    // when `guessed`; one frame before the trial starts.
    let trial = |meter: &mut LiveMeter, id: u32, guessed: Option<Guess>, offset_s: f64| {
        let first = Found {
            people: 2,
            subject_id: Some(id),
            guessed,
            ..Found::alone(track.poses[0])
        };
        let before = meter.push(offset_s, &first);
        meter.start_trial();
        for (&t, pose) in track.time_s.iter().zip(&track.poses) {
            let found = Found {
                people: 2,
                subject_id: Some(id),
                guessed,
                ..Found::alone(*pose)
            };
            meter.push(offset_s + 0.01 + t, &found);
        }
        let results = meter.stop_trial().expect("frames").results;
        (before.subject_guessed, results)
    };
    let mut meter = LiveMeter::new(config("slr"), None);
    // Nobody was lying when the subject was chosen (before the trial): the nearest was taken.
    let guess = Guess {
        posture: Posture::Lying,
        in_posture: 0,
    };
    let (shown, results) = trial(&mut meter, 1, Some(guess), 0.0);
    assert!(shown, "the live view did not say the subject was a guess");
    let main = &results[0];
    assert!(main.value_deg.is_some_and(|v| (v - 72.0).abs() < 2.0));
    assert_eq!(main.quality, Quality::Fair, "{:?}", main.warnings);
    assert!(main
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::SubjectGuessed && w.value == Some(0.0)));
    // A second trial of the same subject still carries the doubt.
    let (_, results) = trial(&mut meter, 1, Some(guess), 20.0);
    assert_eq!(results[0].quality, Quality::Fair);
    // A click on the patient (a new subject, chosen by the user): no doubt left.
    let (shown, results) = trial(&mut meter, 2, None, 40.0);
    assert!(!shown);
    assert_eq!(
        results[0].quality,
        Quality::Good,
        "{:?}",
        results[0].warnings
    );
    assert!(results[0]
        .warnings
        .iter()
        .all(|w| w.kind != WarningKind::SubjectGuessed));
    // A click mid-trial (on the patient, after the nearest was taken by a guess) ends the guess,
    // but the trial holds two people's frames: it is said, and fair.
    meter.start_trial();
    let half = track.poses.len() / 2;
    for (i, (&t, pose)) in track.time_s.iter().zip(&track.poses).enumerate() {
        let found = Found {
            people: 2,
            subject_id: Some(if i < half { 3 } else { 4 }),
            guessed: (i < half).then_some(guess),
            ..Found::alone(*pose)
        };
        meter.push(60.0 + t, &found);
    }
    let results = meter.stop_trial().expect("frames").results;
    assert_eq!(
        results[0].quality,
        Quality::Fair,
        "{:?}",
        results[0].warnings
    );
    assert!(results[0]
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::ChosenAgain));
}

#[test]
fn meter_guides_the_person() {
    let mut meter = LiveMeter::new(config("slr"), None);
    let nobody = gonio::Pose::nobody();
    let reading = meter.push(0.0, &Found::alone(nobody));
    assert!(!reading.pose.has_person());
    assert!(
        reading.guidance[0].contains("no one in view"),
        "{:?}",
        reading.guidance
    );

    // Raised leg with the knee bent 40 degrees: the criterion's hint is shown.
    let mut body = Body::default();
    body.left.hip_flexion = 60.0;
    body.left.knee_flexion = 40.0;
    let pose = render(&Placement::new(Posture::Supine, true), &body);
    let mut meter = LiveMeter::new(
        LiveConfig {
            side: Some(Side::Left),
            ..config("slr")
        },
        None,
    );
    let reading = meter.push(0.0, &Found::alone(pose));
    assert!(reading.pose.has_person());
    assert!(!reading.valid);
    assert!(
        reading
            .guidance
            .iter()
            .any(|g| g == "keep the knee straight"),
        "{:?}",
        reading.guidance
    );

    // Not counted, and said so beside the angle.
    let (headline, _) = gonio::run::live::status_text(&reading);
    assert!(
        headline.starts_with("left hip flexion: ") && headline.ends_with("° (not counted)"),
        "{headline}"
    );
    assert!(
        reading.value_label().ends_with("° not counted"),
        "the arc's label: {}",
        reading.value_label()
    );

    // Standing for a straight-leg raise: the position comes first (the status line shows only
    // the first hint), before the view.
    let mut placement = Placement::new(Posture::Standing, true);
    placement.lateral_px = 60.0;
    let mut meter = LiveMeter::new(config("slr"), None);
    let reading = meter.push(0.0, &Found::alone(render(&placement, &Body::default())));
    assert_eq!(
        reading.guidance.first().map(String::as_str),
        Some("lie on your back"),
        "{:?}",
        reading.guidance
    );
    assert!(
        reading.guidance.iter().any(|g| g.contains("turn sideways")),
        "{:?}",
        reading.guidance
    );
    let mut meter = LiveMeter::new(
        LiveConfig {
            side: Some(Side::Left),
            ..config("slr")
        },
        None,
    );

    // Facing the camera (shoulders and hips wide apart): asked to turn sideways.
    let mut placement = Placement::new(Posture::Standing, true);
    placement.lateral_px = 60.0;
    let reading = meter.push(0.1, &Found::alone(render(&placement, &Body::default())));
    assert!(
        reading.guidance.iter().any(|g| g.contains("turn sideways")),
        "{:?}",
        reading.guidance
    );
    // Side-on and straight: nothing to say.
    let reading = meter.push(
        0.2,
        &Found::alone(render(
            &Placement::new(Posture::Supine, true),
            &Body::default(),
        )),
    );
    assert!(reading.guidance.is_empty(), "{:?}", reading.guidance);
}

fn frame_at(t: f64) -> Captured {
    Captured {
        frame: Frame {
            image: image::RgbImage::new(2, 2),
            timestamp_s: t,
        },
        captured_at: Instant::now(),
    }
}

#[test]
fn a_slow_loop_gets_the_newest_frame_and_stale_ones_are_dropped() {
    let mailbox = NewestFrame::default();
    for i in 0..3 {
        assert!(mailbox.put(frame_at(i as f64), false));
    }
    match mailbox.take(Duration::from_millis(10)) {
        Next::Frame(c) => assert_eq!(c.frame.timestamp_s, 2.0),
        other => panic!("expected a frame, got {other:?}"),
    }
    assert_eq!(mailbox.dropped(), 2);
    assert!(matches!(
        mailbox.take(Duration::from_millis(10)),
        Next::Nothing
    ));
    mailbox.end(None);
    assert!(matches!(
        mailbox.take(Duration::from_millis(10)),
        Next::Ended(None)
    ));
    // Once the loop has gone, the capture side is told to stop.
    mailbox.close();
    assert!(!mailbox.put(frame_at(3.0), false));
}

#[test]
fn every_frame_pacing_waits_instead_of_dropping() {
    let mailbox = Arc::new(NewestFrame::default());
    let producer = {
        let mailbox = Arc::clone(&mailbox);
        std::thread::spawn(move || {
            for i in 0..20 {
                assert!(mailbox.put(frame_at(i as f64), true));
            }
            mailbox.end(None);
        })
    };
    let mut seen = Vec::new();
    loop {
        match mailbox.take(Duration::from_secs(5)) {
            Next::Frame(c) => {
                seen.push(c.frame.timestamp_s);
                std::thread::sleep(Duration::from_millis(2));
            }
            Next::Ended(_) => break,
            Next::Nothing => panic!("producer stalled"),
        }
    }
    producer.join().unwrap();
    assert_eq!(seen, (0..20).map(f64::from).collect::<Vec<_>>());
    assert_eq!(mailbox.dropped(), 0);
}

#[test]
fn cameras_reports_no_camera_and_succeeds() {
    let output = gonio(&["cameras"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let has_video_device = std::fs::read_dir("/dev")
        .map(|d| {
            d.filter_map(Result::ok)
                .any(|e| e.file_name().to_string_lossy().starts_with("video"))
        })
        .unwrap_or(false);
    if !has_video_device {
        assert!(
            stdout(&output).contains("no camera found"),
            "{}",
            stdout(&output)
        );
        assert!(stdout(&output).contains("/dev/video"), "says how to check");
        let json = gonio(&["cameras", "--json"]);
        assert_eq!(json.status.code(), Some(0));
        let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(value["cameras"].as_array().map(Vec::len), Some(0));
    }
}

#[test]
fn live_without_a_camera_fails_cleanly() {
    if Path::new("/dev/video0").exists() {
        eprintln!("SKIPPED live_without_a_camera_fails_cleanly: this machine has a camera");
        return;
    }
    for args in [
        vec!["live", "--protocol", "slr", "--headless"],
        vec!["live", "--camera", "0", "--protocol", "slr"],
    ] {
        let output = gonio(&args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{err}");
        assert!(err.contains("camera 0: no camera found"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn live_from_a_missing_video_names_it() {
    let output = gonio(&[
        "live",
        "--source",
        "no/such/video.mp4",
        "--protocol",
        "slr",
        "--headless",
    ]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("no/such/video.mp4"), "{err}");
}

fn json_of(output: &std::process::Output) -> serde_json::Value {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// The fields of a result that do not depend on where it came from.
fn comparable(result: &serde_json::Value) -> serde_json::Value {
    let mut result = result.clone();
    if let Some(map) = result.as_object_mut() {
        map.remove("source");
        map.remove("model");
    }
    result
}

#[test]
fn live_on_every_frame_of_a_video_measures_as_analyze_does() {
    let video = sample("pose2sim-cam01.mp4");
    let live = json_of(&gonio(&[
        "live",
        "--source",
        path_str(&video),
        "--protocol",
        "hip-extension",
        "--headless",
        "--no-realtime",
        "--json",
    ]));
    let analyze = json_of(&gonio(&[
        "analyze",
        path_str(&video),
        "--protocol",
        "hip-extension",
        "--model",
        "lightning",
        "--json",
    ]));
    let trials = live["trials"].as_array().unwrap();
    assert_eq!(
        trials.len(),
        1,
        "one trial from the first to the last frame"
    );
    let live_results: Vec<_> = trials[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(comparable)
        .collect();
    let analyze_results: Vec<_> = analyze["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(comparable)
        .collect();
    assert_eq!(live_results, analyze_results);
    assert_eq!(live["latency"]["dropped"], 0, "every frame was analysed");
    assert_eq!(live["latency"]["frames"], 50);
}

#[test]
fn live_in_real_time_reports_latency_and_saves_a_trial_that_analyze_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let db = dir.path().join("clinic.sqlite");
    let video = sample("pose2sim-cam01.mp4");
    let save = [
        "--db",
        path_str(&db),
        "--subject",
        "ana",
        "--session",
        "before",
    ];
    let output = gonio(
        &[
            &[
                "live",
                "--source",
                path_str(&video),
                "--protocol",
                "hip-extension",
                "--headless",
                "--json",
                "--out",
                path_str(&out),
            ][..],
            &save,
        ]
        .concat(),
    );
    // The database was new: the first save says so, naming it (a mistyped --db is seen).
    assert!(
        stderr(&output).contains(&format!("there was no database at {}", db.display())),
        "{}",
        stderr(&output)
    );
    let live = json_of(&output);
    let latency = &live["latency"];
    let frames = latency["frames"].as_u64().unwrap();
    assert!((1..=50).contains(&frames), "{latency}");
    assert_eq!(
        frames + latency["dropped"].as_u64().unwrap(),
        50,
        "{latency}"
    );
    for stage in ["queue_ms", "pose_ms", "angles_ms", "display_ms", "total_ms"] {
        assert!(latency["median"][stage].as_f64().unwrap() >= 0.0, "{stage}");
    }
    let median = &latency["median"];
    assert!(
        median["total_ms"].as_f64().unwrap() >= median["pose_ms"].as_f64().unwrap(),
        "the total includes the model: {median}"
    );
    let trial = &live["trials"][0];
    let outputs: Vec<PathBuf> = trial["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| PathBuf::from(p.as_str().unwrap()))
        .collect();
    // The results, the keypoints and angles, and a plot per side of the main measure: the
    // picture the saved trial shows.
    let results = trial["results"].as_array().unwrap();
    let main_sides = results
        .iter()
        .filter(|r| r["measure"] == results[0]["measure"])
        .count();
    assert_eq!(outputs.len(), 2 + main_sides, "{trial}");
    assert!(
        outputs
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".plot.png")),
        "{trial}"
    );
    let csv = outputs
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "csv"))
        .unwrap();
    // The trial's keypoints, analysed again, give the same result.
    let again = json_of(&gonio(&[
        "analyze",
        path_str(csv),
        "--protocol",
        "hip-extension",
        "--json",
    ]));
    let live_main = comparable(&trial["results"][0]);
    let again_main = comparable(&again["results"][0]);
    for key in ["side", "measure", "valid_frames", "total_frames", "quality"] {
        assert_eq!(
            live_main[key], again_main[key],
            "{key}: {live_main} vs {again_main}"
        );
    }
    // Keypoints are written to 0.1 px: angles agree to a fraction of a degree. (The standing man
    // is no kneeling stretch: the live trial and the re-analysis refuse it alike, on the same
    // frame; when a peak is given, both agree.)
    assert_eq!(live_main["refusal"], again_main["refusal"]);
    if live_main["peak_deg"].is_null() {
        // No frame counted: the picture is on the highest angle of any frame, and the standing
        // man's angle is nearly the same in every frame, so keypoints rounded to 0.1 px can move
        // it to another (under load, 16 against 0). Both have one.
        assert!(
            live_main["evidence_frame"].is_u64() && again_main["evidence_frame"].is_u64(),
            "{live_main} vs {again_main}"
        );
    } else {
        assert_eq!(live_main["evidence_frame"], again_main["evidence_frame"]);
    }
    match (
        live_main["peak_deg"].as_f64(),
        again_main["peak_deg"].as_f64(),
    ) {
        (Some(a), Some(b)) => assert!((a - b).abs() < 0.5, "peak {a} vs {b}"),
        (a, b) => assert_eq!(a, b),
    }

    // One recording is one trial however it is measured again: its per-frame CSV, a replay
    // (every frame this time, where real time may have dropped some), the whole file (read by
    // another model this time). The per-frame CSV's keypoints were placed by the model that
    // read the video: its results keep that model (they had none, and a verdict against the
    // other model's session was given).
    let saved = || {
        let history = json_of(&gonio(&[
            "history",
            "--db",
            path_str(&db),
            "--subject",
            "ana",
            "--json",
        ]));
        history["sessions"][0]["measurements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["side"].as_str().unwrap().to_string(),
                    m["measure"].as_str().unwrap().to_string(),
                    m["model"].as_str().unwrap_or("no model").to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let export = json_of(&gonio(&[
        "export",
        "--db",
        path_str(&db),
        "--subject",
        "ana",
    ]));
    assert!(
        export["sessions"][0]["measurements"][0]["picture"].is_object(),
        "the live trial's plot is its picture: {export}"
    );
    let mut first = saved();
    first.sort();
    assert_eq!(first.len(), trial["results"].as_array().unwrap().len());
    let again = |args: &[&str]| {
        let output = gonio(&[args, &save[..]].concat());
        assert!(output.status.success(), "{}", stderr(&output));
        let mut now = saved();
        now.sort();
        let trials = |all: &[(String, String, String)]| {
            all.iter()
                .map(|(side, measure, _)| (side.clone(), measure.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(trials(&now), trials(&first), "{args:?} added a trial");
        now
    };
    let from_csv = again(&["analyze", path_str(csv), "--protocol", "hip-extension"]);
    assert_eq!(
        from_csv, first,
        "the per-frame CSV's results lost their model"
    );
    again(&[
        "live",
        "--source",
        path_str(&video),
        "--protocol",
        "hip-extension",
        "--headless",
        "--no-realtime",
    ]);
    again(&["analyze", path_str(&video), "--protocol", "hip-extension"]);
}

/// A virtual X display for the window test, stopped when dropped.
struct VirtualDisplay {
    server: Child,
    name: String,
}

impl VirtualDisplay {
    fn start() -> VirtualDisplay {
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1400x1000x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (install it with scripts/setup-debian.sh)");
        let mut number = String::new();
        let mut stdout = server.stdout.take().unwrap();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            number.push(byte[0] as char);
        }
        assert!(!number.is_empty(), "Xvfb did not say its display number");
        VirtualDisplay {
            server,
            name: format!(":{}", number.trim()),
        }
    }

    fn xdotool(&self, args: &[&str]) -> String {
        let output = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.name)
            .output()
            .expect("xdotool runs (install it with scripts/setup-debian.sh)");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// Presses and releases a key: the window's key callback sees every press, however short.
    fn press(&self, key: &str) {
        self.xdotool(&["key", key]);
    }

    fn screenshot(&self, path: &Path) {
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "x11grab", "-draw_mouse", "0"])
            .args([
                "-video_size",
                "1400x1000",
                "-i",
                &self.name,
                "-frames:v",
                "1",
            ])
            .arg(path)
            .status()
            .expect("ffmpeg runs");
        assert!(status.success(), "screenshot failed");
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads the last frame's keypoints from a trial CSV (frame pixels).
fn last_keypoints(csv: &Path) -> Vec<(String, f32, f32, f32)> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let last: Vec<&str> = lines.last().unwrap().split(',').collect();
    gonio::pose::KEYPOINT_NAMES
        .iter()
        .map(|name| {
            let at = |suffix: &str| {
                let i = header
                    .iter()
                    .position(|h| *h == format!("{name}_{suffix}"))
                    .unwrap();
                last[i].parse::<f32>().unwrap_or(f32::NAN)
            };
            (name.to_string(), at("x"), at("y"), at("conf"))
        })
        .collect()
}

/// Frames handed to `gonio live --source -` only when the test allows: a thread forwards the
/// sample, looped by ffmpeg as a YUV4MPEG2 stream, to gonio's standard input, one frame per unit
/// of budget; the stream ends when the test closes it. The window test thus never races the
/// video: nothing ends before the test says so, however busy the machine.
struct SteppedFrames {
    state: Arc<(std::sync::Mutex<Budget>, std::sync::Condvar)>,
    forwarder: Option<std::thread::JoinHandle<()>>,
    ffmpeg: Child,
}

/// (frames the forwarder may still send, the stream is to end, frames sent so far)
type Budget = (usize, bool, usize);

impl SteppedFrames {
    fn start(mut to_gonio: std::process::ChildStdin) -> SteppedFrames {
        let mut ffmpeg = Command::new("ffmpeg")
            .args(["-v", "error", "-stream_loop", "-1", "-i"])
            .arg(sample("pose2sim-cam01.mp4"))
            .args(["-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p", "-"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut from_ffmpeg = ffmpeg.stdout.take().unwrap();
        let state = Arc::new((
            std::sync::Mutex::new((0usize, false, 0usize)),
            std::sync::Condvar::new(),
        ));
        let shared = Arc::clone(&state);
        let forwarder = std::thread::spawn(move || {
            use std::io::Write;
            let line = |reader: &mut dyn Read| -> Vec<u8> {
                let mut bytes = Vec::new();
                let mut byte = [0u8; 1];
                while reader.read(&mut byte).unwrap_or(0) == 1 {
                    bytes.push(byte[0]);
                    if byte[0] == b'\n' {
                        break;
                    }
                }
                bytes
            };
            let header = line(&mut from_ffmpeg);
            let field = |key: char| -> usize {
                String::from_utf8_lossy(&header)
                    .split_whitespace()
                    .find_map(|f| f.strip_prefix(key)?.parse().ok())
                    .unwrap()
            };
            let frame_bytes = field('W') * field('H') * 3 / 2;
            if to_gonio.write_all(&header).is_err() {
                return;
            }
            let mut frame = vec![0u8; frame_bytes];
            loop {
                {
                    let (lock, changed) = &*shared;
                    let mut s = lock.lock().unwrap();
                    while s.0 == 0 && !s.1 {
                        s = changed.wait(s).unwrap();
                    }
                    if s.0 == 0 {
                        return; // the end: dropping the pipe ends gonio's stream
                    }
                    s.0 -= 1;
                }
                let frame_line = line(&mut from_ffmpeg);
                from_ffmpeg.read_exact(&mut frame).unwrap();
                if to_gonio.write_all(&frame_line).is_err() || to_gonio.write_all(&frame).is_err() {
                    return;
                }
                let (lock, changed) = &*shared;
                lock.lock().unwrap().2 += 1;
                changed.notify_all();
            }
        });
        SteppedFrames {
            state,
            forwarder: Some(forwarder),
            ffmpeg,
        }
    }

    /// Lets `n` more frames through and waits until gonio has taken them (every frame is
    /// analysed with --no-realtime, and the pipe holds less than one frame).
    fn send(&self, n: usize) {
        let (lock, changed) = &*self.state;
        let mut s = lock.lock().unwrap();
        let target = s.2 + n;
        s.0 += n;
        changed.notify_all();
        while s.2 < target {
            let (next, timeout) = changed.wait_timeout(s, Duration::from_secs(120)).unwrap();
            assert!(!timeout.timed_out(), "gonio stopped taking frames");
            s = next;
        }
    }

    /// Ends the stream, as a camera feed that stops.
    fn end(&mut self) {
        let (lock, changed) = &*self.state;
        lock.lock().unwrap().1 = true;
        changed.notify_all();
        if let Some(forwarder) = self.forwarder.take() {
            forwarder.join().unwrap();
        }
    }
}

impl Drop for SteppedFrames {
    fn drop(&mut self) {
        let _ = self.ffmpeg.kill();
        let _ = self.ffmpeg.wait();
    }
}

#[test]
fn live_window_shows_the_skeleton_and_the_angle_and_obeys_its_keys() {
    let display = VirtualDisplay::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let stdout_path = dir.path().join("stdout.txt");
    let stderr_path = dir.path().join("stderr.txt");
    let mut gonio = Command::new(env!("CARGO_BIN_EXE_gonio"))
        .args(["live", "--source", "-", "--no-realtime", "--stall-s", "600"])
        .args(["--protocol", "hip-extension", "--autostart", "--out"])
        .arg(&out)
        .env("DISPLAY", &display.name)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let mut frames = SteppedFrames::start(gonio.stdin.take().unwrap());
    let printed = || std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let logged = || std::fs::read_to_string(&stderr_path).unwrap_or_default();

    // Trial 1 runs from the first frame for 40 frames; the window opens with the first.
    frames.send(40);
    let mut window = String::new();
    wait_for("the window", Duration::from_secs(60), || {
        window = display.xdotool(&["search", "--name", "gonio live"]);
        assert!(
            gonio.try_wait().unwrap().is_none(),
            "gonio ended early: {}",
            logged()
        );
        !window.is_empty()
    });
    let window = window.lines().next().unwrap().to_string();
    display.xdotool(&["windowfocus", "--sync", &window]);
    // Every key from here on is pressed while no frame is ready: the window must still take it.
    display.press("space"); // ends trial 1
    wait_for("trial 1's result", Duration::from_secs(60), || {
        printed().contains("trial 1")
    });
    // Pressed at once after the trial's end: the window takes every key press as the window
    // system reports it, so none is lost while the trial is saved.
    display.press("space"); // starts trial 2
    display.press("s"); // snapshot
    wait_for("trial 2 to start", Duration::from_secs(60), || {
        logged().contains("trial 2 started")
    });
    wait_for("the snapshot", Duration::from_secs(60), || {
        logged().contains("snapshot saved")
    });
    // A click on the person chooses the subject afresh (the only person here, so a new lock
    // on the same body, which trial 2's result reports).
    let hips = last_keypoints(&out.join("stdin.trial1.csv"))
        .into_iter()
        .filter(|(name, _, _, conf)| name.ends_with("_hip") && *conf > 0.3)
        .map(|(_, x, y, _)| (x, y))
        .collect::<Vec<_>>();
    assert!(!hips.is_empty(), "no hip in trial 1's last frame");
    let scale = 506.0 / 1080.0; // the window shows the 1080x1920 frame at 506x900
    let (x, y) = (hips[0].0 * scale, hips[0].1 * scale);
    display.xdotool(&[
        "mousemove",
        "--window",
        &window,
        &format!("{}", x.round()),
        &format!("{}", y.round()),
    ]);
    // The window polls the button with each frame: it stays down until the click is taken.
    display.xdotool(&["mousedown", "1"]);
    let mut sent = 0;
    while !logged().contains("clicked at") {
        assert!(sent < 100, "the click was not taken in {sent} frames");
        frames.send(1);
        sent += 1;
    }
    display.xdotool(&["mouseup", "1"]);
    // Trial 2 goes on for 30 more frames, then the stream ends.
    frames.send(30);
    frames.end();
    wait_for("the end of the stream", Duration::from_secs(60), || {
        logged().contains("the recording has ended") && printed().contains("trial 2")
    });
    let screenshot = dir.path().join("screen.png");
    display.screenshot(&screenshot);
    // Where the window is on the screen.
    let geometry = display.xdotool(&["getwindowgeometry", "--shell", &window]);
    let value = |key: &str| -> u32 {
        geometry
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{key} in {geometry}"))
    };
    let (x0, y0, width, height) = (value("X"), value("Y"), value("WIDTH"), value("HEIGHT"));
    display.press("q");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = gonio.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "q did not close the window"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let err = logged();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(err.contains("snapshot saved"), "{err}");
    // Space ended trial 1 after the 40 frames sent (about 75 are analysed in all).
    let frames_of = |n: usize| -> usize {
        let text = printed();
        let at = text.find(&format!("trial {n} (")).unwrap() + format!("trial {n} (").len();
        text[at..].split(' ').next().unwrap().parse().unwrap()
    };
    assert!(frames_of(1) < 190, "trial 1 ran {} frames", frames_of(1));
    assert!(frames_of(2) > 10, "trial 2 ran {} frames", frames_of(2));
    // Stepped frames make the counts exact up to the frame being analysed when a key came.
    assert!(
        (38..=40).contains(&frames_of(1)),
        "trial 1 ran {} frames",
        frames_of(1)
    );
    assert!(frames_of(2) >= 30, "trial 2 ran {} frames", frames_of(2));
    let trial2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("stdin.trial2.json")).unwrap()).unwrap();
    let warnings = trial2["results"][0]["warnings"].to_string();
    assert!(
        warnings.contains(
            "the subject was chosen again 1 time (lost, picked by a click, or taken over"
        ),
        "the click did not choose the subject afresh: {warnings}"
    );

    assert!(printed().contains("hip_extension"), "{}", printed());
    let files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for expected in [
        "stdin.trial1.json",
        "stdin.trial1.csv",
        "stdin.trial2.csv",
        "stdin.snapshot1.png",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} in {files:?}"
        );
    }

    // The window shows the last frame (1080x1920 scaled to fit 1280x900: 506x900).
    assert_eq!((width, height), (506, 900));
    let screen = image::open(&screenshot).unwrap().to_rgb8();
    let scale = width as f32 / 1080.0;
    let near = |x: f32, y: f32, colour: [u8; 3], radius: i32| -> bool {
        let (cx, cy) = (
            x0 as i32 + (x * scale) as i32,
            y0 as i32 + (y * scale) as i32,
        );
        (-radius..=radius).any(|dy| {
            (-radius..=radius).any(|dx| {
                let (px, py) = (cx + dx, cy + dy);
                px >= 0
                    && py >= 0
                    && (px as u32) < screen.width()
                    && (py as u32) < screen.height()
                    && screen
                        .get_pixel(px as u32, py as u32)
                        .0
                        .iter()
                        .zip(colour)
                        .all(|(&a, b)| (i32::from(a) - i32::from(b)).abs() < 40)
            })
        })
    };
    // Each confident keypoint of the last frame has a dot of its side's colour at its place.
    let keypoints = last_keypoints(&out.join("stdin.trial2.csv"));
    let mut checked = 0;
    for (name, x, y, conf) in &keypoints {
        if *conf < 0.5 {
            continue;
        }
        // The CSV holds the labels after left/right swap correction, the window the labels as
        // the model gave them: a side's dot may show the other side's colour.
        let (orange, blue, white) = ([255, 140, 0], [0, 170, 255], [240, 240, 240]);
        let found = if name.starts_with("left") || name.starts_with("right") {
            near(*x, *y, orange, 3) || near(*x, *y, blue, 3)
        } else {
            near(*x, *y, white, 3)
        };
        assert!(found, "{name} dot at ({x}, {y}) in the screenshot");
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} confident keypoints");
    // The angle arc (yellow) is drawn, and the result line (green) is shown on top.
    let count = |colour: [u8; 3]| {
        screen
            .pixels()
            .filter(|p| {
                p.0.iter()
                    .zip(colour)
                    .all(|(&a, b)| (i32::from(a) - i32::from(b)).abs() < 20)
            })
            .count()
    };
    assert!(
        count([255, 230, 0]) > 50,
        "no yellow arc or value on screen"
    );
    assert!(count([120, 230, 120]) > 50, "no result line on screen");
}

/// Counts what the loop shows.
#[derive(Default)]
struct Recorder {
    shown: usize,
    trials: usize,
}

impl gonio::live::LiveSink for Recorder {
    fn show(
        &mut self,
        _frame: &Frame,
        reading: &gonio::live::Reading,
        _stats: &gonio::live::LoopStats,
    ) -> Result<Vec<gonio::live::Command>, gonio::live::LiveError> {
        assert!(reading.pose.has_person(), "the sample frame shows a person");
        self.shown += 1;
        Ok(Vec::new())
    }

    fn idle(&mut self) -> Result<Vec<gonio::live::Command>, gonio::live::LiveError> {
        Ok(Vec::new())
    }

    fn trial_finished(
        &mut self,
        _trial: &gonio::live::Trial,
    ) -> Result<(), gonio::live::LiveError> {
        self.trials += 1;
        Ok(())
    }
}

#[test]
fn a_source_that_stops_sending_frames_is_an_error_not_a_hang() {
    let image = gonio::capture::load_image(&sample("pose2sim-frame060.jpg"))
        .unwrap()
        .image;
    // Three frames, then silence, like a camera unplugged mid-trial.
    let frames = gonio::live::start_capture(
        move || {
            let mut sent = 0;
            Ok(std::iter::from_fn(move || {
                if sent == 3 {
                    std::thread::sleep(Duration::from_secs(3600));
                }
                sent += 1;
                Some(Ok(Frame {
                    image: image.clone(),
                    timestamp_s: sent as f64 / 30.0,
                }))
            }))
        },
        gonio::live::Pacing::EveryFrame,
    );
    let runtime = gonio::Runtime::load().unwrap();
    let mut estimator = gonio::PoseEstimator::new(runtime, gonio::ModelKind::Lightning, 1).unwrap();
    let mut meter = LiveMeter::new(
        LiveConfig {
            stall_after: Duration::from_millis(500),
            source_name: "camera 0".to_string(),
            ..config("slr")
        },
        None,
    );
    let mut recorder = Recorder::default();
    let started = Instant::now();
    let error = gonio::live::run(
        &frames,
        &mut estimator,
        &mut SubjectFinder::single(),
        &mut meter,
        &mut recorder,
        true,
    )
    .expect_err("a stalled source ends the loop with an error");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        error.to_string().contains("camera 0: no frame for"),
        "{error}"
    );
    assert_eq!(recorder.shown, 3);
    assert_eq!(
        recorder.trials, 1,
        "the trial in progress was still measured"
    );
}

/// A stream that stalls after a trial was measured and saved: `--json` printed only the error,
/// so a program never learnt of the saved trial. It gives both, in one document (exit 2).
#[test]
fn a_stalled_stream_with_json_still_gives_the_trials_it_measured() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let y4m = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(sample("pose2sim-cam01.mp4"))
        .args(["-vf", "scale=270:-2", "-pix_fmt", "yuv420p"])
        .args(["-f", "yuv4mpegpipe", "-"])
        .output()
        .expect("ffmpeg runs (installed by .ci/run)");
    assert!(y4m.status.success());
    let db = dir.path().join("db.sqlite");
    let printed = dir.path().join("stdout.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gonio"))
        .args([
            "live",
            "--source",
            "-",
            "--headless",
            "--no-realtime",
            "--json",
        ])
        .args(["--protocol", "hip-extension", "--model", "lightning"])
        .args(["--subject", "z", "--db"])
        .arg(&db)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(std::fs::File::create(&printed).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Every frame is sent and the stream then held open without another: a stalled camera.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&y4m.stdout).unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    assert_eq!(status.code(), Some(2));
    let text = std::fs::read_to_string(&printed).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(
        json["error"]
            .as_str()
            .unwrap()
            .contains("stdin: no frame for 10 s"),
        "{json}"
    );
    let trials = json["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 1, "{json}");
    assert_eq!(trials[0]["frames"], 100, "{json}");
    let history = gonio(&["history", "--subject", "z", "--db", path_str(&db), "--json"]);
    assert_eq!(history.status.code(), Some(0), "{}", stderr(&history));
}

/// A slow-motion file played as the live source is timed in real seconds, as `analyze` times
/// it, and its trial says so (only stderr did).
#[test]
fn a_slow_motion_source_gives_trials_that_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-itsscale", "4", "-i"])
        .arg(sample("pose2sim-cam01.mp4"))
        .args(["-c", "copy", "-movflags", "use_metadata_tags"])
        .args(["-metadata", "com.android.capture.fps=240"])
        .arg(&slow)
        .status()
        .expect("ffmpeg runs (installed by .ci/run)");
    assert!(made.success());
    let output = gonio(&[
        "live",
        "--source",
        path_str(&slow),
        "--headless",
        "--no-realtime",
        "--json",
        "--protocol",
        "toe-touch",
        "--model",
        "lightning",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("slow motion: captured at 240 frames/s"),
        "{}",
        stderr(&output)
    );
    let json = json_of(&output);
    let results = json["trials"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty(), "{json}");
    for r in results {
        assert!(
            r["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["kind"] == "retimed" && w["value"] == 240.0),
            "{r}"
        );
    }
}

/// A runner who watches the laptop while swinging shows the camera the face square on, and the
/// knees stay straight: which way they face is a guess. A recording says so (`facing_guessed`);
/// the live view said nothing while its arc might read forward as back. It judges the last 10 s,
/// so that a runner who turns from the screen to the side is not told for minutes after.
#[test]
fn the_live_view_says_when_which_way_the_body_faces_is_a_guess() {
    use gonio::protocols::WarningKind;
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Face {
        Profile,
        /// The nose between the ears, as seen from the front; in one frame of 25 the model's
        /// noise puts it 10 px (a twelfth of the trunk) ahead, as in profile.
        AtTheCamera,
        /// The nose hidden: the ears alone (a weak cue).
        Away,
        /// In profile for 5 s, then at the camera.
        ProfileThenAtTheCamera,
    }
    let swing = |t: f64| (35.0 * (std::f64::consts::TAU * t / 1.2).sin()) as f32;
    for face in [
        Face::Profile,
        Face::AtTheCamera,
        Face::Away,
        Face::ProfileThenAtTheCamera,
    ] {
        let mut meter = LiveMeter::new(
            LiveConfig {
                side: Some(Side::Left),
                ..config("leg-swing")
            },
            None,
        );
        meter.start_trial();
        let mut said = Vec::new();
        for i in 0..600 {
            let t = i as f64 / 30.0;
            let mut body = Body::default();
            body.left.hip_flexion = swing(t);
            let mut pose = render(&Placement::new(Posture::Standing, true), &body);
            let nose = pose.keypoints[BodyPart::Nose.index()];
            let at_the_camera = match face {
                Face::Profile => false,
                Face::AtTheCamera => true,
                Face::ProfileThenAtTheCamera => t >= 5.0,
                Face::Away => {
                    pose.keypoints[BodyPart::Nose.index()].confidence = 0.0;
                    false
                }
            };
            if at_the_camera {
                for (part, dx) in [(BodyPart::LeftEar, 1.0), (BodyPart::RightEar, -1.0)] {
                    let ear = &mut pose.keypoints[part.index()];
                    (ear.x, ear.y) = (nose.x + dx, nose.y);
                }
                if i % 25 == 0 {
                    pose.keypoints[BodyPart::Nose.index()].x += 10.0;
                }
            }
            let reading = meter.push(t, &Found::alone(pose));
            said.push(
                reading
                    .guidance
                    .iter()
                    .any(|g| g.contains("forward and back are a guess")),
            );
        }
        let said_between = |from_s: f64, to_s: f64| -> Vec<bool> {
            said[(from_s * 30.0) as usize..(to_s * 30.0) as usize].to_vec()
        };
        match face {
            Face::Profile => assert!(!said.iter().any(|&s| s), "{face:?}: {said:?}"),
            Face::AtTheCamera | Face::Away => {
                // Not in the first 2 s (a moment to settle), then throughout.
                assert!(
                    !said_between(0.0, 1.9).contains(&true),
                    "{face:?}: {said:?}"
                );
                assert!(
                    !said_between(2.0, 20.0).contains(&false),
                    "{face:?}: {said:?}"
                );
            }
            Face::ProfileThenAtTheCamera => {
                // Until the profile frames are fewer than a tenth of the last 10 s.
                assert!(
                    !said_between(0.0, 12.0).contains(&true),
                    "{face:?}: {said:?}"
                );
                assert!(
                    !said_between(15.0, 20.0).contains(&false),
                    "{face:?}: {said:?}"
                );
            }
        }
        // The saved trial says it too where its 20 s showed too few frames in profile.
        let trial = meter.stop_trial().expect("the trial had frames");
        let saved = trial.results[0]
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::FacingGuessed);
        assert_eq!(
            saved,
            matches!(face, Face::AtTheCamera | Face::Away),
            "{face:?}: {:?}",
            trial.results[0]
        );
    }
}
