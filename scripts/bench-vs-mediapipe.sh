#!/usr/bin/env bash
# gonio against Google's MediaPipe Pose on the same video, on the same machine, in the same run.
#
#   scripts/bench-vs-mediapipe.sh [VIDEO] [ROUNDS]
#
# VIDEO (default: the included sample) is looped to 600 frames or more (`ffmpeg -stream_loop`,
# no re-encoding); every frame is analysed (`--max-fps 0`). MediaPipe Pose "full" (PyPI
# mediapipe==0.10.21, legacy `solutions.pose`, video mode, OpenCV decode) is installed into a
# throw-away virtual environment (target/bench-venv). The commands run alternately, ROUNDS times
# (default 4), as whole processes; the table gives median wall and CPU seconds and the throughput
# ratio against MediaPipe. The last row is gonio's default run (30 analysed frames/s), against
# the video's own duration (real time).
#
# Needs: ffmpeg, python3 with venv, a release build (built here when missing). Expect a few
# minutes per round on 2 cores; nothing else should run meanwhile.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
video="${1:-$root/datasets/sample/pose2sim-cam01.mp4}"
rounds="${2:-4}"
[ -f "$video" ] || { echo "bench: no video $video" >&2; exit 2; }
gonio="$root/target/release/gonio"
[ -x "$gonio" ] || (cd "$root" && cargo build --release --quiet)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
frames="$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$video")"
loops=$(( (600 + frames - 1) / frames - 1 ))
looped="$work/looped.mp4"
ffmpeg -v error -stream_loop "$loops" -i "$video" -c copy -an "$looped"
duration="$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$looped")"
total="$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$looped")"

venv="$root/target/bench-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import mediapipe, cv2' 2>/dev/null; then
  echo "bench: installing mediapipe==0.10.21 into $venv (once)" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check mediapipe==0.10.21
fi
cat >"$work/mediapipe_pose.py" <<'PY'
import sys
import cv2
import mediapipe as mp

capture = cv2.VideoCapture(sys.argv[1])
frames = found = 0
with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        frames += 1
        result = pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        found += result.pose_landmarks is not None
print(f"mediapipe: {frames} frames, a person in {found}", file=sys.stderr)
PY

names=("mediapipe" "thunder" "thunder-single" "lightning" "lightning-single" "thunder-30fps")
run() {
  local analyze=("$gonio" analyze "$looped" --protocol hip-extension)
  case "$1" in
    mediapipe) "$venv/bin/python" "$work/mediapipe_pose.py" "$looped" ;;
    thunder) "${analyze[@]}" --max-fps 0 ;;
    thunder-single) "${analyze[@]}" --max-fps 0 --single-person ;;
    lightning) "${analyze[@]}" --max-fps 0 --model lightning ;;
    lightning-single) "${analyze[@]}" --max-fps 0 --model lightning --single-person ;;
    thunder-30fps) "${analyze[@]}" ;;
  esac
}
times="$work/times.txt"
for round in $(seq 1 "$rounds"); do
  for name in "${names[@]}"; do
    /usr/bin/time -f "$name %e %U %S" -a -o "$times" bash -c "$(declare -f run); $(declare -p gonio looped venv work); run $name" \
      >/dev/null 2>"$work/$name.log" || { echo "bench: $name failed:" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
  done
  echo "bench: round $round of $rounds done" >&2
done

python3 - "$times" "$duration" "$total" "$rounds" <<'PY'
import statistics, sys
path, duration, frames, rounds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
runs = {}
for line in open(path):
    name, wall, user, system = line.split()
    runs.setdefault(name, []).append((float(wall), float(user) + float(system)))
median = {n: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for n, r in runs.items()}
base_wall, base_cpu = median["mediapipe"]
print(f"{frames} frames ({duration:.1f} s of video), medians of {rounds} alternating rounds")
print(f"| run | wall s | CPU s | frames/s | throughput vs MediaPipe | CPU vs MediaPipe |")
print(f"|---|---|---|---|---|---|")
for name, (wall, cpu) in median.items():
    if name == "thunder-30fps":
        continue
    print(f"| {name} | {wall:.1f} | {cpu:.1f} | {frames / wall:.0f} | {base_wall / wall:.2f}x | {cpu / base_cpu:.2f}x |")
wall, cpu = median["thunder-30fps"]
print(f"| thunder, default 30 analysed frames/s | {wall:.1f} | {cpu:.1f} | | {duration / wall:.2f}x real time | |")
PY
