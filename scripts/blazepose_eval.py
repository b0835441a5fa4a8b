#!/usr/bin/env python3
"""BlazePose full on COCO-format photos, with the crops and metric of `gonio eval`.

The measurement behind the README's decision not to use BlazePose (issue 8). Each annotated
person of the photo, turned clockwise by ROTATE degrees (0, 90, 180, 270), is cropped square from
the ground-truth box x1.25; BlazePose's detector runs on that crop, its region (which turns with
the body) feeds the landmark model, and the 17 COCO keypoints are compared with the annotation:
PCK@0.2 torso lengths, per-person keypoint error over torso length, knee (hip-knee-ankle) and hip
(shoulder-hip-knee) angle errors in degrees.

Needs the reference pre/post-processing `pose_lib.py` and the converted models from the shared
model folder, and Python packages from PyPI:

    python3 -m venv /tmp/bp && /tmp/bp/bin/pip install onnxruntime==1.31.1 opencv-python-headless numpy
    /tmp/bp/bin/python scripts/blazepose_eval.py ANNOTATIONS.json IMAGE_DIR ROTATE [SHARED_MODELS_DIR]
"""
import json
import math
import sys

import cv2
import numpy as np

ann_path, img_dir, rot = sys.argv[1], sys.argv[2], int(sys.argv[3])
models = sys.argv[4] if len(sys.argv) > 4 else "../shared/models"
sys.path.insert(0, f"{models}/tools")
from pose_lib import (BP2COCO, apply_affine, blazepose_detect, blazepose_landmarks,  # noqa: E402
                      blazepose_roi, session, square_crop)

COCO_NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder",
              "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip",
              "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle"]

data = json.load(open(ann_path))
names = (data.get("categories") or [{}])[0].get("keypoints") or COCO_NAMES
slot = [COCO_NAMES.index(n) if n in COCO_NAMES else None for n in names]
detector = session(f"{models}/blazepose_detector_tfjs.onnx", 2)
landmarks = session(f"{models}/blazepose_landmark_full_tfjs.onnx", 2)


def turned(x, y, w, h):
    """Where (x, y) of a w x h photo lands once the photo is turned clockwise by `rot`."""
    return [(x, y), (h - 1 - y, x), (w - 1 - x, h - 1 - y), (y, w - 1 - x)][rot // 90]


def interior(a, b, c):
    v1, v2 = np.subtract(a, b), np.subtract(c, b)
    n = np.linalg.norm(v1) * np.linalg.norm(v2)
    return None if n == 0 else math.degrees(math.acos(np.clip(np.dot(v1, v2) / n, -1, 1)))


hits = labelled = 0
person_errors, knee_errors, hip_errors = [], [], []
for image in data["images"]:
    people = [a for a in data["annotations"] if a["image_id"] == image["id"]
              and not a.get("iscrowd") and any(v > 0 for v in a["keypoints"][2::3])]
    if not people:
        continue
    photo = cv2.cvtColor(cv2.imread(f"{img_dir}/{image['file_name']}"), cv2.COLOR_BGR2RGB)
    h, w = photo.shape[:2]
    photo = np.ascontiguousarray(np.rot90(photo, k=-(rot // 90)))
    for person in people:
        kp = person["keypoints"]
        truth = [None] * 17
        for i, s in enumerate(slot):
            if s is not None and kp[3 * i + 2] > 0:
                truth[s] = turned(kp[3 * i], kp[3 * i + 1], w, h)
        x, y, bw, bh = person["bbox"]
        (ax, ay), (bx, by) = turned(x, y, w, h), turned(x + bw, y + bh, w, h)
        side = max(abs(ax - bx), abs(ay - by)) * 1.25
        crop, crop_to_photo = square_crop(photo, (ax + bx) / 2, (ay + by) / 2, side, 224)
        _, _, detector_points = blazepose_detect(detector, crop)
        roi = blazepose_roi(apply_affine(crop_to_photo, detector_points))
        predicted = blazepose_landmarks(landmarks, photo, roi)[0][BP2COCO, :2]
        if all(truth[i] is not None for i in (5, 6, 11, 12)):
            torso = math.dist(np.mean([truth[5], truth[6]], 0), np.mean([truth[11], truth[12]], 0))
            if torso > 1:
                d = [math.dist(truth[i], predicted[i]) for i in range(17) if truth[i] is not None]
                labelled += len(d)
                hits += sum(x <= 0.2 * torso for x in d)
                person_errors.append(np.mean(d) / torso)
        for s, hp, k, a in [(5, 11, 13, 15), (6, 12, 14, 16)]:
            for joint, errors in [((hp, k, a), knee_errors), ((s, hp, k), hip_errors)]:
                if all(truth[i] is not None for i in joint):
                    t = interior(*(truth[i] for i in joint))
                    p = interior(*(predicted[i] for i in joint))
                    if t is not None and p is not None:
                        errors.append(abs(p - t))

print(json.dumps({
    "rotate_deg": rot,
    "pck": round(hits / labelled, 3),
    "error_median": round(float(np.median(person_errors)), 3),
    "knee_error_deg": {"median": round(float(np.median(knee_errors)), 2),
                       "mean": round(float(np.mean(knee_errors)), 2)},
    "hip_error_deg": {"median": round(float(np.median(hip_errors)), 2),
                      "mean": round(float(np.mean(hip_errors)), 2)},
}))
