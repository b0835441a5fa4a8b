//! Photos turned by any angle, standing in for bodies lying down or leaning.

use image::RgbImage;

use crate::pose::{sample_bilinear, QuarterTurns};

/// A clockwise turn of a whole photo by any angle, as `gonio eval --rotate` applies it (see
/// [`turn_image`]). The estimator turns its crops itself ([`crate::pose::CropTurn`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PhotoTurn {
    /// Clockwise degrees, 0 to 360.
    degrees: f32,
}

impl PhotoTurn {
    pub const NONE: PhotoTurn = PhotoTurn { degrees: 0.0 };

    /// A turn by `degrees` clockwise (any value; taken modulo 360).
    pub fn degrees(degrees: f32) -> Self {
        PhotoTurn {
            degrees: degrees.rem_euclid(360.0),
        }
    }

    /// Clockwise degrees, 0 to 360.
    pub fn get(self) -> f32 {
        self.degrees
    }

    /// The same turn as whole quarter turns, when it is one (to within 0.01 degrees).
    pub fn as_quarter_turns(self) -> Option<QuarterTurns> {
        let quarters = (self.degrees / 90.0).round();
        ((self.degrees - 90.0 * quarters).abs() < 0.01).then(|| QuarterTurns::new(quarters as u8))
    }
}

impl From<QuarterTurns> for PhotoTurn {
    fn from(turns: QuarterTurns) -> Self {
        PhotoTurn::degrees(turns.degrees() as f32)
    }
}

/// A whole image turned clockwise by `turn` about its centre, on a canvas grown to hold all of
/// it (black corners); quarter turns are exact pixel moves. See [`point_in_turned_image`].
pub fn turn_image(image: &RgbImage, turn: PhotoTurn) -> RgbImage {
    if let Some(quarter) = turn.as_quarter_turns() {
        return quarter.apply(image);
    }
    let (width, height) = turned_size(turn, image.width(), image.height());
    let (sin, cos) = turn.get().to_radians().sin_cos();
    let centre = |w: u32, h: u32| ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    let (c_src, c_dst) = (centre(image.width(), image.height()), centre(width, height));
    RgbImage::from_fn(width, height, |u, v| {
        let (dx, dy) = (u as f32 - c_dst.0, v as f32 - c_dst.1);
        image::Rgb(sample_bilinear(
            image,
            c_src.0 + dx * cos + dy * sin,
            c_src.1 - dx * sin + dy * cos,
        ))
    })
}

/// Where a point of a `width` x `height` image (pixels) lands in [`turn_image`]'s output.
pub fn point_in_turned_image(
    turn: PhotoTurn,
    width: u32,
    height: u32,
    x: f32,
    y: f32,
) -> (f32, f32) {
    let (turned_width, turned_height) = turned_size(turn, width, height);
    let (sin, cos) = turn.get().to_radians().sin_cos();
    let (dx, dy) = (
        x - (width as f32 - 1.0) / 2.0,
        y - (height as f32 - 1.0) / 2.0,
    );
    (
        (turned_width as f32 - 1.0) / 2.0 + dx * cos - dy * sin,
        (turned_height as f32 - 1.0) / 2.0 + dx * sin + dy * cos,
    )
}

/// The canvas that holds an image of `width` x `height` pixels turned by `turn`.
fn turned_size(turn: PhotoTurn, width: u32, height: u32) -> (u32, u32) {
    if let Some(quarter) = turn.as_quarter_turns() {
        return if quarter.get() % 2 == 1 {
            (height, width)
        } else {
            (width, height)
        };
    }
    let (sin, cos) = turn.get().to_radians().sin_cos();
    let (w, h) = (width as f32, height as f32);
    (
        (w * cos.abs() + h * sin.abs()).ceil() as u32,
        (w * sin.abs() + h * cos.abs()).ceil() as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turned_images_keep_every_pixel_where_the_mapping_says() {
        let mut image = RgbImage::new(120, 60);
        image.put_pixel(100, 10, image::Rgb([255, 255, 255]));
        for degrees in [0.0, 45.0, 90.0, 180.0, 270.0, 300.0] {
            let turn = PhotoTurn::degrees(degrees);
            let turned = turn_image(&image, turn);
            let (x, y) = point_in_turned_image(turn, 120, 60, 100.0, 10.0);
            let (xi, yi) = (x.round() as u32, y.round() as u32);
            assert!(turned.get_pixel(xi, yi)[0] > 60, "{degrees}: {x},{y}");
            // Every corner of the image stays on the canvas.
            for (cx, cy) in [(0.0, 0.0), (119.0, 0.0), (0.0, 59.0), (119.0, 59.0)] {
                let (x, y) = point_in_turned_image(turn, 120, 60, cx, cy);
                assert!(x > -0.5 && y > -0.5, "{degrees}");
                assert!(
                    x < turned.width() as f32 && y < turned.height() as f32,
                    "{degrees}"
                );
            }
        }
        // Quarter turns agree with the exact pixel moves.
        assert_eq!(
            point_in_turned_image(PhotoTurn::degrees(90.0), 120, 60, 100.0, 10.0),
            (49.0, 100.0)
        );
    }
}
