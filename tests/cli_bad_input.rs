//! Every bad input gets a clear message naming the file, the other inputs are still processed,
//! and the exit status says whether everything succeeded. Nothing panics.

mod common;

use common::*;
use std::io::Write;

/// Exit status of a Rust panic; no input may produce it.
const PANIC_STATUS: i32 = 101;

fn json_entries(output: &std::process::Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<Vec<serde_json::Value>>(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is a JSON array ({e}): {}", stdout(output)))
}

#[test]
fn mixed_list_reports_each_bad_file_and_processes_the_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.jpg");
    let not_image = dir.path().join("notes.jpg");
    std::fs::write(&not_image, "this is text, not a picture\n").unwrap();
    let truncated = dir.path().join("truncated.jpg");
    let good = sample("pose2sim-frame060.jpg");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let truncated_png = dir.path().join("truncated.png");
    let mut png = Vec::new();
    image::RgbImage::from_pixel(64, 64, image::Rgb([10, 200, 30]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    std::fs::write(&truncated_png, &png[..png.len() / 2]).unwrap();
    let empty = dir.path().join("empty.png");
    std::fs::write(&empty, b"").unwrap();

    let output = gonio(&[
        "pose",
        "--model",
        "lightning",
        "--json",
        path_str(&missing),
        path_str(&not_image),
        path_str(&truncated),
        path_str(&truncated_png),
        path_str(&empty),
        path_str(&good),
    ]);
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(1),
        "partial failure exits 1; stderr: {err}"
    );
    assert!(
        err.contains(&format!("{}: file not found", missing.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}: not an image", not_image.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}: corrupt or truncated image",
            truncated.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}: corrupt or truncated image",
            truncated_png.display()
        )),
        "{err}"
    );
    // As `analyze` says it of a video.
    assert!(
        err.contains(&format!("{}: an empty file (0 bytes)", empty.display())),
        "{err}"
    );

    let entries = json_entries(&output);
    assert_eq!(entries.len(), 6, "one entry per input");
    for entry in &entries[..5] {
        assert!(entry["people"].as_array().unwrap().is_empty());
        assert!(entry["error"].is_string());
    }
    let last = &entries[5];
    assert_eq!(last["image"], path_str(&good));
    assert_eq!(
        last["people"].as_array().unwrap().len(),
        1,
        "the good image is still processed"
    );
}

#[test]
fn image_without_a_person_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let blank = dir.path().join("wall.png");
    image::RgbImage::from_pixel(400, 300, image::Rgb([128, 128, 128]))
        .save(&blank)
        .unwrap();
    let output = gonio(&["pose", "--model", "lightning", "--json", path_str(&blank)]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(&format!("{}: no person found", blank.display())),
        "{}",
        stderr(&output)
    );
    let entries = json_entries(&output);
    assert!(entries[0]["people"].as_array().unwrap().is_empty());
    assert_eq!(
        (entries[0]["width"].as_u64(), entries[0]["height"].as_u64()),
        (Some(400), Some(300))
    );
    // One photo named three ways is read once, and said.
    let again = dir.path().join(".").join("wall.png");
    let output = gonio(&[
        "pose",
        "--model",
        "lightning",
        "--json",
        path_str(&blank),
        path_str(&again),
        path_str(dir.path()),
    ]);
    assert_eq!(json_entries(&output).len(), 1, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("given more than once, read once"),
        "{}",
        stderr(&output)
    );
}

