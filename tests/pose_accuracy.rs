//! The real models on real photos with ground truth. Thresholds are the figures measured on
//! this machine class (see the README), with a small margin for floating-point differences
//! between CPUs; the normalised-error medians are held to those of a plain Python pipeline
//! with the same models (OpenCV warp + onnxruntime, measured with the same metric).

mod common;

use common::*;
use gonio::eval::{
    evaluate, CocoDataset, ErrorStats, EvalOptions, EvalReport, Method, PairedCounts,
    PairedFigures, PhotoTurn, PoseType, PCK_THRESHOLD,
};
use gonio::pose::{
    BodyPart, ModelKind, PersonDetector, PhotoReader, Pick, PoseEstimator, QuarterTurns, Runtime,
    SquareCrop, BOX_CROP_SCALE,
};

fn estimator(kind: ModelKind) -> PoseEstimator {
    let runtime = Runtime::load().expect("ONNX Runtime loads (fetched by build.rs)");
    PoseEstimator::new(runtime, kind, 0).expect("model loads")
}

fn eval(kind: ModelKind, annotations: &std::path::Path, images: &std::path::Path) -> EvalReport {
    eval_turned(kind, annotations, images, QuarterTurns::NONE)
}

fn eval_turned(
    kind: ModelKind,
    annotations: &std::path::Path,
    images: &std::path::Path,
    turns: QuarterTurns,
) -> EvalReport {
    let dataset = CocoDataset::load(annotations).expect("annotations load");
    let (report, skipped) = evaluate(
        &mut estimator(kind),
        &mut PhotoReader::single(),
        &dataset,
        images,
        EvalOptions {
            turn: turns.into(),
            ..EvalOptions::default()
        },
        || {},
    )
    .expect("evaluation runs");
    assert!(skipped.is_empty(), "every annotated photo is readable");
    report
}

struct Expected {
    min_pck: f32,
    max_median_error: f32,
    max_knee_mae_deg: f32,
    max_hip_mae_deg: f32,
}

fn check(name: &str, report: &EvalReport, expected: Expected) {
    eprintln!(
        "{name}: people {} PCK {:.3} error median {:.3} mean {:.3}; knee MAE {:.1} deg, hip MAE {:.1} deg",
        report.people,
        report.pck,
        report.normalized_error.median,
        report.normalized_error.mean,
        report.knee_flexion_error_deg.mean,
        report.hip_angle_error_deg.mean
    );
    assert!(
        report.pck >= expected.min_pck,
        "{name}: PCK {} < {}",
        report.pck,
        expected.min_pck
    );
    assert!(
        report.normalized_error.median <= expected.max_median_error,
        "{name}: median error {} > {}",
        report.normalized_error.median,
        expected.max_median_error
    );
    assert!(
        report.knee_flexion_error_deg.mean <= expected.max_knee_mae_deg,
        "{name}: knee MAE"
    );
    assert!(
        report.hip_angle_error_deg.mean <= expected.max_hip_mae_deg,
        "{name}: hip MAE"
    );
}

#[test]
fn thunder_and_lightning_on_mmpose_coco_photos() {
    let Some(dev) = dev_data("thunder_and_lightning_on_mmpose_coco_photos") else {
        return;
    };
    let (ann, images) = (
        dev.join("mmpose/coco/test_coco.json"),
        dev.join("mmpose/coco"),
    );
    let report = eval(ModelKind::Thunder, &ann, &images);
    assert_eq!(report.people, 12);
    // Measured: PCK 0.890, median 0.067 (Python pipeline: 0.069), knee 11.9, hip 5.5.
    check(
        "thunder/mmpose",
        &report,
        Expected {
            min_pck: 0.87,
            max_median_error: 0.069,
            max_knee_mae_deg: 13.0,
            max_hip_mae_deg: 6.5,
        },
    );
    let report = eval(ModelKind::Lightning, &ann, &images);
    // Measured: PCK 0.818, median 0.100 (Python: 0.097; the model once on each crop: 0.096,
    // the median of 12 people moving with one person read in another view), knee 19.7, hip
    // 13.3.
    check(
        "lightning/mmpose",
        &report,
        Expected {
            min_pck: 0.80,
            max_median_error: 0.102,
            max_knee_mae_deg: 21.0,
            max_hip_mae_deg: 14.5,
        },
    );
}

