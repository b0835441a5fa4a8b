#!/usr/bin/env bash
# Reproduces datasets/sample/ from the PyPI wheels pose2sim and sports2d (both BSD-3-Clause).
# Needs python3 with pip, unzip and ffmpeg. Usage: bash datasets/fetch.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$W" pose2sim==0.10.49 sports2d==0.8.34
unzip -q -o "$W"/pose2sim-0.10.49-*.whl 'Pose2Sim/Demo_SinglePerson/videos/cam01.mp4' \
  'pose2sim-0.10.49.dist-info/licenses/LICENSE' -d "$W/p2s"
unzip -q -o "$W"/sports2d-0.8.34-*.whl 'Sports2D/Demo/demo.mp4' \
  'sports2d-0.8.34.dist-info/licenses/LICENSE' -d "$W/s2d"
OUT="$HERE/sample"
mkdir -p "$OUT"
cp "$W/p2s/Pose2Sim/Demo_SinglePerson/videos/cam01.mp4" "$OUT/pose2sim-cam01.mp4"
cp "$W/p2s/pose2sim-0.10.49.dist-info/licenses/LICENSE" "$OUT/LICENSE.pose2sim"
cp "$W/s2d/sports2d-0.8.34.dist-info/licenses/LICENSE" "$OUT/LICENSE.sports2d"
# Two frames of the leg swing (frame 20: leg forward, frame 60: leg back) and the first frame of the
# outdoor demo (a small figure on a box in a wide frame).
ffmpeg -v error -y -i "$OUT/pose2sim-cam01.mp4" -vf "select='eq(n\,20)'" -vsync 0 -q:v 3 "$OUT/pose2sim-frame020.jpg"
ffmpeg -v error -y -i "$OUT/pose2sim-cam01.mp4" -vf "select='eq(n\,60)'" -vsync 0 -q:v 3 "$OUT/pose2sim-frame060.jpg"
ffmpeg -v error -y -i "$W/s2d/Sports2D/Demo/demo.mp4" -vf "select='eq(n\,0)'" -vsync 0 -q:v 3 "$OUT/sports2d-frame000.jpg"
ls -l "$OUT"
