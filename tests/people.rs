//! Several people in view: the subject is followed without switching in the two-person videos,
//! and on crowded photos every keypoint returned belongs to one person.

mod common;
mod synthetic;

use std::path::Path;

use common::*;
use gonio::pose::csv::read_keypoints_csv;
use gonio::pose::{BodyPart, PersonDetector, Pick, Pose, PoseEstimator, SubjectFinder};
use gonio::{ModelKind, Runtime};

/// Annotated people of one photo: per COCO keypoint, its position when labelled.
type Annotated = Vec<[Option<(f32, f32)>; 17]>;

/// COCO index of each CrowdPose keypoint (its last two, head top and neck, have none).
const CROWDPOSE_TO_COCO: [Option<usize>; 14] = [
    Some(5),
    Some(6),
    Some(7),
    Some(8),
    Some(9),
    Some(10),
    Some(11),
    Some(12),
    Some(13),
    Some(14),
    Some(15),
    Some(16),
    None,
    None,
];

/// The photos with two or more annotated people, with their annotations.
fn crowded_photos(dev: &Path) -> Vec<(std::path::PathBuf, Annotated)> {
    let mut out = Vec::new();
    for (folder, file) in [
        ("coco", "test_coco.json"),
        ("crowdpose", "test_crowdpose.json"),
        ("ochuman", "test_ochuman.json"),
    ] {
        let dir = dev.join("mmpose").join(folder);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        for image in json["images"].as_array().unwrap() {
            let mut people: Annotated = Vec::new();
            for a in json["annotations"].as_array().unwrap() {
                if a["image_id"] != image["id"] {
                    continue;
                }
                let k: Vec<f32> = a["keypoints"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap() as f32)
                    .collect();
                let mut person = [None; 17];
                for (i, xyv) in k.chunks_exact(3).enumerate() {
                    let coco = if k.len() == 42 {
                        CROWDPOSE_TO_COCO[i]
                    } else {
                        Some(i)
                    };
                    if let (Some(c), true) = (coco, xyv[2] > 0.0) {
                        person[c] = Some((xyv[0], xyv[1]));
                    }
                }
                if person.iter().filter(|p| p.is_some()).count() >= 5 {
                    people.push(person);
                }
            }
            if people.len() >= 2 {
                out.push((dir.join(image["file_name"].as_str().unwrap()), people));
            }
        }
    }
    out
}

/// Confident keypoints of `pose` that lie on another annotated person than the one most of them
/// lie on: nearest to that person's labelled keypoint of the same part and within a quarter of
/// its size of it. Returns (keypoints checked, keypoints on another person).
fn keypoints_on_others(pose: &Pose, people: &Annotated) -> (usize, usize) {
    let size = |p: &[Option<(f32, f32)>; 17]| {
        let xs: Vec<(f32, f32)> = p.iter().flatten().copied().collect();
        let w = xs.iter().map(|q| q.0).fold(f32::MIN, f32::max)
            - xs.iter().map(|q| q.0).fold(f32::MAX, f32::min);
        let h = xs.iter().map(|q| q.1).fold(f32::MIN, f32::max)
            - xs.iter().map(|q| q.1).fold(f32::MAX, f32::min);
        w.hypot(h)
    };
    // For each confident keypoint: the annotated person whose same keypoint is nearest, if on it.
    let owners: Vec<Option<usize>> = BodyPart::ALL
        .iter()
        .filter(|&&part| pose.get(part).confidence >= 0.3)
        .map(|&part| {
            let k = pose.get(part);
            people
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let (x, y) = p[part.index()]?;
                    Some((i, (k.x - x).hypot(k.y - y), size(p)))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .filter(|&(_, d, s)| d < 0.25 * s)
                .map(|(i, _, _)| i)
        })
        .collect();
    let mut votes = vec![0; people.len()];
    for i in owners.iter().flatten() {
        votes[*i] += 1;
    }
    let subject = (0..people.len()).max_by_key(|&i| votes[i]).unwrap_or(0);
    let elsewhere = owners.iter().flatten().filter(|&&i| i != subject).count();
    (owners.len(), elsewhere)
}