#[test]
fn thunder_and_lightning_on_coco_val2017_photos() {
    let Some(dev) = dev_data("thunder_and_lightning_on_coco_val2017_photos") else {
        return;
    };
    let (ann, images) = (
        dev.join("coco-val2017/person_keypoints.json"),
        dev.join("coco-val2017/images"),
    );
    let report = eval(ModelKind::Thunder, &ann, &images);
    // Measured: PCK 0.800, median 0.092 (Python: 0.102), knee 5.5, hip 7.9 (median 5.0: a few
    // people whose hip the model misplaces pull the mean up).
    check(
        "thunder/val2017",
        &report,
        Expected {
            min_pck: 0.77,
            max_median_error: 0.100,
            max_knee_mae_deg: 6.0,
            max_hip_mae_deg: 13.5,
        },
    );
    let report = eval(ModelKind::Lightning, &ann, &images);
    // Measured: PCK 0.685, median 0.156 (Python: 0.154), knee 17.7, hip 14.4.
    check(
        "lightning/val2017",
        &report,
        Expected {
            min_pck: 0.68,
            max_median_error: 0.160,
            max_knee_mae_deg: 19.0,
            max_hip_mae_deg: 15.5,
        },
    );
}

/// Photos turned a quarter or a half turn stand in for bodies lying down: the crop is turned back
/// so that the body stands upright in the model input, and PCK and the knee and hip angle error
/// medians stay within 10 % of upright (the target of issue 8). The means are held to 10 % or
/// 7 degrees, whichever is larger: with 50 legs, one body read head to foot (a child hidden to
/// the waist behind a table, whose hips are guessed) adds 3 degrees to a mean.
#[test]
fn turned_photos_keep_the_upright_accuracy() {
    let Some(dev) = dev_data("turned_photos_keep_the_upright_accuracy") else {
        return;
    };
    let (ann, images) = (
        dev.join("coco-val2017/person_keypoints.json"),
        dev.join("coco-val2017/images"),
    );
    let upright = eval(ModelKind::Thunder, &ann, &images);
    // Measured (0 / 90 / 180 / 270): PCK 0.800 / 0.742 / 0.742 / 0.748; knee error median
    // 4.8 / 4.2 / 4.3 / 4.4 deg, mean 5.5 / 5.5 / 5.7 / 5.4; hip error median 5.0 / 4.9 / 4.5 /
    // 4.9, mean 7.9 / 14.0 / 9.8 / 9.1 (the 14.0: the child behind a table read head to foot).
    for turns in [1u32, 2, 3] {
        let report = eval_turned(
            ModelKind::Thunder,
            &ann,
            &images,
            QuarterTurns::new(turns as u8),
        );
        let name = format!("turned {}", 90 * turns);
        eprintln!(
            "{name}: PCK {:.3} (upright {:.3}), knee median {:.2} mean {:.2} (upright {:.2} {:.2}), \
             hip median {:.2} mean {:.2} (upright {:.2} {:.2}), {:.2} runs per person",
            report.pck,
            upright.pck,
            report.knee_flexion_error_deg.median,
            report.knee_flexion_error_deg.mean,
            upright.knee_flexion_error_deg.median,
            upright.knee_flexion_error_deg.mean,
            report.hip_angle_error_deg.median,
            report.hip_angle_error_deg.mean,
            upright.hip_angle_error_deg.median,
            upright.hip_angle_error_deg.mean,
            report.model_runs_per_person,
        );
        assert!(report.pck >= 0.9 * upright.pck, "{name}: PCK");
        let within_10_percent = |turned: &ErrorStats, upright: &ErrorStats, what: &str| {
            assert!(
                turned.median <= 1.1 * upright.median
                    && turned.mean <= (1.1 * upright.mean).max(upright.mean + 7.0),
                "{name}: {what} error {turned:?} vs upright {upright:?}"
            );
        };
        within_10_percent(
            &report.knee_flexion_error_deg,
            &upright.knee_flexion_error_deg,
            "knee",
        );
        within_10_percent(
            &report.hip_angle_error_deg,
            &upright.hip_angle_error_deg,
            "hip",
        );
    }
}

