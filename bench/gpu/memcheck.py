#!/usr/bin/env python3
"""Memory regression check: run it first in every GPU session (bench/gpu/run.sh does, by default).

For the 1b full fine-tune and the 8b LoRA r16 + activation checkpointing presets at micro-batch 1 and 2, on this GPU:
  - Athanor's benchmark with caching on: tokens/s and the most device memory the caching allocator held, sampled
    above the CUDA context (peak_source=sampled-reserved: torch.cuda.max_memory_reserved's figure),
  - Athanor's benchmark with libtorch's caching off and device memory sampled (peak_source=sampled-uncached: each
    tensor its own cudaMalloc, so the tensors' peak, rounded up to the driver's pages; close to
    max_memory_allocated when tensors are large, above it when there are thousands of small ones, as LoRA has),
  - the PyTorch reference (bench/reference/torch_llama_bench.py) at the same shapes: tokens/s,
    max_memory_allocated and max_memory_reserved.
Reserved bounds allocated from above, so Athanor's reserved peak is compared with the reference's reserved and
allocated peaks and with the planner (which predicts allocated bytes). It prints a markdown table and fails (exit
1, a line starting with MEMORY REGRESSION) when a run crashes, when the planner is more than 15% away from
Athanor's reserved peak, or when that peak is more than 15% above the reference's reserved peak.

  python3 bench/gpu/memcheck.py CLUSTER_EXECUTABLE REFERENCE_SCRIPT [OUT_DIR]
"""
import json, os, re, subprocess, sys

LIMIT = 0.15
CASES = [
    ("8b LoRA r16 + ckpt", "--preset 8b --lora-rank 16 --grad-ckpt", "--preset 8b --lora-rank 16 --grad-ckpt"),
    ("1b full", "--preset 1b", "--preset 1b"),
]
BATCHES = [2, 1]
# Timed steps after warm-up ones, for the cached runs and the reference (MEMCHECK_STEPS="10 3" by default).
STEPS, WARMUP = (int(v) for v in os.environ.get("MEMCHECK_STEPS", "10 3").split())


def result(cmd, env=None, log=None, timeout=240):
    """Runs a command; returns (exit code, fields of its last RESULT line or {}, tail of its output)."""
    try:
        p = subprocess.run(cmd, shell=True, capture_output=True, text=True, env=env, timeout=timeout)
        out, code = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        out, code = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), 124
    if log:
        with open(log, "w") as f:
            f.write(out)
    lines = [l for l in out.splitlines() if l.startswith("RESULT ")]
    fields = dict(kv.split("=", 1) for kv in lines[-1][len("RESULT "):].split()) if lines else {}
    return code, fields, "\n".join(out.splitlines()[-8:])


def main():
    cluster, reference = sys.argv[1], sys.argv[2]
    out_dir = sys.argv[3] if len(sys.argv) > 3 else "bench/out"
    os.makedirs(out_dir, exist_ok=True)
    python = os.environ.get("PYTHON", sys.executable)
    rows, failures = [], []
    # MEMCHECK_ONLY="8b:2,1b:1" narrows the run to those preset:batch pairs (a short GPU call).
    only = {tuple(p.split(":")) for p in os.environ.get("MEMCHECK_ONLY", "").split(",") if p}
    for name, ours, theirs in CASES:
        for batch in BATCHES:
            if only and (ours.split()[1], str(batch)) not in only:
                continue
            tag = f"{name.split()[0]}-{'lora' if 'LoRA' in name else 'full'}-b{batch}"
            cached = result(f"{cluster} bench {ours} --device cuda --batch {batch} --steps {STEPS} --warmup {WARMUP}", log=f"{out_dir}/memcheck-{tag}.athanor.log")
            env = dict(os.environ, PYTORCH_NO_CUDA_MEMORY_CACHING="1")
            sampled = result(f"{cluster} bench {ours} --device cuda --batch {batch} --steps 2 --warmup 1", env=env, log=f"{out_dir}/memcheck-{tag}.athanor-uncached.log")
            ref = result(f"{python} {reference} {theirs} --batch {batch} --steps {STEPS} --warmup {WARMUP}", log=f"{out_dir}/memcheck-{tag}.torch.log")
            row = {"case": f"{name}, batch {batch}"}
            for label, (code, fields, tail) in (("athanor", cached), ("athanor uncached", sampled), ("reference", ref)):
                if code != 0 or not fields:
                    failures.append(f"{row['case']}: {label} run failed (exit {code}): {tail}")
            row["tokens_s"] = float(cached[1].get("tokens_per_s_per_gpu", "nan"))
            row["device_used_gib"] = float(cached[1].get("device_used_gib", "nan"))
            row["reserved_gib"] = float(cached[1].get("peak_mem_gib", "nan")) if cached[1].get("peak_source") == "sampled-reserved" else float("nan")
            row["uncached_gib"] = float(sampled[1].get("peak_mem_gib", "nan"))
            row["planner_gib"] = float(sampled[1].get("planner_peak_gib", "nan"))
            row["ref_tokens_s"] = float(ref[1].get("tokens_per_s_per_gpu", "nan"))
            row["ref_peak_gib"] = float(ref[1].get("peak_mem_gib", "nan"))
            row["ref_reserved_gib"] = float(ref[1].get("peak_reserved_gib", "nan"))
            reserved, planner, ref_reserved = row["reserved_gib"], row["planner_gib"], row["ref_reserved_gib"]
            if reserved == reserved and planner == planner and abs(planner - reserved) > LIMIT * reserved:
                failures.append(f"{row['case']}: planner {planner:.2f} GiB is {100 * (planner - reserved) / reserved:+.0f}% from the reserved peak {reserved:.2f} GiB")
            if reserved == reserved and ref_reserved == ref_reserved and reserved > (1 + LIMIT) * ref_reserved:
                failures.append(f"{row['case']}: reserved peak {reserved:.2f} GiB is {100 * (reserved / ref_reserved - 1):+.0f}% above the reference's {ref_reserved:.2f} GiB")
            rows.append(row)
            print(json.dumps(row), flush=True)

    print("\n| case | Athanor tokens/s | reference tokens/s | ratio | Athanor reserved peak GiB | reference reserved GiB | vs reference | reference allocated GiB | planner GiB | planner vs Athanor | Athanor uncached peak GiB | Athanor in use GiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    pct = lambda a, b: f"{100 * (a / b - 1):+.0f}%" if a == a and b == b and b else "n/a"
    for r in rows:
        ratio = r["tokens_s"] / r["ref_tokens_s"] if r["ref_tokens_s"] else float("nan")
        print(f"| {r['case']} | {r['tokens_s']:,.0f} | {r['ref_tokens_s']:,.0f} | {ratio:.2f} | {r['reserved_gib']:.2f} | {r['ref_reserved_gib']:.2f} | "
              f"{pct(r['reserved_gib'], r['ref_reserved_gib'])} | {r['ref_peak_gib']:.2f} | {r['planner_gib']:.2f} | {pct(r['planner_gib'], r['reserved_gib'])} | "
              f"{r['uncached_gib']:.2f} | {r['device_used_gib']:.2f} |")
    with open(f"{out_dir}/memcheck.json", "w") as f:
        json.dump({"rows": rows, "failures": failures}, f, indent=1)
    for line in failures:
        print("MEMORY REGRESSION " + line)
    print("memory check: " + ("FAILED" if failures else f"passed ({len(rows)} cases within {LIMIT:.0%})"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
