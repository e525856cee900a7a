namespace Athanor.Estimation;

/// <summary>
/// Training speed from FLOPs: per token, 6 x params (full: forward 2, backward 4) or 4 x params (LoRA: the frozen
/// base skips its weight gradients) plus attention's 12 x layers x hidden x seq; with gradient checkpointing one more
/// forward (2 x params + 4 x layers x hidden x seq) is paid. A GPU delivers mfu x its bf16 peak.
/// </summary>
public sealed record ThroughputEstimate(GpuType Gpu, double FlopsPerToken, double TokensPerSecondPerGpu)
{
    public static double ModelFlopsPerToken(ModelSpec model, TrainingPlan plan)
    {
        var s = model.Shape;
        double attention = 12.0 * s.Layers * s.Hidden * plan.Sequence;
        double weights = (plan.TrainsAdapters ? 4.0 : 6.0) * model.Parameters;
        return weights + attention;
    }

    public static double RecomputeFlopsPerToken(ModelSpec model, TrainingPlan plan) =>
        plan.GradientCheckpointing ? 2.0 * model.Parameters + 4.0 * model.Shape.Layers * model.Shape.Hidden * plan.Sequence : 0;

    public static ThroughputEstimate For(ModelSpec model, TrainingPlan plan, GpuType gpu, double mfu)
    {
        if (!(mfu > 0 && mfu <= 1)) throw new PlannerInputException($"--mfu {mfu} is not accepted; accepted: a fraction in (0, 1], e.g. 0.35");
        double flops = ModelFlopsPerToken(model, plan) + RecomputeFlopsPerToken(model, plan);
        return new ThroughputEstimate(gpu, flops, mfu * gpu.PeakBf16Tflops * 1e12 / flops);
    }

    /// <summary>Hours for <paramref name="tokens"/> tokens on <paramref name="gpus"/> GPUs working in parallel.</summary>
    public double Hours(double tokens, int gpus) => tokens / (TokensPerSecondPerGpu * gpus) / 3600;

    public double Cost(double tokens, int gpus, double pricePerGpuHour) => Hours(tokens, gpus) * gpus * pricePerGpuHour;
}
