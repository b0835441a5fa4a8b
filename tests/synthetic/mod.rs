//! Test-only stick figures: a body moved through a protocol's motion along a known angle curve,
//! in any orientation, scale and position, with optional pixel noise, dropped frames and
//! left/right label swaps.
#![allow(dead_code)]

use gonio::angles::Side;
use gonio::pose::{BodyPart, Keypoint, Pose, KEYPOINT_COUNT};

/// How the body lies in the picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Posture {
    Standing,
    Kneeling,
    /// Lying on the back, face up.
    Supine,
    /// Lying face down.
    Prone,
}

/// Where the figure is and which way it faces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub posture: Posture,
    /// Upright: the face points to the picture's right. Lying: the head is on the picture's left
    /// (so the feet point right).
    pub towards_right: bool,
    /// Thigh length, pixels; the rest of the body scales with it.
    pub thigh_px: f32,
    /// Where the hips are, frame pixels.
    pub hip_at: (f32, f32),
    /// Offset between the left and right hip and shoulder in the picture, pixels (0 = a perfect
    /// side view; large = facing the camera).
    pub lateral_px: f32,
}

impl Placement {
    pub fn new(posture: Posture, towards_right: bool) -> Self {
        Placement {
            posture,
            towards_right,
            thigh_px: 100.0,
            hip_at: (640.0, 400.0),
            lateral_px: 4.0,
        }
    }
}

/// One leg's joint angles, degrees (hip flexion signed, positive anterior; knee flexion 0 =
/// straight).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Leg {
    pub hip_flexion: f32,
    pub knee_flexion: f32,
}

/// The body's joint angles at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Body {
    pub left: Leg,
    pub right: Leg,
    /// Trunk rotation towards anterior from the posture's neutral, degrees.
    pub trunk_lean: f32,
}

impl Body {
    pub fn leg_mut(&mut self, side: Side) -> &mut Leg {
        match side {
            Side::Left => &mut self.left,
            Side::Right => &mut self.right,
        }
    }
}

type V = (f32, f32);

fn add(a: V, b: V) -> V {
    (a.0 + b.0, a.1 + b.1)
}

fn scale(a: V, s: f32) -> V {
    (a.0 * s, a.1 * s)
}

/// The 17 keypoints of `body` placed by `placement`, all with confidence 0.9.
pub fn render(placement: &Placement, body: &Body) -> Pose {
    // Unit vectors in the picture: trunk up (hip -> shoulder) and anterior, before the lean.
    let (up, anterior): (V, V) = match (placement.posture, placement.towards_right) {
        (Posture::Standing | Posture::Kneeling, true) => ((0.0, -1.0), (1.0, 0.0)),
        (Posture::Standing | Posture::Kneeling, false) => ((0.0, -1.0), (-1.0, 0.0)),
        (Posture::Supine, true) => ((-1.0, 0.0), (0.0, -1.0)),
        (Posture::Supine, false) => ((1.0, 0.0), (0.0, -1.0)),
        (Posture::Prone, true) => ((-1.0, 0.0), (0.0, 1.0)),
        (Posture::Prone, false) => ((1.0, 0.0), (0.0, 1.0)),
    };
    let lean = body.trunk_lean.to_radians();
    let u = add(scale(up, lean.cos()), scale(anterior, lean.sin()));
    let a = add(scale(up, -lean.sin()), scale(anterior, lean.cos()));
    // A direction at `deg` from "down the trunk" towards anterior.
    let dir = |deg: f32| {
        let r = deg.to_radians();
        add(scale(u, -r.cos()), scale(a, r.sin()))
    };
    let t = placement.thigh_px;
    let hip = placement.hip_at;
    let shoulder = add(hip, scale(u, 1.2 * t));
    // Left and right appear slightly apart, as in a real side view; the near side (left, when
    // the face points right) a little lower on screen.
    let lateral = (0.0, placement.lateral_px / 2.0);
    let head = add(shoulder, scale(u, 0.35 * t));
    let nose = add(head, scale(a, 0.12 * t));
    let eye = add(add(head, scale(a, 0.09 * t)), scale(u, 0.03 * t));
    let ear = add(head, scale(a, -0.03 * t));

    let mut k = [Keypoint::default(); KEYPOINT_COUNT];
    let mut set = |part: BodyPart, p: V| {
        k[part.index()] = Keypoint {
            x: p.0,
            y: p.1,
            confidence: 0.9,
        }
    };
    set(BodyPart::Nose, nose);
    for (side, sign) in [(Side::Left, 1.0f32), (Side::Right, -1.0)] {
        let offset = scale(lateral, sign);
        let leg = if side == Side::Left {
            body.left
        } else {
            body.right
        };
        let hip_s = add(hip, offset);
        let knee = add(hip_s, scale(dir(leg.hip_flexion), t));
        let ankle = add(knee, scale(dir(leg.hip_flexion - leg.knee_flexion), t));
        let shoulder_s = add(shoulder, offset);
        let elbow = add(shoulder_s, scale(dir(10.0), 0.7 * t));
        let wrist = add(elbow, scale(dir(30.0), 0.6 * t));
        let parts = if side == Side::Left {
            [
                BodyPart::LeftEye,
                BodyPart::LeftEar,
                BodyPart::LeftShoulder,
                BodyPart::LeftElbow,
                BodyPart::LeftWrist,
                BodyPart::LeftHip,
                BodyPart::LeftKnee,
                BodyPart::LeftAnkle,
            ]
        } else {
            [
                BodyPart::RightEye,
                BodyPart::RightEar,
                BodyPart::RightShoulder,
                BodyPart::RightElbow,
                BodyPart::RightWrist,
                BodyPart::RightHip,
                BodyPart::RightKnee,
                BodyPart::RightAnkle,
            ]
        };
        let points = [
            add(eye, offset),
            add(ear, offset),
            shoulder_s,
            elbow,
            wrist,
            hip_s,
            knee,
            ankle,
        ];
        for (part, p) in parts.into_iter().zip(points) {
            set(part, p);
        }
    }
    Pose::from_keypoints(k)
}

