//! Video files decoded by the `ffmpeg` command-line tool: frames piped as raw RGB, each with its
//! presentation timestamp, phone rotation metadata honoured.
//!
//! Why the CLI and not bindings: it decodes every codec phones produce (H.264, HEVC, VP9, AV1)
//! with no build-time dependency, and decodes in its own process, which overlaps with inference
//! for free. Measured here: about 200 frames/s for 1080p H.264.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;

use image::RgbImage;
use serde::Deserialize;

use super::Frame;

/// Video file extensions (lower case) taken as videos when a folder is given.
pub const VIDEO_EXTENSIONS: &[&str] = &[
    "mp4", "mov", "m4v", "mkv", "avi", "webm", // phones, cameras, editors
    "ts", "mts", "m2ts", // MPEG transport streams: camcorders, broadcast
    "3gp", "3g2", // older phones
    "gif", // animated demos
    "mpg", "mpeg", "wmv", "flv", "ogv", "ogg", "asf", "vob", // other containers
    "y4m", "h264", "264", "hevc", "265", "mjpeg", "mjpg", // raw streams
];

/// The containers ffmpeg may read a video as (ffmpeg's demuxer names): files that hold their own
/// frames. A playlist (HLS `.m3u8`) or a concat list names other files, and ffmpeg would read
/// those: an upload to the clinic app renamed `.mp4` made it decode another recording on the
/// server and file its frames under a patient.
const SELF_CONTAINED_FORMATS: &str = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mpegts,mpeg,\
    mpegvideo,gif,asf,flv,ogg,yuv4mpegpipe,h264,hevc,mjpeg,m4v";

/// The most pixels a video's frame may have: 8K (8192x4608).
const MAX_VIDEO_PIXELS: u64 = 8192 * 4608;

/// Why a video could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error(
        "ffmpeg not found: install it to read videos (Debian/Ubuntu: `apt-get install ffmpeg`, \
         macOS: `brew install ffmpeg`), or set GONIO_FFMPEG to its path"
    )]
    FfmpegMissing,
    #[error("{path}: file not found")]
    NotFound { path: PathBuf },
    #[error("{path}: not a readable video: {detail}")]
    NotAVideo { path: PathBuf, detail: String },
    #[error("{path}: video codec `{codec}` cannot be decoded by this ffmpeg")]
    UnsupportedCodec { path: PathBuf, codec: String },
    #[error("{path}: decoding failed: {detail}")]
    Decode { path: PathBuf, detail: String },
}

impl VideoError {
    /// The video this error is about (none when ffmpeg itself is missing).
    pub fn path(&self) -> Option<&Path> {
        match self {
            VideoError::FfmpegMissing => None,
            VideoError::NotFound { path }
            | VideoError::NotAVideo { path, .. }
            | VideoError::UnsupportedCodec { path, .. }
            | VideoError::Decode { path, .. } => Some(path),
        }
    }
}

/// What ffprobe says about a video's first video stream.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Frame size as shown, pixels: after rotation, and with non-square pixels (anamorphic
    /// camcorder and DV video) stretched to square ones, as players show them. Frames are
    /// decoded at this size, so that angles are measured on the true shape of the body.
    pub width: u32,
    pub height: u32,
    /// Width of a stored pixel over its height (1 for square pixels, 4/3 for 1440x1080 HDV).
    pub pixel_aspect: f64,
    pub codec: String,
    /// Average frame rate, frames per second (0 when unknown).
    pub fps: f64,
    /// Duration, seconds (0 when unknown).
    pub duration_s: f64,
    /// Frame count from the container, when it states one.
    pub frame_count: Option<u64>,
    /// Rotation the player applies, degrees: 0, 90, 180 or 270 (as ffprobe's display-matrix
    /// `rotation` taken modulo 360; phones record portrait this way). Other angles are refused.
    pub rotation_deg: i32,
    /// Frames per second the camera captured, where the container states it (Android phones
    /// write `com.android.capture.fps`): a slow-motion video captured at 240 frames/s is stored
    /// to play at 30, so its own clock runs 8 times slower than the world did.
    pub capture_fps: Option<f64>,
}

/// A video whose own clock runs at another speed than the world did: slow motion, or a
/// time-lapse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retimed {
    /// Frames per second the camera captured.
    pub capture_fps: f64,
    /// Frames per second the video plays at.
    pub playback_fps: f64,
}

