using Athanor.Checkpoints;
using Athanor.Models;
using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using TorchSharp.Modules;

namespace Athanor.Training;

/// <summary>
/// Applies a <see cref="ParallelPlan"/> to a model before the training loop (torchtitan's parallelize step): ZeRO-3
/// shards it (materializing a meta-device model), and the optimizer is chosen by stage, with the layer hook that
/// starts gradient buckets during backward when the plan has buckets. The loop then only calls the result.
/// </summary>
public static class Parallelize
{
    /// <summary>Weight decay applies to matrices, not to biases and norms.</summary>
    public static bool TakesDecay(string name, Parameter p) => p.dim() >= 2 && !name.EndsWith(".bias", StringComparison.Ordinal);

    /// <param name="deferred">ZeRO-3 with a model built on the meta device: where its values come from and where its shards live</param>
    /// <param name="weightsFrom">a checkpoint folder a deferred model takes its values from instead (a resumed full fine-tune)</param>
    public static ParallelModel Apply(CausalLM model, ParallelPlan plan, ICollective group, DeferredWeights? deferred = null, string? weightsFrom = null)
    {
        var layout = new FlatLayout(model.named_parameters(), TakesDecay);
        var sharding = plan.ZeroStage == 3 ? ShardOrExplain(model, plan, group, deferred, weightsFrom) : null;
        try
        {
            if (sharding is not null)
                return new ParallelModel(layout, new Zero3AdamW(sharding, layout, plan.WeightDecay, plan.AdamBeta1, plan.AdamBeta2, plan.AdamEpsilon,
                    offload: plan.OffloadOptimizer, fusedKernels: plan.Switches.FusedKernels) { OverlapReduce = plan.Switches.Zero3OverlapReduce },
                    sharding, null, null);
            var optimizer = new ZeroAdamW(layout, group, plan.ZeroStage, plan.WeightDecay, plan.AdamBeta1, plan.AdamBeta2, plan.AdamEpsilon,
                plan.Switches.GradientBucketElements, plan.Switches.FusedKernels);
            var bucketed = optimizer.ReducesDuringBackward ? optimizer : null;
            var hook = bucketed is null ? null : LayerGradientHook.Install(model, bucketed.LayerGradientsFinal);
            return new ParallelModel(layout, optimizer, null, bucketed, hook);
        }
        catch
        {
            sharding?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// ZeRO-3's sharding (and materialization); running out of GPU memory there is the same verdict as in a step:
    /// retrying on the same GPUs cannot help, so it surfaces as <see cref="DeviceOutOfMemoryException"/>.
    /// </summary>
    private static ParameterSharding ShardOrExplain(CausalLM model, ParallelPlan plan, ICollective group, DeferredWeights? deferred, string? weightsFrom)
    {
        try { return Shard(model, plan, group, deferred, weightsFrom); }
        catch (Exception ex) when (DeviceOutOfMemoryException.Matches(ex))
        {
            throw new DeviceOutOfMemoryException($"out of GPU memory while sharding the model over {group.WorldSize} rank(s) with ZeRO-3 " +
                $"({Native.DeviceMemory.Describe()})", ex);
        }
    }

    /// <summary>ZeRO-3: shards the whole model, or materializes a meta-device one from its source (or the checkpoint named).</summary>
    private static ParameterSharding Shard(CausalLM model, ParallelPlan plan, ICollective group, DeferredWeights? deferred, string? weightsFrom)
    {
        int recompute = plan.Zero3RecomputeEvery;
        bool prefetch = plan.Switches.Zero3Prefetch;
        if (deferred is null) return new ParameterSharding(model, group, TakesDecay, recompute) { Prefetch = prefetch };
        var source = weightsFrom is not null ? new SafetensorsSource(weightsFrom) : deferred.Source;
        try { return ParameterSharding.Materialize(model, group, TakesDecay, source, deferred.Device, deferred.Dtype, recompute, prefetch); }
        finally
        {
            (source as IDisposable)?.Dispose();
            if (!ReferenceEquals(source, deferred.Source)) (deferred.Source as IDisposable)?.Dispose();
        }
    }
}