/// A swinging leg's hip flexion, degrees: from `back` deg behind (hip extension, positive) to
/// `front` in front, at `wave` (-1 back, 1 front, 0 half-way).
pub fn swung(front: f32, back: f32, wave: f32) -> f32 {
    (front - back) / 2.0 + (front + back) / 2.0 * wave
}

/// A sine swing's wave at `t` seconds (-1 back, 1 front): one swing every `period_s`, rising
/// through half-way at `start_s`.
pub fn swing_wave(t: f64, start_s: f64, period_s: f64) -> f32 {
    (std::f64::consts::TAU * (t - start_s) / period_s).sin() as f32
}

/// A stretch: rest, move in over 2 s, hold 4 s at `target` with a slight sway, release, rest.
/// Returns the angle at `t` seconds; 10 s in all.
pub fn stretch_curve(rest: f32, target: f32) -> impl Fn(f64) -> f32 {
    let settle = settle_curve(rest, target);
    move |t: f64| -> f32 {
        match t as f32 {
            t if t < 7.0 => settle(f64::from(t)),
            t if t < 9.0 => target + (rest - target) * smoothstep((t - 7.0) / 2.0),
            _ => rest,
        }
    }
}

/// A position settling: rest, move over 2 s to `target`, and stay there (with a slight sway)
/// to the end, as the Thomas test's hanging thigh rises while the other knee's hug tightens.
pub fn settle_curve(rest: f32, target: f32) -> impl Fn(f64) -> f32 {
    move |t: f64| -> f32 {
        let t = t as f32;
        let sway = 0.3 * (t * std::f32::consts::PI).sin();
        match t {
            t if t < 1.0 => rest,
            t if t < 3.0 => rest + (target - rest) * smoothstep((t - 1.0) / 2.0),
            _ => target + sway,
        }
    }
}

fn smoothstep(x: f32) -> f32 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

/// Timestamps for `seconds` at `fps`, optionally with jitter (± 20 % of an interval) and
/// dropped frames (every frame has a 5 % chance to be skipped), as phones record.
pub fn timestamps(fps: f64, seconds: f64, irregular: bool, rng: &mut XorShift) -> Vec<f64> {
    let step = 1.0 / fps;
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let mut t = i as f64 * step;
        if irregular {
            t += (rng.uniform() - 0.5) * 0.4 * step;
        }
        if t > seconds {
            break;
        }
        i += 1;
        if irregular && rng.uniform() < 0.05 {
            continue;
        }
        if out.last().is_none_or(|&last| t > last) {
            out.push(t.max(0.0));
        }
    }
    out
}

/// Corruption applied to a rendered series.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Noise {
    /// Gaussian pixel noise on every coordinate, standard deviation in pixels.
    pub sigma_px: f32,
    /// Share of frames where the person is not found (all confidences 0).
    pub dropout: f64,
    /// Share of frames where the model exchanges left and right legs and arms (in bursts of 1-8
    /// frames, as models do in side views).
    pub swaps: f64,
}

