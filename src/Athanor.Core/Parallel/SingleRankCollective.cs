using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// The group of one: every collective is the identity. Lets one code path serve world size 1. Aborted, it fails every
/// operation as a ring would, so a rank stopped without a checkpoint (its node was downed) stops at its next step.
/// </summary>
public sealed class SingleRankCollective : ICollective
{
    private volatile string? _abortReason;

    public int Rank => 0;
    public int WorldSize => 1;
    public void AllReduceSum(Tensor tensor) => ThrowIfAborted();
    public void ReduceScatterSum(Tensor input, Tensor output) { ThrowIfAborted(); output.copy_(input); }
    public void AllGather(Tensor input, Tensor output) { ThrowIfAborted(); output.copy_(input); }
    public void Broadcast(Tensor tensor, int root) => ThrowIfAborted();
    public void Barrier() => ThrowIfAborted();
    public void Abort(string reason) => _abortReason ??= reason;
    public void Dispose() { }

    private void ThrowIfAborted()
    {
        if (_abortReason is string reason) throw new CollectiveException("aborted: " + reason);
    }
}