impl VideoInfo {
    /// Whether the video plays at another speed than it was captured (see
    /// [`VideoInfo::capture_fps`]): slow motion captured at 100 frames/s or more and played at
    /// least 2 times slower, or a time-lapse played at least 2 times faster. Android writes the
    /// rate asked for on ordinary recordings too (30), and a phone lowers its rate in dim light
    /// (to 24 or 15: the frames' own times are real then), so a lower rate than stated is no
    /// slow motion unless the camera ran at a high-speed rate; a phone that stores slow motion
    /// at the rate captured and slows it down in its player is not retimed either.
    pub fn retimed(&self) -> Option<Retimed> {
        let capture_fps = self.capture_fps?;
        if self.fps <= 0.0 {
            return None;
        }
        let slower = capture_fps / self.fps;
        let slow_motion = slower >= 2.0 && capture_fps >= 100.0;
        let time_lapse = slower <= 0.5;
        (slow_motion || time_lapse).then_some(Retimed {
            capture_fps,
            playback_fps: self.fps,
        })
    }

    /// Real seconds per second of the video's own clock: 1 for a recording that plays at the
    /// speed it was captured, 1/8 for slow motion captured at 240 frames/s and stored to play at
    /// 30, 30 for a time-lapse captured at 1 frame/s and played at 30. Frames are timed in real
    /// seconds ([`VideoFrames`]), so that a hold's seconds are the patient's.
    pub fn real_s_per_video_s(&self) -> f64 {
        self.retimed()
            .map_or(1.0, |r| r.playback_fps / r.capture_fps)
    }
}

fn ffmpeg_program(name: &str) -> PathBuf {
    let var = if name == "ffprobe" {
        "GONIO_FFPROBE"
    } else {
        "GONIO_FFMPEG"
    };
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(name))
}

/// A command running ffmpeg's `name` (ffmpeg, ffprobe) in a process group of its own: a Ctrl-C
/// at the terminal (or `systemctl stop`) signals the whole foreground group, and the decoder
/// quitting at once made the input under way fail as "damaged" instead of being finished, as
/// gonio finishes it. It still ends with gonio: its output pipe closes.
fn ffmpeg_command(name: &str) -> Command {
    let mut command = Command::new(ffmpeg_program(name));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    command
}

/// The error for an ffmpeg or ffprobe that could not be started on `path`.
fn spawn_error(path: &Path, error: std::io::Error) -> VideoError {
    if error.kind() == std::io::ErrorKind::NotFound {
        VideoError::FfmpegMissing
    } else {
        VideoError::Decode {
            path: path.to_path_buf(),
            detail: format!("cannot start ffmpeg: {error}"),
        }
    }
}

#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    streams: Vec<ProbeStream>,
    format: Option<ProbeFormat>,
}

#[derive(Deserialize)]
struct ProbeStream {
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    avg_frame_rate: Option<String>,
    nb_frames: Option<String>,
    duration: Option<String>,
    /// `W:H` of a stored pixel; `0:1` or absent when unknown (square).
    sample_aspect_ratio: Option<String>,
    #[serde(default)]
    side_data_list: Vec<serde_json::Value>,
    #[serde(default)]
    tags: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct ProbeFormat {
    duration: Option<String>,
    start_time: Option<String>,
    #[serde(default)]
    tags: serde_json::Map<String, serde_json::Value>,
}

/// The capture rate a container states apart from its playback rate, frames per second (see
/// [`VideoInfo::capture_fps`]); a value no camera captures at is not taken. (Matroska writes
/// tag names in capitals: a phone's file remuxed to .mkv.)
fn capture_fps(format: Option<&ProbeFormat>) -> Option<f64> {
    format?
        .tags
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("com.android.capture.fps"))?
        .1
        .as_str()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|fps| (0.01..=10_000.0).contains(fps))
}

fn ratio(text: &str) -> f64 {
    match text.split_once('/') {
        Some((n, d)) => match (n.parse::<f64>(), d.parse::<f64>()) {
            (Ok(n), Ok(d)) if d != 0.0 => n / d,
            _ => 0.0,
        },
        None => text.parse().unwrap_or(0.0),
    }
}

/// The image format of a file whose first bytes are a still image's (JPEG, PNG, ...), if so.
fn still_image_format(path: &Path) -> Option<image::ImageFormat> {
    use std::io::Read;
    let mut head = [0u8; 64];
    let mut file = std::fs::File::open(path).ok()?;
    let read = file.read(&mut head).ok()?;
    image::guess_format(&head[..read]).ok()
}

/// Whether a file begins as an MP4 or MOV does: a box of a kind these files begin with (`ftyp`,
/// or in older QuickTime files `mdat`, `moov`, `wide`, `free`, `skip`, `pnot`), or with zeros
/// where such a file was still to be written.
fn begins_as_mp4(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    // (A file whose start is still zeros is a download or copy that did not finish.)
    read.is_ok()
        && (head == [0; 8]
            || matches!(
                &head[4..8],
                b"ftyp" | b"mdat" | b"moov" | b"wide" | b"free" | b"skip" | b"pnot"
            ))
}