/// Applies `noise` in place.
pub fn corrupt(poses: &mut [Pose], noise: &Noise, rng: &mut XorShift) {
    let mut burst = 0;
    for pose in poses.iter_mut() {
        for k in pose.keypoints.iter_mut() {
            k.x += noise.sigma_px * rng.gaussian();
            k.y += noise.sigma_px * rng.gaussian();
        }
        if burst == 0 && rng.uniform() < noise.swaps / 4.5 {
            burst = 1 + (rng.uniform() * 8.0) as usize;
        }
        if burst > 0 {
            burst -= 1;
            for (l, r) in [(11, 12), (13, 14), (15, 16), (5, 6), (7, 8), (9, 10)] {
                pose.keypoints.swap(l, r);
            }
        }
        if rng.uniform() < noise.dropout {
            for k in pose.keypoints.iter_mut() {
                *k = Keypoint::default();
            }
        }
    }
}

/// Mirrors a pose left-right inside a frame `width` pixels wide and exchanges the left and right
/// labels, which describes the same body seen in a mirror.
pub fn mirror(pose: &Pose, width: f32) -> Pose {
    let mut k = pose.keypoints;
    for p in k.iter_mut() {
        p.x = width - p.x;
    }
    for (l, r) in [
        (1, 2),
        (3, 4),
        (5, 6),
        (7, 8),
        (9, 10),
        (11, 12),
        (13, 14),
        (15, 16),
    ] {
        k.swap(l, r);
    }
    Pose::from_keypoints(k)
}

/// A small deterministic generator (xorshift64*), so that tests need no extra crate.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller).
    pub fn gaussian(&mut self) -> f32 {
        let u1 = self.uniform().max(1e-12);
        let u2 = self.uniform();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}

/// A straight-leg raise of the left leg to `target` degrees, lying on the back, as a pose model
/// would report it: `seconds` long at 30 frames/s (the 10-s stretch repeated), optionally with
/// irregular timestamps, with 2-px noise, 10 % dropped frames and left/right swaps.
pub fn noisy_slr(
    target: f32,
    seconds: f64,
    irregular: bool,
    towards_right: bool,
    seed: u64,
) -> gonio::pose::csv::PoseTrack {
    let mut rng = XorShift::new(seed);
    let time_s = timestamps(30.0, seconds, irregular, &mut rng);
    let curve = stretch_curve(0.0, target);
    let mut poses: Vec<Pose> = time_s
        .iter()
        .map(|&t| {
            let mut body = Body::default();
            body.leg_mut(Side::Left).hip_flexion = curve(t % 10.0);
            render(&Placement::new(Posture::Supine, towards_right), &body)
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
    gonio::pose::csv::PoseTrack { time_s, poses }
}

/// Writes a track as a keypoint CSV at `path` and returns the path.
pub fn write_csv(
    track: &gonio::pose::csv::PoseTrack,
    path: std::path::PathBuf,
) -> std::path::PathBuf {
    let file = std::fs::File::create(&path).expect("test folder is writable");
    gonio::pose::csv::write_keypoints_csv(file, track).expect("CSV writes");
    path
}

/// Runs the series pipeline and `protocol` on `poses` (one per timestamp in `times`), as
/// `gonio analyze` does with a keypoint file.
pub fn measure(
    protocol: &str,
    times: &[f64],
    poses: &mut [Pose],
    side: gonio::protocols::SideChoice,
) -> Vec<gonio::protocols::Measurement> {
    let protocol = gonio::protocols::find(protocol).expect("protocol exists");
    let series = gonio::angles::AngleSeries::from_poses(
        times,
        poses,
        &gonio::angles::SeriesOptions::default(),
    );
    gonio::protocols::measure(
        protocol,
        &series,
        side,
        &gonio::protocols::HoldCriteria::default(),
        "synthetic",
        None,
    )
}

/// `poses` moved, each as a whole, so that `side`'s ankle stays where it was in the first: the
/// figure's legs hang from the hips, and a lunge's front foot stands planted instead (its ankle
/// rising as the shank tilts would be a heel lifted).
pub fn planted(poses: Vec<Pose>, side: Side) -> Vec<Pose> {
    let ankle = match side {
        Side::Left => BodyPart::LeftAnkle,
        Side::Right => BodyPart::RightAnkle,
    };
    let Some(first) = poses.first().map(|p| p.keypoints[ankle.index()]) else {
        return poses;
    };
    poses
        .into_iter()
        .map(|mut pose| {
            let at = pose.keypoints[ankle.index()];
            let (dx, dy) = (first.x - at.x, first.y - at.y);
            for k in &mut pose.keypoints {
                k.x += dx;
                k.y += dy;
            }
            pose
        })
        .collect()
}

/// 0 before `from`, 1 after `to` seconds, smooth between (at `t` seconds).
pub fn ramp(t: f64, from: f64, to: f64) -> f32 {
    let x = ((t - from) / (to - from)).clamp(0.0, 1.0) as f32;
    x * x * (3.0 - 2.0 * x)
}
