using Athanor.Native.Cuda;

namespace Athanor.Native;

/// <summary>
/// GPU memory in use on the current device, from the CUDA runtime (cudaMemGetInfo): total minus free, so it
/// includes the caching allocator's reserve and the context. <see cref="CudaAllocatorStats"/> gives what
/// tensors hold; this is an upper bound of it.
/// </summary>
public static class DeviceMemory
{
    public static double UsedGib()
    {
        if (CudaRuntime.TryDeviceCount(out _) == 0) return double.NaN;
        var (free, total) = CudaRuntime.MemoryInfo();
        return (total - free) / (double)(1L << 30);
    }

    /// <summary>"U of T GiB in use" on the current GPU, or a note that it cannot be read.</summary>
    public static string Describe()
    {
        if (CudaRuntime.TryDeviceCount(out var reason) == 0) return "GPU memory could not be read: " + reason;
        var (free, total) = CudaRuntime.MemoryInfo();
        return $"{(total - free) / (double)(1L << 30):F1} of {total / (double)(1L << 30):F1} GiB in use";
    }
}
