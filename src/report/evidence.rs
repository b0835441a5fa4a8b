//! The evidence picture: the frame a result was read from, with the skeleton, the measured angle
//! drawn as an arc at its joint with its value, and a caption.

use ab_glyph::{FontRef, PxScale};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_filled_rect_mut, draw_text_mut, text_size};
use imageproc::rect::Rect;

use super::overlay::{draw_pose, draw_thick_line, stroke_px};
use super::FONT_TTF;
use crate::angles::geometry::Point;
use crate::angles::AngleSeries;
use crate::angles::{joint_rays, Rays, Side};
use crate::pose::{overlong_limb, Pose};
use crate::protocols::{LegAngle, Measurement, Protocol};

const ARC_COLOUR: Rgb<u8> = Rgb([255, 230, 0]);
const REFERENCE_COLOUR: Rgb<u8> = Rgb([255, 255, 255]);
const LABEL_BACKGROUND: Rgb<u8> = Rgb([20, 20, 20]);
/// The colour of what a reading got wrong.
const WARNING_COLOUR: Rgb<u8> = Rgb([255, 40, 40]);
/// The colour of caption text.
pub const CAPTION_COLOUR: Rgb<u8> = Rgb([255, 255, 255]);

/// A result and the frame of its series it is drawn on (see [`draw_result_evidence`]).
pub struct ResultInFrame<'a> {
    pub protocol: &'a Protocol,
    pub result: &'a Measurement,
    pub series: &'a AngleSeries,
    /// The frame's index in the series.
    pub index: usize,
    /// The frame's time, seconds from the start of the source.
    pub time_s: f64,
    /// The frame's time in a video player, seconds, where it is not `time_s`: slow motion or a
    /// time-lapse timed in real seconds (see [`crate::capture::Retimed`]). None otherwise.
    pub player_time_s: Option<f64>,
    /// Keypoints under this confidence are not drawn into the angle.
    pub min_confidence: f32,
}

/// Draws a result's evidence picture on `frame` (in whose pixels `pose` is): the skeleton, the
/// measured angle as an arc labelled with the result, and a caption with the protocol, side,
/// value, hold and quality. A refused result shows this frame's angle and the reason, and its
/// arc is labelled "no result", so that no cropped picture shows a number that looks like one.
pub fn draw_result_evidence(frame: &RgbImage, pose: &Pose, shown: &ResultInFrame) -> RgbImage {
    let (protocol, r) = (shown.protocol, shown.result);
    let measure = protocol
        .measure_named(&r.measure)
        .unwrap_or_else(|| protocol.main_measure());
    let side = r.side;
    let value = r.value_deg.unwrap_or_else(|| {
        measure.value_in_frame(side, |c| {
            shown
                .series
                .channel(c)
                .get(shown.index)
                .copied()
                .unwrap_or(f32::NAN)
        })
    });
    let value_text = if value.is_nan() {
        "?".to_string()
    } else {
        format!("{value:.1}°")
    };
    let mut caption = match &r.refusal {
        None => vec![format!(
            "{} {} {}: {value_text} (held {:.1} s), quality {}",
            protocol.id,
            side.name(),
            r.measure,
            r.hold_s,
            r.quality.name()
        )],
        Some(refusal) => vec![
            format!(
                "{} {} {}: NO RESULT ({value_text} in this frame)",
                protocol.id,
                side.name(),
                r.measure
            ),
            refusal.reason.clone(),
        ],
    };
    caption.push(when_caption(&r.source, shown.time_s, shown.player_time_s));
    let label = if r.refusal.is_some() {
        "no result"
    } else {
        value_text.as_str()
    };
    let angle = AngleToDraw {
        side,
        angle: measure.angle,
        anterior_sign: shown.series.anterior_sign_at(shown.index),
        min_confidence: shown.min_confidence,
        label,
    };
    // The keypoints the series left out as misread are not drawn: the picture shows what was
    // measured.
    let pose = shown.series.as_measured(shown.index, pose);
    draw_evidence(frame, &pose, &angle, &caption)
}

/// Where the frame is: "`source` at `time_s` s", with the time a video player shows where it
/// differs (a retimed video: that is where a therapist looks for the frame).
fn when_caption(source: &str, time_s: f64, player_time_s: Option<f64>) -> String {
    match player_time_s {
        Some(player_s) => {
            format!("{source} at {time_s:.2} s ({player_s:.2} s in a video player)")
        }
        None => format!("{source} at {time_s:.2} s"),
    }
}

/// An angle to draw at its joint.
#[derive(Debug, Clone, Copy)]
pub struct AngleToDraw<'a> {
    pub side: Side,
    pub angle: LegAngle,
    /// The anterior side the series' angles were computed with
    /// ([`crate::angles::AngleSeries::anterior_sign`]), so that the arc drawn is the angle
    /// computed.
    pub anterior_sign: Option<f32>,
    /// Keypoints under this confidence were not used by the kernel, and are not drawn from.
    pub min_confidence: f32,
    /// Written beside the arc.
    pub label: &'a str,
}

