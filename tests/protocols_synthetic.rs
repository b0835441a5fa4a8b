//! Every protocol on synthetic stick figures whose angles are known exactly: the pipeline must
//! recover the sustained maximum within 1 degree on clean series and within 2 degrees with
//! noise (sigma 2 px on a 100-px thigh), 10 % dropped frames and left/right swaps, in every
//! orientation; and results must not change under translation, scaling and mirroring.

mod synthetic;

use gonio::angles::{AngleSeries, SeriesOptions, Side};
use gonio::pose::BodyPart;
use gonio::pose::Pose;
use gonio::protocols::{
    self, HoldCriteria, Measurement, Quality, RefusalKind, SideChoice, WarningKind,
};
use proptest::prelude::*;
use synthetic::*;

/// A protocol's motion: which postures it is done in, and the body at curve value `c` with the
/// measured leg on `side`.
struct Scenario {
    protocol: &'static str,
    postures: &'static [Posture],
    rest: f32,
    target: f32,
    body: fn(f32, Side) -> Body,
    /// Expected results: (measure, value) with `None` meaning "the target".
    expected: &'static [(&'static str, Option<f32>)],
}

fn with_legs(measured: Leg, other: Leg, side: Side, trunk_lean: f32) -> Body {
    let mut body = Body {
        trunk_lean,
        ..Body::default()
    };
    *body.leg_mut(side) = measured;
    *body.leg_mut(side.other()) = other;
    body
}

/// A resting leg lying flat on the table: lying on the back, the hip joint's centre lies some
/// 10 cm above it, the ankle's some 5, so the leg slopes about 3 deg down to the foot.
const RESTING_FLAT: Leg = Leg {
    hip_flexion: -3.0,
    knee_flexion: 0.0,
};

const SCENARIOS: &[Scenario] = &[
    Scenario {
        protocol: "hip-extension",
        postures: &[Posture::Kneeling],
        rest: 0.0,
        target: 18.0,
        body: |c, side| {
            with_legs(
                Leg {
                    hip_flexion: -c,
                    knee_flexion: 90.0,
                },
                Leg {
                    hip_flexion: 90.0,
                    knee_flexion: 90.0,
                },
                side,
                3.0,
            )
        },
        expected: &[("hip_extension", None)],
    },
    Scenario {
        protocol: "prone-hip-extension",
        postures: &[Posture::Prone],
        rest: 0.0,
        target: 14.0,
        body: |c, side| {
            with_legs(
                Leg {
                    hip_flexion: -c,
                    knee_flexion: 3.0,
                },
                Leg::default(),
                side,
                0.0,
            )
        },
        expected: &[("hip_extension", None)],
    },
    Scenario {
        protocol: "thomas",
        postures: &[Posture::Supine],
        rest: -12.0,
        target: 6.0,
        body: |c, side| {
            with_legs(
                Leg {
                    hip_flexion: c,
                    knee_flexion: 70.0,
                },
                Leg {
                    hip_flexion: 120.0,
                    knee_flexion: 110.0,
                },
                side,
                0.0,
            )
        },
        expected: &[("thigh_to_horizontal", None), ("knee_flexion", Some(70.0))],
    },
    Scenario {
        protocol: "slr",
        postures: &[Posture::Supine],
        rest: 0.0,
        target: 72.0,
        body: |c, side| {
            with_legs(
                Leg {
                    hip_flexion: c,
                    knee_flexion: 0.0,
                },
                RESTING_FLAT,
                side,
                0.0,
            )
        },
        expected: &[("hip_flexion", None), ("leg_to_horizontal", None)],
    },
    Scenario {
        protocol: "ake",
        postures: &[Posture::Supine],
        rest: 90.0,
        target: 25.0,
        body: |c, side| {
            with_legs(
                Leg {
                    hip_flexion: 90.0,
                    knee_flexion: c,
                },
                Leg::default(),
                side,
                0.0,
            )
        },
        expected: &[("knee_extension_deficit", None)],
    },
    Scenario {
        protocol: "toe-touch",
        postures: &[Posture::Standing],
        rest: 0.0,
        target: 95.0,
        body: |c, _| {
            let leg = Leg {
                hip_flexion: c,
                knee_flexion: 3.0,
            };
            Body {
                left: leg,
                right: leg,
                trunk_lean: c,
            }
        },
        expected: &[("hip_flexion", None)],
    },
    Scenario {
        protocol: "knee-to-chest",
        postures: &[Posture::Supine],
        rest: 0.0,
        target: 118.0,
        // The knee bends as it is drawn up: straight at rest, about 120 deg at the chest.
        body: |c, side| {
            with_legs(
                Leg {
                    hip_flexion: c,
                    knee_flexion: 20.0 + 0.85 * c,
                },
                RESTING_FLAT,
                side,
                0.0,
            )
        },
        expected: &[("hip_flexion", None)],
    },
    Scenario {
        protocol: "prone-knee-bend",
        postures: &[Posture::Prone],
        rest: 0.0,
        target: 128.0,
        body: |c, side| {
            with_legs(
                Leg {
                    hip_flexion: 0.0,
                    knee_flexion: c,
                },
                Leg::default(),
                side,
                0.0,
            )
        },
        expected: &[("knee_flexion", None)],
    },
    Scenario {
        protocol: "lunge-ankle",
        postures: &[Posture::Kneeling],
        rest: 8.0,
        target: 38.0,
        // The front leg: thigh forward, the shank inclined `c` past vertical (knee ahead of the
        // ankle); the back leg behind, nearly straight.
        body: |c, side| {
            with_legs(
                Leg {
                    hip_flexion: 40.0,
                    knee_flexion: 40.0 + c,
                },
                Leg {
                    hip_flexion: -20.0,
                    knee_flexion: 10.0,
                },
                side,
                // Upright: the figure's legs are drawn from the trunk, and the shank is
                // measured against the picture's vertical.
                0.0,
            )
        },
        expected: &[("ankle_dorsiflexion", None)],
    },
];

/// Renders a scenario into a pose series.
fn series_of(scenario: &Scenario, placement: &Placement, side: Side, times: &[f64]) -> Vec<Pose> {
    // A position test's leg settles and stays (its result is the last level held); the
    // stretches move in, hold and come back.
    let curve: Box<dyn Fn(f64) -> f32> = if scenario.protocol == "thomas" {
        Box::new(settle_curve(scenario.rest, scenario.target))
    } else {
        Box::new(stretch_curve(scenario.rest, scenario.target))
    };
    let poses: Vec<Pose> = times
        .iter()
        .map(|&t| render(placement, &(scenario.body)(curve(t), side)))
        .collect();
    if scenario.protocol == "lunge-ankle" {
        // The figure's legs hang from the hips: the front foot stays planted instead, as in a
        // lunge (its ankle rising as the shank tilts would be a heel lifted).
        return planted(poses, side);
    }
    poses
}

fn check(scenario: &Scenario, results: &[Measurement], side: Side, tolerance: f32, label: &str) {
    for &(measure, expected) in scenario.expected {
        let expected = expected.unwrap_or(scenario.target);
        let r = results
            .iter()
            .find(|r| r.measure == measure)
            .unwrap_or_else(|| panic!("{label}: no {measure} result in {results:?}"));
        assert_eq!(r.side, side, "{label}: auto side picked {:?}", r.side);
        let value = r
            .value_deg
            .unwrap_or_else(|| panic!("{label}: no sustained value: {r:?}"));
        if std::env::var_os("GONIO_PRINT_ERRORS").is_some() {
            eprintln!(
                "{label}: {measure} error {:+.3} deg (hold {:.1} s, valid {}/{}, {:?})",
                value - expected,
                r.hold_s,
                r.valid_frames,
                r.total_frames,
                r.quality
            );
        }
        assert!(
            (value - expected).abs() <= tolerance,
            "{label}: {measure} = {value:.2}, expected {expected} ± {tolerance}; {r:?}"
        );
    }
}

/// Every orientation a protocol can be filmed in: the posture's two directions, both legs.
fn variants(scenario: &Scenario) -> Vec<(Placement, Side, String)> {
    let mut out = Vec::new();
    for &posture in scenario.postures {
        for towards_right in [true, false] {
            for side in Side::BOTH {
                // Toe touch moves both legs alike: the side is not defined by the motion.
                if scenario.protocol == "toe-touch" && side == Side::Right {
                    continue;
                }
                let label = format!(
                    "{} {posture:?} towards_right={towards_right} {side:?}",
                    scenario.protocol
                );
                out.push((Placement::new(posture, towards_right), side, label));
            }
        }
    }
    out
}

#[test]
fn clean_series_recover_the_sustained_maximum_within_1_degree() {
    let mut rng = XorShift::new(1);
    for scenario in SCENARIOS {
        for (placement, side, label) in variants(scenario) {
            let times = timestamps(30.0, 10.0, false, &mut rng);
            let mut poses = series_of(scenario, &placement, side, &times);
            let results = measure(scenario.protocol, &times, &mut poses, SideChoice::Auto);
            check(scenario, &results, side, 1.0, &label);
            assert!(
                results.iter().all(|r| r.quality == Quality::Good),
                "{label}: {results:?}"
            );
        }
    }
}

#[test]
fn noisy_series_with_dropouts_and_swaps_recover_it_within_2_degrees() {
    let noise = Noise {
        sigma_px: 2.0,
        dropout: 0.10,
        swaps: 0.05,
    };
    for seed in 1..=5 {
        let mut rng = XorShift::new(seed);
        for scenario in SCENARIOS {
            for (placement, side, label) in variants(scenario) {
                let label = format!("{label} seed {seed}");
                let times = timestamps(30.0, 10.0, true, &mut rng);
                let mut poses = series_of(scenario, &placement, side, &times);
                corrupt(&mut poses, &noise, &mut rng);
                let results = measure(scenario.protocol, &times, &mut poses, SideChoice::Auto);
                check(scenario, &results, side, 2.0, &label);
            }
        }
    }
}

#[test]
fn higher_frame_rates_and_other_scales_work_too() {
    let mut rng = XorShift::new(7);
    let scenario = &SCENARIOS[3]; // slr
    for (fps, thigh_px) in [(60.0, 300.0), (24.0, 60.0), (15.0, 100.0)] {
        let times = timestamps(fps, 10.0, true, &mut rng);
        let placement = Placement {
            thigh_px,
            ..Placement::new(Posture::Supine, false)
        };
        let mut poses = series_of(scenario, &placement, Side::Right, &times);
        corrupt(
            &mut poses,
            &Noise {
                sigma_px: 2.0 * thigh_px / 100.0,
                dropout: 0.1,
                swaps: 0.05,
            },
            &mut rng,
        );
        let results = measure(scenario.protocol, &times, &mut poses, SideChoice::Auto);
        check(
            scenario,
            &results,
            Side::Right,
            2.0,
            &format!("slr at {fps} fps, thigh {thigh_px} px"),
        );
    }
}

/// A still hold read with heavy keypoint noise (2-4 px on thighs of 60-100 px, 10 % dropped
/// frames, swaps) is measured or refused, not called rocking because a few misread frames split
/// it: the hip extension and the straight-leg raise, 30 seeds each. Before misreads were set
/// aside, 42 of the 540 were refused as repetitions (21 now); 22 of them are now 19 results within
/// 3 deg of the truth and 3 "never held". At 3 px or less every result is within 3 deg (at
/// 4 px on a 60-px thigh, 6 hip extensions are not, before and after).
/// `scenario` on the left leg over 10 s at an uneven 30 frames/s (seeded), a thigh of
/// `thigh_px`, its keypoints read with `sigma_px` of jitter, 10 % of frames dropped and 5 %
/// swapped: its results.
fn noisy_hold(scenario: &Scenario, thigh_px: f32, sigma_px: f32, seed: u64) -> Vec<Measurement> {
    let mut rng = XorShift::new(seed);
    let times = timestamps(30.0, 10.0, true, &mut rng);
    let placement = Placement {
        thigh_px,
        ..Placement::new(scenario.postures[0], seed.is_multiple_of(2))
    };
    let mut poses = series_of(scenario, &placement, Side::Left, &times);
    let noise = Noise {
        sigma_px,
        dropout: 0.1,
        swaps: 0.05,
    };
    corrupt(&mut poses, &noise, &mut rng);
    measure(scenario.protocol, &times, &mut poses, SideChoice::Auto)
}

#[test]
fn a_noisy_still_hold_is_not_taken_for_rocking() {
    let (mut repetitions, mut off) = (0, 0);
    for scenario in [&SCENARIOS[0], &SCENARIOS[3]] {
        for thigh_px in [60.0, 80.0, 100.0] {
            for sigma_px in [2.0, 3.0, 4.0] {
                for seed in 1..=30 {
                    let label = format!(
                        "{} thigh {thigh_px} px, noise {sigma_px} px, seed {seed}",
                        scenario.protocol
                    );
                    let results = noisy_hold(scenario, thigh_px, sigma_px, seed);
                    let r = &results[0];
                    if r.refusal.as_ref().map(|f| f.kind) == Some(RefusalKind::Repetitions) {
                        repetitions += 1;
                    }
                    if r.value_deg
                        .is_some_and(|v| (v - scenario.target).abs() > 3.0)
                    {
                        off += 1;
                    }
                    if let (Some(value), true) = (r.value_deg, sigma_px <= 3.0) {
                        assert!(
                            (value - scenario.target).abs() <= 3.0,
                            "{label}: {value:.1} against {}: {r:?}",
                            scenario.target
                        );
                    }
                }
            }
        }
    }
    // (21 since jumps of 10 deg in a frame are misreads: a hold at 4 px on a 60-px thigh read
    // 16.9 is now called rocking, and two that read 19.7 read 18.3.)
    assert!(
        repetitions <= 21,
        "{repetitions} of 540 still holds called rocking"
    );
    // The calls withdrawn became results within 3 deg or refusals: the 6 results further off
    // (4 px on a 60-px thigh) were there before.
    assert!(off <= 6, "{off} of 540 results more than 3 deg off");
}

/// A straight-leg raise on the left (target 72 deg, held from 3 to 7 s, then rest) at `times`,
/// whose left knee and ankle are read, while `misread(t)` gives a level, where a body `scale`
/// times as large would have them with its leg raised to that level, degrees.
fn slr_with_misread(times: &[f64], scale: f32, misread: impl Fn(f64) -> Option<f32>) -> Vec<Pose> {
    let scenario = &SCENARIOS[3]; // slr, target 72
    let placement = Placement::new(Posture::Supine, true);
    let long = Placement {
        thigh_px: scale * placement.thigh_px,
        ..placement
    };
    let curve = stretch_curve(scenario.rest, scenario.target);
    times
        .iter()
        .map(|&t| {
            let mut pose = render(&placement, &(scenario.body)(curve(t), Side::Left));
            if let Some(level) = misread(t) {
                let wrong = render(&long, &(scenario.body)(level, Side::Left));
                for part in [BodyPart::LeftKnee, BodyPart::LeftAnkle] {
                    pose.keypoints[part.index()] = wrong.get(part);
                }
            }
            pose
        })
        .collect()
}

