#!/usr/bin/env python3
"""Raw NCCL all-reduce bus bandwidth through torch.distributed (PyTorch's own NCCL), the reference for the
bandwidth `cluster doctor --selftest` reports for Athanor's binding (nccl.bandwidth): the same 1 GiB bf16
buffer, 3 warm-up and 10 timed calls, CUDA events around each call, busbw = bytes / time * 2(W-1)/W.

  torchrun --nproc-per-node 2 bench/gpu/nccl_allreduce.py
"""
import os
import torch
import torch.distributed as dist

rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
dev = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
torch.cuda.set_device(dev)
dist.init_process_group("nccl", device_id=dev)
nbytes = 1 << 30
t = torch.ones(nbytes // 2, dtype=torch.bfloat16, device=dev)
for _ in range(3):
    dist.all_reduce(t)
torch.cuda.synchronize()
times = []
for _ in range(10):
    t.fill_(1)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    dist.all_reduce(t)
    end.record()
    end.synchronize()
    times.append(start.elapsed_time(end))
mean, best = sum(times) / len(times), min(times)
bus = lambda ms: nbytes / (ms / 1000) * 2 * (world - 1) / world / 1e9
print(f"RESULT raw_nccl_allreduce rank={rank} world={world} mean_ms={mean:.2f} busbw_gbs={bus(mean):.0f} best_ms={best:.2f} best_busbw_gbs={bus(best):.0f}")
dist.destroy_process_group()
