namespace Athanor.Native.Cuda;

/// <summary>
/// A CUDA stream of our own (cudaStreamCreateWithFlags with cudaStreamNonBlocking, so it never serializes with
/// the legacy default stream). Created on the calling thread's current device.
/// </summary>
public sealed unsafe class CudaStream : IDisposable
{
    private IntPtr _handle;

    private CudaStream(IntPtr handle) => _handle = handle;

    public static CudaStream CreateNonBlocking()
    {
        IntPtr handle;
        CudaRuntime.Check(CudaApi.StreamCreateWithFlags(&handle, CudaApi.StreamNonBlocking), "cudaStreamCreateWithFlags");
        return new CudaStream(handle);
    }

    /// <summary>The cudaStream_t.</summary>
    public IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(CudaStream));

    /// <summary>Blocks until all work queued on the stream has finished.</summary>
    public void Synchronize() => CudaRuntime.Check(CudaApi.StreamSynchronize(Handle), "cudaStreamSynchronize");

    /// <summary>True when all queued work has finished; false while some is pending (cudaErrorNotReady).</summary>
    public bool IsComplete() => IsComplete(Handle);

    /// <summary>cudaStreamQuery on any stream handle, e.g. torch's current stream.</summary>
    public static bool IsComplete(IntPtr stream)
    {
        int rc = CudaApi.StreamQuery(stream);
        if (rc == CudaApi.ErrorNotReady) return false;
        CudaRuntime.Check(rc, "cudaStreamQuery");
        return true;
    }

    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, IntPtr.Zero);
        if (handle != IntPtr.Zero) CudaApi.StreamDestroy(handle);
    }
}
