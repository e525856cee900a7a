#!/usr/bin/env bash
# Several top2 runs (bench/gpu/top2.sh) in one GPU call, each with fresh node processes, its own environment and its
# own job flags, so variants of one job are compared on the same machine. Each variant's logs go to $OUT/NAME/; the
# results of all land in $OUT/results.txt and the per-step rows in $OUT/NAME.metrics.jsonl.
#
#   VARIANTS='13b-mb4||llama2_13b_full_zero3|--set max_steps=10 --set per_device_train_batch_size=4 --set zero3_overlap_reduce=false' \
#     C=cluster-binary OUT=dir bash bench/gpu/top2-variants.sh          # one variant per line: name|env|job|flags
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${C:?the cluster binary}" "${OUT:?a folder for logs}" "${VARIANTS:?variants, one per line: name|env|job|flags}"
while IFS='|' read -r name env job flags; do
  [ -z "$name" ] && continue
  mkdir -p "$OUT/$name"
  echo "#### $name: env [$env] job $job flags [$flags]" | tee -a "$OUT/results.txt"
  # shellcheck disable=SC2086 # env and flags are lists
  env TOP_RESUME="${TOP_RESUME:-none}" $env C="$C" OUT="$OUT/$name" TOP_JOBS="$job" EXTRA="--set max_restarts=1 $flags" bash bench/gpu/top2.sh
  cat "$OUT/$name/results.txt" >> "$OUT/results.txt"
  [ -f "$OUT/$name/top-$job.metrics.jsonl" ] && cp "$OUT/$name/top-$job.metrics.jsonl" "$OUT/$name.metrics.jsonl"
done <<< "$VARIANTS"
