//! Still images from files and folders.

use std::io::Read;
use std::path::{Path, PathBuf};

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

use super::{has_extension, CaptureError, Frame};

/// File extensions (lower case) taken as images when a folder is given.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff"];

/// Largest accepted image side, in pixels; bounds the memory a hostile file can claim.
const MAX_SIDE_PX: u32 = 16_384;

/// Largest accepted image file, bytes: a 16384-pixel-square photo is far smaller, compressed.
const MAX_FILE_BYTES: u64 = 1 << 30;

/// Reads an image file into an RGB frame with timestamp 0.
///
/// The format is sniffed from the content, not the extension.
pub fn load_image(path: &Path) -> Result<Frame, CaptureError> {
    let read_error = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => CaptureError::NotFound {
            path: path.to_path_buf(),
        },
        _ => CaptureError::Read {
            path: path.to_path_buf(),
            source,
        },
    };
    // A FIFO would wait for ever (opening it already) and a device (`/dev/zero`) never end.
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    if !metadata.is_file() {
        return Err(CaptureError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if metadata.len() == 0 {
        return Err(CaptureError::EmptyFile {
            path: path.to_path_buf(),
        });
    }
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    // What it is, from its first bytes, before reading a large file whole.
    let mut bytes = Vec::new();
    (&mut file)
        .take(64)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if image::guess_format(&bytes).is_err() {
        return Err(CaptureError::NotAnImage {
            path: path.to_path_buf(),
        });
    }
    file.take(MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(CaptureError::FileTooLarge {
            path: path.to_path_buf(),
            max_mib: MAX_FILE_BYTES >> 20,
        });
    }
    let reader = ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|source| CaptureError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    match reader.format() {
        None => {
            return Err(CaptureError::NotAnImage {
                path: path.to_path_buf(),
            })
        }
        // The JPEG decoder fills a truncated scan with grey instead of failing.
        Some(image::ImageFormat::Jpeg) if !has_jpeg_end_marker(&bytes) => {
            return Err(CaptureError::Corrupt {
                path: path.to_path_buf(),
                detail: "file ends early (no JPEG end-of-image marker)".to_string(),
            })
        }
        Some(_) => {}
    }
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| decode_error(path, e))?;
    if width == 0 || height == 0 {
        return Err(CaptureError::Empty {
            path: path.to_path_buf(),
        });
    }
    if width > MAX_SIDE_PX || height > MAX_SIDE_PX {
        return Err(CaptureError::TooLarge {
            path: path.to_path_buf(),
            width,
            height,
        });
    }
    let mut reader = ImageReader::new(std::io::Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|source| CaptureError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(path, e))?;
    // Phones store a photo as the sensor saw it and say in its EXIF how to turn it upright; a
    // body read sideways would give every angle against the wrong vertical. An unreadable tag
    // leaves the pixels as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(path, e))?;
    image.apply_orientation(orientation);
    Ok(Frame {
        image: image.into_rgb8(),
        timestamp_s: 0.0,
    })
}

/// Whether a JPEG stream has its end-of-image marker (FF D9) after the start of its first scan
/// (FF DA). Inside scan data every FF byte is escaped, so the marker cannot occur by chance there.
fn has_jpeg_end_marker(bytes: &[u8]) -> bool {
    let Some(scan_start) = bytes.windows(2).position(|w| w == [0xFF, 0xDA]) else {
        return false;
    };
    bytes[scan_start..].windows(2).any(|w| w == [0xFF, 0xD9])
}

fn decode_error(path: &Path, error: ImageError) -> CaptureError {
    match error {
        ImageError::Unsupported(_) => CaptureError::NotAnImage {
            path: path.to_path_buf(),
        },
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            CaptureError::Corrupt {
                path: path.to_path_buf(),
                detail: "file ends early".to_string(),
            }
        }
        other => CaptureError::Corrupt {
            path: path.to_path_buf(),
            detail: other.to_string(),
        },
    }
}

/// Expands the given paths: a folder becomes its image files (by extension, in natural order of
/// their names: frame_2 before frame_10; not recursive), leaving out the pictures gonio itself
/// writes (see [`is_gonio_picture`]); a file is kept as given, whatever its extension, so that a
/// wrong file gets a clear error later instead of being skipped silently.
///
/// Returns one entry per input: the files, or the error for a folder that cannot be listed or
/// holds no image.
pub fn collect_image_paths(inputs: &[PathBuf]) -> Vec<Result<PathBuf, CaptureError>> {
    let mut out = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            out.push(Ok(input.clone()));
            continue;
        }
        match list_images(input) {
            Ok(files) if files.is_empty() => out.push(Err(CaptureError::EmptyFolder {
                path: input.clone(),
                extensions: IMAGE_EXTENSIONS.join(", "),
            })),
            Ok(files) => out.extend(files.into_iter().map(Ok)),
            Err(source) => out.push(Err(CaptureError::Read {
                path: input.clone(),
                source,
            })),
        }
    }
    out
}

/// Whether `path` is named like a picture gonio writes next to its inputs: `analyze --out`'s
/// `<stem>.<side>.evidence.png` and `<stem>.<side>.plot.png`, and `pose --overlay`'s
/// `<stem>.overlay.png` (or `<stem>.overlay-<n>.png`). With the outputs written into the folder
/// of frames or photos, the next run would otherwise read them as frames of the recording.
pub fn is_gonio_picture(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    let Some(stem) = name.strip_suffix(".png") else {
        return false;
    };
    stem.ends_with(".evidence")
        || stem.ends_with(".plot")
        || stem.ends_with(".overlay")
        || stem
            .rsplit_once(".overlay-")
            .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The files in `dir` that [`collect_image_paths`] does not read: not images by their
/// extension (a video, notes), in name order. gonio's own pictures are not among them.
pub fn files_not_read(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|path| !has_extension(path, IMAGE_EXTENSIONS) && path.is_file() && !is_hidden(path))
        .collect();
    alphanumeric_sort::sort_path_slice(&mut files);
    files
}