/// The kind of still image (HEIC, AVIF) a file in the MP4 family holds, from its `ftyp` box's
/// brand, if it is one.
fn heif_brand(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = [0u8; 12];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    if &head[4..8] != b"ftyp" {
        return None;
    }
    match &head[8..12] {
        b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1" => Some("HEIC"),
        b"avif" | b"avis" => Some("AVIF"),
        _ => None,
    }
}

/// Reads a video's stream information with ffprobe.
pub fn probe(path: &Path) -> Result<VideoInfo, VideoError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() == 0 => {
            return Err(VideoError::NotAVideo {
                path: path.to_path_buf(),
                detail: "an empty file (0 bytes): a copy or a recording that did not finish"
                    .to_string(),
            })
        }
        Ok(m) if m.is_file() => {}
        Ok(m) if m.is_dir() => {
            return Err(VideoError::NotAVideo {
                path: path.to_path_buf(),
                detail: "a folder".to_string(),
            })
        }
        Ok(_) => {
            return Err(VideoError::NotAVideo {
                path: path.to_path_buf(),
                detail: "not a regular file (a FIFO or a device)".to_string(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VideoError::NotFound {
                path: path.to_path_buf(),
            })
        }
        // A symbolic link loop, a folder without permission: say what the system said.
        Err(e) => {
            return Err(VideoError::NotAVideo {
                path: path.to_path_buf(),
                detail: format!("cannot be read: {e}"),
            })
        }
    }
    let output = ffmpeg_command("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
            "-select_streams",
            "v:0",
            "-format_whitelist",
            SELF_CONTAINED_FORMATS,
        ])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(path, e))?;
    let not_a_video = |detail: String| VideoError::NotAVideo {
        path: path.to_path_buf(),
        detail,
    };
    if !output.status.success() {
        let message = String::from_utf8_lossy(&output.stderr);
        if message.contains("Format not on whitelist") {
            // A photo renamed (or a still given where a recording was meant) is not a playlist.
            if let Some(format) = still_image_format(path) {
                let format = format.extensions_str().first().copied().unwrap_or("image");
                return Err(not_a_video(format!(
                    "a still image ({format}), not a video: a measurement needs a recording \
                     (`gonio pose` reads photos)"
                )));
            }
            return Err(not_a_video(
                "a playlist or list of other files (such as HLS or an ffconcat list), not a \
                 video file: gonio reads only files that hold their own frames"
                    .to_string(),
            ));
        }
        // An MP4 or MOV writes its index last: a phone recording stopped by a crash or a
        // full disk, or a copy cut short, has none ("Invalid data found" said nothing of that).
        if message.contains("moov atom not found") {
            // A phone's photo (HEIC, AVIF) is the same kind of file, with no video in it.
            if let Some(brand) = heif_brand(path) {
                return Err(not_a_video(format!(
                    "a still image ({brand}), not a video: a measurement needs a recording \
                     (`gonio pose` reads photos once converted to JPEG or PNG)"
                )));
            }
            // A text file or a playlist named `.mp4` is no recording cut short.
            if !begins_as_mp4(path) {
                return Err(not_a_video(
                    "not an MP4 or MOV recording: its first bytes are not those of one (a \
                     text file, a playlist or another kind of file given a video's name, or no \
                     name that says its kind: a keypoint CSV is read by its `.csv` name)"
                        .to_string(),
                ));
            }
            return Err(not_a_video(
                "incomplete: the file's index (the MP4/MOV `moov` box, written when a recording \
                 stops) is missing: a recording that did not finish, or a copy or download cut \
                 short; copy it again from the camera"
                    .to_string(),
            ));
        }
        return Err(not_a_video(last_line(&message, path)));
    }
    let probe: Probe =
        serde_json::from_slice(&output.stdout).map_err(|e| not_a_video(e.to_string()))?;
    let stream = probe
        .streams
        .into_iter()
        .next()
        .ok_or_else(|| not_a_video("no video stream".to_string()))?;
    let (Some(width @ 1..), Some(height @ 1..)) = (stream.width, stream.height) else {
        return Err(not_a_video("video stream has no frame size".to_string()));
    };
    // Frames are decoded to RGB and a few are in flight at once: a 2-second 8192x8192 upload
    // of 880 kB took the clinic app from 0.4 to 1.2 GB, and larger ones could take it all.
    if u64::from(width) * u64::from(height) > MAX_VIDEO_PIXELS {
        return Err(not_a_video(format!(
            "frames of {width}x{height} pixels: gonio reads videos up to 8K (8192x4608); scale it \
             down first (`ffmpeg -i IN -vf scale=-2:2160 OUT.mp4`)"
        )));
    }
    // The display matrix's own angle first: ffprobe prints its `rotation` cut to a whole
    // degree (-90 for -90.6), which ffmpeg turns otherwise than -90.
    let rotation = stream
        .side_data_list
        .iter()
        .find_map(|d| d.get("displaymatrix").and_then(|m| m.as_str()))
        .and_then(display_matrix_rotation)
        .or_else(|| {
            stream
                .side_data_list
                .iter()
                .find_map(|d| d.get("rotation").and_then(|r| r.as_f64()))
        })
        .or_else(|| {
            stream
                .tags
                .get("rotate")
                .and_then(|r| r.as_str())
                .and_then(|r| r.parse().ok())
        })
        .unwrap_or(0.0);
    // ffmpeg rounds the angle to a degree and turns a frame by a quarter turn only when that is
    // one (-90.4 is, -90.6 is not); another angle it turns inside the same frame size, and the
    // frames read at the turned size were scrambled ("no person found in any frame").
    let degrees = rotation.round();
    let quarters = (degrees / 90.0).round();
    if degrees != 90.0 * quarters {
        return Err(not_a_video(format!(
            "its rotation metadata turns it {rotation:.1} deg, not a quarter turn: gonio reads \
             upright, sideways and upside-down videos only; turn it upright first \
             (`ffmpeg -i IN -vf rotate=... OUT.mp4`, or an editor)"
        )));
    }
    let rotation = 90 * (quarters as i32).rem_euclid(4);
    let pixel_aspect = stream
        .sample_aspect_ratio
        .as_deref()
        .map(|text| ratio(&text.replace(':', "/")))
        .filter(|&a| a.is_finite() && (0.01..=100.0).contains(&a))
        .unwrap_or(1.0);
    // Stretched to square pixels as a player shows them (the width, before any rotation).
    let width = if pixel_aspect == 1.0 {
        width
    } else {
        ((f64::from(width) * pixel_aspect).round() as u32).max(1)
    };
    let quarter_turns = rotation / 90;
    let (width, height) = if quarter_turns % 2 == 1 {
        (height, width)
    } else {
        (width, height)
    };
    let number = |text: Option<&str>| text.and_then(|t| t.parse::<f64>().ok());
    // The container's duration counts from time 0, not from its start time: a clip whose
    // timestamps start at 5 s (cameras, edited clips, MPEG-TS) lasts its duration minus 5.
    let duration_s = number(stream.duration.as_deref())
        .or_else(|| {
            let format = probe.format.as_ref()?;
            let start = number(format.start_time.as_deref()).unwrap_or(0.0).max(0.0);
            number(format.duration.as_deref()).map(|d| d - start)
        })
        .filter(|d| d.is_finite() && *d > 0.0)
        .unwrap_or(0.0);
    Ok(VideoInfo {
        width,
        height,
        codec: stream.codec_name.unwrap_or_else(|| "unknown".to_string()),
        fps: stream.avg_frame_rate.as_deref().map_or(0.0, ratio),
        duration_s,
        frame_count: stream.nb_frames.and_then(|n| n.parse().ok()),
        rotation_deg: rotation,
        pixel_aspect,
        capture_fps: capture_fps(probe.format.as_ref()),
    })
}

