#!/usr/bin/env bash
# Copies the pose models and the ONNX Runtime library of this build into gonio's data folder
# ($XDG_DATA_HOME/gonio, else ~/.local/share/gonio), where an installed gonio finds them from
# any folder: after `cargo install --path .`, the source folder can then move or go.
#
# Usage: scripts/install-data.sh [GONIO]   (GONIO: the installed binary; default: gonio on PATH)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
gonio=${1:-gonio}
command -v "$gonio" >/dev/null || { echo "install-data.sh: $gonio not found (give its path)" >&2; exit 2; }
data="${XDG_DATA_HOME:-$HOME/.local/share}/gonio"
runtime=$(env -u ORT_DYLIB_PATH "$gonio" --version | sed -n 's/^onnxruntime [^ ]* //p' || true)
[ -f "$runtime" ] || { echo "install-data.sh: $gonio finds no ONNX Runtime to copy" >&2; exit 2; }

mkdir -p "$data/models" "$data/lib"
cp "$root"/models/*.onnx "$root/models/SHA256SUMS" "$data/models/"
(cd "$data/models" && sha256sum --check --quiet SHA256SUMS)
if [ "$(dirname "$runtime")" != "$data/lib" ]; then
    cp "$runtime" "$data/lib/"
    for provider in "$(dirname "$runtime")"/libonnxruntime_providers_*.so; do
        if [ -f "$provider" ]; then cp "$provider" "$data/lib/"; fi
    done
fi
echo "models and ONNX Runtime copied into $data; check with: $gonio --version"
