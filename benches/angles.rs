//! The angle pipeline on one core: the per-frame kernel (every angle of both legs and the trunk),
//! and the whole series pipeline (swap correction, anterior vote, kernel, outlier rejection, gap
//! filling, zero-phase smoothing, and hold detection for a protocol), in frames per second.
//! Targets: 10 million frames/s for the kernel, 1 million for the pipeline.

#[path = "../tests/synthetic/mod.rs"]
mod synthetic;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gonio::angles::{joint_angles, AngleSeries, SeriesOptions, Side, DEFAULT_MIN_CONFIDENCE};
use gonio::pose::Pose;
use gonio::protocols::{self, HoldCriteria, SideChoice};
use std::hint::black_box;
use synthetic::*;

/// A straight-leg raise at 30 frames/s, repeated to `seconds`, with noise, dropouts and swaps.
fn slr_series(seconds: f64) -> (Vec<f64>, Vec<Pose>) {
    let mut rng = XorShift::new(5);
    let times = timestamps(30.0, seconds, false, &mut rng);
    let curve = stretch_curve(0.0, 70.0);
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            let mut body = Body::default();
            body.leg_mut(Side::Left).hip_flexion = curve(t % 10.0);
            render(&Placement::new(Posture::Supine, true), &body)
        })
        .collect();
    corrupt(
        &mut poses,
        &Noise {
            sigma_px: 2.0,
            dropout: 0.1,
            swaps: 0.05,
        },
        &mut rng,
    );
    (times, poses)
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
