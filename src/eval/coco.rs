//! Reading COCO keypoint annotations.

use std::path::Path;

use serde::Deserialize;

use super::EvalError;
use super::{point_in_turned_image, PhotoTurn};
use crate::pose::{KEYPOINT_COUNT, KEYPOINT_NAMES};

/// The parts of a COCO keypoints file that evaluation needs.
#[derive(Debug, Clone, Deserialize)]
pub struct CocoDataset {
    pub images: Vec<CocoImage>,
    /// People, their keypoints in COCO-17 order once loaded.
    pub annotations: Vec<CocoPerson>,
    #[serde(default)]
    categories: Vec<CocoCategory>,
}

/// The person category, whose keypoint names give the order of each annotation's keypoints.
#[derive(Debug, Clone, Deserialize)]
struct CocoCategory {
    #[serde(default)]
    keypoints: Vec<String>,
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
    /// A crowd region rather than one person (COCO writes 0/1, PoseTrack false/true).
    #[serde(default, deserialize_with = "flag")]
    pub iscrowd: bool,
}

/// A flag written as a boolean or as the number 0/1.
fn flag<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Number(u64),
    }
    Ok(match Flag::deserialize(deserializer)? {
        Flag::Bool(b) => b,
        Flag::Number(n) => n != 0,
    })
}

impl CocoPerson {
    /// The labelled position of keypoint `i` (frame pixels), None where not labelled.
    pub fn labelled(&self, i: usize) -> Option<(f32, f32)> {
        let v = *self.keypoints.get(3 * i + 2)?;
        (v > 0.0).then(|| (self.keypoints[3 * i], self.keypoints[3 * i + 1]))
    }

    /// The annotation of the same person in the photo turned clockwise by `turn` with
    /// [`turn_image`](super::turn_image) (the photo being `width` x `height` pixels before
    /// turning). The box turns about its centre and keeps its size (sides swapped when the turn
    /// is nearer a quarter than a half turn), so the crop around a person keeps its scale.
    pub fn turned(&self, turn: PhotoTurn, width: u32, height: u32) -> CocoPerson {
        let to_turned = |x: f32, y: f32| point_in_turned_image(turn, width, height, x, y);
        let mut keypoints = self.keypoints.clone();
        for k in keypoints.chunks_exact_mut(3) {
            if k[2] > 0.0 {
                (k[0], k[1]) = to_turned(k[0], k[1]);
            }
        }
        let [x, y, w, h] = self.bbox;
        let (cx, cy) = to_turned(x + w / 2.0, y + h / 2.0);
        let sideways = ((turn.get() + 45.0) / 90.0).floor() as i32 % 2 == 1;
        let (w, h) = if sideways { (h, w) } else { (w, h) };
        CocoPerson {
            keypoints,
            bbox: [cx - w / 2.0, cy - h / 2.0, w, h],
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
        let format_error = |detail: String| EvalError::Format {
            path: path.to_path_buf(),
            detail,
        };
        let names: Vec<String> = match dataset.categories.first() {
            Some(category) if !category.keypoints.is_empty() => category.keypoints.clone(),
            _ => KEYPOINT_NAMES.iter().map(|n| n.to_string()).collect(),
        };
        let slot_of_name: Vec<Option<usize>> = names
            .iter()
            .map(|name| {
                // "Right Shoulder" (AI Challenger), "Right-knee" (MPII style): COCO's parts under
                // other spellings.
                let name = name.trim().to_lowercase().replace([' ', '-'], "_");
                KEYPOINT_NAMES.iter().position(|k| *k == name)
            })
            .collect();
        if slot_of_name.iter().all(Option::is_none) {
            return Err(format_error(format!(
                "no COCO keypoint among the category's names {names:?}"
            )));
        }
        for person in &mut dataset.annotations {
            if person.keypoints.len() == 3 * names.len() {
                person.keypoints = in_coco_order(&person.keypoints, &slot_of_name);
            }
        }
        dataset.annotations.retain(|p| {
            !p.iscrowd
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

/// Keypoints given in the file's order (x, y, v per name), rearranged into COCO-17 order;
/// `slot_of_name[i]` is the COCO slot of the file's i-th name. Parts not given are unlabelled.
fn in_coco_order(keypoints: &[f32], slot_of_name: &[Option<usize>]) -> Vec<f32> {
    let mut coco = vec![0.0; 3 * KEYPOINT_COUNT];
    for (xyv, slot) in keypoints.chunks_exact(3).zip(slot_of_name) {
        if let Some(slot) = slot {
            coco[3 * slot..3 * slot + 3].copy_from_slice(xyv);
        }
    }
    coco
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypoints_are_matched_to_coco_parts_by_name() {
        let file = tempfile::NamedTempFile::new().unwrap();
        // PoseTrack order: head_bottom and head_top where COCO has the eyes.
        let mut names = KEYPOINT_NAMES;
        names[1] = "head_bottom";
        names[2] = "head_top";
        let keypoints: Vec<f32> = (0..17)
            .flat_map(|i| [i as f32, 100.0 + i as f32, 1.0])
            .collect();
        let json = serde_json::json!({
            "images": [{"id": 1, "file_name": "a.jpg"}],
            "annotations": [{"id": 7, "image_id": 1, "bbox": [0, 0, 10, 10], "keypoints": keypoints}],
            "categories": [{"keypoints": names}],
        });
        std::fs::write(file.path(), json.to_string()).unwrap();
        let person = &CocoDataset::load(file.path()).unwrap().annotations[0];
        assert_eq!(person.labelled(0), Some((0.0, 100.0)));
        assert_eq!(person.labelled(1), None, "head_bottom is no eye");
        assert_eq!(person.labelled(2), None);
        assert_eq!(person.labelled(5), Some((5.0, 105.0)));
        assert_eq!(person.labelled(16), Some((16.0, 116.0)));
    }

    #[test]
    fn other_spellings_of_coco_parts_are_read() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let json = serde_json::json!({
            "images": [{"id": 1, "file_name": "a.jpg"}],
            "annotations": [{"id": 7, "image_id": 1, "bbox": [0, 0, 10, 10],
                             "keypoints": [1, 2, 2, 3, 4, 2, 5, 6, 2]}],
            "categories": [{"keypoints": ["Right Shoulder", "Left-knee", "Head top"]}],
        });
        std::fs::write(file.path(), json.to_string()).unwrap();
        let person = &CocoDataset::load(file.path()).unwrap().annotations[0];
        assert_eq!(person.labelled(6), Some((1.0, 2.0)));
        assert_eq!(person.labelled(13), Some((3.0, 4.0)));
        assert_eq!(person.labelled(0), None);
    }
}