/// The man lying on his back in the PoseTrack18 development photo (head to the left, one knee
/// raised, a second person half under him): his hip angle is measured within a few degrees
/// however the photo is turned.
#[test]
fn lying_man_hip_angle_holds_in_every_orientation() {
    let Some(dev) = dev_data("lying_man_hip_angle_holds_in_every_orientation") else {
        return;
    };
    let root = dev.join("mmpose/posetrack18");
    let ann = root.join("annotations/test_posetrack18_val.json");
    for turns in 0..4u8 {
        let report = eval_turned(ModelKind::Thunder, &ann, &root, QuarterTurns::new(turns));
        let man = report
            .per_person
            .iter()
            .find(|p| p.image.contains("003418_mpii_test"))
            .expect("the lying man is annotated");
        let torso = man.torso_px.expect("his torso is labelled");
        // Measured: right hip angle error -4.9 / -0.4 / 0.7 / -2.8 deg; nose, shoulders within
        // 0.13 torso lengths.
        let hip_error = man.hip_angle_error_deg[1].expect("right hip angle is labelled");
        eprintln!("turned {}: hip error {hip_error:.1} deg", 90 * turns as u32);
        assert!(
            hip_error.abs() <= 5.0,
            "turned {}: hip error {hip_error}",
            90 * turns as u32
        );
        for part in [
            BodyPart::Nose,
            BodyPart::LeftShoulder,
            BodyPart::RightShoulder,
        ] {
            let distance = man.distance_px[part.index()].expect("labelled");
            assert!(
                distance <= PCK_THRESHOLD * torso,
                "turned {}: {} off by {distance:.0} px",
                90 * turns as u32,
                part.name()
            );
        }
    }
}

/// A turned view reads the same body or none: a blurred skier seen from behind, read with little
/// confidence in the first look, was replaced by a "person" the model found in a speck at the
/// crop's edge in a turned view (keypoints within 14 pixels, all 17 confident), while the
/// single look read the skier.
#[test]
fn a_turned_view_never_swaps_the_body_for_a_speck() {
    let Some(dev) = dev_data("a_turned_view_never_swaps_the_body_for_a_speck") else {
        return;
    };
    let photo = gonio::capture::load_image(&dev.join("coco-val2017/images/000000136334.jpg"))
        .expect("the skier's photo loads")
        .image;
    // Annotation 426612's box, cut out at three times its size as `gonio eval --box-scale 3`
    // does.
    let (left, top, width, height) = (191.26, 276.9, 82.27, 110.57);
    let view = SquareCrop::around_box(left, top, width, height, 3.0, 256);
    let pose = estimator(ModelKind::Thunder)
        .estimate_in_square(&photo, view)
        .expect("the model runs");
    // The speck lay 110 pixels left of the box; the skier's hips and knees lie inside it.
    for part in [
        BodyPart::LeftHip,
        BodyPart::RightHip,
        BodyPart::LeftKnee,
        BodyPart::RightKnee,
    ] {
        let k = pose.get(part);
        assert!(
            k.x > left && k.x < left + width && k.y > top && k.y < top + height,
            "{} read at ({:.0}, {:.0}), outside the skier's box",
            part.name(),
            k.x,
            k.y
        );
    }
}

/// Keypoints come back in the original frame's pixels: moving the picture inside a larger canvas
/// moves every confident keypoint by the same offset.
#[test]
fn keypoints_follow_the_frame_when_it_is_padded() {
    let frame = gonio::capture::load_image(&sample("pose2sim-frame060.jpg"))
        .unwrap()
        .image;
    let mut est = estimator(ModelKind::Thunder);
    let original = est.estimate(&frame).unwrap();
    assert!(original.has_person());
    let (dx, dy) = (300u32, 120u32);
    let mut canvas = image::RgbImage::new(frame.width() + 2 * dx, frame.height() + dy + 40);
    image::imageops::replace(&mut canvas, &frame, dx as i64, dy as i64);
    let moved = est.estimate(&canvas).unwrap();
    let (shoulder, hip) = (
        original.get(BodyPart::LeftShoulder),
        original.get(BodyPart::LeftHip),
    );
    let torso = (shoulder.x - hip.x).hypot(shoulder.y - hip.y);
    for part in BodyPart::ALL {
        let (a, b) = (original.get(part), moved.get(part));
        if a.confidence < 0.5 || b.confidence < 0.5 {
            continue;
        }
        let error = ((b.x - dx as f32 - a.x).powi(2) + (b.y - dy as f32 - a.y).powi(2)).sqrt();
        assert!(
            error < 0.1 * torso,
            "{}: moved by {error:.1} px beyond the offset",
            part.name()
        );
    }
}

/// On the sample photo of a standing man the keypoints are ordered head to foot and inside the
/// frame.
#[test]
fn sample_photo_gives_an_upright_skeleton_inside_the_frame() {
    let frame = gonio::capture::load_image(&sample("pose2sim-frame060.jpg"))
        .unwrap()
        .image;
    let pose = estimator(ModelKind::Lightning).estimate(&frame).unwrap();
    assert!(pose.confident_count(0.3) >= 15, "score {}", pose.score);
    for k in pose.keypoints {
        assert!(
            k.x >= 0.0 && k.x < frame.width() as f32 && k.y >= 0.0 && k.y < frame.height() as f32
        );
    }
    let y = |p: BodyPart| pose.get(p).y;
    assert!(y(BodyPart::Nose) < y(BodyPart::LeftShoulder));
    assert!(y(BodyPart::LeftShoulder) < y(BodyPart::LeftHip));
    assert!(y(BodyPart::LeftHip) < y(BodyPart::LeftKnee));
    assert!(y(BodyPart::RightKnee) < y(BodyPart::RightAnkle));
}

