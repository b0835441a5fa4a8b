//! Drawing the skeleton on a frame, so that a person can judge whether to trust a result.

use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_hollow_circle_mut};

use crate::pose::{BodyPart, Pose, SKELETON};

/// Keypoints under this confidence are drawn hollow and their bones are not drawn.
pub const OVERLAY_MIN_CONFIDENCE: f32 = 0.3;

const LEFT_COLOUR: Rgb<u8> = Rgb([255, 140, 0]); // orange: the body's left side
const RIGHT_COLOUR: Rgb<u8> = Rgb([0, 170, 255]); // blue: the body's right side
const CENTRE_COLOUR: Rgb<u8> = Rgb([240, 240, 240]);
const OUTLINE_COLOUR: Rgb<u8> = Rgb([0, 0, 0]);

fn colour_of(part: BodyPart) -> Rgb<u8> {
    if part.is_left() {
        LEFT_COLOUR
    } else if part.is_right() {
        RIGHT_COLOUR
    } else {
        CENTRE_COLOUR
    }
}

/// Line thickness in pixels for a frame of this size (about 0.4 % of its shorter side).
pub fn stroke_px(image: &RgbImage) -> i32 {
    (image.width().min(image.height()) as i32 / 250).max(2)
}

/// Draws the pose onto `image`: bones between confident keypoints, left side orange, right side
/// blue; confident keypoints as filled dots, doubtful ones as rings.
pub fn draw_pose(image: &mut RgbImage, pose: &Pose) {
    let stroke = stroke_px(image);
    for (a, b) in SKELETON {
        let (ka, kb) = (pose.get(a), pose.get(b));
        if ka.confidence < OVERLAY_MIN_CONFIDENCE || kb.confidence < OVERLAY_MIN_CONFIDENCE {
            continue;
        }
        // A bone takes the colour of its side; a bone across the body is white.
        let colour = if a.is_left() == b.is_left() && a.is_right() == b.is_right() {
            colour_of(b)
        } else {
            CENTRE_COLOUR
        };
        draw_thick_line(image, (ka.x, ka.y), (kb.x, kb.y), stroke, OUTLINE_COLOUR, 1);
        draw_thick_line(image, (ka.x, ka.y), (kb.x, kb.y), stroke, colour, 0);
    }
    for part in BodyPart::ALL {
        let k = pose.get(part);
        if !k.x.is_finite() || !k.y.is_finite() {
            continue;
        }
        let centre = (k.x.round() as i32, k.y.round() as i32);
        let radius = stroke + 2;
        if k.confidence >= OVERLAY_MIN_CONFIDENCE {
            draw_filled_circle_mut(image, centre, radius + 1, OUTLINE_COLOUR);
            draw_filled_circle_mut(image, centre, radius, colour_of(part));
        } else {
            draw_hollow_circle_mut(image, centre, radius, colour_of(part));
        }
    }
}

/// A line `stroke` pixels wide (plus `outline` on each side), stamped as discs along the segment.
pub fn draw_thick_line(
    image: &mut RgbImage,
    from: (f32, f32),
    to: (f32, f32),
    stroke: i32,
    colour: Rgb<u8>,
    outline: i32,
) {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let length = dx.hypot(dy);
    if !length.is_finite() {
        return;
    }
    let radius = (stroke / 2).max(1) + outline;
    let steps = (length / (radius as f32 * 0.5))
        .ceil()
        .clamp(1.0, 100_000.0) as i32;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let centre = (
            (from.0 + dx * t).round() as i32,
            (from.1 + dy * t).round() as i32,
        );
        draw_filled_circle_mut(image, centre, radius, colour);
    }
}
