//! End to end on the 1080x1920, 60 frames/s sample video (the same recording as the development
//! video pose2sim-single/cam01), analysed at 30 frames/s: decode alone, the whole pipeline
//! (decode overlapped with tracked inference) per model, single-person and multi-person mode
//! (the person detector on every frame before the refinement), and the angle stage alone.
//! Throughput is in analysed frames; a second of this video holds 30 of them.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gonio::angles::{AngleSeries, SeriesOptions};
use gonio::capture::VideoFrames;
use gonio::pipeline::{track_source, Source};
use gonio::pose::{
    ModelKind, PersonDetector, Pick, PoseEstimator, Posture, Runtime, SubjectFinder,
};
use gonio::protocols::{self, HoldCriteria, SideChoice};

const ANALYSIS_FPS: f64 = 30.0;

fn video() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/pose2sim-cam01.mp4")
}

fn end_to_end(c: &mut Criterion) {
    let path = video();
    let frames = match VideoFrames::open_at_most(&path, ANALYSIS_FPS) {
        Ok(frames) => frames.count() as u64,
        Err(e) => panic!("{e} (is ffmpeg installed?)"),
    };
    let mut group = c.benchmark_group("video");
    group.sample_size(10);
    group.throughput(Throughput::Elements(frames));
    group.bench_function("decode_only", |b| {
        b.iter(|| VideoFrames::open_at_most(&path, ANALYSIS_FPS).map(|f| f.count()))
    });
    let runtime = match Runtime::load() {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let source = Source::Video(path.clone());
    let mut last_track = None;
    for kind in ModelKind::ALL {
        // One inference thread beside the decoder, as `gonio analyze` runs on 2 cores.
        let mut estimator = match PoseEstimator::new(runtime, kind, 1) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        };
        group.bench_function(format!("pipeline_{kind}"), |b| {
            b.iter(|| {
                let tracked = track_source(
                    &source,
                    Some(&mut estimator),
                    &mut SubjectFinder::single(),
                    Some(ANALYSIS_FPS),
                    |_| std::ops::ControlFlow::Continue(()),
                );
                last_track = tracked.ok();
            })
        });
        // Multi-person mode: the detector on every frame, then the refinement on the subject.
        let detector = match PersonDetector::new(runtime, 1) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let mut finder = SubjectFinder::multi(detector, Pick::Auto(Posture::Kneeling));
        group.bench_function(format!("pipeline_{kind}_multi_person"), |b| {
            b.iter(|| {
                black_box(
                    track_source(
                        &source,
                        Some(&mut estimator),
                        &mut finder,
                        Some(ANALYSIS_FPS),
                        |_| std::ops::ControlFlow::Continue(()),
                    )
                    .is_ok(),
                )
            })
        });
    }
    if let Some(tracked) = last_track {
        let protocol = protocols::find("hip-extension").expect("protocol exists");
        group.bench_function("angles_and_result", |b| {
            b.iter_batched_ref(
                || tracked.track.clone(),
                |track| {
                    let series = AngleSeries::from_poses(
                        &track.time_s,
                        &mut track.poses,
                        &SeriesOptions::default(),
                    );
                    black_box(protocols::measure(
                        protocol,
                        &series,
                        SideChoice::Auto,
                        &HoldCriteria::default(),
                        "bench",
                        None,
                    ))
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