/// The joint and the two rays between which the kernel measured `angle` on `side` of `pose`,
/// frame pixels, computed as the series computed it (keypoints at or above `min_confidence`,
/// the series' `anterior_sign`). None when the kernel could not measure it in this pose.
pub fn angle_rays(
    pose: &Pose,
    side: Side,
    angle: LegAngle,
    min_confidence: f32,
    anterior_sign: Option<f32>,
) -> Option<Rays> {
    let rays = joint_rays(pose, anterior_sign, min_confidence);
    angle.of(rays.leg(side))
}

/// The evidence picture of `frame`: skeleton, the angle's reference ray and arc at the joint,
/// its value, and `caption` lines in a band above the frame.
pub fn draw_evidence(
    frame: &RgbImage,
    pose: &Pose,
    angle: &AngleToDraw,
    caption: &[String],
) -> RgbImage {
    let mut drawn = frame.clone();
    draw_pose(&mut drawn, pose);
    draw_measured_angle(&mut drawn, pose, angle);
    let lines: Vec<(&str, Rgb<u8>)> = caption
        .iter()
        .map(|line| (line.as_str(), CAPTION_COLOUR))
        .collect();
    with_caption_above(&drawn, &lines)
}

/// Draws the reference ray of `angle` and the arc from it to the moving segment at the joint,
/// with its label beside the arc. Nothing when the keypoints are not reliable.
pub fn draw_measured_angle(frame: &mut RgbImage, pose: &Pose, angle: &AngleToDraw) {
    let stroke = stroke_px(frame);
    let font = FontRef::try_from_slice(FONT_TTF).ok();
    let rays = angle_rays(
        pose,
        angle.side,
        angle.angle,
        angle.min_confidence,
        angle.anterior_sign,
    );
    if let Some(Rays {
        vertex,
        reference,
        moving,
    }) = rays
    {
        let length = moving.0.hypot(moving.1).max(1.0);
        let unit = |v: Point| {
            let n = v.0.hypot(v.1).max(1e-6);
            (v.0 / n, v.1 / n)
        };
        let (r, m) = (unit(reference), unit(moving));
        // The reference ray, as long as the moving segment.
        let end = (vertex.0 + r.0 * length, vertex.1 + r.1 * length);
        draw_thick_line(frame, vertex, end, (stroke / 2).max(1), REFERENCE_COLOUR, 0);
        // The arc between the rays, the short way round.
        let radius = 0.35 * length;
        let start = r.1.atan2(r.0);
        let mut sweep = m.1.atan2(m.0) - start;
        if sweep > std::f32::consts::PI {
            sweep -= std::f32::consts::TAU;
        } else if sweep < -std::f32::consts::PI {
            sweep += std::f32::consts::TAU;
        }
        let steps = 48;
        let point = |t: f32| {
            let a = start + sweep * t;
            (vertex.0 + radius * a.cos(), vertex.1 + radius * a.sin())
        };
        for i in 0..steps {
            draw_thick_line(
                frame,
                point(i as f32 / steps as f32),
                point((i + 1) as f32 / steps as f32),
                stroke,
                ARC_COLOUR,
                0,
            );
        }
        if let Some(font) = &font {
            // The value just outside the middle of the arc.
            let mid = start + sweep / 2.0;
            let at = (
                vertex.0 + 1.5 * radius * mid.cos(),
                vertex.1 + 1.5 * radius * mid.sin(),
            );
            let scale = PxScale::from((frame.height().min(frame.width()) as f32 / 18.0).max(16.0));
            draw_label(frame, font, scale, at, angle.label, ARC_COLOUR);
        }
    }
}

/// Draws a photo's reading (`gonio pose --overlay`): the skeleton and, when the reading is
/// implausible (see [`overlong_limb`]), the overlong segment in red with a caption saying so.
pub fn draw_photo_reading(frame: &mut RgbImage, pose: &Pose) {
    draw_pose(frame, pose);
    let Some(limb) = overlong_limb(pose) else {
        return;
    };
    let (a, b) = limb.segment.parts();
    let (a, b) = (pose.get(a), pose.get(b));
    let stroke = stroke_px(frame);
    draw_thick_line(frame, (a.x, a.y), (b.x, b.y), stroke, WARNING_COLOUR, 0);
    // Its ends as red dots too: a doubtful keypoint is otherwise only a ring.
    for end in [a, b] {
        if end.x.is_finite() && end.y.is_finite() {
            let centre = (end.x.round() as i32, end.y.round() as i32);
            draw_filled_circle_mut(frame, centre, stroke + 2, WARNING_COLOUR);
        }
    }
    let message = format!("check: {limb}");
    draw_caption(frame, &[(message.as_str(), WARNING_COLOUR)]);
}

