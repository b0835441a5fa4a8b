//! Which pose model, where its file is, and how it is identified in every result.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::install::model_search_path;
use super::PoseError;

/// The person detector's file in the model folder (MoveNet MultiPose Lightning, see
/// [`super::PersonDetector`]).
pub const MULTIPOSE_FILE: &str = "movenet_multipose_lightning.onnx";

/// The pose models gonio ships in `models/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ModelKind {
    /// MoveNet SinglePose Thunder: 256-px input, the more accurate (default).
    #[default]
    Thunder,
    /// MoveNet SinglePose Lightning: 192-px input, about 3x faster.
    Lightning,
}

impl ModelKind {
    pub const ALL: [ModelKind; 2] = [ModelKind::Thunder, ModelKind::Lightning];

    /// Short name used on the command line and in model ids.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Thunder => "thunder",
            ModelKind::Lightning => "lightning",
        }
    }

    /// File name inside the model folder.
    pub fn file_name(self) -> &'static str {
        match self {
            ModelKind::Thunder => "movenet_singlepose_thunder.onnx",
            ModelKind::Lightning => "movenet_singlepose_lightning.onnx",
        }
    }

    /// Side of the square model input, pixels.
    pub fn input_size(self) -> u32 {
        match self {
            ModelKind::Thunder => 256,
            ModelKind::Lightning => 192,
        }
    }

    /// The model's path in `model_dir`.
    pub fn path_in(self, model_dir: &Path) -> PathBuf {
        model_dir.join(self.file_name())
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown model `{s}` (expected thunder or lightning)"))
    }
}

/// The model file `file_name` from the first folder of the search path that holds it (see
/// [`super::install`]).
pub fn find_model_file(file_name: &str) -> Result<PathBuf, PoseError> {
    let search = model_search_path();
    search
        .find(file_name)
        .ok_or_else(|| PoseError::ModelNotFound {
            file: file_name.to_string(),
            searched: search.describe(),
        })
}

/// A model file as found on the search path: for `gonio --version` and the release check.
#[derive(Debug)]
pub struct InstalledModel {
    /// Short name: `thunder`, `lightning`, `multipose`.
    pub name: &'static str,
    /// Where it was found and its id (name and sha256), or why it was not.
    pub found: Result<(PathBuf, ModelId), PoseError>,
}

/// Every model gonio uses, each looked up on the search path and hashed (reads every file:
/// about 50 MB).
pub fn installed_models() -> Vec<InstalledModel> {
    let files = ModelKind::ALL
        .into_iter()
        .map(|kind| {
            (
                kind.name(),
                kind.file_name(),
                format!("movenet-{}", kind.name()),
            )
        })
        .chain([("multipose", MULTIPOSE_FILE, "movenet-multipose".to_string())]);
    files
        .map(|(name, file, id_name)| InstalledModel {
            name,
            found: find_model_file(file).and_then(|path| {
                let bytes = std::fs::read(&path).map_err(|e| PoseError::ModelLoad {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
                let id = ModelId::named(&id_name, &bytes);
                Ok((path, id))
            }),
        })
        .collect()
}

/// Identifies the exact model file behind a result: its name and the sha256 of its bytes, so
/// that results stay interpretable after a model changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ModelId {
    /// For example `movenet-thunder`.
    pub name: String,
    /// Lower-case hex sha256 of the ONNX file.
    pub sha256: String,
}

impl ModelId {
    /// Hashes the model bytes.
    pub fn of_bytes(kind: ModelKind, bytes: &[u8]) -> Self {
        Self::named(&format!("movenet-{}", kind.name()), bytes)
    }

    /// The id of a model file called `name` with these bytes.
    pub fn named(name: &str, bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        ModelId {
            name: name.to_string(),
            sha256,
        }
    }
}

impl fmt::Display for ModelId {
    /// `name@sha256:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@sha256:{}", self.name, self.sha256)
    }
}