/// A leg read on something else (a therapist's arm, the other person's leg) for 1.5 s, raised
/// higher than the true hold: read longer than the leg's own length, its frames are left out and
/// reported, and the true hold is the result. Read at the leg's own length, the same misread
/// cannot be told from the leg by its lengths, but it jumped there from the leg at rest in a
/// frame and back, and is left out for that. Reached and left in half a second, as a leg could
/// be, it is taken: the controls show the checks are what keep it out.
#[test]
fn a_leg_read_longer_than_itself_is_left_out() {
    let mut rng = XorShift::new(11);
    // 20 s: the stretch, then rest; the misread lasts under a tenth of the recording.
    let times = timestamps(30.0, 20.0, false, &mut rng);
    let misread = |t: f64| (12.0..13.5).contains(&t);
    let measure_with = |length: f32| {
        let mut poses = slr_with_misread(&times, length, |t| misread(t).then_some(88.0));
        measure("slr", &times, &mut poses, SideChoice::Named(Side::Left))
    };
    let misread_frames = times.iter().filter(|&&t| misread(t)).count();
    let hip_flexion = |results: &[Measurement]| {
        let r = results
            .iter()
            .find(|r| r.measure == "hip_flexion")
            .expect("a hip flexion result");
        (r.value_deg, r.warnings.clone())
    };

    let (value, warnings) = hip_flexion(&measure_with(1.6));
    let value = value.expect("the true hold is measured");
    assert!((value - 72.0).abs() < 1.0, "{value} deg, {warnings:?}");
    let warning = warnings
        .iter()
        .find(|w| w.kind == WarningKind::Misread)
        .unwrap_or_else(|| panic!("misread frames reported: {warnings:?}"));
    assert_eq!(warning.side, Some(Side::Left));
    let share = warning.share.unwrap_or_default();
    assert!(
        (share - misread_frames as f32 / times.len() as f32).abs() < 1e-4,
        "{share}"
    );

    let (value, warnings) = hip_flexion(&measure_with(1.0));
    let value = value.expect("the true hold is measured");
    assert!((value - 72.0).abs() < 1.0, "{value} deg, {warnings:?}");
    assert!(
        warnings.iter().any(|w| w.kind == WarningKind::Misread),
        "a misread that jumped is reported: {warnings:?}"
    );

    // Control: the same misread reached from the leg at rest in half a second, held for 1.5 s
    // and left as fast, is taken: neither its length nor its movement tells it from the leg.
    let gradual = |t: f64| {
        let level = 88.0 * ramp(t, 12.0, 12.5) * (1.0 - ramp(t, 14.0, 14.5));
        (level > 0.0).then_some(level)
    };
    let mut poses = slr_with_misread(&times, 1.0, gradual);
    let results = measure("slr", &times, &mut poses, SideChoice::Named(Side::Left));
    let (value, warnings) = hip_flexion(&results);
    assert!(
        value.is_some_and(|v| (v - 88.0).abs() < 1.5),
        "control: a misread as long as the leg, moving as a leg, is taken ({value:?})"
    );
    assert!(warnings.iter().all(|w| w.kind != WarningKind::Misread));
}

/// Assisted stretching: the therapist's leg or arm read as the patient's leg, reached and left
/// in a frame, in the middle of the hold (30 deg further into the stretch) or after the release
/// to the recording's end (25 deg past the hold). Every hold protocol whose leg carries the
/// measure read the misread as its result, graded good (a straight-leg raise held at 70 read
/// 95; a prone knee bend at 120 read 150); now its result is the true hold's.
#[test]
fn a_leg_that_jumps_to_another_limb_is_not_the_result() {
    let mut rng = XorShift::new(17);
    let times = timestamps(30.0, 12.0, false, &mut rng);
    for scenario in SCENARIOS.iter().filter(|s| s.protocol != "toe-touch") {
        let (placement, side) = (Placement::new(scenario.postures[0], true), Side::Left);
        let label = scenario.protocol;
        let further = (scenario.target - scenario.rest).signum();
        let results_with = |misread: &dyn Fn(f64) -> Option<f32>| {
            let clean = series_of(scenario, &placement, side, &times);
            let mut poses: Vec<Pose> = times
                .iter()
                .zip(clean)
                .map(|(&t, mut pose)| {
                    if let Some(level) = misread(t) {
                        let wrong = render(&placement, &(scenario.body)(level, side));
                        let wrong = if scenario.protocol == "lunge-ankle" {
                            // Placed where the planted foot of the clean series stands.
                            let shift = pose.get(BodyPart::LeftAnkle).x
                                - render(&placement, &(scenario.body)(scenario.rest, side))
                                    .get(BodyPart::LeftAnkle)
                                    .x;
                            let mut w = wrong;
                            for k in &mut w.keypoints {
                                k.x += shift;
                            }
                            w
                        } else {
                            wrong
                        };
                        for part in [BodyPart::LeftKnee, BodyPart::LeftAnkle] {
                            pose.keypoints[part.index()] = wrong.get(part);
                        }
                    }
                    pose
                })
                .collect();
            measure(
                scenario.protocol,
                &times,
                &mut poses,
                SideChoice::Named(side),
            )
        };
        let clean = results_with(&|_| None);
        let mid = results_with(&|t| {
            (4.0..5.5)
                .contains(&t)
                .then_some(scenario.target + 30.0 * further)
        });
        let after = results_with(&|t| (t >= 10.5).then_some(scenario.target + 25.0 * further));
        // 15 deg beyond the hold: a therapist's knee beside the patient's (with jumps of 20 deg
        // or more alone taken for misreads, a kneeling lunge at 15 read 30, good).
        let near = results_with(&|t| {
            (4.0..5.5)
                .contains(&t)
                .then_some(scenario.target + 15.0 * further)
        });
        for (case, results) in [
            ("in the hold", &mid),
            ("after the release", &after),
            ("15 deg beyond, in the hold", &near),
        ] {
            for (c, r) in clean.iter().zip(results.iter()) {
                assert_eq!(c.measure, r.measure);
                let (Some(truth), Some(value)) = (c.value_deg, r.value_deg) else {
                    panic!("{label}, {case}: {:?} against {:?}", c, r);
                };
                assert!(
                    (value - truth).abs() <= 1.0,
                    "{label}, {case}: {} {value:.1} for {truth:.1}: {r:?}",
                    r.measure
                );
            }
        }
        assert!(
            mid[0]
                .warnings
                .iter()
                .any(|w| w.kind == WarningKind::Misread),
            "{label}: the misread is said: {:?}",
            mid[0].warnings
        );
    }
}

/// A misread that lasts (here 30 % of the recording) becomes the leg's "own length" and passes
/// the own-length rule; the body's proportions in each frame still rule it out: a thigh and
/// shank read twice as long as the trunk and arms allow are left out, and the true hold stays
/// the result.
#[test]
fn a_lasting_misread_is_left_out_by_the_bodys_proportions() {
    let mut rng = XorShift::new(13);
    let times = timestamps(30.0, 20.0, false, &mut rng);
    // Six seconds at rest read as a leg raised to 88 deg, longer than the true 4-s hold.
    let misread = |t: f64| (10.0..16.0).contains(&t);
    let mut poses = slr_with_misread(&times, 2.0, |t| misread(t).then_some(88.0));
    let misread_frames = times.iter().filter(|&&t| misread(t)).count();
    assert!(
        10 * misread_frames > times.len(),
        "longer than the own-length rule sees"
    );
    let results = measure("slr", &times, &mut poses, SideChoice::Named(Side::Left));
    let result = results
        .iter()
        .find(|r| r.measure == "hip_flexion")
        .expect("a hip flexion result");
    let value = result.value_deg.expect("the true hold is measured");
    assert!(
        (value - 72.0).abs() < 1.0,
        "{value} deg, {:?}",
        result.warnings
    );
    let warning = result
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::Misread)
        .unwrap_or_else(|| panic!("misread frames reported: {:?}", result.warnings));
    let share = warning.share.unwrap_or_default();
    assert!(
        (share - misread_frames as f32 / times.len() as f32).abs() < 1e-4,
        "{share}"
    );
}

/// The misread frames are known per frame, the pictures leave their keypoints out, and frames
/// read long before the test (the patient standing nearer the camera, then lying down) are not
/// reported as misreads of the test.
#[test]
fn misread_frames_are_left_out_of_pictures_and_counted_during_the_test_only() {
    let scenario = &SCENARIOS[3]; // slr, target 72
    let placement = Placement::new(Posture::Supine, true);
    let nearer = Placement {
        thigh_px: 1.5 * placement.thigh_px,
        ..Placement::new(Posture::Standing, true)
    };
    let mut rng = XorShift::new(12);
    let times = timestamps(30.0, 20.0, false, &mut rng);
    let curve = stretch_curve(scenario.rest, scenario.target);
    let standing = |t: f64| t < 1.0;
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            if standing(t) {
                render(&nearer, &Body::default())
            } else {
                render(&placement, &(scenario.body)(curve(t - 1.0), Side::Left))
            }
        })
        .collect();
    // A misread left knee in one frame of the hold.
    let at = times
        .iter()
        .position(|&t| t >= 5.0)
        .expect("a frame at 5 s");
    poses[at].keypoints[BodyPart::LeftKnee.index()].x += 150.0;
    let series = AngleSeries::from_poses(&times, &mut poses.clone(), &SeriesOptions::default());
    let misread = series.misread(Side::Left);
    assert!(misread[at], "the knee 150 px off is misread");
    let before = times.iter().filter(|&&t| standing(t)).count();
    assert!(
        misread[..before].iter().all(|&m| m),
        "standing 1.5 times nearer reads long"
    );
    let drawn = series.as_measured(at, &poses[at]);
    for part in [BodyPart::LeftHip, BodyPart::LeftKnee] {
        assert_eq!(drawn.get(part).confidence, 0.0, "{part:?} not drawn");
    }
    assert_eq!(
        drawn.get(BodyPart::RightKnee),
        poses[at].get(BodyPart::RightKnee)
    );
    assert_eq!(series.as_measured(at + 1, &poses[at + 1]), poses[at + 1]);

    let results = measure("slr", &times, &mut poses, SideChoice::Named(Side::Left));
    let r = results
        .iter()
        .find(|r| r.measure == "hip_flexion")
        .expect("a hip flexion result");
    let value = r.value_deg.expect("measured");
    assert!((value - 72.0).abs() < 1.0, "{value}");
    let warning = r
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::Misread)
        .expect("the misread frame of the hold is reported");
    let share = warning.share.unwrap_or_default();
    assert!(
        (share - 1.0 / times.len() as f32).abs() < 1e-6,
        "only the frame during the test: {share}"
    );
}

#[test]
fn invalid_frames_are_flagged_with_reasons() {
    let mut rng = XorShift::new(3);
    // Straight-leg raise with the raised knee bent 40 degrees through the whole hold.
    let times = timestamps(30.0, 10.0, false, &mut rng);
    let curve = stretch_curve(0.0, 70.0);
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            let knee = if (2.0..8.0).contains(&t) { 40.0 } else { 0.0 };
            render(
                &Placement::new(Posture::Supine, true),
                &with_legs(
                    Leg {
                        hip_flexion: curve(t),
                        knee_flexion: knee,
                    },
                    Leg::default(),
                    Side::Left,
                    0.0,
                ),
            )
        })
        .collect();
    let results = measure("slr", &times, &mut poses, SideChoice::Named(Side::Left));
    let r = &results[0];
    assert!(
        r.warnings.iter().any(|w| w
            .to_string()
            .starts_with("raised knee bent over 20 deg in 6")),
        "{:?}",
        r.warnings
    );
    assert_ne!(r.quality, Quality::Good);
    // The bent-knee hold is not the result; and the only level held with a straight knee is
    // the resting one, which is no result either. The refusal says why the hold did not count
    // (it said "only the resting level was held", blaming the person for not holding).
    assert_eq!(
        r.value_deg, None,
        "the bent-knee hold is not the result: {r:?}"
    );
    let refusal = r.refusal.as_ref().unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(refusal.kind, protocols::RefusalKind::NoValidFrames, "{r:?}");
    assert!(
        refusal
            .reason
            .starts_with("hip_flexion was held at about 70 deg from ")
            && refusal
                .reason
                .ends_with("but those frames did not count: raised knee bent over 20 deg"),
        "{refusal:?}"
    );

    // Kneeling stretch with the trunk leaning 25 degrees: compensation.
    let curve = stretch_curve(0.0, 20.0);
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            render(
                &Placement::new(Posture::Kneeling, false),
                &with_legs(
                    Leg {
                        hip_flexion: -curve(t),
                        knee_flexion: 90.0,
                    },
                    Leg {
                        hip_flexion: 90.0,
                        knee_flexion: 90.0,
                    },
                    Side::Right,
                    25.0,
                ),
            )
        })
        .collect();
    let results = measure("hip-extension", &times, &mut poses, SideChoice::Auto);
    let r = &results[0];
    assert!(
        r.warnings
            .iter()
            .any(|w| w.to_string().contains("compensation")
                && w.to_string().contains("up to 25 deg")),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.quality, Quality::Poor);
    assert_eq!(r.value_deg, None);

    // Filmed from the front rather than the side.
    let placement = Placement {
        lateral_px: 90.0,
        ..Placement::new(Posture::Supine, true)
    };
    let scenario = &SCENARIOS[3];
    let mut poses = series_of(scenario, &placement, Side::Left, &times);
    let results = measure("slr", &times, &mut poses, SideChoice::Auto);
    assert!(
        results[0]
            .warnings
            .iter()
            .any(|w| w.to_string().contains("view looks oblique")),
        "{:?}",
        results[0].warnings
    );
}

/// `--side auto` finds a raise held for less than a twentieth of the recording: after minutes
/// lying at rest (the camera started early), a 3-s raise named the resting leg ("no leg was
/// raised") in 7 of 10 recordings, by which leg's keypoints jittered more.
#[test]
fn a_short_raise_after_a_long_rest_is_found() {
    let mut rng = XorShift::new(41);
    let times = timestamps(30.0, 300.0, false, &mut rng);
    for (protocol, target) in [("slr", 60.0f32), ("knee-to-chest", 110.0)] {
        for raised in [Side::Left, Side::Right] {
            let mut poses: Vec<Pose> = times
                .iter()
                .map(|&t| {
                    // At rest until 290 s, up by 291.5 s, held to 294.5 s, down by 296 s.
                    let c = target * (ramp(t, 290.0, 291.5) - ramp(t, 294.5, 296.0));
                    let leg = Leg {
                        hip_flexion: RESTING_FLAT.hip_flexion + c,
                        knee_flexion: if protocol == "slr" { 0.0 } else { c },
                    };
                    render(
                        &Placement::new(Posture::Supine, true),
                        &with_legs(leg, RESTING_FLAT, raised, 0.0),
                    )
                })
                .collect();
            corrupt(
                &mut poses,
                &Noise {
                    sigma_px: 0.5,
                    ..Noise::default()
                },
                &mut rng,
            );
            // The resting leg jitters more (the far one, half hidden behind the near one).
            let resting = match raised {
                Side::Left => [BodyPart::RightKnee, BodyPart::RightAnkle],
                Side::Right => [BodyPart::LeftKnee, BodyPart::LeftAnkle],
            };
            for pose in &mut poses {
                for part in resting {
                    let k = &mut pose.keypoints[part.index()];
                    k.x += rng.gaussian();
                    k.y += rng.gaussian();
                }
            }
            let results = measure(protocol, &times, &mut poses, SideChoice::Auto);
            let r = &results[0];
            assert_eq!(r.side, raised, "{protocol}, {raised:?} raised: {r:?}");
            let value = r
                .value_deg
                .unwrap_or_else(|| panic!("{protocol}, {raised:?} raised: {r:?}"));
            if protocol == "slr" {
                let raised_to = target + RESTING_FLAT.hip_flexion;
                assert!((value - raised_to).abs() < 2.0, "{value} for {raised_to}");
            }
        }
    }
}

