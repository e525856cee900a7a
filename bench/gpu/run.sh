#!/bin/bash
# On the GPU host, from a copy of the repository with bench/pack/ (made by bench/gpu/pack.sh) beside it:
#   bash bench/gpu/run.sh [memcheck] [selftest] [bench] [bench-variants] [lora8b] [ckpt] [memory] [train] [node]   (default: all)
#   memcheck (first, and in every GPU session's first call): memory against the planner and the reference, fails beyond 15%
#   bash bench/gpu/run.sh [scale-n] [kill] [13b-n]   (issue 10, on 4 or 8 GPUs: SCALE_PRESETS, SCALE_STAGES, SCALE_WORLDS narrow it)
#   bash bench/gpu/run.sh [before-after]   (issue 21: the build before the redesign against this one, same GPU)
#   bash bench/gpu/run.sh [kill1]   (one GPU: a node running the job is killed and the job moves to another node on the same GPU)
#   bash bench/gpu/run.sh [fp8]   (issue 25, one H100/H200: fp8 self-test, 1b and 8b-LoRA bf16 against fp8, a 500-step curve pair)
#   bash bench/gpu/run.sh [nccl] [dp2] [quick2] [prefetch] [zero3-keep] [overlap] [scale] [dp2-7b] [dp2-memory] [train2] [top2] [top2-variants]   (2 GPUs; not in the default)
# Runs `cluster doctor --selftest`, then Athanor's benchmark and the PyTorch reference back to back on the
# same GPU, then a bf16 training job end to end with an interrupted-and-resumed twin. Logs go to $OUT (or
# bench/out) and every RESULT line to $OUT/results.txt.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-bench/out}; mkdir -p "$OUT"
what=${*:-memcheck selftest bench bench-variants lora8b ckpt memory train node}
PY=${PYTHON:-/opt/torch/.venv/bin/python3}
export ATHANOR_LIBTORCH=${ATHANOR_LIBTORCH:-$($PY -c 'import torch, os; print(os.path.dirname(torch.__file__) + "/lib")')}
NCCL_LIB=$($PY -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__) + "/lib")' 2>/dev/null || true)
export LD_LIBRARY_PATH=$ATHANOR_LIBTORCH${NCCL_LIB:+:$NCCL_LIB}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
rm -rf /tmp/athanor && mkdir -p /tmp/athanor && tar -xJf bench/pack/cluster.tar.xz -C /tmp/athanor
C=/tmp/athanor/cluster/cluster
REF="$PY bench/pack/torch_llama_bench.py"
TORCHRUN="$PY -m torch.distributed.run --standalone --nproc-per-node"
echo "commit $(cat bench/pack/COMMIT 2>/dev/null) on $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)" | tee "$OUT/machine.txt"

