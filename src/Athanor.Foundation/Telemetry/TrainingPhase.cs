namespace Athanor.Telemetry;

/// <summary>Where the time of a training step goes; each phase is a span (in sampled steps) and a histogram series.</summary>
public enum TrainingPhase
{
    /// <summary>Picking the global batch's samples and building each micro-batch's tensors.</summary>
    Data,
    Forward,
    /// <summary>The backward pass (and reading the micro-batch's loss).</summary>
    Backward,
    /// <summary>Summing gradients across ranks (ZeRO 0 and 1), global-norm clipping included.</summary>
    AllReduce,
    /// <summary>Reduce-scattering gradients into this rank's shard (ZeRO 2), global-norm clipping included.</summary>
    ReduceScatter,
    /// <summary>AdamW on this rank's shard, the all-gather of updated shards (ZeRO 1-2) and zeroing gradients.</summary>
    Optimizer,
    Eval,
    Checkpoint,
}

public static class TrainingPhaseNames
{
    private static readonly string[] Names = ["data", "forward", "backward", "all_reduce", "reduce_scatter", "optimizer", "eval", "checkpoint"];

    /// <summary>The span name and the value of the phase label.</summary>
    public static string Name(this TrainingPhase phase) => Names[(int)phase];

    public static int Count => Names.Length;
}
