//! The picture the live window shows: the camera frame scaled to the window, the skeleton, the
//! measured angle as an arc at its joint with its value, and status lines on top.

use fast_image_resize::{self as fr, ResizeAlg, ResizeOptions, Resizer};
use image::{Rgb, RgbImage};

pub use super::evidence::AngleToDraw as MeasuredAngle;
use super::evidence::{draw_caption, draw_measured_angle};
use super::overlay::draw_pose;
use crate::pose::Pose;

/// The size a `width` x `height` frame is shown at to fit within `max_width` x `max_height`
/// pixels, aspect ratio kept (never enlarged).
pub fn fit_within(width: u32, height: u32, max_width: u32, max_height: u32) -> (u32, u32) {
    let scale = (max_width as f32 / width.max(1) as f32)
        .min(max_height as f32 / height.max(1) as f32)
        .min(1.0);
    (
        ((width as f32 * scale).round() as u32).max(1),
        ((height as f32 * scale).round() as u32).max(1),
    )
}

/// Draws live views, reusing its buffers from frame to frame.
#[derive(Default)]
pub struct LiveViewRenderer {
    resizer: Resizer,
    /// The frame scaled to the view, nothing drawn.
    plain: RgbImage,
    /// The frame with the skeleton and angle, without status lines.
    drawing: RgbImage,
    view: RgbImage,
}

impl LiveViewRenderer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Renders `frame` at `size` (width, height in pixels) with `pose_in_frame` (frame pixels)
    /// and `measured` drawn on it, and `lines` (text, colour) on a band at the top.
    pub fn render(
        &mut self,
        frame: &RgbImage,
        size: (u32, u32),
        pose_in_frame: &Pose,
        measured: Option<MeasuredAngle>,
        lines: &[(&str, Rgb<u8>)],
    ) -> &RgbImage {
        let (width, height) = (size.0.max(1), size.1.max(1));
        if self.plain.dimensions() != (width, height) {
            self.plain = RgbImage::new(width, height);
        }
        let options =
            ResizeOptions::new().resize_alg(ResizeAlg::Convolution(fr::FilterType::Bilinear));
        if self
            .resizer
            .resize(frame, &mut self.plain, &options)
            .is_err()
        {
            // Only with an empty frame: show black rather than fail the loop.
            self.plain.fill(0);
        }
        self.drawing.clone_from(&self.plain);
        // Keypoints are in frame pixels; the view is the frame scaled (pixel centres kept).
        let (sx, sy) = (
            width as f32 / frame.width().max(1) as f32,
            height as f32 / frame.height().max(1) as f32,
        );
        let mut pose_in_view = *pose_in_frame;
        for k in &mut pose_in_view.keypoints {
            k.x = (k.x + 0.5) * sx - 0.5;
            k.y = (k.y + 0.5) * sy - 0.5;
        }
        draw_pose(&mut self.drawing, &pose_in_view);
        if let Some(m) = measured {
            draw_measured_angle(&mut self.drawing, &pose_in_view, &m);
        }
        self.recaption(lines)
    }

    /// The last rendered frame as scaled, without anything drawn on it (for an evidence picture
    /// drawn later).
    pub fn plain(&self) -> &RgbImage {
        &self.plain
    }

    /// The last rendered view with other status lines.
    pub fn recaption(&mut self, lines: &[(&str, Rgb<u8>)]) -> &RgbImage {
        self.view.clone_from(&self.drawing);
        draw_caption(&mut self.view, lines);
        &self.view
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_the_aspect_ratio_and_never_enlarges() {
        assert_eq!(fit_within(1080, 1920, 1280, 900), (506, 900));
        assert_eq!(fit_within(1920, 1080, 1280, 900), (1280, 720));
        assert_eq!(fit_within(640, 480, 1280, 900), (640, 480));
    }
}
