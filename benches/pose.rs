//! Per-image latency of the pose stage, split into pre-processing (crop and resize into the
//! model input), inference, and post-processing (back to frame pixels), for both models, on a
//! 1080x1920 sample photo; the whole estimate, upright and with the body lying down; and the
//! person detector on the whole frame.

use criterion::{criterion_group, criterion_main, Criterion};
use fast_image_resize::Resizer;
use gonio::pose::{pose_in_frame, ModelKind, PersonDetector, PoseEstimator, Runtime, SquareCrop};
use image::RgbImage;
use std::hint::black_box;

fn pose_stage(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("datasets/sample/pose2sim-frame060.jpg");
    let frame = match gonio::capture::load_image(&path) {
        Ok(frame) => frame.image,
        Err(e) => panic!("bench input: {e}"),
    };
    let runtime = match Runtime::load() {
        Ok(runtime) => runtime,
        Err(e) => panic!("{e}"),
    };
    for kind in ModelKind::ALL {
        // One inference thread: the figure a 2-core machine can sustain while decoding in parallel.
        let mut estimator = match PoseEstimator::new(runtime, kind, 1) {
            Ok(estimator) => estimator,
            Err(e) => panic!("{e}"),
        };
        let n = kind.input_size();
        let crop = SquareCrop::letterbox(frame.width(), frame.height(), n);
        let mut resizer = Resizer::new();
        let mut input = RgbImage::new(n, n);
        let mut group = c.benchmark_group(format!("pose/{kind}"));
        group.bench_function("preprocess", |b| {
            b.iter(|| crop.render(black_box(&frame), &mut resizer, &mut input))
        });
        crop.render(&frame, &mut resizer, &mut input);
        group.bench_function("inference", |b| {
            b.iter(|| estimator.infer(black_box(&input)))
        });
        let keypoints = match estimator.infer(&input) {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        };
        group.bench_function("postprocess", |b| {
            b.iter(|| pose_in_frame(black_box(&crop), black_box(&keypoints)))
        });
        group.bench_function("estimate_two_pass", |b| {
            b.iter(|| estimator.estimate(black_box(&frame)))
        });
        // The same man lying down (photo turned a quarter turn): a first look, which searches
        // for the turn that stands him up, then tracking, which turns the crop as the last
        // frame's pose says.
        let lying = image::imageops::rotate90(&frame);
        group.bench_function("estimate_lying_first_look", |b| {
            b.iter(|| estimator.estimate(black_box(&lying)))
        });
        let last = match estimator.estimate(&lying) {
            Ok(pose) => pose,
            Err(e) => panic!("{e}"),
        };
        group.bench_function("estimate_lying_tracked", |b| {
            b.iter(|| estimator.estimate_around(black_box(&lying), black_box(&last)))
        });
        group.finish();
    }
    // The person detector on the whole frame (it runs on every frame when others are in view,
    // every few frames when the subject is alone).
    let mut detector = match PersonDetector::new(runtime, 1) {
        Ok(detector) => detector,
        Err(e) => panic!("{e}"),
    };
    c.bench_function("pose/detector/detect", |b| {
        b.iter(|| detector.detect(black_box(&frame)))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = pose_stage
}
criterion_main!(benches);
