#!/usr/bin/env bash
# A Slurm job array that analyses a folder of videos with gonio, one shard per task, then a
# merge step. From the folder holding `videos/`:
#
#   mkdir -p results
#   SHARDS=16 SESSION=baseline sbatch --array=1-16 --export=ALL deploy/slurm-array.sh
#   # when all are done:
#   gonio import results/shard-*.sqlite --db results/all.sqlite
#   cat results/shard-*.jsonl > results/all.jsonl
#
# Every task is given the same inputs and takes every SHARDS-th video of the list sorted by
# path, so the tasks cover each video exactly once without talking to each other. A failed task
# is re-run alone with the same SHARDS and SESSION (`sbatch --array=5 ...`): it redoes only its
# shard, writing over its own outputs, and merging again repeats nothing.
#SBATCH --job-name=gonio
#SBATCH --cpus-per-task=2
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=slurm-gonio-%A_%a.log
set -euo pipefail

VIDEOS=${VIDEOS:-videos}            # folder of recordings (same path on every node)
PROTOCOL=${PROTOCOL:-slr}           # see `gonio protocols`
GONIO=${GONIO:-gonio}               # the unpacked release archive's gonio, or one on PATH
SHARDS=${SHARDS:?set SHARDS to the array size N, the same for every task and re-run}
SESSION=${SESSION:?set SESSION to one label for the whole batch, the same for every re-run}
K=${SLURM_ARRAY_TASK_ID:?run with sbatch --array=1-N}
# The database is written on the node's local disk (SQLite wants real file locks) and copied
# to the shared folder at the end.
local_db="${TMPDIR:-/tmp}/gonio-shard-$K.sqlite"
rm -f "$local_db"

mkdir -p results/out
rc=0
"$GONIO" analyze "$VIDEOS" --protocol "$PROTOCOL" --shard "$K/$SHARDS" \
    --jobs 1 --threads "${SLURM_CPUS_PER_TASK:-2}" \
    --out results/out --json-lines \
    --subject "${SUBJECT:-batch}" --session "$SESSION" --db "$local_db" \
    > "results/shard-$K.jsonl.partial" || rc=$?
# Exit 1: some inputs failed (their error lines are in the file), the others were measured.
if [ "$rc" -le 1 ]; then
    mv "results/shard-$K.jsonl.partial" "results/shard-$K.jsonl"
    if [ -f "$local_db" ]; then cp "$local_db" "results/shard-$K.sqlite"; fi
fi
exit "$rc"