/// Caption lines laid out for a picture `width` pixels wide: the font size, the line height
/// and the lines wrapped at spaces to the width, each with its colour.
struct CaptionLayout<'f> {
    font: FontRef<'f>,
    scale: PxScale,
    line_height: u32,
    lines: Vec<(String, Rgb<u8>)>,
}

impl CaptionLayout<'_> {
    fn new(width: u32, caption: &[(&str, Rgb<u8>)]) -> Option<CaptionLayout<'static>> {
        if caption.is_empty() {
            return None;
        }
        let font = FontRef::try_from_slice(FONT_TTF).ok()?;
        let scale = PxScale::from((width as f32 / 40.0).clamp(14.0, 40.0));
        let line_height = (scale.y * 1.25) as u32;
        // Long lines (a refusal's reason) wrap at spaces to the picture's width.
        let room = width.saturating_sub(line_height / 2).max(1);
        let lines = caption
            .iter()
            .flat_map(|&(line, colour)| {
                wrap(line, |text| text_size(scale, &font, text).0 <= room)
                    .into_iter()
                    .map(move |l| (l, colour))
            })
            .collect();
        Some(CaptionLayout {
            font,
            scale,
            line_height,
            lines,
        })
    }

    /// The band's height, pixels.
    fn band(&self) -> u32 {
        self.line_height * self.lines.len() as u32 + self.line_height / 2
    }

    /// Draws the band and its lines at the top of `picture`.
    fn draw(&self, picture: &mut RgbImage) {
        draw_filled_rect_mut(
            picture,
            Rect::at(0, 0).of_size(picture.width(), self.band().min(picture.height()).max(1)),
            LABEL_BACKGROUND,
        );
        for (i, (line, colour)) in self.lines.iter().enumerate() {
            draw_text_mut(
                picture,
                *colour,
                (self.line_height / 4) as i32,
                (self.line_height / 4 + i as u32 * self.line_height) as i32,
                self.scale,
                &self.font,
                line,
            );
        }
    }
}

/// Draws text lines, each in its colour, on a dark band across the top of `frame` (over the
/// picture: for views whose size is fixed, the live view and a photo's overlay).
pub fn draw_caption(frame: &mut RgbImage, caption: &[(&str, Rgb<u8>)]) {
    if let Some(layout) = CaptionLayout::new(frame.width(), caption) {
        layout.draw(frame);
    }
}

/// `frame` with the caption in a band added above it, so that no line hides the person (a head
/// near the top of a landscape video was under the band).
pub fn with_caption_above(frame: &RgbImage, caption: &[(&str, Rgb<u8>)]) -> RgbImage {
    let Some(layout) = CaptionLayout::new(frame.width(), caption) else {
        return frame.clone();
    };
    let band = layout.band();
    let mut picture = RgbImage::new(frame.width(), frame.height() + band);
    image::imageops::replace(&mut picture, frame, 0, i64::from(band));
    layout.draw(&mut picture);
    picture
}

