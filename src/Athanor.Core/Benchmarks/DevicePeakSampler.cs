using Athanor.Native;
using Athanor.Native.Cuda;

namespace Athanor.Benchmarks;

/// <summary>
/// Peak GPU memory by polling cudaMemGetInfo from a background thread. Run with libtorch's caching turned off
/// (PYTORCH_NO_CUDA_MEMORY_CACHING=1) every tensor is its own cudaMalloc, so the peak above a baseline taken
/// before the model existed is what tensors held at most: the figure torch.cuda.max_memory_allocated gives
/// (TorchSharp exposes no allocator statistics, and libtorch exports none as plain functions).
/// </summary>
internal sealed class DevicePeakSampler : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _peakUsed;

    public DevicePeakSampler(int device)
    {
        _thread = new Thread(() =>
        {
            CudaRuntime.SetDevice(device);
            while (!_stop)
            {
                long used = DeviceMemory.UsedBytes();
                if (used > Interlocked.Read(ref _peakUsed)) Interlocked.Exchange(ref _peakUsed, used);
                // Uncached, tensors come and go within microseconds; cached, the reserve only grows, so a
                // millisecond's rest keeps the poll off the driver's lock while steps are timed.
                if (CachingDisabled) Thread.SpinWait(2000); else Thread.Sleep(1);
            }
        }) { IsBackground = true, Name = "athanor-memory-sampler" };
        _thread.Start();
    }

    /// <summary>Whether libtorch's caching allocator is off in this process (the sampled peak is then meaningful).</summary>
    public static bool CachingDisabled => Environment.GetEnvironmentVariable("PYTORCH_NO_CUDA_MEMORY_CACHING") == "1";

    public long PeakUsedBytes => Interlocked.Read(ref _peakUsed);

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