/// The development sets of photos with COCO keypoints (name, annotations, images folder), as
/// found under the development data folder.
fn dev_sets(dev: &std::path::Path) -> Vec<(&'static str, std::path::PathBuf, std::path::PathBuf)> {
    let mm = dev.join("mmpose");
    vec![
        (
            "COCO val2017",
            dev.join("coco-val2017/person_keypoints.json"),
            dev.join("coco-val2017/images"),
        ),
        (
            "mmpose COCO",
            mm.join("coco/test_coco.json"),
            mm.join("coco"),
        ),
        (
            "CrowdPose",
            mm.join("crowdpose/test_crowdpose.json"),
            mm.join("crowdpose"),
        ),
        (
            "OCHuman",
            mm.join("ochuman/test_ochuman.json"),
            mm.join("ochuman"),
        ),
        (
            "AI Challenger",
            mm.join("aic/test_aic.json"),
            mm.join("aic"),
        ),
        (
            "PoseTrack18",
            mm.join("posetrack18/annotations/test_posetrack18_val.json"),
            mm.join("posetrack18"),
        ),
        (
            "JHMDB",
            mm.join("jhmdb/test_jhmdb_sub1.json"),
            mm.join("jhmdb"),
        ),
    ]
}

/// Knee and hip angle errors (absolute, degrees) pooled over several evaluations, in all and
/// per kind of pose.
#[derive(Default)]
struct Pooled {
    knee: Vec<f32>,
    hip: Vec<f32>,
    by_type: std::collections::BTreeMap<PoseType, (Vec<f32>, Vec<f32>)>,
}

impl Pooled {
    fn add(&mut self, report: &EvalReport) {
        for person in &report.per_person {
            let knee = person
                .knee_flexion_error_deg
                .iter()
                .flatten()
                .map(|e| e.abs());
            let hip = person.hip_angle_error_deg.iter().flatten().map(|e| e.abs());
            let of_type = self.by_type.entry(person.pose_type).or_default();
            of_type.0.extend(knee.clone());
            of_type.1.extend(hip.clone());
            self.knee.extend(knee);
            self.hip.extend(hip);
        }
    }

    fn stats(&self) -> (ErrorStats, ErrorStats) {
        (
            ErrorStats::of(self.knee.clone()),
            ErrorStats::of(self.hip.clone()),
        )
    }

    /// The knee and hip statistics of the people in a pose of `pose_type`.
    fn stats_of(&self, pose_type: PoseType) -> (ErrorStats, ErrorStats) {
        let (knee, hip) = self.by_type.get(&pose_type).cloned().unwrap_or_default();
        (ErrorStats::of(knee), ErrorStats::of(hip))
    }
}

/// The angle errors of the readings gonio flags as implausible (a leg segment overlong) and of
/// the rest, and how many well-read people (angle error mean under 10 degrees) were flagged.
#[derive(Default)]
struct Flags {
    flagged: (Vec<f32>, Vec<f32>),
    others: (Vec<f32>, Vec<f32>),
    well_read: usize,
    well_read_flagged: usize,
}

impl Flags {
    fn add(&mut self, report: &EvalReport) {
        for person in &report.per_person {
            let knee: Vec<f32> = person
                .knee_flexion_error_deg
                .iter()
                .flatten()
                .map(|e| e.abs())
                .collect();
            let hip: Vec<f32> = person
                .hip_angle_error_deg
                .iter()
                .flatten()
                .map(|e| e.abs())
                .collect();
            let flagged = person.overlong_limb.is_some();
            let all: Vec<f32> = knee.iter().chain(&hip).copied().collect();
            if !all.is_empty() && all.iter().sum::<f32>() / (all.len() as f32) < 10.0 {
                self.well_read += 1;
                self.well_read_flagged += usize::from(flagged);
            }
            let into = if flagged {
                &mut self.flagged
            } else {
                &mut self.others
            };
            into.0.extend(knee);
            into.1.extend(hip);
        }
    }
}