/// A FIFO would wait for ever and `/dev/zero` never end: both are named, not read.
#[test]
fn pose_refuses_what_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("photo.jpg");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    for input in [fifo.as_path(), std::path::Path::new("/dev/zero")] {
        let output = gonio(&["pose", "--model", "lightning", path_str(input)]);
        assert_eq!(output.status.code(), Some(1), "{input:?}");
        assert!(
            stderr(&output).contains(&format!("{}: not a regular file", input.display())),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn empty_folder_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("readme.txt"), "no images here").unwrap();
    let output = gonio(&["pose", "--model", "lightning", path_str(dir.path())]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "{}: no images found in this folder",
            dir.path().display()
        )),
        "{err}"
    );
    // The files a folder holds that are not photos are named (a video pointed to `analyze`);
    // a folder with photos among them still reads its photos.
    std::fs::write(dir.path().join("clip.MP4"), "a video").unwrap();
    std::fs::copy(sample("pose2sim-frame020.jpg"), dir.path().join("a.jpg")).unwrap();
    let output = gonio(&["pose", "--model", "lightning", path_str(dir.path())]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!(
            "{}: 2 file(s) not read, not photos (clip.MP4, readme.txt): videos are measured with `gonio analyze`",
            dir.path().display()
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn random_bytes_are_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut paths = Vec::new();
    // Random bytes, and random bytes behind real magic numbers so that decoders get past sniffing.
    let prefixes: [&[u8]; 5] = [
        b"",
        b"\xFF\xD8\xFF\xE0",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\x10\x00\x00\x00WEBPVP8 ",
        b"BM",
    ];
    for (i, prefix) in prefixes.iter().enumerate() {
        let path = dir.path().join(format!("random{i}.jpg"));
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(prefix).unwrap();
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        file.write_all(&noise).unwrap();
        paths.push(path);
    }
    let mut args = vec!["pose", "--model", "lightning"];
    args.extend(paths.iter().map(|p| path_str(p)));
    let output = gonio(&args);
    assert_ne!(
        output.status.code(),
        Some(PANIC_STATUS),
        "{}",
        stderr(&output)
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    for path in &paths {
        assert!(
            err.contains(&path.display().to_string()),
            "{} not named in: {err}",
            path.display()
        );
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_runtime_is_a_clear_error() {
    let output = gonio_with_env(
        &["pose", path_str(&sample("pose2sim-frame060.jpg"))],
        &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("cannot load ONNX Runtime") && err.contains("/nonexistent/libonnxruntime.so"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn wrong_runtime_file_is_a_clear_error() {
    let not_a_library = sample("pose2sim-frame060.jpg");
    let output = gonio_with_env(
        &["pose", path_str(&not_a_library)],
        &[("ORT_DYLIB_PATH", path_str(&not_a_library))],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("cannot load ONNX Runtime"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_model_folder_is_a_clear_error() {
    let output = gonio_with_env(
        &["pose", path_str(&sample("pose2sim-frame060.jpg"))],
        &[("GONIO_MODEL_DIR", "/nonexistent-models")],
    );
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("model file movenet_singlepose_thunder.onnx not found")
            && err.contains("/nonexistent-models (from GONIO_MODEL_DIR)"),
        "{err}"
    );
    // `--version` says the same, model by model, and fails so an install can be checked.
    let version = gonio_with_env(
        &["--version"],
        &[("GONIO_MODEL_DIR", "/nonexistent-models")],
    );
    assert_eq!(version.status.code(), Some(1));
    let text = stdout(&version);
    assert_eq!(text.matches("missing: model file").count(), 3, "{text}");
}

#[test]
fn version_names_the_runtime_and_models_it_would_use() {
    let short = gonio(&["-V"]);
    assert_eq!(
        stdout(&short).trim(),
        format!("gonio {}", env!("CARGO_PKG_VERSION"))
    );
    let long = gonio(&["--version"]);
    assert_eq!(long.status.code(), Some(0), "{}", stdout(&long));
    let text = stdout(&long);
    assert!(text.contains("onnxruntime 1.31.1 /"), "{text}");
    for model in [
        "movenet-thunder@sha256:",
        "movenet-lightning@sha256:",
        "movenet-multipose@sha256:",
    ] {
        assert!(text.contains(model), "{model} missing: {text}");
    }
}

/// This machine's ONNX Runtime is the CPU build (CI has no GPU): asking for CUDA is a clear
/// error that says how to get the GPU build; `auto` runs on the CPU and says so.
#[test]
fn cuda_without_the_gpu_build_is_a_clear_error_and_auto_falls_back() {
    let image = sample("pose2sim-frame060.jpg");
    let cuda = gonio(&["pose", path_str(&image), "--device", "cuda"]);
    assert_eq!(cuda.status.code(), Some(2));
    let err = stderr(&cuda);
    assert!(
        err.contains("no GPU support")
            && err.contains("--features cuda")
            && err.contains("--device cpu"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let auto = gonio(&["pose", path_str(&image), "--device", "auto", "--json"]);
    assert_eq!(auto.status.code(), Some(0), "{}", stderr(&auto));
    assert!(
        stderr(&auto).contains("running on the CPU"),
        "{}",
        stderr(&auto)
    );
    let poses: serde_json::Value = serde_json::from_slice(&auto.stdout).unwrap();
    assert_eq!(poses[0]["people"].as_array().unwrap().len(), 1);

    let missing = gonio_with_env(&["--version"], &[("ORT_DYLIB_PATH", "/nonexistent/lib.so")]);
    assert_eq!(missing.status.code(), Some(1), "{}", stdout(&missing));
    assert!(stdout(&missing).contains("/nonexistent/lib.so: no such file"));

    let unknown = gonio(&["pose", path_str(&image), "--device", "tpu"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("unknown device `tpu`"));
}

#[test]
fn unknown_model_is_a_usage_error() {
    let output = gonio(&["pose", "--model", "huge", "x.jpg"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown model `huge`"));
}

#[test]
fn eval_reports_bad_annotation_files() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ann.json");
    std::fs::write(&bad, "{\"images\": 3}").unwrap();
    let output = gonio(&[
        "eval",
        "--annotations",
        path_str(&bad),
        "--images",
        path_str(dir.path()),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&format!("{}: not a COCO keypoints file", bad.display())));

    let missing = dir.path().join("none.json");
    let output = gonio(&[
        "eval",
        "--annotations",
        path_str(&missing),
        "--images",
        path_str(dir.path()),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains(&format!("{}: cannot read annotations", missing.display())));
}

/// A command that cannot run says why on stderr and, asked for `--json`, as JSON on stdout too:
/// a program reading stdout got nothing to parse.
#[test]
fn a_fatal_error_with_json_is_json_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let output = gonio(&[
        "history",
        "--subject",
        "nobody",
        "--db",
        path_str(&db),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let error: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?}", stdout(&output)));
    let message = error["error"].as_str().unwrap_or_default();
    assert!(message.contains("no gonio database there"), "{error}");
    assert!(stderr(&output).contains(message), "{}", stderr(&output));
}

/// A usage error (an unknown protocol) with `--json` is JSON on stdout too, exit 2; clap's
/// text stays on stderr. `--help` with `--json` is still the help.
#[test]
fn a_usage_error_with_json_is_json_on_stdout() {
    let output = gonio(&["analyze", "x.csv", "--protocol", "splits", "--json"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let error: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?}", stdout(&output)));
    let message = error["error"].as_str().unwrap_or_default();
    assert!(message.contains("splits"), "{error}");
    assert!(stderr(&output).contains("splits"), "{}", stderr(&output));
    // A missing argument is named, not only announced.
    let output = gonio(&["analyze", "x.csv", "--json"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let error: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {:?}", stdout(&output)));
    assert!(
        error["error"]
            .as_str()
            .unwrap_or_default()
            .contains("--protocol"),
        "{error}"
    );
    let help = gonio(&["analyze", "--help", "--json"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Usage"), "{}", stdout(&help));
}

/// Standard output that cannot be written (a full disk) is an error said on stderr, exit 2:
/// with `--json`, the error object printed to that same output panicked (exit 101).
#[test]
fn a_full_standard_output_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("SKIPPED a_full_standard_output_is_an_error_not_a_panic: no /dev/full");
        return;
    };
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_gonio"))
        .args(["protocols", "--json"])
        .current_dir(root())
        .stdout(full)
        .output()
        .expect("the gonio binary runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A Mac copying files to a USB stick adds a hidden `._name` beside each (its metadata): a
/// folder of frames was refused for `._frame1.jpg` ("not an image"), and in a folder of videos
/// `._trial.mp4` failed as a video, the batch with it. Hidden files are no inputs.
#[test]
fn hidden_files_in_a_folder_are_not_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    for name in ["pose2sim-frame020.jpg", "pose2sim-frame060.jpg"] {
        std::fs::copy(sample(name), frames.join(name)).unwrap();
        std::fs::write(frames.join(format!("._{name}")), b"\0\x05\x16\x07 Mac OS X").unwrap();
    }
    let output = gonio(&["pose", path_str(&frames), "--json", "--model", "lightning"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let entries = json_entries(&output);
    assert_eq!(entries.len(), 2, "{entries:?}");
    let videos = dir.path().join("videos");
    std::fs::create_dir(&videos).unwrap();
    std::fs::copy(sample("pose2sim-cam01.mp4"), videos.join("trial.mp4")).unwrap();
    std::fs::write(videos.join("._trial.mp4"), b"\0\x05\x16\x07 Mac OS X").unwrap();
    let output = gonio(&[
        "analyze",
        path_str(&videos),
        "--protocol",
        "toe-touch",
        "--model",
        "lightning",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["files"].as_array().map(Vec::len), Some(1), "{json}");
    assert!(!stderr(&output).contains("._trial"), "{}", stderr(&output));
}