#[test]
fn a_series_that_is_never_held_has_no_result() {
    let mut rng = XorShift::new(4);
    let times = timestamps(30.0, 6.0, false, &mut rng);
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            render(
                &Placement::new(Posture::Supine, true),
                &with_legs(
                    Leg {
                        hip_flexion: 15.0 * t as f32,
                        knee_flexion: 0.0,
                    },
                    Leg::default(),
                    Side::Left,
                    0.0,
                ),
            )
        })
        .collect();
    let results = measure("slr", &times, &mut poses, SideChoice::Auto);
    assert_eq!(results[0].value_deg, None);
    assert_eq!(results[0].quality, Quality::Poor);
    assert!(results[0].peak_deg.is_some_and(|p| p > 80.0));
}

fn transformed(poses: &[Pose], f: impl Fn(f32, f32) -> (f32, f32)) -> Vec<Pose> {
    poses
        .iter()
        .map(|p| {
            let mut k = p.keypoints;
            for kp in k.iter_mut() {
                (kp.x, kp.y) = f(kp.x, kp.y);
            }
            Pose::from_keypoints(k)
        })
        .collect()
}

fn values(results: &[Measurement]) -> Vec<(String, Side, Option<f32>)> {
    results
        .iter()
        .map(|r| (r.measure.clone(), r.side, r.value_deg))
        .collect()
}

fn assert_close(a: &[(String, Side, Option<f32>)], b: &[(String, Side, Option<f32>)], label: &str) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!((&x.0, x.1), (&y.0, y.1), "{label}");
        match (x.2, y.2) {
            // Float rounding at another scale moves a smoothed value by a few hundredths of a
            // degree (0.023 for the Thomas test's knee scaled 3.85 times).
            (Some(p), Some(q)) => assert!((p - q).abs() < 0.05, "{label}: {p} vs {q}"),
            (p, q) => assert_eq!(p, q, "{label}"),
        }
    }
}

proptest! {
    // A fixed seed: the same cases on every run, so that a failure is the code's, not the draw's.
    #![proptest_config(ProptestConfig {
        cases: 24,
        rng_seed: proptest::test_runner::RngSeed::Fixed(20261204),
        ..ProptestConfig::default()
    })]

    #[test]
    fn results_do_not_change_under_translation_scaling_and_mirroring(
        scenario_index in 0..SCENARIOS.len(),
        seed in 1u64..1000,
        dx in -500.0f32..500.0,
        dy in -300.0f32..300.0,
        factor in 0.3f32..4.0,
    ) {
        let scenario = &SCENARIOS[scenario_index];
        let mut rng = XorShift::new(seed);
        let times = timestamps(30.0, 10.0, true, &mut rng);
        let placement = Placement::new(scenario.postures[0], seed % 2 == 0);
        let mut poses = series_of(scenario, &placement, Side::Left, &times);
        corrupt(&mut poses, &Noise { sigma_px: 2.0, dropout: 0.1, swaps: 0.05 }, &mut rng);
        let base = values(&measure(scenario.protocol, &times, &mut poses.clone(), SideChoice::Both));

        let mut moved = transformed(&poses, |x, y| (x + dx, y + dy));
        assert_close(&base, &values(&measure(scenario.protocol, &times, &mut moved, SideChoice::Both)), "translation");

        let mut scaled = transformed(&poses, |x, y| (x * factor, y * factor));
        assert_close(&base, &values(&measure(scenario.protocol, &times, &mut scaled, SideChoice::Both)), "scaling");

        // A mirror image with left and right exchanged is the same body: the left result of the
        // mirror is the right result of the original.
        let mut mirrored: Vec<Pose> = poses.iter().map(|p| mirror(p, 1280.0)).collect();
        let mirror_values: Vec<_> = values(&measure(scenario.protocol, &times, &mut mirrored, SideChoice::Both))
            .into_iter()
            .map(|(m, s, v)| (m, s.other(), v))
            .collect();
        let mut expected = base.clone();
        expected.sort_by_key(|(m, s, _)| (m.clone(), *s == Side::Right));
        let mut got = mirror_values;
        got.sort_by_key(|(m, s, _)| (m.clone(), *s == Side::Right));
        assert_close(&expected, &got, "mirroring");
    }
}

#[test]
fn long_left_right_swaps_are_corrected() {
    let mut rng = XorShift::new(11);
    let scenario = &SCENARIOS[3]; // slr: the raised leg is far from the resting one
    let times = timestamps(30.0, 10.0, false, &mut rng);
    let mut poses = series_of(
        scenario,
        &placement_for(Posture::Supine),
        Side::Left,
        &times,
    );
    // The model exchanges the legs for the first 0.5 s, and for a whole second inside the hold.
    let swapped: Vec<usize> = (0..15).chain(120..150).collect();
    for &i in &swapped {
        for (l, r) in [(11, 12), (13, 14), (15, 16)] {
            poses[i].keypoints.swap(l, r);
        }
    }
    let series = AngleSeries::from_poses(&times, &mut poses, &SeriesOptions::default());
    assert_eq!(series.swaps_corrected, swapped.len());
    let protocol = protocols::find("slr").unwrap();
    let results = protocols::measure(
        protocol,
        &series,
        SideChoice::Auto,
        &HoldCriteria::default(),
        "s",
        None,
    );
    check(scenario, &results, Side::Left, 1.0, "swapped slr");
    assert!(
        results[0].hold_s > 3.5,
        "the whole hold is found: {:?}",
        results[0]
    );
}

#[test]
fn a_face_turned_the_wrong_way_in_some_frames_is_outvoted() {
    let mut rng = XorShift::new(12);
    let scenario = &SCENARIOS[0]; // hip extension: its sign comes from the anterior side
    let times = timestamps(30.0, 10.0, false, &mut rng);
    let mut poses = series_of(
        scenario,
        &placement_for(Posture::Kneeling),
        Side::Right,
        &times,
    );
    // In a quarter of the frames the nose is found behind the ears.
    let mut flipped = 0;
    for pose in poses.iter_mut() {
        if rng.uniform() < 0.25 {
            let ear = pose.keypoints[3];
            let nose = &mut pose.keypoints[0];
            nose.x = 2.0 * ear.x - nose.x;
            flipped += 1;
        }
    }
    let series = AngleSeries::from_poses(&times, &mut poses, &SeriesOptions::default());
    assert_eq!(series.facing_disagreements, flipped);
    let protocol = protocols::find("hip-extension").unwrap();
    let results = protocols::measure(
        protocol,
        &series,
        SideChoice::Auto,
        &HoldCriteria::default(),
        "s",
        None,
    );
    check(scenario, &results, Side::Right, 1.0, "face flipped");
    assert!(
        results[0]
            .warnings
            .iter()
            .any(|w| w.to_string().contains("facing direction unclear")),
        "{:?}",
        results[0].warnings
    );
}

fn placement_for(posture: Posture) -> Placement {
    Placement::new(posture, true)
}

/// A leg that moved only away from the stretch (hanging off the table, then laid flat; lowered
/// towards the floor face down) gave "0 deg, good"; a standing leg raise (trunk upright, one
/// leg up) was a toe touch of 70 deg, good. No result now, each with its reason.
#[test]
fn a_movement_away_from_the_test_or_of_one_leg_is_no_result() {
    let mut rng = XorShift::new(29);
    let times = timestamps(30.0, 10.0, false, &mut rng);
    let lying = |posture: Posture, hip: &dyn Fn(f64) -> f32| -> Vec<Pose> {
        times
            .iter()
            .map(|&t| {
                let mut body = Body::default();
                body.left.hip_flexion = hip(t);
                render(&Placement::new(posture, true), &body)
            })
            .collect()
    };
    let away = |t: f64| if t < 4.0 { -30.0 } else { 0.0 };
    for (protocol, posture, hip, says) in [
        (
            "slr",
            Posture::Supine,
            &away as &dyn Fn(f64) -> f32,
            "no leg was raised",
        ),
        (
            "prone-hip-extension",
            Posture::Prone,
            &|t| -away(t),
            "no leg was lifted",
        ),
    ] {
        let mut poses = lying(posture, hip);
        let results = measure(protocol, &times, &mut poses, SideChoice::Named(Side::Left));
        for r in &results {
            let refusal = r
                .refusal
                .as_ref()
                .unwrap_or_else(|| panic!("{protocol} {}: {r:?}", r.measure));
            assert!(
                refusal.reason.contains(says) || refusal.reason.contains("only the resting level"),
                "{protocol}: {refusal:?}"
            );
            assert!(r.value_deg.is_none());
        }
    }
    // A standing leg raise held at 70 deg, the trunk upright.
    let raise = stretch_curve(0.0, 70.0);
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            let mut body = Body::default();
            body.left.hip_flexion = raise(t);
            render(&Placement::new(Posture::Standing, true), &body)
        })
        .collect();
    let results = measure("toe-touch", &times, &mut poses, SideChoice::Both);
    for r in &results {
        // The raised leg's frames are not a fold; what is left is standing still.
        let refusal = r.refusal.as_ref().unwrap_or_else(|| panic!("{r:?}"));
        assert!(
            refusal.reason.contains("not a forward fold")
                || refusal.reason.contains("only the resting level")
                || refusal.reason.contains("no forward fold"),
            "{}: {refusal:?}",
            r.side.name()
        );
        assert!(r.value_deg.is_none());
    }
}

/// Leg swings: the swinging leg's hip goes from 20 deg of extension to 60 of flexion and back
/// every 1.2 s for 10 s while the other leg stands. Each swing's peaks are recovered (the mean
/// within 1 deg clean, 2 deg with noise, dropouts and swaps), every swing is counted, in every
/// orientation and on either leg; a swing is a dynamic result, never a hold.
#[test]
fn leg_swings_give_each_swings_peaks_in_every_orientation() {
    let (flexion, extension, period_s, seconds) = (60.0f32, 20.0f32, 1.2, 10.0);
    let expected_swings = (seconds / period_s) as usize;
    let noise = Noise {
        sigma_px: 2.0,
        dropout: 0.1,
        swaps: 0.05,
    };
    for (noisy, tolerance) in [(false, 1.0), (true, 2.0)] {
        for towards_right in [true, false] {
            for side in Side::BOTH {
                let mut rng = XorShift::new(7);
                let times = timestamps(30.0, seconds, noisy, &mut rng);
                let mut poses: Vec<Pose> = times
                    .iter()
                    .map(|&t| {
                        let hip = swung(flexion, extension, swing_wave(t, 0.0, period_s));
                        let mut body = Body::default();
                        body.leg_mut(side).hip_flexion = hip;
                        body.leg_mut(side).knee_flexion = 5.0;
                        body.leg_mut(side.other()).knee_flexion = 3.0;
                        render(&Placement::new(Posture::Standing, towards_right), &body)
                    })
                    .collect();
                if noisy {
                    corrupt(&mut poses, &noise, &mut rng);
                }
                let label = format!("towards_right={towards_right} {side:?} noisy={noisy}");
                let results = measure("leg-swing", &times, &mut poses, SideChoice::Auto);
                for (measure, expected) in [("hip_flexion", flexion), ("hip_extension", extension)]
                {
                    let r = results
                        .iter()
                        .find(|r| r.measure == measure)
                        .unwrap_or_else(|| panic!("{label}: no {measure} in {results:?}"));
                    assert_eq!(r.side, side, "{label}: auto side picked {:?}", r.side);
                    let mean = r
                        .value_deg
                        .unwrap_or_else(|| panic!("{label}: {measure} refused: {r:?}"));
                    assert!(
                        (mean - expected).abs() <= tolerance,
                        "{label}: {measure} mean {mean:.2}, expected {expected} ± {tolerance}"
                    );
                    let swings = r.swings.unwrap_or(0);
                    assert!(
                        swings.abs_diff(expected_swings) <= 1,
                        "{label}: {measure} counted {swings} swings, expected {expected_swings}"
                    );
                    assert_eq!(r.repetitions.len(), swings);
                    // The mean is over the peaks seen clearly; the others are named.
                    if !noisy {
                        assert!(r.warnings.is_empty(), "{label}: {:?}", r.warnings);
                    }
                    assert!(
                        r.spread_deg.is_some_and(|s| s < tolerance),
                        "{label}: {measure} spread {:?}",
                        r.spread_deg
                    );
                    assert_eq!(r.hold_s, 0.0, "a swing is not a hold");
                    assert!(r.refusal.is_none());
                }
            }
        }
    }
}

/// Standing still, or raising a leg and holding it, is not a leg swing.
#[test]
fn standing_still_or_a_held_raise_is_not_a_leg_swing() {
    let mut rng = XorShift::new(3);
    let times = timestamps(30.0, 8.0, false, &mut rng);
    let raise = stretch_curve(0.0, 70.0);
    for (label, hip) in [
        ("standing still", &(|_: f64| 2.0f32) as &dyn Fn(f64) -> f32),
        ("a held raise", &|t: f64| raise(t.min(5.0))),
    ] {
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let mut body = Body::default();
                body.left.hip_flexion = hip(t);
                render(&Placement::new(Posture::Standing, true), &body)
            })
            .collect();
        let results = measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        );
        assert!(
            results[0].refusal.is_some() && results[0].value_deg.is_none(),
            "{label}: {:?}",
            results[0]
        );
    }
}

/// Knee drives (the knee brought up bent 100 deg, as in high knees) flex the hip further than a
/// leg swung nearly straight: they read a leg swing of 60 deg forward, good, 8 swings. Refused;
/// swings with the knee bent 30 deg at the front are still measured.
#[test]
fn knee_drives_are_not_leg_swings() {
    let mut rng = XorShift::new(17);
    let times = timestamps(30.0, 10.0, false, &mut rng);
    for (front_knee, drives) in [(100.0f32, true), (30.0, false)] {
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let hip = swung(60.0, 20.0, swing_wave(t, 0.0, 1.2));
                let mut body = Body::default();
                body.left.hip_flexion = hip;
                // Straight at the back of the swing, bent `front_knee` at the front.
                body.left.knee_flexion = front_knee * ((hip + 20.0) / 80.0).max(0.0);
                render(&Placement::new(Posture::Standing, true), &body)
            })
            .collect();
        let results = measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        );
        for r in &results {
            let label = format!("knee {front_knee} at the front, {}", r.measure);
            if drives {
                let refusal = r
                    .refusal
                    .as_ref()
                    .unwrap_or_else(|| panic!("{label}: {r:?}"));
                let bent: f32 = refusal
                    .reason
                    .strip_prefix("knee drives, not leg swings: the swinging knee was bent about ")
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|deg| deg.parse().ok())
                    .unwrap_or_else(|| panic!("{label}: {refusal:?}"));
                assert!((bent - front_knee).abs() < 3.0, "{label}: {refusal:?}");
            } else {
                assert!(r.value_deg.is_some(), "{label}: {r:?}");
            }
        }
    }
}

