#!/usr/bin/env bash
# A Slurm job array that analyses a folder of videos with gonio, one shard per task, then a
# merge step. Submit from the folder holding the videos:
#
#   sbatch --array=1-16 deploy/slurm-array.sh            # 16 tasks, each 1/16 of the videos
#   # when all are done:
#   gonio import results/shard-*.sqlite --db results/all.sqlite
#   cat results/shard-*.jsonl > results/all.jsonl
#
# Every task is given the same inputs and takes every 16th video of the list sorted by path,
# so the tasks cover each video exactly once without talking to each other. Re-running a task
# (a node failed) redoes only its shard; merging twice repeats nothing.
#SBATCH --job-name=gonio
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=results/slurm-%A_%a.log
set -euo pipefail

VIDEOS=${VIDEOS:-videos}            # folder of recordings (same path on every node)
PROTOCOL=${PROTOCOL:-slr}           # see `gonio protocols`
GONIO=${GONIO:-gonio}               # the unpacked release archive's gonio, or one on PATH
K=${SLURM_ARRAY_TASK_ID:?run with sbatch --array=1-N}
N=${SLURM_ARRAY_TASK_COUNT:?run with sbatch --array=1-N}

mkdir -p results/out
"$GONIO" analyze "$VIDEOS" --protocol "$PROTOCOL" --shard "$K/$N" \
    --jobs 1 --threads "${SLURM_CPUS_PER_TASK:-2}" \
    --out results/out --json-lines \
    --subject "${SUBJECT:-batch}" --session "${SESSION:-job-$SLURM_ARRAY_JOB_ID}" \
    --db "results/shard-$K.sqlite" \
    > "results/shard-$K.jsonl.partial"
mv "results/shard-$K.jsonl.partial" "results/shard-$K.jsonl"