/// gonio's photo pipeline (detector, turns, second look) against the model once on each
/// person's crop, pooled over every development set: never worse where people stand upright
/// and are cut out tightly, better where they lie, lean or stand among others.
#[test]
fn the_pipeline_beats_a_single_look() {
    let Some(dev) = dev_data("the_pipeline_beats_a_single_look") else {
        return;
    };
    let runtime = Runtime::load().expect("ONNX Runtime loads");
    let mut estimator = PoseEstimator::new(runtime, ModelKind::Thunder, 0).expect("model loads");
    let mut reader = PhotoReader::multi(
        PersonDetector::new(runtime, 0).expect("detector loads"),
        Pick::Center,
    );
    // Figures within this many degrees are the same (floating-point differences between
    // CPUs, and a hair's change in one person's reading).
    const SAME: f32 = 0.05;
    // (condition, turn, box scale, the least improvement of the knee and hip error means over
    // the single look, degrees). Measured, pooled over the 7 sets (112 knees, 124 hips), knee
    // and hip mean / median, gonio against the single look:
    // - upright: 12.0/5.6 against 12.2/5.6, 11.1/6.8 against 11.1/6.8;
    // - lying (90 deg): 12.9/6.0 against 40.0/17.1, 13.3/5.2 against 41.6/20.7;
    // - leaning (30 deg): 13.9/5.8 against 19.1/8.6, 12.0/6.4 against 15.6/7.7;
    // - among others (cut out at 3 times the box): 13.2/5.4 against 21.0/8.4, 13.2/6.3 against
    //   16.0/9.8.
    let conditions: [(&str, f32, f32, f32); 4] = [
        ("upright", 0.0, BOX_CROP_SCALE, 0.0),
        ("lying", 90.0, BOX_CROP_SCALE, 20.0),
        ("leaning", 30.0, BOX_CROP_SCALE, 1.0),
        ("among others", 0.0, 3.0, 0.5),
    ];
    let mut flags = Flags::default();
    for (condition, degrees, box_scale, least_gain) in conditions {
        let (mut gonio, mut single) = (Pooled::default(), Pooled::default());
        // People read better / worse / alike, pooled over the sets: knees, hips.
        let mut pooled = [PairedCounts::default(); 2];
        for (set, annotations, images) in dev_sets(&dev) {
            let dataset = CocoDataset::load(&annotations).expect("annotations load");
            let options = EvalOptions {
                turn: PhotoTurn::degrees(degrees),
                box_scale,
                method: Method::Pipeline,
            };
            let (ours, skipped) = evaluate(
                &mut estimator,
                &mut reader,
                &dataset,
                &images,
                options,
                || {},
            )
            .expect("evaluation runs");
            assert!(skipped.is_empty(), "{set}: every photo is readable");
            let reference = EvalOptions {
                method: Method::SinglePass,
                ..options
            };
            let (theirs, _) = evaluate(
                &mut estimator,
                &mut reader,
                &dataset,
                &images,
                reference,
                || {},
            )
            .expect("evaluation runs");
            eprintln!(
                "{condition} / {set}: knee {:.1}/{:.1} (single look {:.1}/{:.1}), hip {:.1}/{:.1} ({:.1}/{:.1}) deg mean/median",
                ours.knee_flexion_error_deg.mean,
                ours.knee_flexion_error_deg.median,
                theirs.knee_flexion_error_deg.mean,
                theirs.knee_flexion_error_deg.median,
                ours.hip_angle_error_deg.mean,
                ours.hip_angle_error_deg.median,
                theirs.hip_angle_error_deg.mean,
                theirs.hip_angle_error_deg.median,
            );
            // Per set, person by person: one person moves a small set's mean by tens of
            // degrees, but gonio must not read more people worse than the single look than
            // chance explains. This catches only gross losses on the smallest sets (with five
            // people or fewer read differently p cannot fall under 0.05); the pooled counts
            // below are the stronger check. Measured over the seven sets and four conditions:
            // the smallest p is 0.25 (AI Challenger lying, knees: 0 better, 2 worse).
            let paired = PairedFigures::of(&ours, &theirs);
            for (i, (what, counts)) in [("knee", paired.knee_flexion), ("hip", paired.hip_angle)]
                .into_iter()
                .enumerate()
            {
                assert!(
                    counts.worse_p() >= 0.05,
                    "{condition} / {set}: {what} read worse for {} people, better for {} (p {:.3})",
                    counts.worse,
                    counts.better,
                    counts.worse_p()
                );
                pooled[i].better += counts.better;
                pooled[i].worse += counts.worse;
                pooled[i].same += counts.same;
            }
            gonio.add(&ours);
            flags.add(&ours);
            single.add(&theirs);
        }
        // Pooled person by person. Measured (knees, hips; better / worse / alike): upright 1/0/57,
        // 1/0/64; lying 37/7/14, 40/7/18; leaning 11/3/44, 12/2/51; among others 23/9/26,
        // 18/9/38. Upright nearly everyone is read alike; elsewhere more people are read better
        // than worse, and never more worse than chance explains.
        for (what, counts) in ["knee", "hip"].into_iter().zip(pooled) {
            eprintln!("{condition}, {what}, person by person: {counts:?}");
            let people = counts.better + counts.worse + counts.same;
            assert!(
                counts.worse_p() >= 0.05,
                "{condition}: {what} read worse for more people than chance explains: {counts:?}"
            );
            if condition == "upright" {
                assert!(
                    counts.same * 100 >= 95 * people,
                    "{condition}: {what} read alike for fewer people than 95 %: {counts:?}"
                );
            } else {
                // 1.5 times: the least measured is 2 (among others, hips).
                assert!(
                    2 * counts.better >= 3 * counts.worse,
                    "{condition}: {what} read better for under 1.5 times as many people as worse: {counts:?}"
                );
            }
        }
        let ((knee, hip), (knee_ref, hip_ref)) = (gonio.stats(), single.stats());
        eprintln!("{condition}, pooled: knee {knee:?} vs {knee_ref:?}; hip {hip:?} vs {hip_ref:?}");
        for (what, ours, theirs) in [("knee", knee, knee_ref), ("hip", hip, hip_ref)] {
            assert!(
                ours.mean <= theirs.mean - least_gain + SAME && ours.median <= theirs.median + SAME,
                "{condition}: {what} error {ours:?} against a single look's {theirs:?}"
            );
        }
        for pose_type in PoseType::ALL {
            let ((knee, hip), (knee_ref, hip_ref)) =
                (gonio.stats_of(pose_type), single.stats_of(pose_type));
            eprintln!(
                "{condition}, {pose_type:?}: knee {:.1}/{:.1} vs {:.1}/{:.1}, hip {:.1}/{:.1} vs {:.1}/{:.1} (n {}, {})",
                knee.mean, knee.median, knee_ref.mean, knee_ref.median,
                hip.mean, hip.median, hip_ref.mean, hip_ref.median, knee.count, hip.count,
            );
            let least_gain = PER_TYPE
                .iter()
                .find(|(c, t, _)| *c == condition && *t == pose_type)
                .map(|(_, _, gain)| *gain);
            let Some(least_gain) = least_gain else {
                continue;
            };
            for (what, ours, theirs) in [("knee", knee, knee_ref), ("hip", hip, hip_ref)] {
                assert!(
                    ours.mean <= theirs.mean - least_gain + SAME
                        && ours.median <= theirs.median + SAME,
                    "{condition}, {pose_type:?}: {what} error {ours:?} against a single look's {theirs:?}"
                );
            }
        }
    }
    // The implausible-reading warning, pooled over the four conditions, must point at wrong
    // readings and spare good ones. Measured: 42 of 460 readings flagged, with 18 knees and 26
    // hips annotated; knee error mean / median 42.3 / 27.4 deg against 11.8 / 5.5 for the
    // rest, hip 28.7 / 22.9 against 11.8 / 5.9; 4 of the 177 people read within 10 deg flagged.
    let stats = |(knee, hip): &(Vec<f32>, Vec<f32>)| {
        (ErrorStats::of(knee.clone()), ErrorStats::of(hip.clone()))
    };
    let ((knee, hip), (knee_rest, hip_rest)) = (stats(&flags.flagged), stats(&flags.others));
    eprintln!(
        "flagged implausible: knee {knee:?} against {knee_rest:?}, hip {hip:?} against {hip_rest:?}; {} of {} well-read people flagged",
        flags.well_read_flagged, flags.well_read
    );
    assert!(
        knee.count >= 10 && hip.count >= 15,
        "the warning is tried on enough legs: {knee:?}, {hip:?}"
    );
    assert!(
        knee.mean >= 3.0 * knee_rest.mean && knee.median >= 4.0 * knee_rest.median,
        "flagged readings' knee error {knee:?} against {knee_rest:?}"
    );
    assert!(
        hip.mean >= 1.7 * hip_rest.mean && hip.median >= 2.0 * hip_rest.median,
        "flagged readings' hip error {hip:?} against {hip_rest:?}"
    );
    assert!(
        flags.well_read_flagged * 100 <= 3 * flags.well_read,
        "{} of {} well-read people flagged",
        flags.well_read_flagged,
        flags.well_read
    );
}

