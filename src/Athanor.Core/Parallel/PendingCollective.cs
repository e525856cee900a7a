using Athanor.Native;
using Athanor.Native.Cuda;

namespace Athanor.Parallel;

/// <summary>
/// A collective started on a side stream (<see cref="ICollective.StartAllGather"/>). <see cref="Wait"/> makes the
/// calling thread's torch stream wait for it on the GPU (the host does not block), so kernels queued afterwards
/// see its result; until then its output must not be read or freed. Waiting twice is harmless.
/// </summary>
public sealed class PendingCollective
{
    private CudaEvent? _done;
    private readonly int _device;

    /// <summary>A collective that has already run on the caller's stream (CPU groups, one rank).</summary>
    public static PendingCollective Done { get; } = new(null, -1);

    internal PendingCollective(CudaEvent? done, int device)
    {
        _done = done;
        _device = device;
    }

    public void Wait()
    {
        var done = Interlocked.Exchange(ref _done, null);
        if (done is null) return;
        // Destroying an event that a stream still waits on is allowed: CUDA frees it once the wait is resolved.
        using (done) done.MakeWait(TorchCudaStream.Current(_device));
    }
}
