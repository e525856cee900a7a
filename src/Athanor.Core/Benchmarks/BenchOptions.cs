namespace Athanor.Benchmarks;

/// <summary>
/// One benchmark run. The defaults are the reference's (shared/reference/torch_llama_bench.py): 1b preset,
/// seq 2048, batch 4, 20 timed steps after 5 warm-up steps, dense bf16 peak of an H100/H200 for MFU.
/// Fused and ChunkedLoss switch Athanor's own speed-ups off for A/B runs. World ranks (one per GPU, or threads
/// on the CPU) train data-parallel with ZeRO stage Zero, each on its own micro-batch of Batch sequences.
/// Zero3Prefetch, Zero3OverlapReduce and GradBucketMb (null: no bucketed reduction) are the job keys of the same
/// names, for comparison runs. Fp8 is the job key fp8 (issue 25: the decoder's projections in float8; GPUs of compute
/// capability 8.9 or newer).
/// </summary>
public sealed record BenchOptions(string Preset = "1b", string Device = "cpu", int Seq = 2048, int Batch = 4, int Steps = 20, int Warmup = 5,
    int LoraRank = 0, double PeakTflops = 989.0, bool GradCkpt = false, bool Fused = true, bool ChunkedLoss = true,
    int World = 1, int Zero = 0, bool Zero3Prefetch = true, bool Zero3OverlapReduce = true, double? GradBucketMb = null,
    bool Fp8 = false);