/// (condition, kind of pose, the least improvement of the knee and hip error means over the
/// single look, degrees) held by `the_pipeline_beats_a_single_look`; the medians must be no
/// worse. Measured, pooled over the 7 sets, knee and hip mean / median, gonio against the single
/// look:
/// - lying, upright bodies (59 knees, 66 hips): 6.0/4.5 against 48.9/22.2, 9.8/4.1 against
///   51.9/31.0; folded (39, 45): 22.9/12.2 against 35.1/18.3, 19.5/9.0 against 31.4/19.2;
/// - leaning, upright: 10.6/4.7 against 14.7/5.8, 10.6/4.9 against 12.3/6.1; folded: 20.4/9.1
///   against 24.6/14.0, 15.5/10.3 against 20.9/11.1; a straight leg raised (10, 10): 12.7/5.3
///   against 23.8/11.0, 8.1/5.6 against 15.0/9.6;
/// - among others, upright: 9.3/3.8 against 10.2/4.5, 9.3/4.1 against 9.4/6.7; folded:
///   20.4/9.3 against 40.3/33.8, 20.1/12.6 against 25.8/16.8.
///
/// Not held, as they are not met (see the README): upright photos, folded bodies (+0.2 and
/// +0.1 deg on the means); lying, a straight leg raised (knee mean 18.0 against 12.6); among
/// others, a straight leg raised (knee 10.8/10.2 against 9.3/6.9; its hip is better, 10.0/5.0
/// against 11.1/9.3).
const PER_TYPE: [(&str, PoseType, f32); 7] = [
    ("lying", PoseType::Upright, 20.0),
    ("lying", PoseType::Folded, 5.0),
    ("leaning", PoseType::Upright, 1.0),
    ("leaning", PoseType::Folded, 2.0),
    ("leaning", PoseType::LegRaised, 3.0),
    ("among others", PoseType::Upright, 0.0),
    ("among others", PoseType::Folded, 2.0),
];

