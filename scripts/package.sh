#!/usr/bin/env bash
# Builds a self-contained gonio archive for Linux x86_64: the binary, ONNX Runtime, the pose
# models, a sample video, the licences of everything bundled and a short README. Unpacked
# anywhere, it runs from any folder on a Debian machine with only ffmpeg installed (for videos).
#
# Usage: scripts/package.sh [--binary PATH] [--out DIR]
#   --binary PATH  package this gonio binary (default: build one with `cargo build --release`)
#   --out DIR      where the archive goes (default: dist/)
# Prints the archive's path. The runtime packaged is the one the binary was built with (the CPU
# build, or with `--features cuda` the GPU build and its CUDA provider libraries).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=""
out="$root/dist"
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        --out) out=${2:?--out needs a folder}; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "package.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -z "$binary" ]; then
    (cd "$root" && cargo build --release --locked) >&2
    binary="$root/target/release/gonio"
fi
[ -x "$binary" ] || { echo "package.sh: $binary: not an executable" >&2; exit 2; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# Ask the binary which runtime it loads, with the data folder and overrides out of the way, so
# the runtime packaged is the one it was built with.
mkdir -p "$stage/empty-home"
runtime=$(env -u ORT_DYLIB_PATH -u GONIO_MODEL_DIR HOME="$stage/empty-home" \
    XDG_DATA_HOME="$stage/empty-home" "$binary" --version |
    sed -n 's/^onnxruntime [^ ]* //p' || true)
[ -f "$runtime" ] || { echo "package.sh: the binary finds no ONNX Runtime to package" >&2; exit 2; }
version=$("$binary" -V | cut -d' ' -f2)
name="gonio-$version-linux-x86_64"
dest="$stage/$name"
mkdir -p "$dest/lib" "$dest/models" "$dest/licenses" "$dest/sample"

cp "$binary" "$dest/gonio"
if command -v strip >/dev/null; then strip "$dest/gonio"; fi
cp "$runtime" "$dest/lib/"
# The GPU build's CUDA provider libraries live beside the runtime; ONNX Runtime loads them
# from its own folder.
for provider in "$(dirname "$runtime")"/libonnxruntime_providers_*.so; do
    if [ -f "$provider" ]; then cp "$provider" "$dest/lib/"; fi
done

cp "$root"/models/*.onnx "$root/models/SHA256SUMS" "$dest/models/"
(cd "$dest/models" && sha256sum --check --quiet SHA256SUMS) ||
    { echo "package.sh: the model files do not match models/SHA256SUMS" >&2; exit 2; }

cp "$root/LICENSE" "$dest/licenses/gonio-LICENSE"
cp "$root/models/README.md" "$dest/licenses/models-README.md"
mkdir -p "$dest/licenses/onnxruntime"
cp "$root"/licenses/onnxruntime/* "$dest/licenses/onnxruntime/"
cp "$root/assets/fonts/LICENSE_DEJAVU" "$dest/licenses/dejavu-fonts-LICENSE"
python3 "$root/scripts/crate-licenses.py" "$dest/licenses/rust-crates" >&2
cp "$root/datasets/sample/pose2sim-cam01.mp4" "$root/datasets/sample/LICENSE.pose2sim" \
    "$dest/sample/"

cat > "$dest/README.txt" <<EOF
gonio $version for Linux x86_64: measure joint range of motion from a camera.

Run it from this folder or anywhere else (it finds lib/ and models/ beside itself); videos need
ffmpeg (Debian: sudo apt-get install ffmpeg):

  ./gonio --version                  where the runtime and models it uses are
  ./gonio analyze sample/pose2sim-cam01.mp4 --protocol hip-extension --out out/
  ./gonio protocols                  the stretch protocols and their instructions
  ./gonio --help

Put it on the PATH with a link (it follows the link to find its files):
  sudo ln -s "\$PWD/gonio" /usr/local/bin/gonio

Contents: gonio (the program), lib/ (ONNX Runtime $(basename "$runtime")), models/ (MoveNet
pose models, Apache-2.0; provenance in licenses/models-README.md), sample/ (a test video,
licence beside it), licenses/ (gonio's Apache-2.0 licence, ONNX Runtime's MIT licence and
third-party notices, the fonts' licence, and every Rust crate's licence in rust-crates/).
Full documentation: the README.md of the gonio source.
EOF

mkdir -p "$out"
archive="$(cd "$out" && pwd)/$name.tar.gz"
tar -czf "$archive.partial" -C "$stage" "$name"
mv "$archive.partial" "$archive"
(cd "$(dirname "$archive")" && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")
echo "$archive"
