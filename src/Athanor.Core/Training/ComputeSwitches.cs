using Athanor.Configuration;

namespace Athanor.Training;

/// <summary>
/// The job's switches that change what a rank computes or exchanges, as values (never read from a static or the
/// environment): every rank of a group gets them from the same job config, and the group fingerprint proves it.
/// </summary>
public sealed record ComputeSwitches
{
    /// <summary>The job-config defaults (fused_kernels, zero3_prefetch, zero3_overlap_reduce on; bucketed reduction off).</summary>
    public static readonly ComputeSwitches Default = new();

    /// <summary>fused_kernels: the fused CUDA kernels in the model (as the kernel plan picks) and in the optimizer.</summary>
    public bool FusedKernels { get; init; } = true;

    /// <summary>zero3_prefetch: ZeRO-3 gathers the next layer while the current one computes.</summary>
    public bool Zero3Prefetch { get; init; } = true;

    /// <summary>zero3_overlap_reduce: ZeRO-3 reduce-scatters a layer's gradients while backward goes on.</summary>
    public bool Zero3OverlapReduce { get; init; } = true;

    /// <summary>
    /// overlap_grad_reduce with grad_bucket_mb: stages 0-2 over several ranks reduce gradients in buckets of at most this
    /// many elements while backward still runs (the last micro-batch's); null: all at once after backward.
    /// </summary>
    public long? GradientBucketElements { get; init; }

    public static ComputeSwitches From(JobConfig config) => new()
    {
        FusedKernels = config.FusedKernels,
        Zero3Prefetch = config.Zero3Prefetch,
        Zero3OverlapReduce = config.Zero3OverlapReduce,
        GradientBucketElements = config.GradientBucketElements,
    };
}
