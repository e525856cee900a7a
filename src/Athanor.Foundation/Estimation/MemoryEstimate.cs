namespace Athanor.Estimation;

/// <summary>
/// Bytes one GPU needs for a plan at the peak of a training step (and, with --offload, the CPU memory each rank's
/// optimizer partition needs). Weights + gradients + optimizer are the ZeRO paper's "model states"; what Athanor
/// allocates beyond them (flat buffers, replicated parts) is <see cref="OptimizerBufferBytes"/>; activations and
/// working memory are those of the peak <see cref="Phase"/>, the largest of <see cref="Phases"/>.
/// </summary>
public sealed record MemoryEstimate(
    ModelSpec Model,
    TrainingPlan Plan,
    long TrainedParameters,
    double WeightBytes,
    double GradientBytes,
    double OptimizerBytes,
    double OptimizerBufferBytes,
    double GatherBytes,
    double WorkspaceBytes,
    IReadOnlyList<PhaseBytes> Phases,
    double HostBytesPerRank)
{
    /// <summary>The phase with the most bytes in use.</summary>
    public PhaseBytes Peak => Phases.MaxBy(p => p.ActivationBytes + p.WorkingBytes)!;
    public PeakPhase Phase => Peak.Phase;
    public double ActivationBytes => Peak.ActivationBytes;
    /// <summary>Transient memory of the peak phase: loss temporaries, kept backward gradients, one layer's backward.</summary>
    public double WorkingBytes => Peak.WorkingBytes;

    public double ModelStateBytes => WeightBytes + GradientBytes + OptimizerBytes;
    public double BufferBytes => OptimizerBufferBytes + GatherBytes + WorkspaceBytes + WorkingBytes;
    public double TotalBytes => ModelStateBytes + ActivationBytes + BufferBytes;
    public double HostBytesTotal => HostBytesPerRank * Plan.Gpus;

    /// <summary>Total bytes at <paramref name="phase"/>.</summary>
    public double TotalAt(PeakPhase phase)
    {
        var p = Phases.First(x => x.Phase == phase);
        return ModelStateBytes + OptimizerBufferBytes + GatherBytes + WorkspaceBytes + p.ActivationBytes + p.WorkingBytes;
    }

    public bool Fits(double gpuMemoryBytes) => TotalBytes <= gpuMemoryBytes;
}
