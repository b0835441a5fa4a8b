//! The angle pipeline on one core: the per-frame kernel (every angle of both legs and the trunk),
//! and the whole series pipeline (swap correction, anterior vote, kernel, outlier rejection, gap
//! filling, zero-phase smoothing, and hold detection for a protocol), in frames per second.
//! Targets: 10 million frames/s for the kernel, 1 million for the pipeline.

#[path = "../tests/synthetic/mod.rs"]
mod synthetic;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gonio::angles::{joint_angles, AngleSeries, SeriesOptions, DEFAULT_MIN_CONFIDENCE};
use gonio::pose::Pose;
use gonio::protocols::{self, HoldCriteria, SideChoice};
use std::hint::black_box;
use synthetic::*;

/// A straight-leg raise at 30 frames/s, repeated to `seconds`, with noise, dropouts and swaps.
fn slr_series(seconds: f64) -> (Vec<f64>, Vec<Pose>) {
    let track = noisy_slr(70.0, seconds, false, true, 5);
    (track.time_s, track.poses)
}

fn kernel(c: &mut Criterion) {
    let (_, poses) = slr_series(10.0);
    let mut group = c.benchmark_group("angles");
    group.throughput(Throughput::Elements(poses.len() as u64));
    group.bench_function("kernel_per_frame", |b| {
        b.iter(|| {
            for pose in &poses {
                black_box(joint_angles(
                    black_box(pose),
                    Some(1.0),
                    DEFAULT_MIN_CONFIDENCE,
                ));
            }
        })
    });
    group.finish();
}

fn pipeline(c: &mut Criterion) {
    let protocol = protocols::find("slr").expect("slr exists");
    let mut group = c.benchmark_group("angles");
    for seconds in [10.0, 600.0] {
        let (times, poses) = slr_series(seconds);
        group.throughput(Throughput::Elements(poses.len() as u64));
        group.bench_function(format!("series_pipeline_{seconds}s"), |b| {
            b.iter_batched_ref(
                || poses.clone(),
                |poses| {
                    let series = AngleSeries::from_poses(&times, poses, &SeriesOptions::default());
                    protocols::measure(
                        protocol,
                        &series,
                        SideChoice::Auto,
                        &HoldCriteria::default(),
                        "bench",
                        None,
                    )
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, kernel, pipeline);
criterion_main!(benches);
