#!/usr/bin/env bash
# Issue 11 as a user runs it: two `cluster node` processes (one per GPU) and the examples' job files submitted to
# them, so each run goes through the coordinator, the GPU workers and NCCL. A job named in TOP_RESUME also gets a
# resumed twin: a copy of its output folder without the last checkpoint, submitted again, which resumes from the
# checkpoint before and must log the same losses.
#
#   C=cluster-binary OUT=dir bash bench/gpu/top2.sh                     # from bench/gpu/run.sh top2
#   C=... OUT=... DEVICES="cpu:1 cpu:1" EXTRA="--set device=cpu --set bf16=false --set model_name_or_path=bench/gpu/tiny-shape --set cutoff_len=128" \
#     bash bench/gpu/top2.sh                                            # the same flow on CPU ranks, at tiny scale
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${C:?the cluster binary}" "${OUT:?a folder for logs}"
read -ra devices <<< "${DEVICES:-cuda:0 cuda:1}"
jobs=${TOP_JOBS:-llama65b_lora_zero3 llama2_13b_full_zero3}
resume=${TOP_RESUME:-llama65b_lora_zero3}
W=${TOP_WORK:-/tmp/athanor-top}
rm -rf "$W" && mkdir -p "$W/out" && openssl rand -hex 16 > "$W/token"
common=(--token-file "$W/token" --data-root "$PWD" --output-root "$W/out" --journal "sqlite:$W/journal.db")
"$C" node --devices "${devices[0]}" --port 4053 --seed 127.0.0.1:4053 --grpc-port 50051 --http-port 9464 --data-dir "$W/n0" "${common[@]}" > "$OUT/top-node0.log" 2>&1 & n0=$!
sleep 5
"$C" node --devices "${devices[1]}" --port 4054 --seed 127.0.0.1:4053 --grpc-port 50052 --http-port 9465 --roles worker --data-dir "$W/n1" "${common[@]}" > "$OUT/top-node1.log" 2>&1 & n1=$!
sleep 8
export ATHANOR_TOKEN=$(cat "$W/token")

submit() { # job file, output dir (also the job's name)
  local job=$1 dir=$2 started=$SECONDS
  echo "== $dir (2 nodes, one device each)" | tee -a "$OUT/results.txt"
  # shellcheck disable=SC2086 # EXTRA is a list of flags
  timeout "${TOP_TIMEOUT:-900}" "$C" submit "examples/$job.yaml" --server 127.0.0.1:50051 --set "output_dir=$dir" --name "$dir" ${EXTRA:-} --follow > "$OUT/top-$dir.log" 2>&1
  echo "exit $? after $((SECONDS - started)) s" | tee -a "$OUT/results.txt"
  grep -E "memory plan|ZeRO-3|resum|checkpoint at|attempt|state|error" "$OUT/top-$dir.log" | tail -n 8 | tee -a "$OUT/results.txt"
  grep -E "step +[0-9]+/" "$OUT/top-$dir.log" | sed -n '1p;$p' | tee -a "$OUT/results.txt"
  [ -f "$W/out/$dir/metrics.jsonl" ] && cp "$W/out/$dir/metrics.jsonl" "$OUT/top-$dir.metrics.jsonl"
  for port in 9464 9465; do # where each rank's step time went: the phase histograms' sums and counts, cumulative per node process
    curl -s "127.0.0.1:$port/metrics" | grep -E "^athanor_train_(phase|step)_duration_seconds_(sum|count)" | sed -E "s/otel_scope_name=\"[^\"]*\",otel_scope_version=\"[^\"]*\",//; s/^/node:$port /" | tee -a "$OUT/results.txt"
  done
}

for job in $jobs; do
  submit "$job" "$job"
  if [[ " $resume " == *" $job "* ]]; then
    last=$(ls -d "$W/out/$job"/checkpoint-* 2>/dev/null | sort -t- -k2 -n | tail -n 1)
    if [ -n "$last" ]; then
      cp -r "$W/out/$job" "$W/out/$job-resumed" && rm -rf "$W/out/$job-resumed/$(basename "$last")"
      submit "$job" "$job-resumed"
    fi
  fi
done
kill -TERM $n1 $n0; wait $n1 $n0
