using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// Collective operations among the ranks of one training group (NCCL's vocabulary). Every rank calls the
/// same operations in the same order with tensors of the same shape. A dead or stuck peer never hangs a
/// caller: operations fail with <see cref="CollectiveException"/> after the group's timeout or on Abort.
/// </summary>
public interface ICollective : IDisposable
{
    int Rank { get; }
    int WorldSize { get; }

    /// <summary>Sums a contiguous tensor across ranks, in place; every rank ends with the sum.</summary>
    void AllReduceSum(Tensor tensor);

    /// <summary>Sums input across ranks and leaves rank r with elements [r*n/W, (r+1)*n/W) in output (input length divisible by W).</summary>
    void ReduceScatterSum(Tensor input, Tensor output);

    /// <summary>Concatenates every rank's input (same length) into output, in rank order.</summary>
    void AllGather(Tensor input, Tensor output);

    /// <summary>
    /// Starts an all-gather that may overlap the work queued after it (on GPUs: on a side stream); output may be
    /// used once the returned handle's <see cref="PendingCollective.Wait"/> has been called. By default it runs now.
    /// </summary>
    PendingCollective StartAllGather(Tensor input, Tensor output)
    {
        AllGather(input, output);
        return PendingCollective.Done;
    }

    /// <summary>
    /// Starts an in-place sum across ranks that may overlap the work queued after it (on GPUs: on a side stream);
    /// the tensor may be read once the handle has been waited for. By default it runs now.
    /// </summary>
    PendingCollective StartAllReduceSum(Tensor tensor)
    {
        AllReduceSum(tensor);
        return PendingCollective.Done;
    }

    /// <summary>
    /// Starts an in-place sum across ranks that only <paramref name="root"/> needs (the others' tensors are left
    /// unspecified), overlapping like <see cref="StartAllReduceSum"/>. By default it all-reduces now: root gets its sum.
    /// </summary>
    PendingCollective StartReduceSum(Tensor tensor, int root)
    {
        AllReduceSum(tensor);
        return PendingCollective.Done;
    }

    /// <summary>
    /// Starts a reduce-scatter (<see cref="ReduceScatterSum"/>) that may overlap the work queued after it (on GPUs: on a
    /// side stream); input must stay alive and output unread until the handle has been waited for. By default it runs now.
    /// </summary>
    PendingCollective StartReduceScatterSum(Tensor input, Tensor output)
    {
        ReduceScatterSum(input, output);
        return PendingCollective.Done;
    }

    /// <summary>Copies root's tensor into every rank's tensor.</summary>
    void Broadcast(Tensor tensor, int root);

    void Barrier();

    /// <summary>Breaks the group: every operation in flight or later fails at once on this rank, and soon on its peers.</summary>
    void Abort(string reason);
}

/// <summary>A collective that failed: a peer died, timed out, or the group was aborted.</summary>
public sealed class CollectiveException(string message, Exception? inner = null) : Exception(message, inner);
