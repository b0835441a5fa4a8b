//! The real models on real photos with ground truth. Thresholds are the figures measured on
//! this machine class (see the README), with a small margin for floating-point differences
//! between CPUs; the normalised-error medians are held to those of a plain Python pipeline
//! with the same models (OpenCV warp + onnxruntime, measured with the same metric).

mod common;

use common::*;
use gonio::eval::{evaluate, CocoDataset, ErrorStats, EvalReport, PCK_THRESHOLD};
use gonio::pose::{BodyPart, ModelKind, PoseEstimator, QuarterTurns, Runtime};

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
    let (report, skipped) =
        evaluate(&mut estimator(kind), &dataset, images, turns, || {}).expect("evaluation runs");
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
    // Measured: PCK 0.818, median 0.095 (Python: 0.097), knee 19.6, hip 13.3.
    check(
        "lightning/mmpose",
        &report,
        Expected {
            min_pck: 0.80,
            max_median_error: 0.097,
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
    // Measured: PCK 0.791, median 0.094 (Python: 0.102), knee 5.2, hip 12.5 (median 5.1: a few
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
    // Measured: PCK 0.694, median 0.156 (Python: 0.154), knee 17.4, hip 14.2.
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
/// so that the body stands upright in the model input, and PCK and the knee and hip angle errors
/// stay within 10 % of upright (the target of issue 8).
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
    // Measured (0 / 90 / 180 / 270): PCK 0.791 / 0.773 / 0.804 / 0.789 (without turning the crop
    // back: -, 0.328, 0.216, 0.380); knee error median 4.05 / 4.19 / 3.76 / 4.41 deg, mean
    // 5.19 / 5.38 / 4.96 / 5.40; hip error median 5.14 / 4.93 / 4.72 / 5.25, mean
    // 12.5 / 12.6 / 12.8 / 12.7.
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
                turned.median <= 1.1 * upright.median && turned.mean <= 1.1 * upright.mean,
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
        // Measured: right hip angle error -1.7 / -0.4 / 0.7 / -2.8 deg; nose, shoulders within
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
