using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// One unit's gradients on their way into this rank's gradient shard: the reduce-scatter may still run on the
/// side stream. <see cref="Finish"/> makes the caller's stream wait for it, adds the share into the shard and
/// frees the buffers; until then the buffers must live, or the allocator could hand them out while NCCL still
/// reads them. Finishing twice is harmless.
/// </summary>
internal sealed class GradientReduction
{
    private readonly PendingCollective pending;
    private readonly Tensor flat, mine, shard;
    private bool _finished;

    /// <summary>Takes the three tensors out of any dispose scope: a layer's backward body runs in one that ends before Finish.</summary>
    public GradientReduction(PendingCollective pending, Tensor flat, Tensor mine, Tensor shard)
    {
        this.pending = pending;
        this.flat = flat.DetachFromDisposeScope();
        this.mine = ReferenceEquals(mine, flat) ? this.flat : mine.DetachFromDisposeScope();
        this.shard = shard.DetachFromDisposeScope();
    }

    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        pending.Wait();
        using (no_grad()) shard.add_(mine);
        if (!ReferenceEquals(mine, flat)) mine.Dispose();
        flat.Dispose();
        shard.Dispose();
    }
}