/// Where a swinging leg passes the standing one, the knees meet: a pose model that exchanges the
/// legs' labels there (and keeps them so) is invisible to left-right continuity, and the
/// standing leg read the swing: 56 and 25 deg, graded good, for a leg that never swung. One leg
/// does not stop dead in mid-swing while the other sets off at its speed: swings carried on
/// from one leg to the other with no pause are refused, naming why. A real change of leg (the
/// swinging leg brought to rest, both feet down for half a second, the other leg started) is
/// measured on both sides.
#[test]
fn swings_passed_to_the_other_leg_in_mid_swing_are_refused() {
    let mut rng = XorShift::new(31);
    let times = timestamps(30.0, 14.0, false, &mut rng);
    // The right leg swings from 1 s, 30 deg either way of 20 (50 deg forward, 10 back).
    let swing = |t: f64| swung(50.0, 10.0, swing_wave(t, 1.0, 1.2)) * ramp(t, 1.0, 1.6);
    // Where the swinging thigh passes the standing one (hip flexion 0) nearest 7 s.
    let crossing_s = times
        .iter()
        .copied()
        .filter(|t| (6.4..7.6).contains(t))
        .min_by(|a, b| swing(*a).abs().total_cmp(&swing(*b).abs()))
        .expect("frames near 7 s");
    for sigma_px in [0.0f32, 2.0] {
        let noise = Noise {
            sigma_px,
            ..Noise::default()
        };
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let mut body = Body::default();
                body.right.hip_flexion = swing(t);
                let mut pose = render(&Placement::new(Posture::Standing, true), &body);
                if t >= crossing_s {
                    for (l, r) in [
                        (BodyPart::LeftKnee, BodyPart::RightKnee),
                        (BodyPart::LeftAnkle, BodyPart::RightAnkle),
                    ] {
                        pose.keypoints.swap(l.index(), r.index());
                    }
                }
                pose
            })
            .collect();
        corrupt(&mut poses, &noise, &mut rng);
        let results = measure("leg-swing", &times, &mut poses, SideChoice::Both);
        assert_eq!(results.len(), 4);
        for r in &results {
            let label = format!("labels exchanged at {crossing_s:.2} s, noise {sigma_px} px");
            let refusal = r
                .refusal
                .as_ref()
                .unwrap_or_else(|| panic!("{label}: {r:?}"));
            assert!(
                refusal.reason.starts_with("which leg swung is not known"),
                "{label}: {refusal:?}"
            );
        }

        // The right leg swung until 6.4 s (brought to rest by 7), both feet down for half a
        // second, then the left leg from 7.5 s.
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let mut body = Body::default();
                body.right.hip_flexion = swing(t) * (1.0 - ramp(t, 6.4, 7.0));
                body.left.hip_flexion = swing(t - 6.5);
                render(&Placement::new(Posture::Standing, true), &body)
            })
            .collect();
        corrupt(&mut poses, &noise, &mut rng);
        let results = measure("leg-swing", &times, &mut poses, SideChoice::Both);
        for r in &results {
            let label = format!("{:?} {}, noise {sigma_px} px", r.side, r.measure);
            let truth = if r.measure == "hip_flexion" {
                50.0
            } else {
                10.0
            };
            let value = r.value_deg.unwrap_or_else(|| panic!("{label}: {r:?}"));
            assert!((value - truth).abs() < 3.0, "{label}: {value:.1}");
        }
    }
}

/// How a leg swung `swung` deg from hanging straight down is drawn in the picture, degrees,
/// when its plane is turned `turn` deg from the picture's: shorter, tan(drawn) = tan(swung)
/// cos(turn).
fn drawn_turned(swung: f32, turn: f32) -> f32 {
    (swung.to_radians().tan() * turn.to_radians().cos())
        .atan()
        .to_degrees()
}

/// A side-to-side swing is not a forward-and-back one, however the camera is turned. Filmed
/// side-on it barely moves in the picture; with the body turned 20-33 deg from side-on (under
/// the oblique warning) it drew a forward-and-back swing of 13-21 deg, graded good. The thigh
/// drawn short at the peaks gives it away: it swung towards and away from the camera. A
/// forward-and-back swing filmed as far from side-on is still measured, noise or not. (Turned
/// 33 deg, a sideways swing of 35 deg is at 48 deg out of the picture, and 3 px of jitter lets
/// some through: the tolerance for a thigh read short at the peaks costs that.)
#[test]
fn a_side_to_side_swing_is_not_a_forward_and_back_one() {
    // The left leg straight, `forward` deg to the front and `outward` deg to the side; the body
    // turned `turn` deg from side-on towards the camera (the hips' spacing shows the turn).
    let swing_pose = |forward: f32, outward: f32, turn: f32| {
        let (forward, outward, turn) = (
            forward.to_radians(),
            outward.to_radians(),
            turn.to_radians(),
        );
        let mut placement = Placement::new(Posture::Standing, true);
        placement.lateral_px = 60.0 * turn.sin();
        let mut pose = render(&placement, &Body::default());
        // A unit leg direction in the body (forward, outward, down), then in the picture.
        let down = forward.cos() * outward.cos();
        let (ahead, side) = (forward.sin(), outward.sin() * forward.cos());
        let across = ahead * turn.cos() + side * turn.sin();
        let hip = pose.keypoints[BodyPart::LeftHip.index()];
        for (part, length) in [(BodyPart::LeftKnee, 100.0), (BodyPart::LeftAnkle, 200.0)] {
            let k = &mut pose.keypoints[part.index()];
            k.x = hip.x + length * across;
            k.y = hip.y + length * down;
        }
        pose
    };
    // `pose` with the left thigh and shank drawn `scale` times their length from the hip.
    let drawn = |mut pose: Pose, scale: f32| {
        let hip = pose.keypoints[BodyPart::LeftHip.index()];
        for part in [BodyPart::LeftKnee, BodyPart::LeftAnkle] {
            let k = &mut pose.keypoints[part.index()];
            k.x = hip.x + scale * (k.x - hip.x);
            k.y = hip.y + scale * (k.y - hip.y);
        }
        pose
    };
    let mut rng = XorShift::new(29);
    let times = timestamps(30.0, 12.0, false, &mut rng);
    let phase = |t: f64| swing_wave(t, 1.0, 1.5) * ramp(t, 1.0, 1.5);
    for sigma_px in [0.0, 3.0] {
        for turn in [0.0f32, 20.0, 25.0, 30.0] {
            let label = format!("turned {turn} deg, noise {sigma_px} px");
            let noise = Noise {
                sigma_px,
                ..Noise::default()
            };
            let mut sideways: Vec<Pose> = times
                .iter()
                .map(|&t| swing_pose(0.0, 35.0 * phase(t), turn))
                .collect();
            corrupt(&mut sideways, &noise, &mut rng);
            for r in measure(
                "leg-swing",
                &times,
                &mut sideways,
                SideChoice::Named(Side::Left),
            ) {
                // Side-on, a sideways swing hardly moves the leg in the picture: no swing.
                let refusal = r
                    .refusal
                    .as_ref()
                    .unwrap_or_else(|| panic!("side to side, {label}: {r:?}"));
                if turn > 0.0 {
                    assert!(
                        refusal
                            .reason
                            .starts_with("not a forward-and-back swing seen side-on"),
                        "side to side, {label}: {refusal:?}"
                    );
                }
            }
            let mut forward_and_back: Vec<Pose> = times
                .iter()
                .map(|&t| swing_pose(20.0 + 40.0 * phase(t), 0.0, turn))
                .collect();
            corrupt(&mut forward_and_back, &noise, &mut rng);
            let results = measure(
                "leg-swing",
                &times,
                &mut forward_and_back,
                SideChoice::Named(Side::Left),
            );
            for (measure, swung) in [("hip_flexion", 60.0f32), ("hip_extension", 20.0)] {
                let r = results.iter().find(|r| r.measure == measure).unwrap();
                let drawn = drawn_turned(swung, turn);
                let value = r
                    .value_deg
                    .unwrap_or_else(|| panic!("forward and back, {label}: {r:?}"));
                assert!(
                    (value - drawn).abs() < 2.0,
                    "forward and back, {label}, {measure}: {value} for {drawn}"
                );
            }
        }
    }
    // Filmed side-on, a low forward-and-back swing is measured with its thigh read 12 % short
    // at the front (the hip keypoint placed otherwise as the hip flexes), and after the person
    // stood nearer the camera (drawn 25 % larger) before swinging: both looked turned 46 deg
    // or more.
    for (case, scale) in [
        (
            "read short at the front",
            &(|_, forward: f32| 1.0 - 0.12 * (forward / 30.0).clamp(0.0, 1.0))
                as &dyn Fn(f64, f32) -> f32,
        ),
        ("nearer before", &|t: f64, _| {
            if t < 5.0 {
                1.25
            } else {
                1.0
            }
        }),
    ] {
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let forward = 30.0 * phase(t - 4.0) * ramp(t, 5.0, 5.5);
                drawn(swing_pose(forward, 0.0, 0.0), scale(t, forward))
            })
            .collect();
        corrupt(
            &mut poses,
            &Noise {
                sigma_px: 2.0,
                ..Noise::default()
            },
            &mut rng,
        );
        for r in measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        ) {
            assert!(r.value_deg.is_some(), "{case}: {r:?}");
            // Nor is it said to go out of the picture (a swing this low was, graded fair).
            assert!(
                !r.warnings
                    .iter()
                    .any(|w| w.kind == WarningKind::SwungOutOfPlane),
                "{case}: {:?}",
                r.warnings
            );
        }
    }
}

/// A swing in a plane turned from the picture's (the leg swung across the body, or the camera
/// not side-on to the swing while the body is) reads low: swings to 60 and 20 deg turned 40 deg
/// read 52 and 16, and were graded good. Turned 40 or 45 deg they are measured, said (the thigh shown
/// short at the peaks) and graded fair, or with jitter refused; side-on or turned 15 deg (under
/// a degree and a half off) they are good with nothing said.
#[test]
fn a_swing_turned_out_of_the_picture_is_said_and_graded_fair() {
    // The left leg straight, `lift` deg from hanging, forward (positive) or back, in a plane
    // turned `turn` deg out of the picture's.
    let swing_pose = |lift: f32, turn: f32| {
        let mut pose = render(&Placement::new(Posture::Standing, true), &Body::default());
        let (lift, turn) = (lift.to_radians(), turn.to_radians());
        let hip = pose.keypoints[BodyPart::LeftHip.index()];
        for (part, length) in [(BodyPart::LeftKnee, 100.0), (BodyPart::LeftAnkle, 200.0)] {
            let k = &mut pose.keypoints[part.index()];
            k.x = hip.x + length * lift.sin() * turn.cos();
            k.y = hip.y + length * lift.cos();
        }
        pose
    };
    let mut rng = XorShift::new(31);
    let times = timestamps(30.0, 12.0, false, &mut rng);
    let phase = |t: f64| swing_wave(t, 1.0, 1.5) * ramp(t, 1.0, 1.5);
    for sigma_px in [0.0, 3.0] {
        for turn in [0.0f32, 15.0, 40.0, 45.0] {
            let label = format!("turned {turn} deg, noise {sigma_px} px");
            let mut poses: Vec<Pose> = times
                .iter()
                .map(|&t| swing_pose(swung(60.0, 20.0, phase(t)), turn))
                .collect();
            corrupt(
                &mut poses,
                &Noise {
                    sigma_px,
                    ..Noise::default()
                },
                &mut rng,
            );
            let results = measure(
                "leg-swing",
                &times,
                &mut poses,
                SideChoice::Named(Side::Left),
            );
            for (name, swung) in [("hip_flexion", 60.0f32), ("hip_extension", 20.0)] {
                let r = results.iter().find(|r| r.measure == name).unwrap();
                let drawn = drawn_turned(swung, turn);
                // With jitter, 45 deg out of the picture the thigh at some peaks is read short
                // enough not to count: refused as peaks not seen clearly is no wrong number.
                if let (None, Some(refusal)) = (r.value_deg, &r.refusal) {
                    if turn == 45.0 && sigma_px > 0.0 && refusal.reason.contains("seen clearly") {
                        continue;
                    }
                }
                let value = r
                    .value_deg
                    .unwrap_or_else(|| panic!("{label}, {name}: {r:?}"));
                assert!(
                    (value - drawn).abs() < 2.0,
                    "{label}, {name}: {value} for {drawn}"
                );
                let said = r
                    .warnings
                    .iter()
                    .any(|w| w.kind == WarningKind::SwungOutOfPlane);
                if turn >= 40.0 {
                    assert!(said, "{label}, {name}: {:?}", r.warnings);
                    assert_eq!(r.quality, Quality::Fair, "{label}, {name}");
                } else {
                    assert!(!said, "{label}, {name}: {:?}", r.warnings);
                    assert_eq!(r.quality, Quality::Good, "{label}, {name}: {r:?}");
                }
            }
        }
    }
}

/// A runner looking back over the shoulder (at a screen, at a coach) for the whole recording
/// has the face read turned the wrong way, and with it front and back: swings to 50 in front and
/// 15 behind read 15 and 50, good. A swing goes further forward than a hip extends behind, so
/// a back further than the front and past 25 deg is refused, with no peak shown (swings of 35
/// and 15, 30 and 10 too, also every 0.5 s, where a hold's smoothing had cut the back peaks under
/// 25); the same swings looking ahead, and a stiff runner's 20 in front and 24 behind, are
/// measured.
#[test]
fn swings_read_facing_the_wrong_way_are_refused() {
    let mut rng = XorShift::new(37);
    let times = timestamps(30.0, 14.0, false, &mut rng);
    let swings = |front: f32, back: f32, period_s: f64, looking_back: bool, rng: &mut XorShift| {
        let phase = |t: f64| swing_wave(t, 1.0, period_s) * ramp(t, 1.0, 1.4);
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let mut body = Body::default();
                body.left.hip_flexion = swung(front, back, phase(t));
                body.left.knee_flexion = 5.0;
                let mut pose = render(&Placement::new(Posture::Standing, true), &body);
                if looking_back {
                    // The head turned to face the other way: its points mirrored about the
                    // head's middle.
                    let middle = pose.keypoints[BodyPart::LeftShoulder.index()].x;
                    for part in [
                        BodyPart::Nose,
                        BodyPart::LeftEye,
                        BodyPart::RightEye,
                        BodyPart::LeftEar,
                        BodyPart::RightEar,
                    ] {
                        let k = &mut pose.keypoints[part.index()];
                        k.x = 2.0 * middle - k.x;
                    }
                }
                pose
            })
            .collect();
        let noise = Noise {
            sigma_px: 2.0,
            ..Noise::default()
        };
        corrupt(&mut poses, &noise, rng);
        measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        )
    };
    for (front, back, period_s) in [
        (50.0, 15.0, 1.2),
        (35.0, 15.0, 1.2),
        (30.0, 10.0, 1.2),
        (30.0, 10.0, 0.5),
    ] {
        let results = swings(front, back, period_s, true, &mut rng);
        assert_eq!(results.len(), 2);
        for r in &results {
            let label =
                format!("looking back, {front} in front and {back} behind every {period_s} s");
            let refusal = r
                .refusal
                .as_ref()
                .unwrap_or_else(|| panic!("{label}: {r:?}"));
            assert!(
                refusal
                    .reason
                    .starts_with("front and back of the swings in doubt"),
                "{label}: {refusal:?}"
            );
            assert_eq!(r.peak_deg, None, "{label}: {r:?}");
        }
    }
    for (front, back) in [(50.0, 15.0), (20.0, 24.0)] {
        for r in swings(front, back, 1.2, false, &mut rng) {
            let label = format!(
                "looking ahead, {front} in front and {back} behind, {}",
                r.measure
            );
            let truth = if r.measure == "hip_flexion" {
                front
            } else {
                back
            };
            let value = r.value_deg.unwrap_or_else(|| panic!("{label}: {r:?}"));
            assert!((value - truth).abs() < 2.0, "{label}: {value}");
        }
    }
}

