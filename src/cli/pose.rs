//! `gonio pose`: keypoints of the person in each image.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use comfy_table::{Cell, CellAlignment};

use gonio::capture::{
    collect_image_paths, files_not_read, has_extension, load_image, VIDEO_EXTENSIONS,
};
use gonio::pose::{
    PersonDetector, PhotoReader, Pick, PoseEstimator, Runtime, PERSON_MIN_CONFIDENCE,
};
use gonio::report::evidence::draw_photo_reading;
use gonio::report::json::{ImagePosesJson, PersonJson};

use super::{load_estimator, new_table, progress_bar, ModelArgs, EXIT_PARTIAL};

#[derive(Args)]
pub struct PoseArgs {
    /// Image files or folders of images (jpg, png, webp, bmp, tiff)
    #[arg(required = true, value_name = "IMAGE")]
    images: Vec<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    /// Print one JSON array with an entry per image instead of a table
    #[arg(long)]
    json: bool,
    /// Write each image with the skeleton drawn as DIR/<name>.png
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
    /// Which person to read when several are in a photo
    #[arg(
        long,
        value_enum,
        default_value = "center",
        conflicts_with = "single_person"
    )]
    pick: PhotoPick,
    /// Only one person is in each photo: skip the person detector (faster; with a second
    /// person in view, the wrong one may then be read)
    #[arg(long)]
    single_person: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PhotoPick {
    /// The person at the photo's centre
    Center,
    /// The largest person (nearest the camera)
    Largest,
    /// The leftmost person
    Left,
    /// The rightmost person
    Right,
}

pub fn run(args: &PoseArgs) -> anyhow::Result<ExitCode> {
    let mut estimator = load_estimator(&args.model)?;
    let mut reader = if args.single_person {
        PhotoReader::single()
    } else {
        let pick = match args.pick {
            PhotoPick::Center => Pick::Center,
            PhotoPick::Largest => Pick::Largest,
            PhotoPick::Left => Pick::Left,
            PhotoPick::Right => Pick::Right,
        };
        PhotoReader::multi(
            PersonDetector::new(Runtime::load()?, args.model.threads)?,
            pick,
        )
    };
    let model_id = estimator.model_id().to_string();
    if let Some(dir) = &args.overlay {
        gonio::report::output_folder(dir)?;
    }
    // Files a folder holds that are not read are named, not passed over in silence.
    for dir in args.images.iter().filter(|p| p.is_dir()) {
        let skipped = files_not_read(dir);
        if skipped.is_empty() {
            continue;
        }
        let names = super::first_few(skipped.iter().map(|p| {
            p.file_name()
                .unwrap_or(p.as_os_str())
                .to_string_lossy()
                .into_owned()
        }));
        let videos = skipped.iter().any(|p| has_extension(p, VIDEO_EXTENSIONS));
        eprintln!(
            "gonio: {}: {} file(s) not read, not photos ({}){}",
            dir.display(),
            skipped.len(),
            names,
            if videos {
                ": videos are measured with `gonio analyze`"
            } else {
                ""
            }
        );
    }
    // One photo is read once, however it was named (`a.jpg ./a.jpg`, a link, a folder and a
    // file in it), as `analyze` does: given twice, it was two rows of one person.
    let mut seen = std::collections::HashSet::new();
    let mut repeated = Vec::new();
    let inputs: Vec<_> = collect_image_paths(&args.images)
        .into_iter()
        .filter(|input| match input {
            Ok(path) => {
                let first = seen.insert(gonio::run::same_file(path));
                if !first {
                    repeated.push(path.display().to_string());
                }
                first
            }
            Err(_) => true,
        })
        .collect();
    if !repeated.is_empty() {
        eprintln!(
            "gonio: given more than once, read once: {}",
            super::first_few(repeated.into_iter())
        );
    }
    let bar = progress_bar(inputs.len(), "pose");
    let mut records = Vec::with_capacity(inputs.len());
    let mut failures = 0usize;
    for input in inputs {
        let record = match input {
            Ok(path) => pose_one(
                &mut estimator,
                &mut reader,
                &path,
                &model_id,
                args.overlay.as_deref(),
            ),
            Err(error) => Err((error.path().to_path_buf(), error.to_string())),
        };
        match record {
            Ok((record, _)) if record.people.is_empty() => {
                bar.suspend(|| eprintln!("gonio: {}: no person found", record.image));
                failures += 1;
                records.push(record);
            }
            Ok((record, _)) => records.push(record),
            Err((path, message)) => {
                bar.suspend(|| eprintln!("gonio: {message}"));
                failures += 1;
                records.push(ImagePosesJson {
                    image: path.display().to_string(),
                    width: 0,
                    height: 0,
                    model: model_id.clone(),
                    people: Vec::new(),
                    error: Some(message),
                });
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &records)?;
        writeln!(out)?;
    } else {
        print_pose_table(&mut out, &records, &model_id, args.overlay.as_deref())?;
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PARTIAL)
    })
}

