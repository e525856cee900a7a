namespace Athanor.Training;

/// <summary>
/// How a model is parallelized before the training loop: the ZeRO stage and what goes with it (the optimizer's
/// hyperparameters, the compute switches, ZeRO-3's recompute interval and offload). Read from the trainer's settings in
/// one place (<see cref="From"/>).
/// </summary>
public sealed record ParallelPlan
{
    /// <summary>0 replicates optimizer state, 1 shards it, 2 also shards gradients, 3 also shards the parameters.</summary>
    public int ZeroStage { get; init; }
    public double WeightDecay { get; init; }
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>
    /// The job's compute switches: fused kernels in the optimizer, ZeRO-3's prefetch and overlapped reduce, and for
    /// stages 0-2 the gradient buckets reduced during the last micro-batch's backward (null: after it).
    /// </summary>
    public ComputeSwitches Switches { get; init; } = ComputeSwitches.Default;
    /// <summary>ZeRO-3: which decoder layers recompute in backward (1 every layer, k every k-th, 0 none).</summary>
    public int Zero3RecomputeEvery { get; init; } = 1;
    /// <summary>ZeRO-3: master weights and Adam moments in host memory.</summary>
    public bool OffloadOptimizer { get; init; }

    public static ParallelPlan From(TrainerSettings settings) => new()
    {
        ZeroStage = settings.ZeroStage,
        WeightDecay = settings.WeightDecay,
        AdamBeta1 = settings.AdamBeta1,
        AdamBeta2 = settings.AdamBeta2,
        AdamEpsilon = settings.AdamEpsilon,
        Switches = settings.Switches,
        Zero3RecomputeEvery = settings.Zero3RecomputeEvery,
        OffloadOptimizer = settings.OffloadOptimizer,
    };
}