/// Standing still before and after the swings is not a refusal (a swing test has no hold), even
/// for a stiff runner whose leg goes only 8 deg behind.
#[test]
fn leg_swings_between_standing_still_are_measured() {
    let mut rng = XorShift::new(11);
    let times = timestamps(30.0, 10.0, false, &mut rng);
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            let mut body = Body::default();
            if (2.0..8.0).contains(&t) {
                let phase = std::f64::consts::TAU * (t - 2.0) / 1.2;
                body.left.hip_flexion = 21.0 - 29.0 * phase.cos() as f32;
            }
            render(&Placement::new(Posture::Standing, true), &body)
        })
        .collect();
    let results = measure("leg-swing", &times, &mut poses, SideChoice::Auto);
    for (measure, expected) in [("hip_flexion", 50.0), ("hip_extension", 8.0)] {
        let r = results.iter().find(|r| r.measure == measure).unwrap();
        assert_eq!(r.side, Side::Left);
        let mean = r
            .value_deg
            .unwrap_or_else(|| panic!("{measure} refused: {r:?}"));
        assert!((mean - expected).abs() <= 1.0, "{measure}: {mean}");
        assert!(r.swings.is_some_and(|n| n >= 4), "{measure}: {r:?}");
    }
}

/// Walking swings each leg forward and back too, but the body crosses the picture: not a leg
/// swing. The same swings with the hips swaying in place are.
#[test]
fn walking_is_not_a_leg_swing() {
    let mut rng = XorShift::new(17);
    let times = timestamps(30.0, 8.0, false, &mut rng);
    // (label, hips' speed across the picture, the other leg's share of the swing, refused for)
    for (label, speed_px_s, other_leg, refused) in [
        (
            "walking",
            90.0f32,
            -1.0f32,
            Some("not swinging a leg in place"),
        ),
        (
            "walking in place",
            0.0,
            -1.0,
            Some("walking or marching in place"),
        ),
        ("swinging, the hips swaying", 0.0, -0.1, None),
    ] {
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let phase = std::f64::consts::TAU * t / 1.2;
                let mut body = Body::default();
                body.left.hip_flexion = 20.0 + 30.0 * phase.sin() as f32;
                body.right.hip_flexion = 2.0 + other_leg * 30.0 * phase.sin() as f32;
                let mut placement = Placement::new(Posture::Standing, true);
                // Swaying: a few pixels; walking: 90 px/s, about 0.6 trunk lengths a second.
                placement.hip_at.0 = 300.0 + speed_px_s * t as f32 + 6.0 * phase.cos() as f32;
                render(&placement, &body)
            })
            .collect();
        let results = measure("leg-swing", &times, &mut poses, SideChoice::Both);
        assert_eq!(results.len(), 4, "{label}: two measures a side");
        // Every measure of each side: the back of a swing was measured while the front was
        // refused as walking.
        for r in &results {
            if let Some(words) = refused {
                let refusal = r
                    .refusal
                    .as_ref()
                    .unwrap_or_else(|| panic!("{label}: {r:?}"));
                assert!(refusal.reason.contains(words), "{label}: {refusal:?}");
                assert!(r.value_deg.is_none());
            } else if r.side == Side::Left {
                assert!(r.value_deg.is_some(), "{label}: {r:?}");
            }
        }
    }
}

/// Filmed from the front with the face turning, a swing's flexion and extension were a coin
/// toss (a re-encoded copy of one recording gave 38 deg of either): refused. One or two swings
/// (a step onto a box, a kick) are not leg swings either.
#[test]
fn swings_seen_from_the_front_or_only_twice_are_refused() {
    let mut rng = XorShift::new(23);
    let times = timestamps(30.0, 10.0, false, &mut rng);
    let swing = |t: f64| swung(50.0, 10.0, swing_wave(t, 0.0, 1.2));
    for (label, lateral_px, turned_every, swinging_s, says) in [
        (
            "from the front",
            70.0f32,
            Some(3usize),
            10.0,
            Some("not a side view"),
        ),
        ("obliquely, facing one way", 50.0, None, 10.0, None),
        (
            "square on, facing one way",
            120.0,
            None,
            10.0,
            Some("not a side view"),
        ),
        ("side-on", 4.0, None, 10.0, None),
        (
            "twice",
            4.0,
            None,
            2.3,
            Some("seen clearly: a leg swing is repeated"),
        ),
    ] {
        let mut poses: Vec<Pose> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let mut body = Body::default();
                if t < swinging_s {
                    body.left.hip_flexion = swing(t);
                }
                // The face turned the other way in every `turned_every`-th frame: seen from the
                // front, the body's left-right and its facing are read from a face that turns.
                let turned = turned_every.is_some_and(|n| i % n == 0);
                let mut placement = Placement::new(Posture::Standing, !turned);
                placement.lateral_px = lateral_px;
                render(&placement, &body)
            })
            .collect();
        let results = measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        );
        for r in &results {
            match says {
                Some(says) => {
                    let refusal = r
                        .refusal
                        .as_ref()
                        .unwrap_or_else(|| panic!("{label}: {} {r:?}", r.measure));
                    assert!(refusal.reason.contains(says), "{label}: {refusal:?}");
                    assert!(r.value_deg.is_none());
                    // Forward not told from back: no peak labelled flexion or extension.
                    // (Two swings seen side-on did reach their peak.)
                    assert_eq!(
                        r.peak_deg.is_none(),
                        says == "not a side view",
                        "{label}: {}",
                        r.measure
                    );
                }
                None => assert!(
                    r.value_deg.is_some(),
                    "{label}: {} {:?}",
                    r.measure,
                    r.refusal
                ),
            }
        }
    }
}

/// A camera tilted (rolled) by `deg`: every keypoint turned about the picture's centre.
fn camera_tilted(poses: &[Pose], deg: f32) -> Vec<Pose> {
    let (sin, cos) = deg.to_radians().sin_cos();
    let (cx, cy) = (640.0, 360.0);
    transformed(poses, |x, y| {
        let (dx, dy) = (x - cx, y - cy);
        (cx + cos * dx - sin * dy, cy + sin * dx + cos * dy)
    })
}

/// Keypoints that jitter only while the stretch is held (the leg, raised highest, read least
/// well) hid that hold, and a steadier pause on the way down was the result: a straight-leg
/// raise held at 60 deg read 40, graded good. The jitter above the result is judged too: the
/// result is graded fair with the keypoints named, or the hold at 60 is found.
#[test]
fn jitter_only_in_the_hold_does_not_leave_a_lower_pause_as_a_good_result() {
    let mut off = 0;
    for sigma_px in [6.0, 8.0, 10.0] {
        for seed in 1..=10 {
            let mut rng = XorShift::new(seed);
            let times = timestamps(30.0, 10.5, false, &mut rng);
            // At rest for 2 s, raised to 60 over 1 s and held to 6.5 s, lowered to 40 and held
            // to 8.5 s, then down.
            let level = |t: f64| -> f32 {
                let points = [
                    (0.0, 0.0),
                    (2.0, 0.0),
                    (3.0, 60.0),
                    (6.5, 60.0),
                    (7.0, 40.0),
                    (8.5, 40.0),
                    (9.0, 0.0),
                ];
                let k = points.iter().rposition(|p| p.0 <= t).unwrap_or(0);
                match points.get(k + 1) {
                    Some(&(t1, v1)) => {
                        let (t0, v0) = points[k];
                        v0 + (v1 - v0) * ((t - t0) / (t1 - t0)) as f32
                    }
                    None => points[k].1,
                }
            };
            let placement = Placement::new(Posture::Supine, seed % 2 == 0);
            let mut poses: Vec<Pose> = times
                .iter()
                .map(|&t| {
                    let mut body = Body::default();
                    body.left.hip_flexion = level(t);
                    body.right.hip_flexion = RESTING_FLAT.hip_flexion;
                    render(&placement, &body)
                })
                .collect();
            let held: Vec<usize> = (0..times.len())
                .filter(|&i| (3.0..6.5).contains(&times[i]))
                .collect();
            let (first, last) = (held[0], held[held.len() - 1]);
            let noise = Noise {
                sigma_px,
                dropout: 0.0,
                swaps: 0.0,
            };
            corrupt(&mut poses[first..=last], &noise, &mut rng);
            let results = measure("slr", &times, &mut poses, SideChoice::Named(Side::Left));
            let r = &results[0];
            let label = format!("jitter {sigma_px} px, seed {seed}");
            if let Some(value) = r.value_deg.filter(|v| (v - 60.0).abs() > 3.0) {
                assert_ne!(r.quality, Quality::Good, "{label}: {value:.1}, {r:?}");
                assert!(
                    r.warnings.iter().any(|w| w.kind == WarningKind::Unsteady),
                    "{label}: {r:?}"
                );
                off += 1;
            }
        }
    }
    // Measured: 18 of the 30 were the pause at 40 (each now fair, the keypoints named); the
    // test is about them.
    assert!(off >= 10, "{off} results off");
}

/// A curl-up during a straight-leg raise filmed with a tilted camera: the trunk's turn is
/// counted from where it lay at rest, not from the picture's level. With the head end 8 deg
/// lower, a curl-up of 6 never brought the trunk past the picture's level, and the raise read
/// 66 for 60, graded good, without a word.
#[test]
fn a_curl_up_is_seen_whichever_way_the_camera_is_tilted() {
    let times: Vec<f64> = (0..300).map(|i| f64::from(i) / 30.0).collect();
    let level: Vec<Pose> = times
        .iter()
        .map(|&t| {
            let c = ramp(t, 2.0, 3.5) * (1.0 - ramp(t, 6.5, 8.0));
            let curl = 6.0 * c;
            let mut body = Body {
                trunk_lean: curl,
                ..Body::default()
            };
            body.left.hip_flexion = 60.0 * c + curl;
            // The resting leg lies as a real one does, the foot a little lower than the hip.
            body.right.hip_flexion = curl - 3.0;
            render(&Placement::new(Posture::Supine, true), &body)
        })
        .collect();
    for tilt in [-8.0, 0.0, 8.0] {
        let mut poses = camera_tilted(&level, tilt);
        let results = measure("slr", &times, &mut poses, SideChoice::Named(Side::Left));
        let r = results
            .iter()
            .find(|r| r.measure == "hip_flexion")
            .unwrap_or_else(|| panic!("{results:?}"));
        let turn = r
            .warnings
            .iter()
            .find(|w| w.kind == WarningKind::TrunkMoved)
            .and_then(|w| w.value);
        assert!(
            turn.is_some_and(|deg| (deg - 6.0).abs() < 1.0),
            "camera tilted {tilt}: {r:?}"
        );
        assert_eq!(r.quality, Quality::Fair, "camera tilted {tilt}: {r:?}");
        // The leg against the picture's horizontal reads the camera's tilt: the curled trunk
        // no longer lay as the resting leg did in the hold, and -8 read 68 for 60, good. The
        // body at rest says it.
        let table = results
            .iter()
            .find(|r| r.measure == "leg_to_horizontal")
            .unwrap_or_else(|| panic!("{results:?}"));
        let camera = table
            .warnings
            .iter()
            .find(|w| w.kind == WarningKind::CameraTilted)
            .and_then(|w| w.value);
        if tilt == 0.0 {
            assert_eq!(camera, None, "{table:?}");
            assert_eq!(table.quality, Quality::Good, "{table:?}");
        } else {
            assert!(
                camera.is_some_and(|deg| (deg - tilt).abs() < 1.5),
                "camera tilted {tilt}: {table:?}"
            );
            assert_eq!(
                table.quality,
                Quality::Fair,
                "camera tilted {tilt}: {table:?}"
            );
        }
    }
}

/// The line from the hips to the shoulder joints lies a few degrees off the table by build (the
/// shoulder joints lower or higher than the hip joints): a trunk lying 4 deg shoulders-low before
/// a camera tilted 8 deg the other way read 4, too little to be a witness, and a raise to 60
/// read 52 against the picture's horizontal, good. Both legs lying straight at rest say it.
#[test]
fn a_tilted_camera_is_seen_whatever_the_trunks_build() {
    let times: Vec<f64> = (0..300).map(|i| f64::from(i) / 30.0).collect();
    // (build, the legs' slope to the foot at rest: a real leg's 3 deg, a heavy-set one's 6)
    for (build, slope) in [(-4.0, 3.0), (4.0, 3.0), (0.0, 6.0)] {
        let level: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let raise = (60.0 + slope) * ramp(t, 2.0, 3.5) * (1.0 - ramp(t, 6.5, 8.0));
                let mut body = Body {
                    trunk_lean: build,
                    ..Body::default()
                };
                // Against the table: the legs lie as real ones do, the foot a little lower than
                // the hip, and one is raised to 60.
                body.left.hip_flexion = build - slope + raise;
                body.right.hip_flexion = build - slope;
                render(&Placement::new(Posture::Supine, true), &body)
            })
            .collect();
        // A level camera, and one tilted 8 deg against the trunk's build (none with no build).
        let tilts = if build == 0.0 {
            vec![0.0]
        } else {
            vec![0.0, -2.0 * build]
        };
        for tilt in tilts {
            let label = format!("build {build}, legs sloping {slope}, camera tilted {tilt}");
            let mut poses = camera_tilted(&level, tilt);
            let results = measure("slr", &times, &mut poses, SideChoice::Named(Side::Left));
            let r = results
                .iter()
                .find(|r| r.measure == "leg_to_horizontal")
                .unwrap_or_else(|| panic!("{label}: {results:?}"));
            let value = r.value_deg.unwrap_or_else(|| panic!("{label}: {r:?}"));
            // Read off by the camera's tilt, as it was, but said.
            assert!((value - (60.0 - tilt)).abs() < 1.0, "{label}: {value}");
            let camera = r
                .warnings
                .iter()
                .find(|w| w.kind == WarningKind::CameraTilted);
            if tilt == 0.0 {
                assert!(camera.is_none(), "{label}: {r:?}");
                assert_eq!(r.quality, Quality::Good, "{label}: {r:?}");
                continue;
            }
            let camera = camera.unwrap_or_else(|| panic!("{label}: not said: {r:?}"));
            assert!(
                camera.value.is_some_and(|deg| (deg - tilt).abs() < 1.5),
                "{label}: {camera:?}"
            );
            assert_eq!(r.quality, Quality::Fair, "{label}: {r:?}");
            assert!(
                camera
                    .to_string()
                    .starts_with("the body lay 8 deg from the picture's horizontal"),
                "{label}: {camera}"
            );
            // The hip flexion against the trunk line is the camera's business no more than
            // before: the trunk lay as it does at rest.
            let hip = results
                .iter()
                .find(|r| r.measure == "hip_flexion")
                .unwrap_or_else(|| panic!("{label}: {results:?}"));
            assert!(
                hip.warnings
                    .iter()
                    .all(|w| w.kind != WarningKind::CameraTilted),
                "{label}: {hip:?}"
            );
        }
    }
}

