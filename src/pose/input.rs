//! An RGB image as the tensor a MoveNet file takes.
//!
//! The tfjs conversions take NHWC int32 pixels; the files in `models/` take the same pixel values
//! (0..255) as planar NCHW float32, which ONNX Runtime normalises several times faster (see
//! `models/planar_input.py`). Both are read, so that a model folder converted before that change
//! still works.

use ort::session::Session;
use ort::value::TensorElementType;
use ort::value::TensorRef;

use super::PoseError;

/// How a model file takes its image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// `[1, height, width, 3]` int32, as converted from tfjs.
    NhwcInt32,
    /// `[1, 3, height, width]` float32, the same values per colour plane.
    NchwFloat,
}

impl Layout {
    /// The layout of `session`'s first input, and that input's shape as `[height, width]` (-1
    /// where the model takes any size); None when it is neither layout.
    pub(crate) fn of(session: &Session) -> Option<(Layout, [i64; 2])> {
        let input = session.inputs().first()?;
        let shape = input.dtype().tensor_shape()?.to_vec();
        let (&[batch, a, b, c], ty) = (shape.as_slice(), input.dtype().tensor_type()?) else {
            return None;
        };
        // The colour axis must say 3 outright: a float `[1, -1, -1, 3]` is not planar.
        let one = |d: i64| d == 1 || d < 0;
        match ty {
            TensorElementType::Int32 if one(batch) && c == 3 => Some((Layout::NhwcInt32, [a, b])),
            TensorElementType::Float32 if one(batch) && a == 3 => Some((Layout::NchwFloat, [b, c])),
            _ => None,
        }
    }
}

/// A reusable input tensor: an RGB image placed at its top left, the rest black.
pub(crate) struct ModelInput {
    /// `[height, width]` of the tensor, pixels.
    size: [usize; 2],
    values: Values,
}

/// The tensor's values, in the layout the model takes.
enum Values {
    /// [`Layout::NhwcInt32`].
    Ints(Vec<i32>),
    /// [`Layout::NchwFloat`].
    Floats(Vec<f32>),
}

impl ModelInput {
    pub(crate) fn new(layout: Layout) -> Self {
        let values = match layout {
            Layout::NhwcInt32 => Values::Ints(Vec::new()),
            Layout::NchwFloat => Values::Floats(Vec::new()),
        };
        ModelInput {
            size: [0, 0],
            values,
        }
    }

    /// Fills a `[height, width]` tensor with `rgb` (interleaved RGB rows of `rgb_width` pixels)
    /// at its top left; what of the image lies outside the tensor is left out.
    pub(crate) fn fill(&mut self, [height, width]: [usize; 2], rgb: &[u8], rgb_width: usize) {
        self.size = [height, width];
        let rows = rgb.chunks_exact(rgb_width.max(1) * 3).take(height);
        let shown = width.min(rgb_width);
        match &mut self.values {
            Values::Ints(ints) => {
                ints.clear();
                ints.resize(height * width * 3, 0);
                for (y, row) in rows.enumerate() {
                    let start = y * width * 3;
                    let span = &mut ints[start..start + shown * 3];
                    for (dst, &v) in span.iter_mut().zip(row) {
                        *dst = i32::from(v);
                    }
                }
            }
            Values::Floats(floats) => {
                floats.clear();
                floats.resize(height * width * 3, 0.0);
                let plane = height * width;
                let (red, rest) = floats.split_at_mut(plane);
                let (green, blue) = rest.split_at_mut(plane);
                for (y, row) in rows.enumerate() {
                    let start = y * width;
                    let span = start..start + shown;
                    let (r, g, b) = (
                        &mut red[span.clone()],
                        &mut green[span.clone()],
                        &mut blue[span],
                    );
                    for (x, pixel) in row.chunks_exact(3).take(shown).enumerate() {
                        r[x] = f32::from(pixel[0]);
                        g[x] = f32::from(pixel[1]);
                        b[x] = f32::from(pixel[2]);
                    }
                }
            }
        }
    }

    /// The tensor for a run, borrowing the buffer.
    pub(crate) fn tensor(&self) -> Result<ort::session::SessionInputValue<'_>, PoseError> {
        let error = |e: ort::Error| PoseError::Inference(e.to_string());
        let [h, w] = self.size;
        Ok(match &self.values {
            Values::Ints(ints) => TensorRef::from_array_view(([1usize, h, w, 3], &ints[..]))
                .map_err(error)?
                .into(),
            Values::Floats(floats) => TensorRef::from_array_view(([1usize, 3, h, w], &floats[..]))
                .map_err(error)?
                .into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(input: &ModelInput) -> &[i32] {
        match &input.values {
            Values::Ints(v) => v,
            Values::Floats(_) => panic!("a float tensor"),
        }
    }

    fn floats(input: &ModelInput) -> &[f32] {
        match &input.values {
            Values::Floats(v) => v,
            Values::Ints(_) => panic!("an int tensor"),
        }
    }

    #[test]
    fn both_layouts_hold_the_same_pixels_and_black_padding() {
        // A 2x1 image (red, then blue) at the top left of a 2x3 tensor.
        let rgb = [255, 0, 0, 0, 0, 7];
        let mut nhwc = ModelInput::new(Layout::NhwcInt32);
        nhwc.fill([2, 3], &rgb, 2);
        assert_eq!(
            ints(&nhwc),
            [255, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        let mut nchw = ModelInput::new(Layout::NchwFloat);
        nchw.fill([2, 3], &rgb, 2);
        let planes: Vec<f32> = [
            [255., 0., 0., 0., 0., 0.],
            [0.; 6],
            [0., 7., 0., 0., 0., 0.],
        ]
        .concat();
        assert_eq!(floats(&nchw), planes);
        // Refilled smaller, nothing of the last image is left.
        nchw.fill([1, 1], &rgb[..3], 1);
        assert_eq!(floats(&nchw), [255., 0., 0.]);
        nhwc.fill([1, 1], &rgb[..3], 1);
        assert_eq!(ints(&nhwc), [255, 0, 0]);
    }

    #[test]
    fn an_image_wider_or_taller_than_the_tensor_is_cut_not_wrapped() {
        // A 3x2 image into a 2x1 tensor: the first two pixels of the first row only.
        let rgb = [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
        ];
        let mut nhwc = ModelInput::new(Layout::NhwcInt32);
        nhwc.fill([1, 2], &rgb, 3);
        assert_eq!(ints(&nhwc), [1, 2, 3, 4, 5, 6]);
        let mut nchw = ModelInput::new(Layout::NchwFloat);
        nchw.fill([1, 2], &rgb, 3);
        assert_eq!(floats(&nchw), [1., 4., 2., 5., 3., 6.]);
        // An empty image leaves a black tensor.
        nchw.fill([1, 2], &[], 0);
        assert_eq!(floats(&nchw), [0.; 6]);
    }
}