/// Runs the model on one image and writes its overlay. Errors carry the path and a message
/// that names it.
fn pose_one(
    estimator: &mut PoseEstimator,
    reader: &mut PhotoReader,
    path: &Path,
    model_id: &str,
    overlay_dir: Option<&Path>,
) -> Result<(ImagePosesJson, Option<PathBuf>), (PathBuf, String)> {
    let fail = |message: String| (path.to_path_buf(), message);
    let frame = load_image(path).map_err(|e| fail(e.to_string()))?;
    let pose = reader
        .read(estimator, &frame.image)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let people = if pose.has_person() {
        vec![PersonJson::from(&pose)]
    } else {
        Vec::new()
    };
    let mut overlay_path = None;
    if let Some(dir) = overlay_dir {
        let mut canvas = frame.image.clone();
        if pose.has_person() {
            draw_photo_reading(&mut canvas, &pose);
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".into());
        // Never over an existing file: with --overlay naming the photos' own folder, `x.png`
        // would be the input itself.
        let target = std::iter::once(format!("{stem}.overlay.png"))
            .chain((2..).map(|n| format!("{stem}.overlay-{n}.png")))
            .map(|name| dir.join(name))
            .find(|p| p.symlink_metadata().is_err())
            .unwrap_or_else(|| dir.join(format!("{stem}.overlay.png")));
        gonio::report::save_png(&canvas, &target)
            .map_err(|e| fail(format!("{}: cannot write overlay: {e}", target.display())))?;
        overlay_path = Some(target);
    }
    Ok((
        ImagePosesJson {
            image: path.display().to_string(),
            width: frame.image.width(),
            height: frame.image.height(),
            model: model_id.to_string(),
            people,
            error: None,
        },
        overlay_path,
    ))
}

fn print_pose_table(
    out: &mut impl Write,
    records: &[ImagePosesJson],
    model_id: &str,
    overlay_dir: Option<&Path>,
) -> io::Result<()> {
    let mut table = new_table();
    table.set_header([
        "image",
        "size (px)",
        "person",
        "score",
        "confident keypoints",
        "check",
    ]);
    for record in records {
        let (person, score, confident) = match (record.people.first(), &record.error) {
            (_, Some(_)) => ("error".to_string(), String::new(), String::new()),
            (None, None) => ("none found".to_string(), String::new(), String::new()),
            (Some(p), None) => {
                let confident = p
                    .keypoints
                    .iter()
                    .filter(|k| k.confidence >= PERSON_MIN_CONFIDENCE)
                    .count();
                (
                    "yes".to_string(),
                    format!("{:.2}", p.score),
                    format!("{confident}/17"),
                )
            }
        };
        let size = if record.width > 0 {
            format!("{}x{}", record.width, record.height)
        } else {
            String::new()
        };
        let check = record.people.first().map_or(String::new(), |p| {
            let implausible = p
                .implausible
                .as_ref()
                .map(|i| format!("implausible: {} {:.1}x too long", i.segment.name(), i.ratio));
            let small = p.small.as_ref().map(|s| {
                let how = if s.span_px < gonio::protocols::TINY_SUBJECT_PX {
                    "poorly"
                } else {
                    "less well"
                };
                format!("small: {:.0} px across, read {how}", s.span_px)
            });
            implausible
                .into_iter()
                .chain(small)
                .collect::<Vec<_>>()
                .join("; ")
        });
        table.add_row(vec![
            Cell::new(&record.image),
            Cell::new(size),
            Cell::new(person),
            Cell::new(score).set_alignment(CellAlignment::Right),
            Cell::new(confident).set_alignment(CellAlignment::Right),
            Cell::new(check),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(out, "model: {model_id}")?;
    writeln!(out, "keypoints confident at >= {PERSON_MIN_CONFIDENCE}; --json prints every keypoint in frame pixels")?;
    if let Some(dir) = overlay_dir {
        writeln!(out, "overlays: {}", dir.display())?;
    }
    Ok(())
}