/// Whether `path` names a hidden file (`.name`): a Mac's `._frame1.png` beside each file copied
/// to a USB stick (its metadata, not a picture: a folder of frames was refused for it), a
/// `.DS_Store`, an editor's swap file.
pub fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn list_images(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if has_extension(&path, IMAGE_EXTENSIONS)
            && path.is_file()
            && !is_gonio_picture(&path)
            && !is_hidden(&path)
        {
            files.push(path);
        }
    }
    // Frames are numbered without leading zeros by many tools: frame_2 comes before frame_10.
    alphanumeric_sort::sort_path_slice(&mut files);
    Ok(files)
}

/// When each frame of a folder of frames was taken, seconds from the first, at `fps` frames per
/// second. Frames whose names end in whole numbers rising by a common step (`frame_0041.png`,
/// or every second frame exported: 2, 4, 6) are timed by their numbers, so frames missing from
/// the numbering (dropped, deleted) are time without frames: `frame_0040` to `frame_0052` is 12
/// frames' time, not one. The step is the smallest rise between two names, and must be the
/// rise between most of them: one stray frame (31 among 2, 4, ... 60) would halve it and
/// double every interval. Otherwise (names without numbers, decimal numbers, numbers not
/// rising, rises no multiple of the step) frames are timed by their position, `i / fps`.
pub fn frame_times_s(files: &[PathBuf], fps: f64) -> Vec<f64> {
    match frames_by_number(files) {
        Some(frames) => frames.into_iter().map(|k| k as f64 / fps).collect(),
        None => (0..files.len()).map(|i| i as f64 / fps).collect(),
    }
}

/// Each file's frame from the first by the numbers in the names (see [`frame_times_s`]), or
/// `None` where they cannot time the frames.
fn frames_by_number(files: &[PathBuf]) -> Option<Vec<u64>> {
    let numbers: Vec<u64> = files
        .iter()
        .map(|f| number_in_name(f))
        .collect::<Option<_>>()?;
    let rises: Vec<u64> = numbers
        .windows(2)
        .map(|w| w[1].checked_sub(w[0]).filter(|&d| d > 0))
        .collect::<Option<_>>()?;
    let step = rises.iter().copied().min()?;
    let at_step = rises.iter().filter(|&&d| d == step).count();
    if 2 * at_step <= rises.len() || rises.iter().any(|d| d % step != 0) {
        return None;
    }
    Some(numbers.iter().map(|&n| (n - numbers[0]) / step).collect())
}

/// The whole number a file's name ends with before its extension (`frame_0042.png`: 42);
/// `None` for a name that does not end in digits, or ends in a decimal number (`t1.25.png`:
/// a time, or a shot and its frame, `shot010.1001.png`, whose order and step are not guessed).
fn number_in_name(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    let start = stem.len() - stem.bytes().rev().take_while(u8::is_ascii_digit).count();
    let before = &stem[..start];
    if before.ends_with('.') && before[..before.len() - 1].ends_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    stem[start..].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn times(names: &[&str]) -> Vec<f64> {
        let files: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        frame_times_s(&files, 10.0)
    }

    /// A hold over frames with a hole in their numbering was timed 1.1 s for 1.4 s.
    #[test]
    fn frames_missing_from_the_numbering_are_time_without_frames() {
        assert_eq!(
            times(&["f_0039.png", "f_0040.png", "f_0044.png", "f_0045.png"]),
            [0.0, 0.1, 0.5, 0.6]
        );
        // Every second frame exported: the folder's own rate is --fps.
        assert_eq!(
            times(&["f2.png", "f4.png", "f6.png", "f10.png"]),
            [0.0, 0.1, 0.2, 0.4]
        );
        // Nothing to time by: position.
        for names in [
            &["a.png", "b.png", "c.png"][..],
            &["f1.png", "f1.jpg", "f2.png"],
            &["f3.png", "f6.png", "f10.png"],
            &["t0.1.png", "t0.2.png", "t0.5.png"],
            &["shot010.1001.png", "shot010.1002.png", "shot010.1005.png"],
            // One stray frame among every second one: the step is not the stray's.
            &["f2.png", "f4.png", "f5.png", "f6.png", "f8.png"],
        ] {
            assert_eq!(
                times(names),
                [0.0, 0.1, 0.2, 0.3, 0.4][..names.len()],
                "{names:?}"
            );
        }
    }

    #[test]
    fn gonio_pictures_are_known_by_name() {
        for name in [
            "clip.left.evidence.png",
            "clip.right.plot.png",
            "IMG_1.overlay.png",
            "IMG_1.overlay-2.png",
            "A.LEFT.EVIDENCE.PNG",
        ] {
            assert!(is_gonio_picture(Path::new(name)), "{name}");
        }
        for name in [
            "frame_0001.png",
            "evidence.png",
            "plot.jpg",
            "x.overlay-.png",
            "x.overlay-2b.png",
            "x.evidence.jpg",
        ] {
            assert!(!is_gonio_picture(Path::new(name)), "{name}");
        }
    }
}