#[test]
fn a_tilted_trunk_is_said_where_a_result_depends_on_it() {
    // A camera tilted (or the shoulders raised) turns the lying trunk from the picture's
    // horizontal: the Thomas test's thigh and the straight-leg raise's leg against the horizontal
    // shift with a tilted camera, its hip flexion against the trunk line with raised shoulders.
    // In the Thomas test (one knee held to the chest) the keypoints cannot tell which: from 10
    // deg both are said, with which way the trunk lay, and a result is graded fair; the knee is
    // not in doubt; 3 and 7 deg are not said. In the straight-leg raise and knee-to-chest the
    // resting leg lies turned as far as the trunk: the camera's doing, said from 5 deg on the leg
    // against the horizontal with how far it reads low or high, and the hip flexion stands.
    // Tilted 20 deg a test may be refused (the resting thigh off the table): said on every
    // measure. Tilted 40
    // deg no frame is lying and every measure is refused: said on each, as the likely reason;
    // tilted 70 deg the trunk is nearer upright than lying: not said.
    let mut rng = XorShift::new(21);
    for scenario in [&SCENARIOS[2], &SCENARIOS[3], &SCENARIOS[6]] {
        for towards_right in [true, false] {
            let times = timestamps(30.0, 10.0, false, &mut rng);
            let placement = Placement::new(Posture::Supine, towards_right);
            let level = series_of(scenario, &placement, Side::Left, &times);
            for tilt in [
                -70.0f32, -40.0, -20.0, -12.0, -7.0, -3.0, 0.0, 3.0, 7.0, 12.0, 20.0, 40.0, 70.0,
            ] {
                let label = format!(
                    "{} towards_right={towards_right}, tilted {tilt}",
                    scenario.protocol
                );
                let mut poses = camera_tilted(&level, tilt);
                let left = SideChoice::Named(Side::Left);
                let shoulders_higher = {
                    let pose = &poses[poses.len() / 2];
                    let y = |a: BodyPart, b: BodyPart| (pose.get(a).y + pose.get(b).y) / 2.0;
                    y(BodyPart::LeftShoulder, BodyPart::RightShoulder)
                        < y(BodyPart::LeftHip, BodyPart::RightHip)
                };
                for r in &measure(scenario.protocol, &times, &mut poses, left) {
                    check_tilt_said(scenario, r, tilt, shoulders_higher, &label);
                }
            }
        }
    }
}

#[test]
fn a_trunk_propped_up_is_not_taken_for_a_tilted_camera() {
    // Propped up 35 or 40 deg with both legs flat on the table, a straight-leg raise is refused
    // (the trunk raised off the table, which the refusal says); a tilted camera turns the whole
    // body, so a body whose hips bend by the trunk's rise is not told to level the camera.
    let mut rng = XorShift::new(5);
    let times = timestamps(30.0, 10.0, false, &mut rng);
    for towards_right in [true, false] {
        let placement = Placement::new(Posture::Supine, towards_right);
        for rise in [35.0f32, 40.0] {
            let curve = stretch_curve(0.0, 70.0);
            let mut poses: Vec<Pose> = times
                .iter()
                .map(|&t| {
                    let flat = Leg {
                        hip_flexion: rise,
                        knee_flexion: 0.0,
                    };
                    let raised = Leg {
                        hip_flexion: rise + curve(t),
                        ..flat
                    };
                    render(&placement, &with_legs(raised, flat, Side::Left, rise))
                })
                .collect();
            // The resting thigh lies flat in the picture, the shoulders above the hips.
            let pose = &poses[0];
            let (hip, knee) = (pose.get(BodyPart::RightHip), pose.get(BodyPart::RightKnee));
            assert!((hip.y - knee.y).abs() < 1.0, "{hip:?} {knee:?}");
            assert!(pose.get(BodyPart::RightShoulder).y < hip.y - 30.0);
            let label = format!("propped up {rise} deg, towards_right={towards_right}");
            for r in &measure("slr", &times, &mut poses, SideChoice::Named(Side::Left)) {
                assert!(r.refusal.is_some(), "{label}: {r:?}");
                assert!(
                    r.warnings
                        .iter()
                        .all(|w| w.kind != WarningKind::Tilted
                            && w.kind != WarningKind::CameraTilted),
                    "{label}: {:?}",
                    r.warnings
                );
            }
        }
    }
}

#[test]
fn raised_shoulders_are_not_taken_for_a_tilted_camera() {
    // A pillow or a thick upper back raises the shoulders: the trunk line turns, the legs stay
    // flat (level, or sloping down to the foot by up to 5 deg). The straight-leg raise's leg
    // against the horizontal stands: under 10 deg nothing is said; from 10 deg the trunk's tilt
    // is said as before (the keypoints cannot tell raised shoulders from a camera whose tilt the
    // resting leg does not share), never as the camera's; so too raised 13 deg before a camera
    // tilted 6 deg, the leg turned 6 deg (the two too far apart to be one turn).
    let mut rng = XorShift::new(9);
    let times = timestamps(30.0, 10.0, false, &mut rng);
    for towards_right in [true, false] {
        let placement = Placement::new(Posture::Supine, towards_right);
        for (rise, slope, camera) in [
            (7.0f32, 0.0f32, 0.0f32),
            (7.0, 5.0, 0.0),
            (13.0, 0.0, 0.0),
            (13.0, 3.0, 6.0),
        ] {
            let curve = stretch_curve(0.0, 72.0);
            let level: Vec<Pose> = times
                .iter()
                .map(|&t| {
                    let flat = Leg {
                        hip_flexion: rise - slope,
                        knee_flexion: 0.0,
                    };
                    let raised = Leg {
                        hip_flexion: rise + curve(t),
                        ..flat
                    };
                    render(&placement, &with_legs(raised, flat, Side::Left, rise))
                })
                .collect();
            // Turned so that the head end rises, as the pillow raised it.
            let head_up = if towards_right { camera } else { -camera };
            let mut poses = camera_tilted(&level, head_up);
            let label = format!(
                "shoulders raised {rise} deg, the leg sloping {slope}, the camera tilted {camera}, towards_right={towards_right}"
            );
            for r in &measure("slr", &times, &mut poses, SideChoice::Named(Side::Left)) {
                let label = format!("{label}: {}", r.measure);
                let kinds: Vec<WarningKind> = r.warnings.iter().map(|w| w.kind).collect();
                assert!(
                    !kinds.contains(&WarningKind::CameraTilted),
                    "{label}: {kinds:?}"
                );
                assert_eq!(kinds.contains(&WarningKind::Tilted), rise > 10.0, "{label}");
                let value = r
                    .value_deg
                    .unwrap_or_else(|| panic!("{label}: no result: {r:?}"));
                if r.measure == "leg_to_horizontal" {
                    assert!((value - (72.0 - camera)).abs() < 1.0, "{label}: {value}");
                }
                if rise < 10.0 {
                    assert_eq!(r.quality, Quality::Good, "{label}: {:?}", r.warnings);
                }
            }
        }
    }
}

/// One result of a lying test filmed with the camera tilted by `tilt` degrees (the shoulders
/// then `shoulders_higher` in the picture than the hips): said, and fair if measured, where it
/// is in doubt and the tilt is 10 deg or more; else good and unchanged where the tilt does not
/// change it.
fn check_tilt_said(
    scenario: &Scenario,
    r: &Measurement,
    tilt: f32,
    shoulders_higher: bool,
    label: &str,
) {
    let label = format!("{label}: {}", r.measure);
    let against_horizontal = r.measure.ends_with("_to_horizontal");
    let in_doubt = against_horizontal || r.measure == "hip_flexion";
    let said = r.warnings.iter().find(|w| w.kind == WarningKind::Tilted);
    let camera_said = r
        .warnings
        .iter()
        .find(|w| w.kind == WarningKind::CameraTilted);
    // The straight-leg raise and knee-to-chest keep the other leg flat on the table: a second
    // witness of level.
    let resting_leg = ["slr", "knee-to-chest"].contains(&scenario.protocol);
    if resting_leg && (5.0..=30.0).contains(&tilt.abs()) {
        assert!(said.is_none(), "{label}: {said:?}");
        if !against_horizontal && r.refusal.is_none() {
            assert!(camera_said.is_none(), "{label}: {camera_said:?}");
            assert_eq!(r.quality, Quality::Good, "{label}: {:?}", r.warnings);
            let value = r.value_deg.unwrap_or_default();
            assert!((value - scenario.target).abs() < 1.0, "{label}: {value}");
            return;
        }
        let said = camera_said.unwrap_or_else(|| panic!("{label}: not said: {:?}", r.warnings));
        let read = said.value.unwrap_or_default();
        assert!(
            (read.abs() - tilt.abs()).abs() < 1.0,
            "{label}: tilt read {read}"
        );
        assert_eq!(read > 0.0, shoulders_higher, "{label}: {read}");
        let words = said.to_string();
        let (end, reads) = if shoulders_higher {
            ("higher", "low")
        } else {
            ("lower", "high")
        };
        let start = format!(
            "the body lay {:.0} deg from the picture's horizontal (the trunk and the resting leg alike, or both legs at rest; the head end {end}): the camera was tilted",
            tilt.abs()
        );
        assert!(words.starts_with(&start), "{label}: {words}");
        if against_horizontal {
            let off = format!(
                "the leg to horizontal reads about {:.0} deg {reads} against the table",
                tilt.abs()
            );
            assert!(words.contains(&off), "{label}: {words}");
        }
        if let Some(value) = r.value_deg {
            assert_eq!(r.quality, Quality::Fair, "{label}: {:?}", r.warnings);
            // Read low (or high) by the tilt, as said.
            let off = if shoulders_higher {
                -tilt.abs()
            } else {
                tilt.abs()
            };
            assert!(
                (value - (scenario.target + off)).abs() < 1.0,
                "{label}: {value}"
            );
        }
        return;
    }
    assert!(camera_said.is_none(), "{label}: {camera_said:?}");
    // The tilt said, read within 1 deg and the right way round; its words.
    let said_words = || {
        let said = said.unwrap_or_else(|| panic!("{label}: not said: {:?}", r.warnings));
        let read = said.value.unwrap_or_default();
        assert!(
            (read.abs() - tilt.abs()).abs() < 1.0,
            "{label}: tilt read {read}"
        );
        assert_eq!(read > 0.0, shoulders_higher, "{label}: {read}");
        said.to_string()
    };
    if tilt.abs() > 30.0 {
        assert!(r.refusal.is_some(), "{label}: {r:?}");
        if tilt.abs() > 60.0 {
            assert!(said.is_none(), "{label}: {said:?}");
            return;
        }
        let words = said_words();
        assert!(
            words.contains(
                "more than lying allows (30): if the patient lay flat, the camera was tilted"
            ),
            "{label}: {words}"
        );
        return;
    }
    if in_doubt && tilt.abs() > 10.0 {
        let words = said_words();
        let way = if shoulders_higher { "higher" } else { "lower" };
        let start = format!(
            "the trunk lay {:.0} deg from the picture's horizontal (the shoulders {way} than the hips) in the test's frames: ",
            tilt.abs()
        );
        assert!(words.starts_with(&start), "{label}: {words}");
        let moved = if shoulders_higher {
            "raised"
        } else {
            "lowered"
        };
        let blamed = if against_horizontal {
            format!(
                "if the camera was tilted, the {} is off",
                r.measure.replace('_', " ")
            )
        } else {
            format!(
                "the shoulders were {moved} and the hip flexion, against the trunk line, is off"
            )
        };
        assert!(words.contains(&blamed), "{label}: {words}");
        if against_horizontal {
            assert!(words.contains(&format!("the shoulders were {moved} and this angle stands")));
        }
        if r.value_deg.is_some() {
            assert_eq!(r.quality, Quality::Fair, "{label}: {:?}", r.warnings);
        }
        return;
    }
    assert!(said.is_none(), "{label}: {said:?}");
    if tilt.abs() > 10.0 {
        return;
    }
    let value = r
        .value_deg
        .unwrap_or_else(|| panic!("{label}: no result: {r:?}"));
    assert_eq!(r.quality, Quality::Good, "{label}: {:?}", r.warnings);
    if !against_horizontal {
        let expected = scenario
            .expected
            .iter()
            .find(|e| e.0 == r.measure)
            .and_then(|e| e.1)
            .unwrap_or(scenario.target);
        assert!((value - expected).abs() < 1.0, "{label}: {value}");
    }
}

