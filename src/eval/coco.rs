//! Reading COCO keypoint annotations.

use std::path::Path;

use serde::Deserialize;

use super::EvalError;
use crate::pose::{QuarterTurns, KEYPOINT_COUNT};

/// The parts of a COCO keypoints file that evaluation needs.
#[derive(Debug, Clone, Deserialize)]
pub struct CocoDataset {
    pub images: Vec<CocoImage>,
    pub annotations: Vec<CocoPerson>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CocoImage {
    pub id: u64,
    pub file_name: String,
}

/// One annotated person.
#[derive(Debug, Clone, Deserialize)]
pub struct CocoPerson {
    #[serde(default)]
    pub id: u64,
    pub image_id: u64,
    /// Box as left, top, width, height in frame pixels.
    pub bbox: [f32; 4],
    /// 17 x (x, y, v): pixels and visibility (0 not labelled, 1 labelled but hidden, 2 visible).
    pub keypoints: Vec<f32>,
    #[serde(default)]
    pub iscrowd: u8,
}

impl CocoPerson {
    /// The labelled position of keypoint `i` (frame pixels), None where not labelled.
    pub fn labelled(&self, i: usize) -> Option<(f32, f32)> {
        let v = *self.keypoints.get(3 * i + 2)?;
        (v > 0.0).then(|| (self.keypoints[3 * i], self.keypoints[3 * i + 1]))
    }

    /// The annotation of the same person in the photo turned clockwise by `turns` (the photo
    /// being `width` x `height` pixels before turning).
    pub fn rotated(&self, turns: QuarterTurns, width: f32, height: f32) -> CocoPerson {
        let turn = |x: f32, y: f32| match turns.get() {
            1 => (height - 1.0 - y, x),
            2 => (width - 1.0 - x, height - 1.0 - y),
            3 => (y, width - 1.0 - x),
            _ => (x, y),
        };
        let mut keypoints = self.keypoints.clone();
        for k in keypoints.chunks_exact_mut(3) {
            if k[2] > 0.0 {
                (k[0], k[1]) = turn(k[0], k[1]);
            }
        }
        let [x, y, w, h] = self.bbox;
        let (ax, ay) = turn(x, y);
        let (bx, by) = turn(x + w, y + h);
        CocoPerson {
            keypoints,
            bbox: [ax.min(bx), ay.min(by), (ax - bx).abs(), (ay - by).abs()],
            ..self.clone()
        }
    }

    fn labelled_count(&self) -> usize {
        (0..KEYPOINT_COUNT)
            .filter(|&i| self.labelled(i).is_some())
            .count()
    }
}

impl CocoDataset {
    /// Reads a COCO keypoints JSON file, keeping the people that can be evaluated: not a crowd
    /// region, 17 keypoints given, at least one labelled, and a box of positive size.
    pub fn load(path: &Path) -> Result<CocoDataset, EvalError> {
        let text = std::fs::read(path).map_err(|source| EvalError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut dataset: CocoDataset =
            serde_json::from_slice(&text).map_err(|e| EvalError::Format {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        dataset.annotations.retain(|p| {
            p.iscrowd == 0
                && p.keypoints.len() == 3 * KEYPOINT_COUNT
                && p.labelled_count() > 0
                && p.bbox[2] > 0.0
                && p.bbox[3] > 0.0
        });
        if dataset.annotations.is_empty() {
            return Err(EvalError::NoPeople {
                path: path.to_path_buf(),
            });
        }
        Ok(dataset)
    }

    /// The evaluable people annotated in one image.
    pub fn people_in(&self, image_id: u64) -> impl Iterator<Item = &CocoPerson> {
        self.annotations
            .iter()
            .filter(move |p| p.image_id == image_id)
    }

    /// Number of evaluable people.
    pub fn people_count(&self) -> usize {
        self.annotations.len()
    }
}
