//! The live loop's own stages beside the model: the meter (filtered angles, side choice,
//! guidance, hold timer, trial bookkeeping with its 4-per-second re-measurement) per frame over a
//! 60-s trial, and drawing the live view of a 1080x1920 frame scaled to the window (resize,
//! skeleton, arc and value, status lines). The model's share is in `benches/pose.rs`.

#[path = "../tests/synthetic/mod.rs"]
mod synthetic;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gonio::angles::{SeriesOptions, Side};
use gonio::live::{LiveConfig, LiveMeter};
use gonio::pose::Found;
use gonio::protocols::{self, HoldCriteria, LegAngle};
use gonio::report::live_view::{fit_within, LiveViewRenderer, MeasuredAngle};
use image::Rgb;
use synthetic::*;

fn meter(c: &mut Criterion) {
    let track = noisy_slr(70.0, 60.0, false, true, 5);
    let config = LiveConfig {
        protocol: protocols::find("slr").expect("slr exists"),
        side: None,
        hold: HoldCriteria::default(),
        options: SeriesOptions::default(),
        source_name: "bench".to_string(),
        stall_after: Duration::from_secs(5),
        retimed: None,
    };
    let mut group = c.benchmark_group("live");
    group.sample_size(10);
    group.throughput(Throughput::Elements(track.poses.len() as u64));
    group.bench_function("meter_60s_trial_per_frame", |b| {
        b.iter(|| {
            let mut meter = LiveMeter::new(config.clone(), None);
            meter.start_trial();
            for (&t, pose) in track.time_s.iter().zip(&track.poses) {
                black_box(meter.push(t, &Found::alone(*pose)));
            }
            meter.stop_trial()
        })
    });
    group.finish();
}

fn view(c: &mut Criterion) {
    let frame = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/datasets/sample/pose2sim-frame060.jpg"
    ))
    .expect("sample frame")
    .to_rgb8();
    // A standing figure over the frame, so that skeleton and arc are drawn.
    let mut placement = Placement::new(Posture::Standing, true);
    placement.thigh_px = 380.0;
    placement.hip_at = (540.0, 1000.0);
    let mut body = Body::default();
    body.left.hip_flexion = 40.0;
    let pose = render(&placement, &body);
    let size = fit_within(frame.width(), frame.height(), 1280, 900);
    let lines = [
        ("left hip flexion: 40°   hold 2.1 s", Rgb([255, 230, 0])),
        ("● trial 12 s   best held 38.5°", Rgb([120, 230, 120])),
        ("keep the knee straight", Rgb([255, 150, 60])),
        (
            "12 ms, 30 frames/s   space: trial   s: snapshot   q: quit",
            Rgb([170, 170, 170]),
        ),
    ];
    let mut renderer = LiveViewRenderer::new();
    let mut group = c.benchmark_group("live");
    group.bench_function("view_1080x1920_to_506x900", |b| {
        b.iter(|| {
            let measured = MeasuredAngle {
                side: Side::Left,
                angle: LegAngle::HipFlexion,
                anterior_sign: Some(1.0),
                min_confidence: 0.3,
                label: "40°",
            };
            black_box(renderer.render(&frame, size, &pose, Some(measured), &lines));
        })
    });
    // The clinic app's frame: the view at 640 px, then JPEG for the page.
    let page_size = fit_within(frame.width(), frame.height(), 640, 640);
    let page = renderer.render(&frame, page_size, &pose, None, &[]).clone();
    group.bench_function("page_jpeg_image_360x640", |b| {
        b.iter(|| {
            let mut bytes = Vec::new();
            page.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut std::io::Cursor::new(&mut bytes),
                75,
            ))
            .expect("encodes");
            black_box(bytes)
        })
    });
    group.bench_function("page_jpeg_encoder_360x640", |b| {
        b.iter(|| {
            let mut bytes = Vec::new();
            jpeg_encoder::Encoder::new(&mut bytes, 75)
                .encode(
                    page.as_raw(),
                    page.width() as u16,
                    page.height() as u16,
                    jpeg_encoder::ColorType::Rgb,
                )
                .expect("encodes");
            black_box(bytes)
        })
    });
    group.bench_function("page_view_1080x1920_to_360x640", |b| {
        b.iter(|| black_box(renderer.render(&frame, page_size, &pose, None, &[]).width()))
    });
    group.finish();
}

criterion_group!(benches, meter, view);
criterion_main!(benches);