#[test]
fn the_planar_models_read_exactly_as_the_tfjs_conversions() {
    // models/ holds the conversions with a planar float input (models/planar_input.py); the
    // shared folder keeps the tfjs conversions with their NHWC int32 input. Both must be read,
    // and give the same keypoints, bit for bit, on the same photo.
    let Some(tfjs) = root()
        .parent()
        .map(|p| p.join("shared/models"))
        .filter(|d| d.join(ModelKind::Lightning.file_name()).is_file())
    else {
        eprintln!("skipped: ../shared/models (the tfjs conversions) not found");
        return;
    };
    let runtime = Runtime::load().expect("ONNX Runtime loads");
    let frame = image::open(sample("pose2sim-frame060.jpg"))
        .expect("sample photo")
        .to_rgb8();
    for kind in ModelKind::ALL {
        let mut planar = PoseEstimator::from_dir(runtime, &root().join("models"), kind, 1)
            .expect("planar model loads");
        let mut nhwc = PoseEstimator::from_dir(runtime, &tfjs, kind, 1).expect("tfjs model loads");
        if planar.model_id() == nhwc.model_id() {
            eprintln!(
                "{kind}: ../shared/models holds the same file as models/; nothing to compare"
            );
            continue;
        }
        let a = planar.estimate(&frame).expect("planar estimate");
        let b = nhwc.estimate(&frame).expect("tfjs estimate");
        assert!(a.has_person(), "{kind}: the man is found");
        assert_eq!(a, b, "{kind}: keypoints differ between the two inputs");
    }
    let mut planar =
        PersonDetector::from_dir(runtime, &root().join("models"), 1).expect("detector");
    let mut nhwc = PersonDetector::from_dir(runtime, &tfjs, 1).expect("tfjs detector");
    let (a, b) = (
        planar.detect(&frame).expect("detect"),
        nhwc.detect(&frame).expect("detect"),
    );
    assert!(!a.is_empty(), "the detector finds the man");
    assert_eq!(a, b, "the detector's people differ between the two inputs");
}

