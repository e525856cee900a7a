using Athanor.Benchmarks;

namespace Athanor.Estimation;

/// <summary>
/// The planner's peak for a `cluster bench` configuration (any world size and ZeRO stage), so the benchmark can print
/// it beside the measured peak. LoRA as the benchmark applies it: all 7 projections of every layer, dropout 0.
/// </summary>
public static class BenchmarkPrediction
{
    public static MemoryEstimate Estimate(string preset, int batch, int sequence, int loraRank, bool gradientCheckpointing, int gpus = 1, int zeroStage = 0)
    {
        var config = BenchPresets.Config(preset);
        var model = new ModelSpec(preset, $"bench preset {preset}", ModelShape.FromConfig(config), config.ParameterCount(), ShapeInferred: false);
        var plan = new TrainingPlan
        {
            Method = loraRank > 0 ? FineTuningMethod.Lora : FineTuningMethod.Full,
            LoraRank = loraRank > 0 ? loraRank : 8,
            Gpus = gpus,
            ZeroStage = zeroStage,
            Batch = batch,
            Sequence = sequence,
            GradientCheckpointing = gradientCheckpointing,
        };
        return MemoryEstimator.Estimate(model, plan);
    }

    /// <summary>Predicted peak bytes above the device's use before the model existed (what the benchmark samples).</summary>
    public static double PredictPeakBytes(string preset, int batch, int sequence, int loraRank, bool gradientCheckpointing, int gpus = 1, int zeroStage = 0) =>
        Estimate(preset, batch, sequence, loraRank, gradientCheckpointing, gpus, zeroStage).TotalBytes;
}