pair() { # name, athanor flags, reference flags: both on the same GPU, one after the other
  local name=$1 ours=$2 theirs=$3
  echo "== $name" | tee -a "$OUT/results.txt"
  $C bench $ours > "$OUT/$name.athanor.log" 2>&1; grep RESULT "$OUT/$name.athanor.log" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
  $REF $theirs > "$OUT/$name.torch.log" 2>&1; grep RESULT "$OUT/$name.torch.log" | sed 's/^/reference /' | tee -a "$OUT/results.txt"
}
for w in $what; do case $w in
  memcheck) $PY bench/gpu/memcheck.py "$C" bench/pack/torch_llama_bench.py "$OUT" 2>&1 | tee "$OUT/memcheck.txt"; [ "${PIPESTATUS[0]}" = 0 ] || echo "MEMORY CHECK FAILED (see $OUT/memcheck.txt)" | tee -a "$OUT/results.txt" ;;
  selftest) $C doctor --selftest 2>&1 | tee "$OUT/selftest.log" ;;
  bench) pair 1b-full "--preset 1b --device cuda" "--preset 1b" ;;
  bench-variants)
    for v in "--no-fused" "--no-chunked-loss" "--no-fused --no-chunked-loss"; do
      echo "== 1b-full $v" | tee -a "$OUT/results.txt"
      $C bench --preset 1b --device cuda $v 2>&1 | grep RESULT | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done ;;
  lora8b) pair 8b-lora16-ckpt "--preset 8b --device cuda --lora-rank 16 --grad-ckpt --batch 2" "--preset 8b --lora-rank 16 --grad-ckpt --batch 2" ;;
  ckpt) # what activation checkpointing costs and saves on the 1b preset (time: cached run; memory: uncached, sampled)
    echo "== 1b-full --grad-ckpt" | tee -a "$OUT/results.txt"
    $C bench --preset 1b --device cuda --grad-ckpt 2>&1 | grep RESULT | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    for c in "" "--grad-ckpt"; do
      echo "== 1b memory $c (PYTORCH_NO_CUDA_MEMORY_CACHING=1)" | tee -a "$OUT/results.txt"
      PYTORCH_NO_CUDA_MEMORY_CACHING=1 $C bench --preset 1b --device cuda $c --steps 2 --warmup 1 2>&1 | grep RESULT | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done ;;
  nccl) # NCCL bus bandwidth: Athanor's binding (doctor's nccl.bandwidth check) against torch.distributed's NCCL
    echo "== nccl all-reduce 1 GiB bf16" | tee -a "$OUT/results.txt"
    $C doctor --selftest 2>&1 | grep -E "nccl\\.(bandwidth|collectives|abort)" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    $TORCHRUN 2 bench/gpu/nccl_allreduce.py 2>&1 | grep RESULT | sed 's/^/reference /' | tee -a "$OUT/results.txt" ;;
  dp2) # data parallelism on 2 GPUs against FSDP2 (and 1 GPU of each for scaling efficiency), same call
    pair 1b-1gpu "--preset 1b --device cuda" "--preset 1b"
    for z in 3 2 1 0; do
      echo "== 1b world 2 zero $z" | tee -a "$OUT/results.txt"
      $C bench --preset 1b --device cuda --world 2 --zero $z > "$OUT/1b-w2-z$z.log" 2>&1; grep RESULT "$OUT/1b-w2-z$z.log" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done
    echo "== 1b world 2 fsdp2 (reference)" | tee -a "$OUT/results.txt"
    $TORCHRUN 2 bench/pack/torch_llama_bench.py --preset 1b --dp fsdp > "$OUT/1b-w2-fsdp.torch.log" 2>&1; grep RESULT "$OUT/1b-w2-fsdp.torch.log" | sed 's/^/reference /' | tee -a "$OUT/results.txt" ;;
  scale) # scaling efficiency: one GPU (both sides) and ZeRO-2 on two, back to back on a warm machine
    pair 1b-1gpu "--preset 1b --device cuda" "--preset 1b"
    echo "== 1b world 2 zero 2" | tee -a "$OUT/results.txt"
    $C bench --preset 1b --device cuda --world 2 --zero 2 2>&1 | grep RESULT | sed 's/^/athanor   /' | tee -a "$OUT/results.txt" ;;
  quick2) # the short 2-GPU comparison: ZeRO-3 and ZeRO-2 against FSDP2, then one GPU of each
    for z in 3 2; do
      echo "== 1b world 2 zero $z" | tee -a "$OUT/results.txt"
      $C bench --preset 1b --device cuda --world 2 --zero $z --steps 15 --warmup 3 2>&1 | grep -E "RESULT|rror" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done
    echo "== 1b world 2 fsdp2 (reference)" | tee -a "$OUT/results.txt"
    $TORCHRUN 2 bench/pack/torch_llama_bench.py --preset 1b --dp fsdp --steps 15 --warmup 3 2>&1 | grep RESULT | sed 's/^/reference /' | tee -a "$OUT/results.txt"
    pair 1b-1gpu "--preset 1b --device cuda --steps 15 --warmup 3" "--preset 1b --steps 15 --warmup 3" ;;
  prefetch) # ZeRO-3 with the next layer's all-gather overlapped (side stream) and without, against FSDP2, same call
    for pf in "" "--no-zero3-prefetch"; do
      echo "== 1b world 2 zero 3 ${pf:-(prefetch on)}" | tee -a "$OUT/results.txt"
      timeout 120 $C bench --preset 1b --device cuda --world 2 --zero 3 --steps 15 --warmup 3 $pf 2>&1 | grep -E "RESULT|rror" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done
    echo "== 1b world 2 fsdp2 (reference)" | tee -a "$OUT/results.txt"
    timeout 120 $TORCHRUN 2 bench/pack/torch_llama_bench.py --preset 1b --dp fsdp --steps 15 --warmup 3 2>&1 | grep RESULT | sed 's/^/reference /' | tee -a "$OUT/results.txt" ;;
  scale-n) # scaling over every GPU count up to the machine's: ZeRO-2/3 against FSDP2 at each world size, same call
    gpus=$(nvidia-smi -L | wc -l)
    for preset in ${SCALE_PRESETS:-1b 8b}; do for zero in ${SCALE_STAGES:-2 3}; do for w in ${SCALE_WORLDS:-1 2 4 8}; do
      [ "$w" -le "$gpus" ] || continue
      echo "== $preset world $w zero $zero" | tee -a "$OUT/results.txt"
      if [ "$w" -eq 1 ]; then flags="--preset $preset --device cuda"; else flags="--preset $preset --device cuda --world $w --zero $zero"; fi
      timeout 240 $C bench $flags --steps 10 --warmup 3 2>&1 | grep -E "RESULT|rror" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
      if [ "$zero" = 3 ] || [ "$w" -eq 1 ]; then # the reference once per world size
        echo "== $preset world $w fsdp2 (reference)" | tee -a "$OUT/results.txt"
        if [ "$w" -eq 1 ]; then timeout 240 $REF --preset "$preset" --steps 10 --warmup 3 2>&1 | grep RESULT | sed 's/^/reference /' | tee -a "$OUT/results.txt"
        else timeout 240 $TORCHRUN "$w" bench/pack/torch_llama_bench.py --preset "$preset" --dp fsdp --steps 10 --warmup 3 2>&1 | grep RESULT | sed 's/^/reference /' | tee -a "$OUT/results.txt"; fi
      fi
    done; done; done ;;
  kill) # issue 10: nodes of 2 GPUs each on this host (x4: 2 nodes, x8: 4), one killed mid-run; recovery time and steps lost
    gpus=$(nvidia-smi -L | wc -l)
    C=$C OUT=$OUT NODES=$((gpus / 2)) PER=2 JOB=examples/qwen3_0.6b_gpu.yaml KILL_AT=${KILL_AT:-25} SAVE_STEPS=10 \
      EXTRA="--set max_steps=${KILL_STEPS:-80} --set per_device_train_batch_size=4 --set gradient_accumulation_steps=6" bash bench/gpu/kill.sh
    rm -f "$OUT"/kill-node*.log ;;
  kill1) # one GPU: node 0 coordinates, nodes 1 and 2 both offer cuda:0; the node running the job is killed mid-run
    C=$C OUT=$OUT NODES=3 PER=1 DEVICES=cuda:0 WORLD=1 ROLES0=coordinator JOB=examples/qwen3_0.6b_gpu.yaml KILL_AT=${KILL_AT:-25} SAVE_STEPS=10 \
      EXTRA="--set max_steps=${KILL_STEPS:-60} --set per_device_train_batch_size=4 --set gradient_accumulation_steps=6" bash bench/gpu/kill.sh
    tar -czf "$OUT/kill1-logs.tgz" -C "$OUT" $(cd "$OUT" && ls kill-node*.log) && rm -f "$OUT"/kill-node*.log ;;
  13b-n) # issue 10: the 13B-class full fine-tune with ZeRO-3 over every GPU of the machine, 50 steps, planner beside it
    gpus=$(nvidia-smi -L | wc -l); rm -rf runs/13b-n
    $C estimate --model examples/gpu/llama-2-13b-shape --method full --zero 3 --gpus "$gpus" --seq 2048 --batch 4 --grad-ckpt 2>&1 | tail -n 12 | tee -a "$OUT/results.txt"
    timeout 560 $C train examples/llama2_13b_full_zero3.yaml --world "$gpus" --set world_size="$gpus" --set max_steps=50 --set save_steps=50 \
      --set output_dir=runs/13b-n > "$OUT/13b-n.log" 2>&1; echo "exit $?" | tee -a "$OUT/results.txt"
    grep -E "memory plan|step +(1|25|50)/|error" "$OUT/13b-n.log" | tee -a "$OUT/results.txt"
    cp runs/13b-n/metrics.jsonl "$OUT/13b-n.metrics.jsonl" 2>/dev/null; rm -rf runs/13b-n ;;
  zero3-keep) # ZeRO-3 keeping activations (FSDP's way, the default without checkpointing) against recomputing every layer, and FSDP2
    for ck in "" "--grad-ckpt"; do
      echo "== 1b world 2 zero 3 ${ck:-(activations kept)}" | tee -a "$OUT/results.txt"
      timeout 120 $C bench --preset 1b --device cuda --world 2 --zero 3 $ck --steps 15 --warmup 3 2>&1 | grep -E "RESULT|rror" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done
    echo "== 1b world 2 fsdp2 (reference)" | tee -a "$OUT/results.txt"
    timeout 120 $TORCHRUN 2 bench/pack/torch_llama_bench.py --preset 1b --dp fsdp --steps 15 --warmup 3 2>&1 | grep RESULT | sed 's/^/reference /' | tee -a "$OUT/results.txt" ;;
  overlap) # ZeRO 1-2 with gradient buckets reduced during backward (side stream) and without, against FSDP2, same call
    $C doctor --selftest 2>&1 | grep -E "nccl|FAIL" | tee -a "$OUT/results.txt"
    for zero in 2 1; do for ov in "--grad-bucket-mb 100" ""; do
      echo "== 1b world 2 zero $zero ${ov:-(no overlapped reduction)}" | tee -a "$OUT/results.txt"
      timeout 120 $C bench --preset 1b --device cuda --world 2 --zero $zero --grad-ckpt --steps 15 --warmup 3 $ov 2>&1 | grep -E "RESULT|rror|buckets" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done; done
    echo "== 1b world 2 fsdp2 (reference)" | tee -a "$OUT/results.txt"
    timeout 120 $TORCHRUN 2 bench/pack/torch_llama_bench.py --preset 1b --dp fsdp --steps 15 --warmup 3 2>&1 | grep RESULT | sed 's/^/reference /' | tee -a "$OUT/results.txt" ;;
  dp2-7b) # a 7B full fine-tune with ZeRO-3 over 2 GPUs against FSDP2 with checkpointing (ZeRO-3 recomputes each layer)
    echo "== 7b world 2 zero 3 batch 2" | tee -a "$OUT/results.txt"
    $C bench --preset 7b --device cuda --world 2 --zero 3 --batch 2 --steps 10 --warmup 3 > "$OUT/7b-w2-z3.log" 2>&1; grep -E "RESULT|rror" "$OUT/7b-w2-z3.log" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    # The reference's --grad-ckpt fails under fully_shard (torch.utils.checkpoint: recomputed metadata differ), so it runs without.
    echo "== 7b world 2 fsdp2 batch 2 (reference)" | tee -a "$OUT/results.txt"
    $TORCHRUN 2 bench/pack/torch_llama_bench.py --preset 7b --dp fsdp --batch 2 --steps 10 --warmup 3 > "$OUT/7b-w2-fsdp.torch.log" 2>&1; grep RESULT "$OUT/7b-w2-fsdp.torch.log" | sed 's/^/reference /' | tee -a "$OUT/results.txt" ;;
  dp2-memory) # per-GPU peaks (caching off, sampled) next to the planner's prediction
    IFS=';' read -ra cases <<< "${MEMORY_CASES:---preset 1b;--preset 1b --grad-ckpt;--preset 1b --world 2 --zero 2;--preset 1b --world 2 --zero 3;--preset 7b --world 2 --zero 3 --batch 2}"
    for c in "${cases[@]}"; do
      echo "== memory $c (PYTORCH_NO_CUDA_MEMORY_CACHING=1)" | tee -a "$OUT/results.txt"
      PYTORCH_NO_CUDA_MEMORY_CACHING=1 timeout 150 $C bench $c --device cuda --steps 2 --warmup 1 2>&1 | grep -E "RESULT|rror" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done ;;
  train2) # the trainer on 2 GPUs through the embedded cluster (RankRunner + NCCL) with ZeRO-3, then resumed on 1 GPU at ZeRO-0
    rm -rf runs/gpu-w2
    timeout 200 $C train examples/qwen3_0.6b_gpu.yaml --world 2 --zero 3 --set output_dir=runs/gpu-w2 --set max_steps=${TRAIN_STEPS:-60} --set save_steps=$(( ${TRAIN_STEPS:-60} / 2 )) > "$OUT/train-w2.log" 2>&1
    cp runs/gpu-w2/metrics.jsonl "$OUT/train-w2z3.metrics.jsonl"; ls runs/gpu-w2 > "$OUT/train-w2-outputs.txt"
    rm -rf runs/gpu-w2/checkpoint-${TRAIN_STEPS:-60}
    timeout 150 $C train examples/qwen3_0.6b_gpu.yaml --world 1 --zero 0 --set output_dir=runs/gpu-w2 --set max_steps=${TRAIN_STEPS:-60} --set save_steps=$(( ${TRAIN_STEPS:-60} / 2 )) --set resume_from_checkpoint=auto > "$OUT/train-w2-resumed-w1.log" 2>&1
    cp runs/gpu-w2/metrics.jsonl "$OUT/train-resumed-w1z0.metrics.jsonl"
    for f in "$OUT"/train-w2*.log; do tail -n 6 "$f"; done ;;
  node) # a real `cluster node --devices cuda` and a job submitted to it over gRPC: the GPU worker path of a cluster
    rm -rf /tmp/athanor-node && mkdir -p /tmp/athanor-node/out && openssl rand -hex 16 > /tmp/athanor-node/token
    $C node --devices cuda --data-dir /tmp/athanor-node/state --token-file /tmp/athanor-node/token --data-root "$PWD" \
      --output-root /tmp/athanor-node/out --grpc-port 50051 > "$OUT/node.log" 2>&1 &
    node_pid=$!; sleep 6
    export ATHANOR_TOKEN=$(cat /tmp/athanor-node/token)
    $C submit examples/qwen3_0.6b_gpu.yaml --server 127.0.0.1:50051 --set max_steps=40 --set output_dir=qwen3-node --name gpu-node --follow > "$OUT/submit.log" 2>&1
    $C nodes --server 127.0.0.1:50051 >> "$OUT/submit.log" 2>&1
    kill -TERM $node_pid; wait $node_pid
    tail -n 12 "$OUT/submit.log" ;;
  top2-variants) # variants of the top-end jobs, each in fresh node processes (VARIANTS: name|env|job|flags per line)
    C=$C OUT=$OUT bash bench/gpu/top2-variants.sh ;;
  top2) # issue 11: a 65B LoRA and a 13B full fine-tune, ZeRO-3 over 2 GPUs, submitted to two `cluster node` processes (one per GPU)
    C=$C OUT=$OUT bash bench/gpu/top2.sh ;;
  before-after) # issue 21: the build before the redesign (bench/pack/before.tar.xz from bench/gpu/pack-before.sh, its changed
    # files over this build's) and this build, alternating on the same GPU, then the reference once per case
    rm -rf /tmp/athanor-before && mkdir -p /tmp/athanor-before && cp -a /tmp/athanor/cluster /tmp/athanor-before/ && tar -xJf bench/pack/before.tar.xz -C /tmp/athanor-before
    echo "before: commit $(cat bench/pack/BEFORE_COMMIT 2>/dev/null)" | tee -a "$OUT/results.txt"
    for p in "1b-full|--preset 1b --device cuda --steps 15 --warmup 3|--preset 1b --steps 15 --warmup 3" \
             "8b-lora16-ckpt-b2|--preset 8b --device cuda --lora-rank 16 --grad-ckpt --batch 2 --steps 8 --warmup 2|--preset 8b --lora-rank 16 --grad-ckpt --batch 2 --steps 8 --warmup 2"; do
      IFS='|' read -r name ours theirs <<< "$p"
      for round in $(seq 1 "${BA_ROUNDS:-2}"); do for build in before after; do
        exe=$C; [ $build = before ] && exe=/tmp/athanor-before/cluster/cluster
        echo "== $name $build (round $round)" | tee -a "$OUT/results.txt"
        timeout 240 $exe bench $ours > "$OUT/ba-$name-$build-$round.log" 2>&1; grep -E "RESULT|rror" "$OUT/ba-$name-$build-$round.log" | tail -2 | sed "s/^/$build    /" | tee -a "$OUT/results.txt"
      done; done
      echo "== $name reference" | tee -a "$OUT/results.txt"
      timeout 240 $REF $theirs 2>&1 | grep RESULT | sed 's/^/reference /' | tee -a "$OUT/results.txt"
    done ;;
  memory) # peak memory as max_memory_allocated measures it: caching off, device memory sampled (see docs/benchmarks.md)
    for p in "1b:--preset 1b" "8b-lora16-ckpt:--preset 8b --lora-rank 16 --grad-ckpt --batch 2"; do
      echo "== ${p%%:*} memory (PYTORCH_NO_CUDA_MEMORY_CACHING=1)" | tee -a "$OUT/results.txt"
      PYTORCH_NO_CUDA_MEMORY_CACHING=1 $C bench ${p#*:} --device cuda --steps 2 --warmup 1 2>&1 | grep RESULT | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
    done ;;
  fp8) # issue 25: the fp8 checks, then bf16 against fp8 on the same GPU, then a 500-step loss-curve pair (FP8_STEPS)
    $C doctor --selftest 2>&1 | grep -E "^(fp8|PASS fp8|SKIP fp8|FAIL fp8)" | sed 's/^/selftest  /' | tee -a "$OUT/results.txt"
    for p in "1b-full:--preset 1b" "8b-lora16-ckpt:--preset 8b --lora-rank 16 --grad-ckpt --batch 2"; do
      for mode in "" "--fp8"; do
        echo "== ${p%%:*} ${mode:-bf16}" | tee -a "$OUT/results.txt"
        timeout 300 $C bench ${p#*:} --device cuda $mode > "$OUT/${p%%:*}${mode}.log" 2>&1
        grep -E "RESULT|rror" "$OUT/${p%%:*}${mode}.log" | sed 's/^/athanor   /' | tee -a "$OUT/results.txt"
      done
    done
    steps=${FP8_STEPS:-500}
    for mode in bf16 fp8; do
      rm -rf runs/fp8-curve-$mode
      timeout 900 $C train examples/qwen3_0.6b_gpu.yaml --set output_dir=runs/fp8-curve-$mode --set max_steps=$steps --set save_steps=$steps \
        --set logging_steps=10 --set fp8=$([ $mode = fp8 ] && echo true || echo false) > "$OUT/fp8-curve-$mode.log" 2>&1
      cp runs/fp8-curve-$mode/metrics.jsonl "$OUT/fp8-curve-$mode.metrics.jsonl" 2>/dev/null
    done
    $PY - "$OUT" <<'PYEOF' | tee -a "$OUT/results.txt"
import json, sys
out = sys.argv[1]
def losses(mode):
    try: rows = [json.loads(l) for l in open(f"{out}/fp8-curve-{mode}.metrics.jsonl")]
    except OSError: return {}
    return {r["step"]: r["loss"] for r in rows if "loss" in r}
b, f = losses("bf16"), losses("fp8")
steps = sorted(set(b) & set(f))
after = [s for s in steps if s > 50]  # after warmup
worst = max(((abs(f[s] - b[s]) / b[s], s) for s in after), default=(float("nan"), 0))
print(f"RESULT fp8_curve steps={len(steps)} max_rel_diff_after_warmup={worst[0]:.4f} at_step={worst[1]} bar=0.015")
PYEOF
    ;;
  train) # learns, checkpoints, and a resumed copy (last checkpoint removed) continues the same curve
    rm -rf runs/gpu-straight runs/gpu-resumed
    $C train examples/qwen3_0.6b_gpu.yaml --set output_dir=runs/gpu-straight --set max_steps=120 > "$OUT/train-straight.log" 2>&1
    cp -r runs/gpu-straight runs/gpu-resumed && rm -rf runs/gpu-resumed/checkpoint-120
    $C train examples/qwen3_0.6b_gpu.yaml --set output_dir=runs/gpu-resumed --set max_steps=120 --set resume_from_checkpoint=auto > "$OUT/train-resumed.log" 2>&1
    cp runs/gpu-straight/metrics.jsonl "$OUT/train-straight.metrics.jsonl"; cp runs/gpu-resumed/metrics.jsonl "$OUT/train-resumed.metrics.jsonl"
    ls runs/gpu-straight > "$OUT/train-outputs.txt"
    for f in "$OUT"/train-*.log; do tail -n 4 "$f"; done ;;
esac; done