/// Splits `line` at spaces into lines that `fits`; a word too long for a line stands alone.
fn wrap(line: &str, fits: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if current.is_empty() || fits(&candidate) {
            current = candidate;
        } else {
            out.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    out.push(current);
    out
}

/// Text centred on `at` over a dark box, kept inside the frame.
fn draw_label(
    frame: &mut RgbImage,
    font: &FontRef,
    scale: PxScale,
    at: Point,
    text: &str,
    colour: Rgb<u8>,
) {
    let (w, h) = text_size(scale, font, text);
    let pad = (h / 4).max(2);
    let (bw, bh) = (w + 2 * pad, h + 2 * pad);
    let max_x = frame.width().saturating_sub(bw) as f32;
    let max_y = frame.height().saturating_sub(bh) as f32;
    let x = (at.0 - bw as f32 / 2.0).clamp(0.0, max_x) as i32;
    let y = (at.1 - bh as f32 / 2.0).clamp(0.0, max_y) as i32;
    draw_filled_rect_mut(
        frame,
        Rect::at(x, y).of_size(bw.max(1), bh.max(1)),
        LABEL_BACKGROUND,
    );
    draw_text_mut(
        frame,
        colour,
        x + pad as i32,
        y + pad as i32,
        scale,
        font,
        text,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::angles::joint_angles;
    use crate::pose::{BodyPart, Keypoint, KEYPOINT_COUNT};

    /// The unsigned angle between two directions, degrees.
    fn between(a: Point, b: Point) -> f32 {
        let dot = a.0 * b.0 + a.1 * b.1;
        (dot / (a.0.hypot(a.1) * b.0.hypot(b.1)))
            .clamp(-1.0, 1.0)
            .acos()
            .to_degrees()
    }

    #[test]
    fn a_retimed_videos_picture_gives_the_players_time_too() {
        assert_eq!(when_caption("a.mp4", 1.5, None), "a.mp4 at 1.50 s");
        // 8x slow motion: 1.5 real seconds are 12 s into the video.
        assert_eq!(
            when_caption("a.mp4", 1.5, Some(12.0)),
            "a.mp4 at 1.50 s (12.00 s in a video player)"
        );
    }

    #[test]
    fn every_drawn_angle_spans_the_value_the_kernel_computed() {
        // A person standing sideways, face to the right, one hip flexed and its knee bent, the
        // other leg behind: every leg angle on both sides, all different.
        let mut keypoints = [Keypoint::default(); KEYPOINT_COUNT];
        let mut set = |part: BodyPart, x: f32, y: f32| {
            keypoints[part.index()] = Keypoint {
                x,
                y,
                confidence: 0.9,
            };
        };
        set(BodyPart::Nose, 530.0, 180.0);
        set(BodyPart::LeftEar, 500.0, 185.0);
        set(BodyPart::LeftShoulder, 495.0, 250.0);
        set(BodyPart::RightShoulder, 505.0, 252.0);
        set(BodyPart::LeftHip, 490.0, 450.0);
        set(BodyPart::RightHip, 500.0, 452.0);
        set(BodyPart::LeftKnee, 640.0, 380.0);
        set(BodyPart::LeftAnkle, 660.0, 560.0);
        set(BodyPart::RightKnee, 450.0, 640.0);
        set(BodyPart::RightAnkle, 380.0, 800.0);
        let pose = Pose::from_keypoints(keypoints);
        let angles = joint_angles(&pose, None, 0.3);
        for side in Side::BOTH {
            for angle in LegAngle::ALL {
                let Some(kernel) = angle.of(angles.leg(side)) else {
                    panic!("{side:?} {angle:?} not measured");
                };
                let Some(rays) = angle_rays(&pose, side, angle, 0.3, angles.anterior_sign) else {
                    panic!("{side:?} {angle:?}: no rays");
                };
                let drawn = between(rays.reference, rays.moving);
                assert!(
                    (drawn - kernel.deg.abs()).abs() < 0.01,
                    "{side:?} {angle:?}: drawn {drawn}, computed {}",
                    kernel.deg
                );
            }
        }
    }

    /// A straight-leg raise past vertical (100 deg from the table, lying with the feet to the
    /// right): the arc drawn spans the 100 degrees the kernel prints, not the 80 to the near
    /// horizontal; and keypoints the kernel ignored are not drawn from.
    #[test]
    fn the_arc_is_the_printed_angle() {
        let mut keypoints = [Keypoint::default(); KEYPOINT_COUNT];
        let mut set = |part: BodyPart, x: f32, y: f32, confidence: f32| {
            keypoints[part.index()] = Keypoint { x, y, confidence };
        };
        let (c, s) = (100f32.to_radians().cos(), 100f32.to_radians().sin());
        set(BodyPart::LeftHip, 500.0, 400.0, 0.9);
        set(BodyPart::LeftShoulder, 300.0, 400.0, 0.9);
        set(
            BodyPart::LeftKnee,
            500.0 + 100.0 * c,
            400.0 - 100.0 * s,
            0.9,
        );
        set(
            BodyPart::LeftAnkle,
            500.0 + 200.0 * c,
            400.0 - 200.0 * s,
            0.5,
        );
        let pose = Pose::from_keypoints(keypoints);
        let between = |Rays {
                           reference: r,
                           moving: m,
                           ..
                       }: Rays| {
            let dot = r.0 * m.0 + r.1 * m.1;
            let norms = r.0.hypot(r.1) * m.0.hypot(m.1);
            (dot / norms).acos().to_degrees()
        };
        let rays = angle_rays(&pose, Side::Left, LegAngle::LegToHorizontal, 0.3, None).unwrap();
        assert!((between(rays) - 100.0).abs() < 0.1, "{}", between(rays));
        // The ankle at 0.5 is not used by a kernel that asks for 0.6: nothing to draw.
        assert!(angle_rays(&pose, Side::Left, LegAngle::LegToHorizontal, 0.6, None).is_none());
    }

    #[test]
    fn long_caption_lines_wrap_at_spaces() {
        let fits = |text: &str| text.len() <= 12;
        assert_eq!(
            wrap("no result: front knee not bent", fits),
            ["no result:", "front knee", "not bent"]
        );
        assert_eq!(wrap("short", fits), ["short"]);
        assert_eq!(
            wrap("averyveryverylongword x", fits),
            ["averyveryverylongword", "x"]
        );
    }
}
