using Athanor.Parallel;
using Athanor.Parallel.Sharding;

namespace Athanor.Training;

/// <summary>
/// A model made data-parallel by <see cref="Parallelize.Apply"/>: the optimizer that syncs and steps it, ZeRO-3's
/// sharding when the plan has one, and what the loop must do around a step. Disposing takes all of it off the model.
/// </summary>
public sealed class ParallelModel : IDisposable
{
    private readonly ZeroAdamW? _bucketed;
    private readonly IDisposable? _layerHook;

    internal ParallelModel(FlatLayout layout, IDataParallelOptimizer optimizer, ParameterSharding? sharding, ZeroAdamW? bucketed, IDisposable? layerHook)
    {
        Layout = layout;
        Optimizer = optimizer;
        Sharding = sharding;
        _bucketed = bucketed;
        _layerHook = layerHook;
    }

    /// <summary>The trainable parameters in the optimizer's flat order.</summary>
    public FlatLayout Layout { get; }
    public IDataParallelOptimizer Optimizer { get; }
    /// <summary>ZeRO-3's sharding of the model; null for stages 0-2.</summary>
    public ParameterSharding? Sharding { get; }

    /// <summary>Call before the backward of a step's last micro-batch: its gradients are the step's final ones (buckets may go during it).</summary>
    public void BeforeLastBackward() => _bucketed?.ArmForLastMicroBatch();

    public void Dispose()
    {
        _layerHook?.Dispose();
        Optimizer.Dispose();
        Sharding?.Dispose();
    }
}