/// The rotation a display matrix as ffprobe prints it gives (three rows `NNNNNNNN: a b c` of
/// 16.16 fixed-point numbers), degrees, as ffmpeg's `av_display_rotation_get` computes it
/// (counterclockwise negative, as ffprobe's `rotation`); None when it cannot be read.
fn display_matrix_rotation(text: &str) -> Option<f64> {
    let rows: Vec<Vec<f64>> = text
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(_, numbers)| {
            numbers
                .split_whitespace()
                .filter_map(|n| n.parse::<f64>().ok())
                .collect()
        })
        .collect();
    let (m0, m1) = (*rows.first()?.first()?, *rows.first()?.get(1)?);
    let (m3, m4) = (*rows.get(1)?.first()?, *rows.get(1)?.get(1)?);
    let (scale0, scale1) = (m0.hypot(m3), m1.hypot(m4));
    if scale0 == 0.0 || scale1 == 0.0 {
        return None;
    }
    Some(-(m1 / scale1).atan2(m0 / scale0).to_degrees())
}

/// The `showinfo` filter that reports each frame's timestamp, without its per-frame checksums
/// where this ffmpeg can leave them out: they are not needed and cost about 40 % of decoding a
/// 1080x1920 H.264 frame (ffmpeg 5.1). Asked once per process.
fn showinfo_filter() -> &'static str {
    static FILTER: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    FILTER.get_or_init(|| {
        let help = ffmpeg_command("ffmpeg")
            .args(["-hide_banner", "-h", "filter=showinfo"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        match help {
            Ok(out) if String::from_utf8_lossy(&out.stdout).contains("checksum") => {
                "showinfo=checksum=0"
            }
            _ => "showinfo",
        }
    })
}

/// The last meaningful line of ffmpeg's error output, without the file name it repeats.
fn last_line(stderr: &str, path: &Path) -> String {
    let shown = path.display().to_string();
    stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .map(|l| l.replace(&format!("{shown}: "), ""))
        .unwrap_or_else(|| "ffmpeg gave no reason".to_string())
}

/// Frames of one video, decoded by an ffmpeg child process. Iterating yields frames in order
/// with their timestamps (real seconds from the first frame: the stream's presentation
/// timestamps, scaled by [`VideoInfo::real_s_per_video_s`] for slow motion and time-lapse); at
/// most one frame is held in memory at a time.
pub struct VideoFrames {
    path: PathBuf,
    info: VideoInfo,
    child: Child,
    stdout: std::process::ChildStdout,
    timestamps: mpsc::Receiver<f64>,
    stderr_tail: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Lines in which the decoder reported damaged data (see [`is_decode_error`]).
    decode_errors: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    index: u64,
    first_pts: Option<f64>,
    finished: bool,
    /// Decoding from the first frame (not after a seek), so the length can be checked.
    from_start: bool,
    /// Stream time of the last frame handed over, seconds of the video's clock.
    last_pts: Option<f64>,
    /// The video's clock that the frames handed over span, seconds: each step forward added,
    /// and a frame's spacing where the clock restarted (clips joined with `cat`: the last
    /// clip's own times, shorter than the first's, read as a file cut short).
    decoded_span_s: f64,
    /// Longest expected spacing of frames handed over, seconds of the video's clock (a thinned
    /// video's step).
    frame_step_s: f64,
    /// See [`VideoInfo::real_s_per_video_s`].
    real_s_per_video_s: f64,
}

impl VideoFrames {
    /// Starts decoding `path` from the beginning. Timestamps count from the first frame.
    pub fn open(path: &Path) -> Result<VideoFrames, VideoError> {
        Self::open_from(path, probe(path)?, 0.0, None, None)
    }

    /// Like [`VideoFrames::open`], but hands over at most `max_fps` frames per real second:
    /// frames closer than 1/`max_fps` to the last one handed over are skipped inside ffmpeg
    /// (decoded, never converted or piped), and the frames kept keep their own timestamps.
    pub fn open_at_most(path: &Path, max_fps: f64) -> Result<VideoFrames, VideoError> {
        Self::open_from(path, probe(path)?, 0.0, None, Some(max_fps))
    }

    /// Starts decoding `path` (`info` is [`probe`]'s of it) near `start_s` seconds (stream
    /// time, the video's own clock); timestamps count from `origin_pts` (the first frame's
    /// stream time from [`VideoFrames::origin_pts`] of an earlier decode), or from this decode's
    /// first frame when None.
    fn open_from(
        path: &Path,
        info: VideoInfo,
        start_s: f64,
        origin_pts: Option<f64>,
        max_fps: Option<f64>,
    ) -> Result<VideoFrames, VideoError> {
        // Non-square pixels are stretched to the size players show (see VideoInfo::width),
        // after ffmpeg's own rotation; frames left out by the selection are never scaled.
        let showinfo = if info.pixel_aspect == 1.0 {
            showinfo_filter().to_string()
        } else {
            format!(
                "scale={}:{}:flags=bicubic,setsar=1,{}",
                info.width,
                info.height,
                showinfo_filter()
            )
        };
        // Thinned in real time: slow motion captured at 240 frames/s and played at 30 has 240
        // frames per real second. Only when the source is clearly faster than asked.
        let scale = info.real_s_per_video_s();
        let step_s = max_fps
            .filter(|&f| f > 0.0 && (info.fps == 0.0 || info.fps / scale > 1.05 * f))
            .map(|f| 1.0 / (f * scale));
        let filter = match step_s {
            // 2 % slack so that jittery timestamps at exactly the target rate are all kept. A
            // clock gone back (joined clips) keeps its frame too: thinning by time would drop
            // every frame until the clock passed the first clip's end.
            Some(step_s) => format!(
                "select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,{:.6})+lt(t\\,prev_selected_t)',{showinfo}",
                0.98 * step_s
            ),
            None => showinfo.to_string(),
        };
        let mut command = ffmpeg_command("ffmpeg");
        command.args(["-hide_banner", "-nostdin", "-loglevel", "info"]);
        if start_s > 0.0 {
            command.args(["-ss", &format!("{start_s:.6}")]);
        }
        // Keep stream timestamps when seeking, so that frames can be matched by time.
        command.arg("-copyts");
        command
            .args(["-format_whitelist", SELF_CONTAINED_FORMATS])
            .arg("-i")
            .arg(path)
            .args([
                "-map",
                "0:v:0",
                "-an",
                "-sn",
                "-vf",
                &filter,
                "-fps_mode",
                "passthrough",
            ])
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| spawn_error(path, e))?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            return Err(VideoError::Decode {
                path: path.to_path_buf(),
                detail: "no pipes to ffmpeg".to_string(),
            });
        };
        let (sender, timestamps) = mpsc::channel();
        let stderr_tail = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let decode_errors = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        spawn_stderr_reader(stderr, sender, stderr_tail.clone(), decode_errors.clone());
        Ok(VideoFrames {
            path: path.to_path_buf(),
            info,
            child,
            stdout,
            timestamps,
            stderr_tail,
            decode_errors,
            index: 0,
            first_pts: origin_pts,
            finished: false,
            from_start: start_s <= 0.0,
            last_pts: None,
            decoded_span_s: 0.0,
            frame_step_s: max_fps
                .filter(|&f| f > 0.0)
                .map_or(0.0, |f| 1.0 / (f * scale)),
            real_s_per_video_s: scale,
        })
    }

    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// Stream time of the first frame, seconds (known once a frame was read).
    pub fn origin_pts(&self) -> Option<f64> {
        self.first_pts
    }

    /// How many errors the decoder reported in damaged data it went on past (a file corrupted
    /// in transfer): its frames may show smeared blocks. Final once the frames have run out.
    pub fn decode_errors(&self) -> usize {
        self.decode_errors.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// ffmpeg's last error lines, for messages.
    fn error_detail(&self) -> String {
        let tail = self
            .stderr_tail
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        let shown = self.path.display().to_string();
        // ffmpeg's closing summary says nothing about the cause: the line before it does.
        let generic = |l: &str| l.is_empty() || l == "Conversion failed!" || l.starts_with("[out#");
        tail.iter()
            .rev()
            .find(|l| !generic(l.trim()))
            .map(|l| l.replace(&format!("{shown}: "), ""))
            .map(|l| format!("damaged or cut short: {l}"))
            .unwrap_or_else(|| "ffmpeg stopped without saying why".to_string())
    }

    fn next_frame(&mut self) -> Result<Option<Frame>, VideoError> {
        let (w, h) = (self.info.width as usize, self.info.height as usize);
        let size = w * h * 3;
        // Read into spare capacity: a 1080p frame is 6 MB, not worth zeroing first.
        let mut buffer = Vec::with_capacity(size);
        let filled = (&mut self.stdout)
            .take(size as u64)
            .read_to_end(&mut buffer)
            .map_err(|e| VideoError::Decode {
                path: self.path.clone(),
                detail: e.to_string(),
            })?;
        if filled < size {
            // End of stream: ffmpeg's exit status tells a clean end from a failure.
            let status = self.child.wait().map_err(|e| VideoError::Decode {
                path: self.path.clone(),
                detail: e.to_string(),
            })?;
            if !status.success() || filled > 0 {
                return Err(self.decode_failure());
            }
            // ffmpeg ends cleanly on a file cut short: the last frame's time tells.
            let duration = self.info.duration_s;
            let last = self.decoded_span_s;
            if self.from_start
                && duration > 0.0
                && last < duration - 0.1_f64.max(3.0 / self.info.fps.max(1.0)) - self.frame_step_s
            {
                return Err(VideoError::Decode {
                    path: self.path.clone(),
                    detail: format!("stopped at {last:.2} s of {duration:.2} s: the file is truncated or corrupt"),
                });
            }
            // ffmpeg has exited: its stderr is read to the end (the reader drops the sender
            // there), so that the count of decode errors is whole, not a race.
            while self.timestamps.recv().is_ok() {}
            return Ok(None);
        }
        let fallback = if self.info.fps > 0.0 {
            self.index as f64 / self.info.fps
        } else {
            self.index as f64
        };
        let pts = self.timestamps.recv().unwrap_or(fallback);
        let first = *self.first_pts.get_or_insert(pts);
        self.index += 1;
        let image =
            RgbImage::from_raw(w as u32, h as u32, buffer).ok_or_else(|| VideoError::Decode {
                path: self.path.clone(),
                detail: "frame size mismatch".to_string(),
            })?;
        if let Some(previous) = self.last_pts {
            let step = pts - previous;
            self.decoded_span_s += if step > 0.0 {
                step
            } else {
                self.frame_step_s.max(1.0 / self.info.fps.max(1.0))
            };
        }
        self.last_pts = Some(pts);
        Ok(Some(Frame {
            image,
            timestamp_s: (pts - first) * self.real_s_per_video_s,
        }))
    }

    fn decode_failure(&self) -> VideoError {
        let detail = self.error_detail();
        if detail.contains("Decoder (codec") && detail.contains("not found")
            || detail.contains("Unsupported codec")
        {
            VideoError::UnsupportedCodec {
                path: self.path.clone(),
                codec: self.info.codec.clone(),
            }
        } else {
            VideoError::Decode {
                path: self.path.clone(),
                detail,
            }
        }
    }
}

