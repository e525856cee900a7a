namespace Athanor.Estimation;

/// <summary>
/// Bytes one GPU needs for a plan (and, with --offload, the CPU memory each rank's optimizer partition needs).
/// Weights + gradients + optimizer are the ZeRO paper's "model states".
/// </summary>
public sealed record MemoryEstimate(
    ModelSpec Model,
    TrainingPlan Plan,
    long TrainedParameters,
    double WeightBytes,
    double GradientBytes,
    double OptimizerBytes,
    double ActivationBytes,
    double LogitsBytes,
    double CommBucketBytes,
    double GatherBytes,
    double HostBytesPerRank)
{
    public double ModelStateBytes => WeightBytes + GradientBytes + OptimizerBytes;
    public double BufferBytes => LogitsBytes + CommBucketBytes + GatherBytes;
    public double TotalBytes => ModelStateBytes + ActivationBytes + BufferBytes;
    public double HostBytesTotal => HostBytesPerRank * Plan.Gpus;

    public bool Fits(double gpuMemoryBytes) => TotalBytes <= gpuMemoryBytes;
}
