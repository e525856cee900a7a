using Athanor.Native.Cuda;

namespace Athanor.Native;

/// <summary>
/// GPU memory in use on the current device, from the CUDA runtime (cudaMemGetInfo): total minus free, so it
/// includes the caching allocator's reserve and the context: an upper bound of what tensors hold (TorchSharp
/// exposes no allocator statistics; `cluster bench` samples the peak with caching off instead).
/// </summary>
public static class DeviceMemory
{
    public static double UsedGib() => CudaRuntime.TryDeviceCount(out _) == 0 ? double.NaN : UsedBytes() / (double)(1L << 30);

    /// <summary>Bytes in use on the calling thread's current GPU (CUDA must be up).</summary>
    public static long UsedBytes()
    {
        var (free, total) = CudaRuntime.MemoryInfo();
        return total - free;
    }

    /// <summary>Bytes in use on GPU device; makes it the calling thread's current device.</summary>
    public static long UsedBytes(int device)
    {
        CudaRuntime.SetDevice(device);
        return UsedBytes();
    }

    /// <summary>Total memory of GPU device (makes it the calling thread's current device).</summary>
    public static long TotalBytes(int device)
    {
        CudaRuntime.SetDevice(device);
        return CudaRuntime.MemoryInfo().Total;
    }

    public static double UsedGib(int device) => UsedBytes(device) / (double)(1L << 30);

    /// <summary>"U of T GiB in use" on the current GPU, or a note that it cannot be read.</summary>
    public static string Describe()
    {
        if (CudaRuntime.TryDeviceCount(out var reason) == 0) return "GPU memory could not be read: " + reason;
        var (free, total) = CudaRuntime.MemoryInfo();
        return $"{(total - free) / (double)(1L << 30):F1} of {total / (double)(1L << 30):F1} GiB in use";
    }
}