impl Iterator for VideoFrames {
    type Item = Result<Frame, VideoError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let next = self.next_frame();
        if !matches!(next, Ok(Some(_))) {
            self.finished = true;
        }
        next.transpose()
    }
}

impl Drop for VideoFrames {
    fn drop(&mut self) {
        // Stop a decoder that is still running (the caller stopped early), and reap it.
        if !self.finished {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Whether an ffmpeg log line reports damaged data that the decoder went on past (H.264's
/// "error while decoding MB", "concealing ... errors", a corrupt frame, an unreadable NAL unit).
/// Only a codec's own lines (`[h264 @ 0x...] ...`) count: a file name is in other lines.
fn is_decode_error(line: &str) -> bool {
    let line = line.trim_start().to_ascii_lowercase();
    line.starts_with('[')
        && [
            "error while decoding",
            "concealing ",
            "corrupt frame",
            "corrupt decoded frame",
            "invalid nal unit",
            "error parsing nal",
        ]
        .iter()
        .any(|sign| line.contains(sign))
}

/// Reads ffmpeg's stderr: `showinfo` lines give each frame's `pts_time`; the rest is kept (last
/// lines only) for error messages.
fn spawn_stderr_reader(
    stderr: ChildStderr,
    timestamps: mpsc::Sender<f64>,
    tail: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    decode_errors: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    std::thread::spawn(move || {
        // Lines as bytes: a file name or title in Latin-1 is not valid UTF-8, and stopping at it
        // would lose every later frame's timestamp.
        let mut reader = BufReader::new(stderr);
        let mut bytes = Vec::new();
        loop {
            bytes.clear();
            match reader.read_until(b'\n', &mut bytes) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&bytes).trim_end().to_string();
            // showinfo's own lines only, each starting a line or following ffmpeg's progress
            // ("frame= ...\r"): a title or file name holding the same words is printed too, and
            // taken as a frame it shifted every frame's time by one.
            let showinfo = line
                .split('\r')
                .find(|part| part.starts_with("[Parsed_showinfo"));
            if let Some(showinfo) = showinfo {
                if let Some(pts) = showinfo
                    .split("pts_time:")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                    .and_then(|v| v.parse::<f64>().ok())
                {
                    let _ = timestamps.send(pts);
                }
                continue;
            }
            if is_decode_error(&line) {
                decode_errors.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            if let Ok(mut tail) = tail.lock() {
                tail.push(line);
                if tail.len() > 20 {
                    tail.remove(0);
                }
            }
        }
    });
}

/// Reads the frame whose timestamp is nearest `timestamp_s` (seconds from the first frame, as
/// [`VideoFrames`] gave it; `origin_pts` from [`VideoFrames::origin_pts`]), seeking instead of
/// decoding the whole video again.
pub fn frame_at(path: &Path, timestamp_s: f64, origin_pts: f64) -> Result<Frame, VideoError> {
    // ffmpeg seeks from the file's start time, not from time 0: a clip whose timestamps start at
    // 5 s is sought at 5 + `-ss`. The first frame is within a frame or so of the start time.
    // Sought on the video's own clock, which slow motion slows. (Probed once for both tries.)
    let info = probe(path)?;
    let stream_s = timestamp_s / info.real_s_per_video_s();
    let start = (stream_s - 0.25).max(0.0);
    match nearest_frame(path, &info, start, timestamp_s, origin_pts) {
        Ok(frame) if (frame.timestamp_s - timestamp_s).abs() <= NEAR_S => Ok(frame),
        // A stream without an index (MPEG-TS, .mts from camcorders) is sought by bytes, to the
        // next keyframe after the point: with keyframes far apart, none comes before the frame.
        // Decoding from the start always finds it.
        _ if start > 0.0 => nearest_frame(path, &info, 0.0, timestamp_s, origin_pts),
        other => other,
    }
}

/// Frame `index` (from 0) of the video read as [`VideoFrames::open_at_most`] (`max_fps`) or
/// [`VideoFrames::open`] reads it, decoding from the start: for a video whose timestamps cannot
/// be sought (a clock that went back: the same time twice).
pub fn frame_number(path: &Path, index: usize, max_fps: Option<f64>) -> Result<Frame, VideoError> {
    let mut frames = match max_fps {
        Some(fps) => VideoFrames::open_at_most(path, fps)?,
        None => VideoFrames::open(path)?,
    };
    // Fewer frames than `index` is an error, not the last frame drawn as if it were that one.
    frames.nth(index).ok_or_else(|| VideoError::Decode {
        path: path.to_path_buf(),
        detail: format!("no frame {index}"),
    })?
}

/// How far from the time asked the frame [`frame_at`] finds by seeking may be, seconds: under
/// the interval of any video slower than 10 frames per second.
const NEAR_S: f64 = 0.1;

/// The frame nearest `timestamp_s`, decoding from `start_s` (stream time) the video `info`
/// describes.
fn nearest_frame(
    path: &Path,
    info: &VideoInfo,
    start_s: f64,
    timestamp_s: f64,
    origin_pts: f64,
) -> Result<Frame, VideoError> {
    let frames = VideoFrames::open_from(path, info.clone(), start_s, Some(origin_pts), None)?;
    let mut best: Option<Frame> = None;
    for frame in frames {
        let frame = frame?;
        let is_better = best.as_ref().is_none_or(|b| {
            (frame.timestamp_s - timestamp_s).abs() < (b.timestamp_s - timestamp_s).abs()
        });
        let past = frame.timestamp_s > timestamp_s + 0.1;
        if is_better {
            best = Some(frame);
        }
        if past {
            break;
        }
    }
    best.ok_or_else(|| VideoError::Decode {
        path: path.to_path_buf(),
        detail: format!("no frame near {timestamp_s:.3} s"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A display matrix's angle as ffmpeg computes it, not ffprobe's `rotation` cut to a whole
    /// degree: -90.6 is no quarter turn for ffmpeg, which turned it inside the frame's size.
    #[test]
    fn a_display_matrix_gives_its_own_angle() {
        let matrix = |a: i64, b: i64, c: i64, d: i64| {
            format!(
                "\n00000000: {a:>12} {b:>11} 0\n00000001: {c:>12} {d:>11} 0\n00000002: 0 0 1073741824\n"
            )
        };
        let angle = |text: &str| display_matrix_rotation(text).unwrap();
        assert!((angle(&matrix(65536, 0, 0, 65536)) - 0.0).abs() < 1e-9);
        assert!((angle(&matrix(0, 65536, -65536, 0)) + 90.0).abs() < 1e-9);
        assert!((angle(&matrix(-686, 65532, -65532, -686)) + 90.6).abs() < 0.01);
        assert_eq!(display_matrix_rotation("not a matrix"), None);
        assert_eq!(display_matrix_rotation(&matrix(0, 0, 0, 0)), None);
    }

    fn info(fps: f64, capture_fps: Option<f64>) -> VideoInfo {
        VideoInfo {
            width: 640,
            height: 480,
            pixel_aspect: 1.0,
            codec: "h264".to_string(),
            fps,
            duration_s: 10.0,
            frame_count: None,
            rotation_deg: 0,
            capture_fps,
        }
    }

    #[test]
    fn the_capture_rate_retimes_slow_motion_and_time_lapse_only() {
        // Slow motion 8x: a second of the video is an eighth of a real one.
        assert_eq!(info(30.0, Some(240.0)).real_s_per_video_s(), 0.125);
        assert_eq!(info(30.0, Some(120.0)).real_s_per_video_s(), 0.25);
        // A time-lapse at one frame a second, played at 30.
        assert_eq!(info(30.0, Some(1.0)).real_s_per_video_s(), 30.0);
        // The same speed: no tag, the nominal rate beside the measured one, an ordinary
        // recording in dim light (Android states the 30 asked for; the phone gave 24 or 15, or
        // 30 of 60), slow motion stored at its captured rate (the player slows it), a rate the
        // container does not state.
        for (fps, capture) in [
            (30.0, None),
            (29.97, Some(30.0)),
            (24.0, Some(30.0)),
            (15.0, Some(30.0)),
            (30.0, Some(60.0)),
            (240.0, Some(240.0)),
            (0.0, Some(240.0)),
        ] {
            let info = info(fps, capture);
            assert_eq!(info.retimed(), None, "{fps} {capture:?}");
            assert_eq!(info.real_s_per_video_s(), 1.0);
        }
    }
}