#[test]
fn on_crowded_photos_every_keypoint_of_the_subject_belongs_to_one_person() {
    let Some(dev) =
        dev_data("on_crowded_photos_every_keypoint_of_the_subject_belongs_to_one_person")
    else {
        return;
    };
    let runtime = Runtime::load().unwrap();
    let mut estimator = PoseEstimator::new(runtime, ModelKind::Thunder, 1).unwrap();
    let photos = crowded_photos(&dev);
    assert!(photos.len() >= 7, "{} crowded photos", photos.len());
    let mut failures = Vec::new();
    let mut flagged = Vec::new();
    let mut single_failures = 0;
    for (path, people) in &photos {
        let frame = image::open(path).unwrap().to_rgb8();
        let detector = PersonDetector::new(runtime, 1).unwrap();
        let mut finder = SubjectFinder::multi(detector, Pick::Largest);
        let found = finder.next(&mut estimator, &frame, 0.0).unwrap();
        assert!(found.pose.has_person(), "{}: no subject", path.display());
        let (checked, elsewhere) = keypoints_on_others(&found.pose, people);
        eprintln!(
            "{}: {} people seen, {checked} keypoints on annotated people, {elsewhere} on another",
            path.display(),
            found.people
        );
        if checked < 5 {
            failures.push(format!("{}: only {checked} keypoints", path.display()));
        }
        if elsewhere > 0 {
            if found.ambiguous {
                // Said, not silent: the result carries a warning.
                flagged.push(path.display().to_string());
            } else {
                failures.push(format!("{}: {elsewhere} of {checked}", path.display()));
            }
        }
        // For comparison: the single-person model alone.
        let single = SubjectFinder::single()
            .next(&mut estimator, &frame, 0.0)
            .unwrap()
            .pose;
        single_failures += usize::from(keypoints_on_others(&single, people).1 > 0);
    }
    eprintln!(
        "single-person model: keypoints on two people in {single_failures} of {} photos",
        photos.len()
    );
    assert!(
        failures.is_empty(),
        "keypoints on another person, unflagged: {failures:?}"
    );
    // Measured: one photo (OCHuman 003896, two footballers entangled) where the detector merges
    // both bodies into one unclear detection; the fallback's keypoints mix them and the result
    // is flagged as ambiguous.
    assert!(flagged.len() <= 1, "mixed but flagged: {flagged:?}");
}

/// Mid-hip and torso length (mid-shoulder to mid-hip) per frame of a per-frame CSV written by
/// `gonio analyze --out`, frame pixels; None where the hips or shoulders are not confident.
fn hips_and_torso(csv: &Path) -> Vec<Option<((f32, f32), f32)>> {
    let track = read_keypoints_csv(csv).expect("frames CSV");
    track
        .poses
        .iter()
        .map(|pose| {
            let mid = |l: BodyPart, r: BodyPart| {
                let (l, r) = (pose.get(l), pose.get(r));
                (l.confidence >= 0.3 && r.confidence >= 0.3)
                    .then_some(((l.x + r.x) / 2.0, (l.y + r.y) / 2.0))
            };
            let hip = mid(BodyPart::LeftHip, BodyPart::RightHip)?;
            let shoulder = mid(BodyPart::LeftShoulder, BodyPart::RightShoulder)?;
            Some((hip, (hip.0 - shoulder.0).hypot(hip.1 - shoulder.1)))
        })
        .collect()
}

/// The largest jump of the mid-hip between consecutive frames, in torso lengths, and the frames
/// where hips and shoulders were found. A frame without them is bridged (up to 5 frames), so that
/// a switch hidden behind a doubtful frame still counts.
fn largest_hip_jump(csv: &Path) -> (f32, usize) {
    let frames = hips_and_torso(csv);
    let found = frames.iter().flatten().count();
    let mut last: Option<(usize, (f32, f32), f32)> = None;
    let mut jump: f32 = 0.0;
    for (i, frame) in frames.iter().enumerate() {
        let Some((hip, torso)) = *frame else { continue };
        if let Some((j, previous, previous_torso)) = last {
            if i - j <= 6 {
                let d = (hip.0 - previous.0).hypot(hip.1 - previous.1);
                jump = jump.max(d / previous_torso.max(1.0));
            }
        }
        last = Some((i, hip, torso));
    }
    (jump, found)
}

