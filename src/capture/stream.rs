//! Frames piped in by another program as a YUV4MPEG2 stream (`gonio live --source -`): an IP
//! camera or a capture card through ffmpeg or GStreamer, for example
//! `ffmpeg -i rtsp://camera/stream -f yuv4mpegpipe - | gonio live --source - ...`.
//!
//! Frames are read as they arrive, so the stream runs at the sender's pace and ends when the
//! sender closes it. Timestamps come from the stream's frame rate (frame n at n / rate seconds).

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;

use image::RgbImage;
use y4m::Colorspace;

use super::Frame;

/// The largest frame accepted, pixels per side: a corrupt header must not allocate gigabytes.
const MAX_SIDE_PX: usize = 8192;

/// Why a piped stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error("{name}: not a YUV4MPEG2 stream ({detail}); pipe one in, e.g. `ffmpeg -i INPUT -f yuv4mpegpipe - | gonio live --source -`")]
    NotY4m { name: String, detail: String },
    #[error("{name}: colourspace {colorspace} is not supported; ask the sender for 8-bit 4:2:0, 4:2:2, 4:4:4 or grey (ffmpeg: -pix_fmt yuv420p)")]
    Colorspace { name: String, colorspace: String },
    #[error("{name}: frames of {width}x{height} pixels are not plausible")]
    Size {
        name: String,
        width: usize,
        height: usize,
    },
    #[error("{name}: frame {frame} could not be read ({detail}): the stream is damaged or was cut off mid-frame")]
    Frame {
        name: String,
        frame: usize,
        detail: String,
    },
}

/// A reader that counts the bytes read through it: the decoder reports a stream cut off inside
/// a frame as a plain end, and the count tells the two apart.
struct Counted<R> {
    inner: R,
    bytes: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// The frames of a YUV4MPEG2 stream, in order; the iterator ends where the stream ends.
pub struct Y4mFrames<R: Read> {
    name: String,
    decoder: y4m::Decoder<Counted<R>>,
    /// Bytes read so far, and where the last whole frame ended.
    bytes: Rc<Cell<u64>>,
    frame_end: u64,
    /// Chroma plane size as a shift of the luma's (x, y): (1, 1) for 4:2:0.
    subsampling: Option<(u32, u32)>,
    /// Full-range samples (0-255, `XCOLORRANGE=FULL`, as MJPEG cameras give) instead of the
    /// limited 16-235.
    full_range: bool,
    frame_s: f64,
    index: usize,
    done: bool,
}

impl<R: Read> Y4mFrames<R> {
    /// Reads the stream header from `reader`; `name` names the stream in errors ("stdin").
    pub fn new(reader: R, name: &str) -> Result<Self, StreamError> {
        let limits = y4m::Limits {
            bytes: MAX_SIDE_PX * MAX_SIDE_PX * 3,
        };
        let bytes = Rc::new(Cell::new(0));
        let counted = Counted {
            inner: reader,
            bytes: Rc::clone(&bytes),
        };
        let decoder =
            y4m::Decoder::new_with_limits(counted, limits).map_err(|e| StreamError::NotY4m {
                name: name.to_string(),
                detail: e.to_string(),
            })?;
        let frame_end = bytes.get();
        let (width, height) = (decoder.get_width(), decoder.get_height());
        if width == 0 || height == 0 || width > MAX_SIDE_PX || height > MAX_SIDE_PX {
            return Err(StreamError::Size {
                name: name.to_string(),
                width,
                height,
            });
        }
        let subsampling = match decoder.get_colorspace() {
            Colorspace::C420
            | Colorspace::C420jpeg
            | Colorspace::C420paldv
            | Colorspace::C420mpeg2 => Some((1, 1)),
            Colorspace::C422 => Some((1, 0)),
            Colorspace::C444 => Some((0, 0)),
            Colorspace::Cmono => None,
            other => {
                return Err(StreamError::Colorspace {
                    name: name.to_string(),
                    colorspace: format!("{other:?}"),
                })
            }
        };
        let full_range = String::from_utf8_lossy(decoder.get_raw_params())
            .split_whitespace()
            .any(|p| p.eq_ignore_ascii_case("XCOLORRANGE=FULL"));
        let rate = decoder.get_framerate();
        // A stream without a usable rate is timed as 30 frames per second.
        let frame_s = if rate.num > 0 && rate.den > 0 {
            rate.den as f64 / rate.num as f64
        } else {
            1.0 / 30.0
        };
        Ok(Y4mFrames {
            name: name.to_string(),
            decoder,
            bytes,
            frame_end,
            subsampling,
            full_range,
            frame_s,
            index: 0,
            done: false,
        })
    }

    /// Frame size, pixels (width, height).
    pub fn size(&self) -> (u32, u32) {
        (
            self.decoder.get_width() as u32,
            self.decoder.get_height() as u32,
        )
    }
}

impl<R: Read> Iterator for Y4mFrames<R> {
    type Item = Result<Frame, StreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (width, height) = self.size();
        let (subsampling, full_range) = (self.subsampling, self.full_range);
        let frame = match self.decoder.read_frame() {
            Ok(frame) => frame,
            Err(y4m::Error::EOF) if self.bytes.get() == self.frame_end => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(StreamError::Frame {
                    name: self.name.clone(),
                    frame: self.index + 1,
                    detail: e.to_string(),
                }));
            }
        };
        let image = rgb_from_yuv(
            width,
            height,
            frame.get_y_plane(),
            frame.get_u_plane(),
            frame.get_v_plane(),
            subsampling,
            full_range,
        );
        self.frame_end = self.bytes.get();
        let timestamp_s = self.index as f64 * self.frame_s;
        self.index += 1;
        Some(Ok(Frame { image, timestamp_s }))
    }
}