/// Lying with the face turned away from the camera (the usual rest face down): no nose or eyes,
/// only the upper ear, which points at the ceiling whichever way the patient lies. Read as an
/// ear's side of the trunk line, it said "face up" for every patient: a prone knee bend was
/// refused as "not lying face down". A bent knee tells which way the body faces (a knee bends
/// only backwards); with no knee bent, the facing is a guess, and is said. So is a face turned
/// to the camera all along, standing: its nose lies on the trunk line, and the few frames where
/// keypoint noise pushed it off decided a leg swing's forward and back, graded good.
#[test]
fn a_face_turned_away_lying_is_told_by_a_bent_knee_or_said() {
    let mut rng = XorShift::new(31);
    let times = timestamps(30.0, 10.0, false, &mut rng);
    let face_away = |pose: &mut Pose| {
        for part in [
            BodyPart::Nose,
            BodyPart::LeftEye,
            BodyPart::RightEye,
            BodyPart::RightEar,
        ] {
            pose.keypoints[part.index()].confidence = 0.05;
        }
        // The upper ear, at the top of the head as the picture shows it.
        pose.keypoints[BodyPart::LeftEar.index()].y -= 9.0;
    };
    // The face turned towards the camera, the cheek on the table: the nose between the ears,
    // one towards the ceiling and one towards the table, as seen from the front (a pixel off
    // the middle, on the side that would say "face up").
    let face_to_camera = |pose: &mut Pose| {
        let nose = pose.keypoints[BodyPart::Nose.index()];
        for (part, dy) in [(BodyPart::LeftEar, -7.0), (BodyPart::RightEar, 9.0)] {
            let ear = &mut pose.keypoints[part.index()];
            (ear.x, ear.y) = (nose.x + 1.0, nose.y + dy);
        }
    };
    let scenario = |name: &str| {
        SCENARIOS
            .iter()
            .find(|s| s.protocol == name)
            .expect("scenario exists")
    };
    for (name, posture, face) in [
        (
            "prone-knee-bend",
            Posture::Prone,
            &face_away as &dyn Fn(&mut Pose),
        ),
        ("prone-knee-bend", Posture::Prone, &face_to_camera),
        ("thomas", Posture::Supine, &face_away),
        ("knee-to-chest", Posture::Supine, &face_away),
    ] {
        for towards_right in [true, false] {
            let s = scenario(name);
            let label = format!("{name} face turned, towards right {towards_right}");
            let mut poses = series_of(
                s,
                &Placement::new(posture, towards_right),
                Side::Left,
                &times,
            );
            poses.iter_mut().for_each(face);
            let results = measure(name, &times, &mut poses, SideChoice::Named(Side::Left));
            check(s, &results, Side::Left, 1.0, &label);
            for r in &results {
                assert!(
                    r.warnings
                        .iter()
                        .all(|w| w.kind != WarningKind::FacingGuessed),
                    "{label}: {:?}",
                    r.warnings
                );
            }
        }
    }
    // No knee bent: the ear's guess is taken, and said; face down it reads face up, and the
    // refusal tells how to record again. A prone hip extension read as a straight-leg raise
    // is said too.
    for (name, posture, motion) in [
        ("slr", Posture::Supine, "slr"),
        ("prone-hip-extension", Posture::Prone, "prone-hip-extension"),
        ("slr", Posture::Prone, "prone-hip-extension"),
    ] {
        let mut poses = series_of(
            scenario(motion),
            &Placement::new(posture, true),
            Side::Left,
            &times,
        );
        poses.iter_mut().for_each(face_away);
        let results = measure(name, &times, &mut poses, SideChoice::Named(Side::Left));
        for r in &results {
            let said = r
                .warnings
                .iter()
                .find(|w| w.kind == WarningKind::FacingGuessed)
                .unwrap_or_else(|| panic!("{name}: {:?}", r.warnings));
            assert!(
                said.to_string().contains("film the face in profile"),
                "{said}"
            );
            match (name, posture) {
                ("slr", Posture::Supine) => {
                    assert!(r.value_deg.is_some(), "{name}: {r:?}");
                    assert_eq!(r.quality, Quality::Fair, "{name}: {:?}", r.warnings);
                }
                // The same keypoints as a straight-leg raise: never graded good (here the lift,
                // 14 deg, is under the raise the test asks).
                ("slr", _) => assert_ne!(r.quality, Quality::Good, "{name}: {r:?}"),
                _ => {
                    let refusal = r.refusal.as_ref().expect("face down read face up: refused");
                    assert!(
                        refusal
                            .reason
                            .contains("which way the body faced was guessed"),
                        "{name}: {refusal:?}"
                    );
                }
            }
        }
    }
    // No face at all (the camera framed on the legs, or a therapist in front of the head the
    // whole time) and no knee bent: no cue, not even an ear's. Refused, saying why (it said "trunk
    // position unknown (keypoints not reliable)"), and for the leg that moved: `--side auto` named
    // the resting leg, whose own angles are as unknown.
    for (name, raised) in [("slr", Side::Left), ("slr", Side::Right)] {
        let mut poses = series_of(
            scenario(name),
            &Placement::new(Posture::Supine, true),
            raised,
            &times,
        );
        for pose in &mut poses {
            for part in [
                BodyPart::Nose,
                BodyPart::LeftEye,
                BodyPart::RightEye,
                BodyPart::LeftEar,
                BodyPart::RightEar,
            ] {
                pose.keypoints[part.index()].confidence = 0.05;
            }
        }
        let results = measure(name, &times, &mut poses, SideChoice::Auto);
        assert!(!results.is_empty());
        for r in &results {
            assert_eq!(r.side, raised, "{name}: {r:?}");
            let refusal = r.refusal.as_ref().expect("no facing: refused");
            assert!(
                refusal
                    .reason
                    .contains("which way the body faced is unknown"),
                "{name}: {refusal:?}"
            );
        }
    }
    for seed in 0..4 {
        let mut rng = XorShift::new(40 + seed);
        let times = timestamps(30.0, 12.0, false, &mut rng);
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let mut body = Body::default();
                body.left.hip_flexion = uneven_swing(t);
                let mut pose = render(&Placement::new(Posture::Standing, true), &body);
                face_to_camera(&mut pose);
                pose
            })
            .collect();
        corrupt(
            &mut poses,
            &Noise {
                sigma_px: 2.0,
                dropout: 0.0,
                swaps: 0.0,
            },
            &mut rng,
        );
        let results = measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        );
        for r in &results {
            assert!(
                r.warnings
                    .iter()
                    .any(|w| w.kind == WarningKind::FacingGuessed),
                "seed {seed}: {r:?}"
            );
            assert_ne!(r.quality, Quality::Good, "seed {seed}: {r:?}");
        }
    }
}

/// A leg swing 41.6 deg forward and 21.6 back (10 + 31.6 sin), a swing every 1.2 s from standing
/// at `t` = 0: uneven, so that forward and back exchanged would show.
fn uneven_swing(t: f64) -> f32 {
    let phase = std::f64::consts::TAU * t / 1.2;
    (30.0 * phase.sin() + 10.0 * (1.0 - phase.cos())) as f32
}

/// A person who turns round or over within one recording faces the other way after it. Read
/// with the whole recording's majority facing, every angle against the trunk after the turn was
/// reversed: a runner's left leg, swung facing right before turning to swing the right, read 10
/// deg of flexion and 49 of extension (truth 50 and 10); a straight-leg raise of 60 deg recorded
/// after a prone hip extension of 15 read 17.5, the prone lift. Each stretch is read with its
/// own facing now.
#[test]
fn a_turn_within_a_recording_is_read_each_way() {
    let mut rng = XorShift::new(37);
    let times = timestamps(30.0, 20.0, false, &mut rng);
    let noise = Noise {
        sigma_px: 2.0,
        dropout: 0.1,
        swaps: 0.05,
    };
    // 7 swings from standing to standing: the left leg for 8.4 s facing right, standing, the turn
    // at 10 s, standing, the right leg from 11 s facing left. (Handed from one leg to the other at
    // once, the left-right continuity would take the legs for swapped.)
    let swing = uneven_swing;
    // Facing right (or lying with the head on the left) until the turn at 10 s, then the other
    // way; seen from the front or the back for the 0.4 s of the turn.
    let turning = |posture: Posture, t: f64| {
        let mut placement = Placement::new(posture, t < 10.0 || posture != Posture::Standing);
        if (9.8..10.2).contains(&t) {
            placement.lateral_px = 80.0;
        }
        placement
    };
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            let mut body = Body::default();
            if t < 8.4 {
                body.left.hip_flexion = swing(t);
            } else if (11.0..19.4).contains(&t) {
                body.right.hip_flexion = swing(t - 11.0);
            }
            render(&turning(Posture::Standing, t), &body)
        })
        .collect();
    corrupt(&mut poses, &noise, &mut rng);
    let results = measure("leg-swing", &times, &mut poses, SideChoice::Both);
    for side in Side::BOTH {
        for (measure_name, truth) in [("hip_flexion", 41.6), ("hip_extension", 21.6)] {
            let r = results
                .iter()
                .find(|r| r.side == side && r.measure == measure_name)
                .expect("both sides measured");
            let value = r.value_deg.unwrap_or_else(|| panic!("{r:?}"));
            assert!(
                (value - truth).abs() <= 2.0,
                "{side:?} {measure_name}: {value:.1}, truth {truth}"
            );
        }
    }

    // No turn: a kneeling hip-flexor stretch facing right while the head looks back from 3 to
    // 6 s, through the hold (the nose behind the ears), and one shoulder is unsure in a tenth of
    // the frames. The body stays side-on: not read reversed. (Taking a shoulder not seen for a
    // view from the front turned it: no result.)
    let kneeling = &SCENARIOS[0];
    let stretch_times = timestamps(30.0, 10.0, false, &mut rng);
    let mut poses = series_of(
        kneeling,
        &Placement::new(Posture::Kneeling, true),
        Side::Right,
        &stretch_times,
    );
    for (pose, &t) in poses.iter_mut().zip(&stretch_times) {
        if (3.0..6.0).contains(&t) {
            let ear = pose.keypoints[BodyPart::LeftEar.index()];
            let nose = &mut pose.keypoints[BodyPart::Nose.index()];
            nose.x = 2.0 * ear.x - nose.x;
        }
        if rng.uniform() < 0.1 {
            pose.keypoints[BodyPart::LeftShoulder.index()].confidence = 0.2;
        }
    }
    corrupt(&mut poses, &noise, &mut rng);
    let looked_back = measure(
        kneeling.protocol,
        &stretch_times,
        &mut poses,
        SideChoice::Auto,
    );
    check(kneeling, &looked_back, Side::Right, 2.0, "looked back");

    let lift = stretch_curve(0.0, 15.0);
    let raise = stretch_curve(0.0, 60.0);
    let mut poses: Vec<Pose> = times
        .iter()
        .map(|&t| {
            let mut body = Body::default();
            if t < 10.0 {
                body.left.hip_flexion = -lift(t);
                render(&turning(Posture::Prone, t), &body)
            } else {
                body.left.hip_flexion = raise(t - 10.0);
                render(&turning(Posture::Supine, t), &body)
            }
        })
        .collect();
    corrupt(&mut poses, &noise, &mut rng);
    for (protocol, truth) in [("prone-hip-extension", 15.0), ("slr", 60.0)] {
        let results = measure(
            protocol,
            &times,
            &mut poses.clone(),
            SideChoice::Named(Side::Left),
        );
        for r in &results {
            let value = r.value_deg.unwrap_or_else(|| panic!("{protocol}: {r:?}"));
            assert!(
                (value - truth).abs() <= 2.0,
                "{protocol} {}: {value:.1}, truth {truth}",
                r.measure
            );
        }
    }
}

