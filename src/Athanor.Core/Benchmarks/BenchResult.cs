using System.Globalization;

namespace Athanor.Benchmarks;

/// <summary>
/// What a benchmark measured. PeakMemGib is device memory sampled above the CUDA context: with PeakSource
/// sampled-reserved (caching on) it is the reference's torch.cuda.max_memory_reserved, an upper bound of the tensors'
/// peak; with sampled-uncached (PYTORCH_NO_CUDA_MEMORY_CACHING=1) the tensors' peak rounded to the driver's pages,
/// near max_memory_allocated when tensors are large, above it when there are thousands of small ones; DeviceUsedGib is cudaMemGetInfo's "in use" (tensors, the caching allocator's
/// reserve and the CUDA context), the figure that decides whether a job fits.
/// </summary>
public sealed record BenchResult(double TokensPerSecond, double Mfu, double PeakMemGib, double StepMs, long Parameters, double Loss, string Preset, int World,
    BenchOptions Options, double DeviceUsedGib = double.NaN, string PeakSource = "none", double PlannerPeakGib = double.NaN)
{
    /// <summary>The reference benchmark's RESULT line format (its keys first), so one script reads both.</summary>
    public string ResultLine()
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"RESULT tokens_per_s_per_gpu={TokensPerSecond:F0} mfu={Mfu:F3} peak_mem_gib={PeakMemGib:F2} step_ms={StepMs:F1} world={World} preset={Preset} " +
            $"seq={Options.Seq} batch={Options.Batch} grad_ckpt={(Options.GradCkpt ? 1 : 0)} lora_rank={Options.LoraRank} device={Options.Device} " +
            $"fused={(Options.Fused ? 1 : 0)} chunked_loss={(Options.ChunkedLoss ? 1 : 0)} zero={Options.Zero} fp8={(Options.Fp8 ? 1 : 0)} peak_source={PeakSource}");
        if (!double.IsNaN(PlannerPeakGib)) line += string.Create(CultureInfo.InvariantCulture, $" planner_peak_gib={PlannerPeakGib:F2}");
        if (!double.IsNaN(DeviceUsedGib)) line += string.Create(CultureInfo.InvariantCulture, $" device_used_gib={DeviceUsedGib:F2}");
        return line;
    }
}