/// RGB from 8-bit BT.601 YUV planes (limited range, what ffmpeg's `yuv420p` carries, or
/// `full_range`), chroma planes `subsampling` shifts smaller than the luma; grey when
/// `subsampling` is None.
fn rgb_from_yuv(
    width: u32,
    height: u32,
    y: &[u8],
    u: &[u8],
    v: &[u8],
    subsampling: Option<(u32, u32)>,
    full_range: bool,
) -> RgbImage {
    // Luma offset and gain, and the chroma gain relative to limited range.
    let (black, gain, chroma) = if full_range {
        (0.0, 1.0, 224.0 / 255.0)
    } else {
        (16.0, 1.164, 1.0)
    };
    let mut image = RgbImage::new(width, height);
    for (px, py, pixel) in image.enumerate_pixels_mut() {
        let luma = y.get((py * width + px) as usize).copied().unwrap_or(16);
        let c = gain * (f32::from(luma) - black);
        let (d, e) = match subsampling {
            Some((sx, sy)) => {
                let chroma_width = (width + (1 << sx) - 1) >> sx;
                let i = ((py >> sy) * chroma_width + (px >> sx)) as usize;
                (
                    chroma * (f32::from(u.get(i).copied().unwrap_or(128)) - 128.0),
                    chroma * (f32::from(v.get(i).copied().unwrap_or(128)) - 128.0),
                )
            }
            None => (0.0, 0.0),
        };
        let clamp = |x: f32| x.round().clamp(0.0, 255.0) as u8;
        *pixel = image::Rgb([
            clamp(c + 1.596 * e),
            clamp(c - 0.392 * d - 0.813 * e),
            clamp(c + 2.017 * d),
        ]);
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(header: &str, frames: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = header.as_bytes().to_vec();
        for frame in frames {
            bytes.extend_from_slice(b"FRAME\n");
            bytes.extend_from_slice(frame);
        }
        bytes
    }

    #[test]
    fn frames_are_read_in_order_with_their_times_and_colours() {
        // 4x2 pixels, 4:2:0: 8 luma bytes, 2 + 2 chroma bytes. Left half red, right half grey.
        let red = (81u8, 90u8, 240u8); // BT.601 limited-range red
        let frame = [
            vec![red.0, red.0, 126, 126, red.0, red.0, 126, 126],
            vec![red.1, 128],
            vec![red.2, 128],
        ]
        .concat();
        let bytes = stream(
            "YUV4MPEG2 W4 H2 F25:1 Ip A1:1 C420jpeg\n",
            &[frame.clone(), frame],
        );
        let frames: Vec<Frame> = Y4mFrames::new(bytes.as_slice(), "stdin")
            .unwrap()
            .map(|f| f.unwrap())
            .collect();
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].timestamp_s, 0.04);
        let [r, g, b] = frames[0].image.get_pixel(0, 0).0;
        assert!(r > 240 && g < 15 && b < 15, "{r} {g} {b}");
        let [r, g, b] = frames[0].image.get_pixel(3, 1).0;
        assert!(r.abs_diff(128) < 3 && g.abs_diff(128) < 3 && b.abs_diff(128) < 3);
    }

    #[test]
    fn full_range_streams_are_read_as_full_range() {
        // Full-range black and white: 0 and 255 luma, neutral chroma.
        let frame = [vec![0, 255, 0, 255], vec![128], vec![128]].concat();
        let bytes = stream(
            "YUV4MPEG2 W2 H2 F30:1 C420jpeg XCOLORRANGE=FULL\n",
            &[frame],
        );
        let frames: Vec<Frame> = Y4mFrames::new(bytes.as_slice(), "stdin")
            .unwrap()
            .map(|f| f.unwrap())
            .collect();
        assert_eq!(frames[0].image.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(frames[0].image.get_pixel(1, 0).0, [255, 255, 255]);
    }

    #[test]
    fn bad_streams_are_named_errors() {
        let not = Y4mFrames::new(b"hello".as_slice(), "stdin").err().unwrap();
        assert!(
            not.to_string().starts_with("stdin: not a YUV4MPEG2 stream"),
            "{not}"
        );
        // Cut off in the middle of its second frame.
        let mut bytes = stream("YUV4MPEG2 W2 H2 F30:1 C420jpeg\n", &[vec![16; 6]]);
        bytes.extend_from_slice(b"FRAME\n\x10\x10");
        let results: Vec<_> = Y4mFrames::new(bytes.as_slice(), "stdin").unwrap().collect();
        assert_eq!(results.len(), 2);
        assert!(results[0].is_ok());
        let error = results[1].as_ref().err().unwrap().to_string();
        assert!(error.contains("frame 2 could not be read"), "{error}");
        let huge = Y4mFrames::new(b"YUV4MPEG2 W100000 H2 F30:1 C420jpeg\n".as_slice(), "stdin");
        assert!(huge.is_err());
    }
}