fn analyze_video(video: &Path, out: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "analyze",
        path_str(video),
        "--protocol",
        "hip-extension",
        "--max-fps",
        "0",
        "--json",
        "--out",
        path_str(out),
    ];
    args.extend_from_slice(extra);
    let output = gonio(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn in_the_two_person_videos_the_subject_never_switches() {
    let Some(dev) = dev_data("in_the_two_person_videos_the_subject_never_switches") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for cam in ["cam01", "cam02", "cam03", "cam04"] {
        let video = dev.join(format!("videos/pose2sim-multi/{cam}.mp4"));
        let json = analyze_video(&video, dir.path(), &[]);
        let people = &json["files"][0]["people"];
        assert_eq!(people["most"], 2, "{cam}: {people}");
        assert_eq!(
            people["locks"], 1,
            "{cam}: the subject was chosen once: {people}"
        );
        assert_eq!(json["results"][0]["people_seen"], 2, "{cam}");
        let (jump, found) = largest_hip_jump(&dir.path().join(format!("{cam}.csv")));
        eprintln!("{cam}: largest mid-hip jump {jump:.2} torso lengths, hips in {found}/100 frames, {people}");
        assert!(jump < 0.5, "{cam}: mid-hip jumped {jump:.2} torso lengths");
        // Measured: 100 frames in cam01, cam02 and cam04; 50 in cam03, where the man dances
        // in front of the woman and the keypoints the two bodies share are dropped as contested.
        let least = if cam == "cam03" { 45 } else { 95 };
        assert!(
            found >= least,
            "{cam}: subject found in {found} of 100 frames"
        );
    }
}

#[test]
fn the_single_person_model_alone_switches_bodies_in_a_two_person_video() {
    // The check above can fail: without the detector the subject jumps between the dancers.
    let Some(dev) = dev_data("the_single_person_model_alone_switches_bodies_in_a_two_person_video")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let video = dev.join("videos/pose2sim-multi/cam01.mp4");
    analyze_video(&video, dir.path(), &["--single-person"]);
    let (jump, _) = largest_hip_jump(&dir.path().join("cam01.csv"));
    assert!(
        jump > 1.0,
        "single-person mode jumped only {jump:.2} torso lengths"
    );
}

/// A synthetic person as the detector would report it: keypoints and their box.
fn person(placement: &synthetic::Placement, body: &synthetic::Body) -> gonio::pose::Person {
    let pose = synthetic::render(placement, body);
    let xs = pose.keypoints.iter().map(|k| k.x);
    let ys = pose.keypoints.iter().map(|k| k.y);
    gonio::pose::Person {
        pose,
        bbox: gonio::pose::BoxInFrame {
            left: xs.clone().fold(f32::MAX, f32::min),
            right: xs.fold(f32::MIN, f32::max),
            top: ys.clone().fold(f32::MAX, f32::min),
            bottom: ys.fold(f32::MIN, f32::max),
        },
        score: 0.6,
    }
}

#[test]
fn the_subject_is_chosen_by_posture_then_by_the_users_pick() {
    use gonio::pose::{choose_subject, is_in_posture, Posture};
    use synthetic::{Body, Placement, Posture as Lying};
    // A patient lying on a table at the left, a larger therapist standing at the right.
    let mut patient = Placement::new(Lying::Supine, true);
    patient.hip_at = (400.0, 600.0);
    let mut therapist = Placement::new(Lying::Standing, false);
    therapist.hip_at = (900.0, 500.0);
    therapist.thigh_px = 140.0;
    let mut raised = Body::default();
    raised.left.hip_flexion = 60.0;
    let people = [
        person(&therapist, &Body::default()),
        person(&patient, &raised),
    ];
    assert!(is_in_posture(&people[1].pose, Posture::Lying));
    assert!(is_in_posture(&people[0].pose, Posture::Standing));
    assert!(!is_in_posture(&people[0].pose, Posture::Lying));
    let (w, h) = (1280, 960);
    assert_eq!(
        choose_subject(&people, Pick::Auto(Posture::Lying), w, h),
        Some(1)
    );
    assert_eq!(
        choose_subject(&people, Pick::Auto(Posture::Standing), w, h),
        Some(0)
    );
    // Nobody kneels: the largest.
    assert_eq!(
        choose_subject(&people, Pick::Auto(Posture::Kneeling), w, h),
        Some(0)
    );
    assert_eq!(choose_subject(&people, Pick::Largest, w, h), Some(0));
    assert_eq!(choose_subject(&people, Pick::Left, w, h), Some(1));
    assert_eq!(choose_subject(&people, Pick::Right, w, h), Some(0));
    assert_eq!(
        choose_subject(&people, Pick::At(420.0, 590.0), w, h),
        Some(1)
    );
    assert_eq!(choose_subject(&[], Pick::Largest, w, h), None);
    // A kneeling lunge is told from standing.
    let mut lunge = Body::default();
    lunge.left.hip_flexion = 90.0;
    lunge.left.knee_flexion = 90.0;
    lunge.right.knee_flexion = 90.0;
    let kneeling = person(&Placement::new(Lying::Kneeling, true), &lunge);
    assert!(is_in_posture(&kneeling.pose, Posture::Kneeling));
}