/// `gonio eval` reports the errors per kind of pose beside the single look's, and gives each
/// person's kind of pose and what was read, in photo pixels, in its JSON.
#[test]
fn eval_reports_each_kind_of_pose_and_what_was_read() {
    let Some(dev) = dev_data("eval_reports_each_kind_of_pose_and_what_was_read") else {
        return;
    };
    let mm = dev.join("mmpose/coco");
    let annotations = mm.join("test_coco.json");
    let args = |json: bool| {
        let mut args = vec![
            "eval",
            "--annotations",
            path_str(&annotations),
            "--images",
            path_str(&mm),
            "--reference",
            "single-pass",
        ];
        if json {
            args.push("--json");
        }
        gonio(&args)
    };
    let output = args(false);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "single pass: knee",
        "upright",
        "hip or knee bent",
        "sitting, crouching",
        "person by person, gonio against the reference: knee better for",
        "angles from confident keypoints",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }

    let output = args(true);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let report = &json["report"];
    // Each kind's row counts the people of that kind.
    for row in report["per_pose_type"].as_array().expect("per_pose_type") {
        let of_kind = report["per_person"]
            .as_array()
            .expect("per_person")
            .iter()
            .filter(|p| p["pose_type"] == row["pose_type"])
            .count() as u64;
        assert_eq!(row["people"].as_u64(), Some(of_kind), "{row}");
    }
    let dataset = CocoDataset::load(&annotations).expect("annotations load");
    for person in report["per_person"].as_array().expect("per_person") {
        let truth = dataset
            .annotations
            .iter()
            .find(|a| Some(a.id) == person["annotation_id"].as_u64())
            .expect("the person's annotation");
        let kind = person["pose_type"].as_str().expect("pose_type");
        assert_eq!(
            serde_json::to_value(PoseType::of(truth)).ok(),
            Some(serde_json::Value::from(kind))
        );
        // A labelled keypoint's distance is that of the keypoint read.
        let predicted = person["predicted"].as_array().expect("predicted");
        for (i, (read, distance)) in predicted
            .iter()
            .zip(person["distance_px"].as_array().expect("distances"))
            .enumerate()
        {
            let (Some((x, y)), Some(distance)) = (truth.labelled(i), distance.as_f64()) else {
                continue;
            };
            let at = |j: usize| read[j].as_f64().unwrap_or(f64::NAN);
            let measured = (at(0) - f64::from(x)).hypot(at(1) - f64::from(y));
            assert!(
                (measured - distance).abs() < 0.01,
                "{measured} vs {distance}"
            );
        }
    }
    // The person-by-person counts are those of the two readings' angle errors, and the
    // confident angles are some of the angles.
    let theirs = json["reference"]["report"]["per_person"]
        .as_array()
        .expect("the reference's people");
    for (key, paired) in [
        ("knee_flexion_error_deg", "knee_flexion"),
        ("hip_angle_error_deg", "hip_angle"),
    ] {
        let (mut better, mut worse, mut same) = (0, 0, 0);
        for (ours, theirs) in report["per_person"]
            .as_array()
            .expect("per_person")
            .iter()
            .zip(theirs)
        {
            assert_eq!(ours["annotation_id"], theirs["annotation_id"]);
            // One count per person: the mean gain over the sides both read.
            let gains: Vec<f64> = (0..2)
                .filter_map(|side| {
                    let o = ours[key][side].as_f64()?;
                    let t = theirs[key][side].as_f64()?;
                    Some(t.abs() - o.abs())
                })
                .collect();
            if gains.is_empty() {
                continue;
            }
            let gain = gains.iter().sum::<f64>() / gains.len() as f64;
            if gain > 5.0 {
                better += 1;
            } else if gain < -5.0 {
                worse += 1;
            } else {
                same += 1;
            }
        }
        let counts = &json["reference"]["paired"][paired];
        assert_eq!(
            (
                counts["better"].as_u64(),
                counts["worse"].as_u64(),
                counts["same"].as_u64()
            ),
            (Some(better), Some(worse), Some(same)),
            "{paired}: {counts}"
        );
        let p = counts["worse_p"].as_f64().expect("worse_p");
        assert!((0.0..=1.0).contains(&p), "{p}");
        let all = report[key]["count"].as_u64().expect("count");
        let confident = report[format!("confident_{key}")]["count"]
            .as_u64()
            .expect("confident count");
        assert!(confident > 0 && confident <= all, "{confident} of {all}");
        // The angles both read confidently are some of each method's confident angles.
        let shared = &json["reference"]["paired"][format!("confident_{paired}")];
        let theirs_confident = json["reference"]["report"][format!("confident_{key}")]["count"]
            .as_u64()
            .expect("the reference's confident count");
        let shared_count = shared["gonio_deg"]["count"].as_u64().expect("shared count");
        assert_eq!(
            shared["reference_deg"]["count"].as_u64(),
            Some(shared_count)
        );
        assert!(
            shared_count > 0 && shared_count <= confident.min(theirs_confident),
            "{shared}"
        );
    }
}
