namespace Athanor.Native.Cuda;

/// <summary>
/// A CUDA event: recorded on a stream, it completes when the work queued before it has. Used to time GPU work
/// and to wait for a stream without blocking it. Created on the calling thread's current device and must be
/// recorded on a stream of that device.
/// </summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private IntPtr _handle;

    private CudaEvent(IntPtr handle, bool timing)
    {
        _handle = handle;
        Timing = timing;
    }

    /// <summary>Creates an event; timing: false makes it cheaper (cudaEventDisableTiming) but unusable for <see cref="ElapsedMilliseconds"/>.</summary>
    public static CudaEvent Create(bool timing = true)
    {
        IntPtr handle;
        CudaRuntime.Check(CudaApi.EventCreateWithFlags(&handle, timing ? CudaApi.EventDefault : CudaApi.EventDisableTiming), "cudaEventCreateWithFlags");
        return new CudaEvent(handle, timing);
    }

    public bool Timing { get; }

    public IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(CudaEvent));

    /// <summary>Records the event at the current end of stream (a cudaStream_t, e.g. torch's current stream).</summary>
    public void Record(IntPtr stream) => CudaRuntime.Check(CudaApi.EventRecord(Handle, stream), "cudaEventRecord");

    public void Record(CudaStream stream) => Record(stream.Handle);

    /// <summary>Makes later work on stream (a cudaStream_t) wait until the recorded point has been reached; the host does not wait.</summary>
    public void MakeWait(IntPtr stream) => CudaRuntime.Check(CudaApi.StreamWaitEvent(stream, Handle, 0), "cudaStreamWaitEvent");

    /// <summary>Blocks until the work before the recorded point has finished.</summary>
    public void Synchronize() => CudaRuntime.Check(CudaApi.EventSynchronize(Handle), "cudaEventSynchronize");

    /// <summary>True once the recorded work has finished (or the event was never recorded); false while pending.</summary>
    public bool IsComplete()
    {
        int rc = CudaApi.EventQuery(Handle);
        if (rc == CudaApi.ErrorNotReady) return false;
        CudaRuntime.Check(rc, "cudaEventQuery");
        return true;
    }

    /// <summary>GPU time in milliseconds between two completed, timing-enabled events (about 0.5 microsecond resolution).</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        float ms;
        CudaRuntime.Check(CudaApi.EventElapsedTime(&ms, start.Handle, end.Handle), "cudaEventElapsedTime");
        return ms;
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle != IntPtr.Zero) CudaApi.EventDestroy(handle);
    }
}
