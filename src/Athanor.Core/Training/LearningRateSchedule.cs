using Athanor.Configuration;

namespace Athanor.Training;

/// <summary>
/// The learning rate at an optimizer step, as Hugging Face's schedulers compute it: linear warmup from 0,
/// then linear decay to 0, half-cosine to 0, or constant. Plain "constant" ignores warmup, as HF's does.
/// </summary>
public sealed record LearningRateSchedule(double PeakLr, int TotalSteps, int WarmupSteps, LrSchedulerType Kind)
{
    /// <summary>Warmup steps from the config: explicit steps win over the ratio (ceil(ratio * total), as HF).</summary>
    public static int ResolveWarmup(int warmupSteps, double warmupRatio, int totalSteps) =>
        warmupSteps > 0 ? warmupSteps : (int)Math.Ceiling(warmupRatio * totalSteps);

    /// <summary>Learning rate used for the update of 0-based step <paramref name="step"/>.</summary>
    public double At(int step)
    {
        if (Kind == LrSchedulerType.Constant) return PeakLr;
        if (step < WarmupSteps) return PeakLr * step / Math.Max(1, WarmupSteps);
        if (Kind == LrSchedulerType.ConstantWithWarmup) return PeakLr;
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Kind switch
        {
            LrSchedulerType.Linear => PeakLr * Math.Max(0.0, 1.0 - progress),
            _ => PeakLr * Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress))),
        };
    }
}
