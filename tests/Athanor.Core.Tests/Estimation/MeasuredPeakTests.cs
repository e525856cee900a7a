using Athanor.Estimation;
using Xunit.Abstractions;

namespace Athanor.Tests.Estimation;

/// <summary>
/// The planner against the peaks measured on one H200 (bench/RESULTS.md, "Peak memory" and "The planner against
/// these peaks": `cluster bench` with PYTORCH_NO_CUDA_MEMORY_CACHING=1, device memory sampled, minus the use before the
/// model existed). Issue #5 asks for 10%.
/// </summary>
public class MeasuredPeakTests(ITestOutputHelper output)
{
    private const double GiB = 1L << 30;

    [Theory]
    // 1b preset, full fine-tuning, batch 4, seq 2048: 24.12 GiB at 61d442c (after the optimizer's setup-copy leak was fixed).
    [InlineData("1b", 4, 0, false, 24.12, PeakPhase.Loss)]
    // The same with activation checkpointing: 17.12 GiB at 61d442c.
    [InlineData("1b", 4, 0, true, 17.12, PeakPhase.BackwardLastLayer)]
    // 8b preset, LoRA r16 on all projections, checkpointing, batch 2: 22.07 GiB at 6782b82.
    [InlineData("8b", 2, 16, true, 22.07, PeakPhase.BackwardLastLayer)]
    public void PredictionIsWithinTenPercentOfTheMeasuredPeak(string preset, int batch, int loraRank, bool ckpt, double measuredGiB, PeakPhase phase)
    {
        var e = BenchmarkPrediction.Estimate(preset, batch, 2048, loraRank, ckpt);
        double measured = measuredGiB * GiB;
        double error = (e.TotalBytes - measured) / measured;
        output.WriteLine($"{preset} batch {batch} lora {loraRank} ckpt {ckpt}: planner {e.TotalBytes / 1e9:F2} GB ({e.TotalBytes / GiB:F2} GiB), " +
            $"measured {measured / 1e9:F2} GB, error {error:P1}, peak {e.Phase}; " +
            string.Join(", ", e.Phases.Select(p => $"{p.Phase} {e.TotalAt(p.Phase) / 1e9:F2}")));
        Assert.InRange(error, -0.10, 0.10);
        Assert.Equal(phase, e.Phase);
        Assert.Equal(e.TotalBytes, BenchmarkPrediction.PredictPeakBytes(preset, batch, 2048, loraRank, ckpt));
    }
}