/// Keypoints read with jitter, from none to 6 px on thighs of 60 to 100 px (hip extensions and
/// straight-leg raises held still for 4 s, 30 seeds each): no number more than 3 deg off is
/// graded good. The jitter hid the true hold and a second of the way in or out, or of the rest
/// (a hip extension of 2 deg), was taken for it: 15 such results were graded good. The rest
/// is now the level held for a hold's time, not the jitter's deepest dip, and keypoints that
/// scatter the angle over 4.5 deg from frame to frame are said and grade a result fair; a
/// refusal they may have caused says so.
#[test]
fn jittering_keypoints_never_give_a_good_wrong_number() {
    let (mut off, mut within, mut refused, mut refusals_naming_jitter) = (0, 0, 0, 0);
    for scenario in [&SCENARIOS[0], &SCENARIOS[3]] {
        for thigh_px in [60.0, 80.0, 100.0] {
            for sigma_px in [0.0, 1.0, 2.0, 3.0, 4.0, 6.0] {
                for seed in 1..=30 {
                    let label = format!(
                        "{} thigh {thigh_px} px, jitter {sigma_px} px, seed {seed}",
                        scenario.protocol
                    );
                    let results = noisy_hold(scenario, thigh_px, sigma_px, seed);
                    let r = &results[0];
                    let unsteady = r.warnings.iter().any(|w| w.kind == WarningKind::Unsteady);
                    if sigma_px <= 1.0 {
                        assert!(!unsteady, "{label}: {r:?}");
                    }
                    match (r.value_deg, &r.refusal) {
                        (Some(value), _) if (value - scenario.target).abs() > 3.0 => {
                            off += 1;
                            assert_ne!(r.quality, Quality::Good, "{label}: {r:?}");
                            assert!(unsteady, "{label}: {r:?}");
                        }
                        (Some(_), _) => within += 1,
                        (None, Some(refusal))
                            if matches!(
                                refusal.kind,
                                RefusalKind::NotHeld | RefusalKind::Repetitions
                            ) =>
                        {
                            refused += 1;
                            if refusal.reason.contains("keypoints were unsteady") {
                                refusals_naming_jitter += 1;
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    // Measured: 932 results within 3 deg, 6 more than 3 deg off (all fair), 142 refusals as
    // not held or repeated, 140 of them naming the jitter.
    assert!(off <= 6, "{off} of 1080 results more than 3 deg off");
    assert!(within >= 925, "{within} of 1080 results within 3 deg");
    assert!(
        refused > 0 && refused <= 150,
        "{refused} refusals as not held or repeated"
    );
    assert!(
        refusals_naming_jitter * 100 >= refused * 95,
        "{refusals_naming_jitter} of {refused} refusals name the jitter"
    );
}

/// A swing's peaks are read where the leg turns: smoothed at 2.5 Hz like a hold, a leg swung
/// from 20 deg of extension to 60 of flexion every 0.8 s read 2.2 deg low, and one that turned
/// sharply (a triangle) 5.9 deg low every 1.2 s and 8.6 every 0.8 s, each graded good. Read at
/// 5 Hz: within 0.2 deg, 2.7 and 4.1 (the triangle's sharp turn is between frames too); but
/// fast swings, every 0.5 and 0.6 s, turning sharply, read 7.2 and 6.3 low at 30 frames/s and
/// 60, good. Read at 6 times the swings' rate, up to a quarter of the frame rate: 4.9 and 4.5
/// at 30 frames/s (2.4 every 0.8 s), 3.2 and 2.7 at 60.
#[test]
fn swing_peaks_are_read_where_the_leg_turns() {
    let (flexion, extension) = (60.0f32, 20.0f32);
    // (waveform, period in seconds, frames a second, noisy, largest error allowed in degrees)
    let cases = [
        ("smooth", 0.8, 30.0, false, 0.5),
        ("smooth", 0.8, 30.0, true, 1.5),
        ("smooth", 0.5, 30.0, true, 2.0),
        ("smooth", 1.2, 30.0, false, 0.5),
        ("sharp", 1.2, 30.0, false, 3.0),
        ("sharp", 0.8, 30.0, false, 3.0),
        ("sharp", 0.6, 30.0, false, 5.0),
        ("sharp", 0.5, 30.0, false, 5.5),
        ("sharp", 0.6, 60.0, false, 3.5),
        ("sharp", 0.5, 60.0, false, 4.0),
    ];
    for (shape, period_s, fps, noisy, tolerance) in cases {
        let mut rng = XorShift::new(7);
        let times = timestamps(fps, 10.0, noisy, &mut rng);
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let x = (t / period_s).fract() as f32;
                // From the middle of the swing, out to flexion, back to extension and in again.
                let wave = match shape {
                    "smooth" => (std::f32::consts::TAU * x).sin(),
                    _ if x < 0.25 => 4.0 * x,
                    _ if x < 0.75 => 2.0 - 4.0 * x,
                    _ => 4.0 * x - 4.0,
                };
                let mut body = Body::default();
                body.left.hip_flexion = swung(flexion, extension, wave);
                body.left.knee_flexion = 5.0;
                body.right.knee_flexion = 3.0;
                render(&Placement::new(Posture::Standing, true), &body)
            })
            .collect();
        if noisy {
            let noise = Noise {
                sigma_px: 2.0,
                dropout: 0.1,
                swaps: 0.05,
            };
            corrupt(&mut poses, &noise, &mut rng);
        }
        let results = measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        );
        for (measure, expected) in [("hip_flexion", flexion), ("hip_extension", extension)] {
            let r = results
                .iter()
                .find(|r| r.measure == measure)
                .unwrap_or_else(|| panic!("no {measure} in {results:?}"));
            let mean = r.value_deg.unwrap_or_else(|| panic!("{r:?}"));
            assert!(
                (mean - expected).abs() <= tolerance,
                "{shape} every {period_s} s at {fps} frames/s, noisy={noisy}: {measure} {mean:.2} \
                 for {expected}"
            );
        }
    }
}

/// Fast swings are smoothed all the same: read at 6 times their rate with no bound, swings every
/// 0.4 s at 30 frames/s were not smoothed at all, and keypoint jitter (5 px on a 112-px thigh)
/// drew crests of 15 deg among them and in the standing still before and after, taken for
/// swings: 24 swings for 15, flexion 39 for 60, good. Bounded at a quarter of the frame rate.
#[test]
fn fast_swings_with_jittering_keypoints_are_smoothed_all_the_same() {
    // The left hip flexed `hip(t)` deg, keypoints jittering 4.5 px on a 100-px thigh.
    let measured = |fps: f64, seconds: f64, hip: &dyn Fn(f64) -> f32, seed: u64| {
        let mut rng = XorShift::new(seed);
        let times = timestamps(fps, seconds, false, &mut rng);
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let mut body = Body::default();
                body.left.hip_flexion = hip(t);
                body.left.knee_flexion = 5.0;
                render(&Placement::new(Posture::Standing, true), &body)
            })
            .collect();
        let noise = Noise {
            sigma_px: 4.5,
            ..Noise::default()
        };
        corrupt(&mut poses, &noise, &mut rng);
        measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        )
    };
    let truth = |r: &Measurement| {
        if r.measure == "hip_flexion" {
            60.0
        } else {
            20.0
        }
    };
    // Standing still for 3 s before and after 15 swings, at 30 frames/s.
    let fast = |t: f64| {
        swung(60.0, 20.0, swing_wave(t, 3.0, 0.4)) * ramp(t, 3.0, 3.2) * (1.0 - ramp(t, 8.8, 9.0))
    };
    for seed in 1..=8 {
        for r in measured(30.0, 12.0, &fast, seed) {
            let label = format!("seed {seed}, {}", r.measure);
            let value = r.value_deg.unwrap_or_else(|| panic!("{label}: {r:?}"));
            assert!(
                (value - truth(&r)).abs() < 3.5,
                "{label}: {value:.1} for {}",
                truth(&r)
            );
            let swings = r.swings.unwrap_or(0);
            assert!(
                (14..=17).contains(&swings),
                "{label}: {swings} swings for 15"
            );
        }
    }
    // Twenty swings every 0.4 s, then eight every 1.5 s, at 60 frames/s: the swings' rate is the
    // slower set's, and the fast ones, smoothed as the slow ones are, read up to 1.7 deg low; the
    // slow ones within 1.3 (read at the fast ones' rate, they came out 3-4 deg high, jitter on
    // their peaks).
    let fast_then_slow = |t: f64| {
        let wave = if t < 9.0 {
            swing_wave(t, 1.0, 0.4) * ramp(t, 1.0, 1.2)
        } else {
            swing_wave(t, 9.0, 1.5) * (1.0 - ramp(t, 20.8, 21.0))
        };
        swung(60.0, 20.0, wave)
    };
    for seed in 1..=4 {
        for r in measured(60.0, 22.0, &fast_then_slow, seed) {
            let label = format!("fast then slow, seed {seed}, {}", r.measure);
            let value = r.value_deg.unwrap_or_else(|| panic!("{label}: {r:?}"));
            assert!(
                (value - truth(&r)).abs() < 2.5,
                "{label}: {value:.1} for {}",
                truth(&r)
            );
            let slow: Vec<f32> = r
                .repetitions
                .iter()
                .filter(|c| c.time_s > 9.5)
                .map(|c| c.peak_deg.abs())
                .collect();
            let slow_mean = slow.iter().sum::<f32>() / slow.len() as f32;
            assert!(
                slow.len() >= 6 && (slow_mean - truth(&r)).abs() < 1.5,
                "{label}: the slow swings' peaks {slow:?}"
            );
        }
    }
}

/// A hold whose frames did not count in stretches (a knee near its limit, read bent in every
/// other half-second) leaves no hold between them though under half of its frames failed: the
/// refusal said "only the resting level was held", blaming the person for not holding.
#[test]
fn a_hold_broken_by_frames_that_did_not_count_says_so() {
    let mut rng = XorShift::new(3);
    let times = timestamps(30.0, 10.0, false, &mut rng);
    let curve = stretch_curve(0.0, 70.0);
    let slr =
        |knee: &dyn Fn(f64) -> f32, other: &dyn Fn(f64) -> f32, short: &dyn Fn(f64) -> bool| {
            let mut poses: Vec<Pose> = times
                .iter()
                .map(|&t| {
                    let mut pose = render(
                        &Placement::new(Posture::Supine, true),
                        &with_legs(
                            Leg {
                                hip_flexion: curve(t),
                                knee_flexion: knee(t),
                            },
                            Leg {
                                hip_flexion: other(t),
                                knee_flexion: 0.0,
                            },
                            Side::Left,
                            0.0,
                        ),
                    );
                    if short(t) {
                        // The raised leg drawn at half its length (rising towards the camera).
                        let h = pose.get(BodyPart::LeftHip);
                        for part in [BodyPart::LeftKnee, BodyPart::LeftAnkle] {
                            let k = &mut pose.keypoints[part.index()];
                            k.x = h.x + (k.x - h.x) * 0.5;
                            k.y = h.y + (k.y - h.y) * 0.5;
                        }
                    }
                    pose
                })
                .collect();
            let results = measure("slr", &times, &mut poses, SideChoice::Named(Side::Left));
            let r = results[0].clone();
            assert_eq!(r.value_deg, None, "{r:?}");
            let refusal = r.refusal.unwrap_or_else(|| panic!("no refusal"));
            assert_eq!(
                refusal.kind,
                protocols::RefusalKind::NoValidFrames,
                "{refusal:?}"
            );
            refusal.reason
        };
    // (Changing over 0.2 s, as a body does: a leg turned in a frame jumped, and is left out.)
    let during = |from: f64, to: f64, deg: f32| {
        move |t: f64| deg * ramp(t, from - 0.1, from + 0.1) * (1.0 - ramp(t, to - 0.1, to + 0.1))
    };
    for period in [0.4, 0.6, 1.0, 1.5] {
        let reason = slr(
            &|t| {
                // Bent for the first half of each period, over 0.1 s each way (bent from one
                // frame to the next, it jumped: left out as misread).
                let into = (t / period).fract() * period;
                let bent =
                    ramp(into, 0.0, 0.1) * (1.0 - ramp(into, period / 2.0, period / 2.0 + 0.1));
                if (2.0..8.0).contains(&t) {
                    10.0 + 15.0 * bent
                } else {
                    10.0
                }
            },
            &|_| 0.0,
            &|_| false,
        );
        assert!(
            reason.starts_with("hip_flexion was held at about 70 deg from ")
                && reason.contains("% of those frames did not count, leaving no 1.0 s hold between them: raised knee bent over 20 deg"),
            "{period}: {reason}"
        );
    }
    // Conditions in turn, none in half of the frames: the three most failed are named with
    // their frames (the other hip's posture fails with the resting thigh's).
    let reason = slr(&during(2.0, 4.2, 30.0), &during(4.2, 5.7, 30.0), &|t| {
        (5.7..8.0).contains(&t)
    });
    assert!(
        reason.contains("but those frames did not count: ")
            && reason.contains("leg or trunk foreshortened: camera not side-on (")
            && reason.contains("resting thigh lifted over 15 deg from the table (")
            && reason.matches(" frames)").count() == 3,
        "{reason}"
    );
}

/// A pose model may name the legs by where they are, not which they are (in profile the two
/// look alike): the leg in front always "right", say, the labels exchanged at every crossing.
/// The back of each swing was then read on the standing leg: swings from 15 deg of extension
/// to 50 of flexion read 3.9 and 49.8, both good. Which leg swung is not known: refused (in 16
/// of the 24 results below for that reason; the rest as walking, or no swing, where the labels
/// waiting at the standing level left too little to see).
#[test]
fn legs_named_by_where_they_are_are_refused() {
    let mut rng = XorShift::new(41);
    let times = timestamps(30.0, 12.0, false, &mut rng);
    let (mut not_known, mut total) = (0, 0);
    for (flexion, extension) in [(50.0f32, 15.0f32), (60.0, 20.0), (45.0, 25.0)] {
        for front_is_right in [true, false] {
            for sigma_px in [0.0f32, 2.0] {
                let noise = Noise {
                    sigma_px,
                    ..Noise::default()
                };
                let mut poses: Vec<Pose> = times
                    .iter()
                    .map(|&t| {
                        let hip =
                            swung(flexion, extension, swing_wave(t, 1.0, 1.2)) * ramp(t, 1.0, 1.6);
                        let mut body = Body::default();
                        body.right.hip_flexion = hip;
                        body.right.knee_flexion = 5.0;
                        let mut pose = render(&Placement::new(Posture::Standing, true), &body);
                        // The swinging (right) leg behind the standing one is named "right"
                        // only where the leg behind is.
                        if (hip < 0.0) == front_is_right {
                            for (l, r) in [
                                (BodyPart::LeftKnee, BodyPart::RightKnee),
                                (BodyPart::LeftAnkle, BodyPart::RightAnkle),
                            ] {
                                pose.keypoints.swap(l.index(), r.index());
                            }
                        }
                        pose
                    })
                    .collect();
                corrupt(&mut poses, &noise, &mut rng);
                let label = format!(
                    "{flexion}/{extension}, front is right: {front_is_right}, noise {sigma_px} px"
                );
                let results = measure("leg-swing", &times, &mut poses, SideChoice::Auto);
                let said: Vec<_> = results
                    .iter()
                    .map(|r| (r.side, &r.measure, r.value_deg, r.quality))
                    .collect();
                for r in &results {
                    let refusal = r
                        .refusal
                        .as_ref()
                        .unwrap_or_else(|| panic!("{label}: {said:?}"));
                    if refusal.reason.starts_with("which leg swung is not known") {
                        not_known += 1;
                    }
                    total += 1;
                }
            }
        }
    }
    assert!(not_known * 3 >= total * 2, "{not_known} of {total}");
    // Never said of true swings: one that never passes the standing leg (from 10 deg of
    // flexion to 60), or with the standing hip 8 deg extended (a sway-back stance).
    for (standing, back) in [(0.0f32, -10.0f32), (-8.0, 0.0), (-8.0, 5.0)] {
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let hip = swung(60.0, back, swing_wave(t, 1.0, 1.2)) * ramp(t, 1.0, 1.6);
                let mut body = Body::default();
                body.right.hip_flexion = hip;
                body.right.knee_flexion = 5.0;
                body.left.hip_flexion = standing;
                render(&Placement::new(Posture::Standing, true), &body)
            })
            .collect();
        let noise = Noise {
            sigma_px: 2.0,
            ..Noise::default()
        };
        corrupt(&mut poses, &noise, &mut rng);
        let results = measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Right),
        );
        for (r, expected) in results.iter().zip([60.0, back]) {
            let value = r
                .value_deg
                .unwrap_or_else(|| panic!("standing {standing}, back {back}: {r:?}"));
            assert!(
                (value - expected).abs() < 2.0,
                "standing {standing}, back {back}: {} {value}",
                r.measure
            );
        }
    }
}

/// Leg swings filmed at a low frame rate (a webcam in dim light gives 8-12 frames/s, unevenly)
/// are read at their peaks. Swings to 60 deg of flexion and 20 of extension every 0.8 s, at
/// 8 frames/s: each peak lay 18 deg above its neighbours' median and was left out as a spike
/// (read 45 and 5, fair); with frames up to 20 % early or late, where the filter does nothing,
/// resampling cut the peaks (53.1 and 14.7, good; 56.2 and 16.3 at 10 frames/s, good); with
/// jitter and frames missing, a lost peak's neighbour was taken for it (51.9 and 14.6, good).
/// The peaks are now read between the frames, and under 6 frames a swing the result is fair.
#[test]
fn swings_filmed_at_low_frame_rates_are_read_at_their_peaks() {
    let (flexion, extension) = (60.0f32, 20.0f32);
    let noise = Noise {
        sigma_px: 2.0,
        dropout: 0.1,
        swaps: 0.0,
    };
    // (frames per second, swing period in seconds, uneven with jitter and dropped frames)
    let mut cases = vec![(8.0, 0.8, false)];
    for fps in [15.0, 12.0, 10.0, 8.0, 6.0, 5.0] {
        for period_s in [1.2, 0.8] {
            cases.push((fps, period_s, true));
        }
    }
    for (fps, period_s, noisy) in cases {
        let label = format!("{fps} frames/s, a swing every {period_s} s, noisy={noisy}");
        let mut rng = XorShift::new(7);
        let times = timestamps(fps, 12.0, noisy, &mut rng);
        let mut poses: Vec<Pose> = times
            .iter()
            .map(|&t| {
                let wave = (std::f64::consts::TAU * (t / period_s + 0.13)).sin() as f32;
                let mut body = Body::default();
                body.left.hip_flexion = swung(flexion, extension, wave);
                body.left.knee_flexion = 5.0;
                body.right.knee_flexion = 3.0;
                render(&Placement::new(Posture::Standing, true), &body)
            })
            .collect();
        if noisy {
            corrupt(&mut poses, &noise, &mut rng);
        }
        let results = measure(
            "leg-swing",
            &times,
            &mut poses,
            SideChoice::Named(Side::Left),
        );
        let frames_per_swing = fps * period_s;
        for (measure, expected) in [("hip_flexion", flexion), ("hip_extension", extension)] {
            let r = results
                .iter()
                .find(|r| r.measure == measure)
                .unwrap_or_else(|| panic!("{label}: no {measure} in {results:?}"));
            let far_apart = r
                .warnings
                .iter()
                .any(|w| w.kind == WarningKind::FramesFarApart);
            if frames_per_swing < 5.5 {
                // 4-5 frames a swing: read low, and never good (said as frames far apart, or,
                // with peaks lost as spikes, as few swings, or refused).
                assert_ne!(r.quality, Quality::Good, "{label}: {measure} {r:?}");
                if !noisy {
                    assert!(far_apart, "{label}: {measure} {r:?}");
                }
            } else {
                let mean = r
                    .value_deg
                    .unwrap_or_else(|| panic!("{label}: {measure} refused: {r:?}"));
                // Measured: within 2.6 deg uneven and noisy, 0.3 even and clean.
                let tolerance = if noisy { 3.0 } else { 1.0 };
                assert!(
                    (mean - expected).abs() <= tolerance,
                    "{label}: {measure} read {mean:.1} for {expected}"
                );
                // (6 frames a swing, at 5 frames/s, is where the warning starts.)
                if frames_per_swing > 6.5 {
                    assert!(!far_apart, "{label}: {measure} {:?}", r.warnings);
                }
            }
        }
    }
}
