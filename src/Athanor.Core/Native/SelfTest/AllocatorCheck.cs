using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Native.SelfTest;

/// <summary>libtorch's allocator statistics move by exactly what a tensor allocates, and the peak remembers it.</summary>
internal static class AllocatorCheck
{
    public static string PeakFollowsAllocations()
    {
        // PyTorch 2.11 keeps these statistics behind virtual calls only; then there is nothing to check.
        if (!CudaAllocatorStats.Available) return "skipped: this libtorch exports no allocator statistics (peak memory is sampled instead; see docs/benchmarks.md)";
        var device = new Device(DeviceType.CUDA, 0);
        CudaAllocatorStats.ResetPeak(0);
        var before = CudaAllocatorStats.Read(0)!;
        const long bytes = 1L << 30;
        long during;
        using (var t = empty(bytes / 4, ScalarType.Float32, device))
            during = CudaAllocatorStats.Read(0)!.AllocatedBytes;
        var after = CudaAllocatorStats.Read(0)!;
        if (during - before.AllocatedBytes != bytes)
            throw new InvalidOperationException($"allocating 1 GiB moved allocated bytes by {during - before.AllocatedBytes}");
        if (after.PeakAllocatedBytes < before.AllocatedBytes + bytes || after.AllocatedBytes != before.AllocatedBytes)
            throw new InvalidOperationException($"peak {after.PeakAllocatedBytes} / now {after.AllocatedBytes} after freeing, before {before.AllocatedBytes}");
        return $"1 GiB tensor seen: allocated {before.AllocatedBytes / 1048576.0:F0} -> {during / 1048576.0:F0} MiB, peak {after.PeakAllocatedGib:F2} GiB, reserved {after.ReservedBytes / (double)(1L << 30):F2} GiB";
    }
}
