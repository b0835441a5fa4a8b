#!/usr/bin/env python3
"""Makes two more development sets readable by `gonio eval`, for the per-pose-type figures.

- Human3.6M (mmpose's `h36m/h36m_coco.json`): its "foot" joint is the ankle, and its photos lie
  in one folder per action; written as `OUT/h36m/h36m.json` with the photos linked beside it.
- MPI-INF-3DHP (mmpose's `mpi_inf_3dhp/test_3dhp_*.npz`: people sitting on the floor, bent over,
  crouching): 2D joints in its own order, box from the npz's centre and scale; written as
  `OUT/mpi_inf_3dhp/mpi_inf_3dhp.json` with the photos linked beside it.

Usage: scripts/extra-devsets.py ../shared/data/dev/mmpose OUT   (needs numpy for the npz files)
"""

import json
import sys
from pathlib import Path

# mmpose's 17 MPI-INF-3DHP joints, in the npz's order.
MPI_INF_3DHP = [
    "head_top", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
    "left_elbow", "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip",
    "left_knee", "left_ankle", "root", "spine", "head",
]


def link(photo: Path, folder: Path) -> None:
    target = folder / photo.name
    if not target.exists():
        target.symlink_to(photo.resolve())


def h36m(mmpose: Path, out: Path) -> None:
    folder = out / "h36m"
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads((mmpose / "h36m/h36m_coco.json").read_text())
    names = data["categories"][0]["keypoints"]
    data["categories"][0]["keypoints"] = [n.replace("_foot", "_ankle") for n in names]
    (folder / "h36m.json").write_text(json.dumps(data))
    for photo in (mmpose / "h36m").glob("S*/*/*.jpg"):
        link(photo, folder)


def mpi_inf_3dhp(mmpose: Path, out: Path) -> None:
    import numpy as np

    folder = out / "mpi_inf_3dhp"
    folder.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for split in ("test", "train"):
        data = np.load(mmpose / f"mpi_inf_3dhp/test_3dhp_{split}.npz")
        for name, centre, scale, part in zip(
            data["imgname"], data["center"], data["scale"], data["part"]
        ):
            image_id = len(images) + 1
            images.append({"id": image_id, "file_name": str(name)})
            # mmpose's scale is the box side over 200 pixels, padded by a quarter.
            side = float(scale) * 200.0 / 1.25
            keypoints = []
            for x, y, v in part:
                keypoints += [float(x), float(y), 2 if v > 0 else 0]
            annotations.append({
                "id": image_id, "image_id": image_id, "category_id": 1, "iscrowd": 0,
                "bbox": [float(centre[0]) - side / 2, float(centre[1]) - side / 2, side, side],
                "keypoints": keypoints,
            })
            link(mmpose / "mpi_inf_3dhp" / str(name), folder)
    coco = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person", "keypoints": MPI_INF_3DHP}],
    }
    (folder / "mpi_inf_3dhp.json").write_text(json.dumps(coco))


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    mmpose, out = Path(sys.argv[1]), Path(sys.argv[2])
    h36m(mmpose, out)
    mpi_inf_3dhp(mmpose, out)
    print(f"written under {out}: h36m/h36m.json, mpi_inf_3dhp/mpi_inf_3dhp.json", file=sys.stderr)


if __name__ == "__main__":
    main()
