using System.Runtime.InteropServices;

namespace Athanor.Native;

/// <summary>What libtorch's CUDA caching allocator holds on a device, as torch.cuda.memory_stats reports it.</summary>
public sealed record AllocatorSnapshot(long AllocatedBytes, long PeakAllocatedBytes, long ReservedBytes, long PeakReservedBytes)
{
    public double PeakAllocatedGib => PeakAllocatedBytes / (double)(1L << 30);
}

/// <summary>
/// Reads libtorch's caching-allocator statistics through at::accelerator::getDeviceStats and resets the peaks
/// through at::accelerator::resetPeakStats (PyTorch 2.9 and later export both as plain functions). Gives the
/// same peak_mem figure as torch.cuda.max_memory_allocated, so it compares with the PyTorch reference;
/// <see cref="DeviceMemory"/> (cudaMemGetInfo) also counts the context and the allocator's cache.
/// </summary>
public static unsafe class CudaAllocatorStats
{
    // c10::CachingDeviceAllocator::DeviceStats: StatArrays of 3 Stat {current, peak, allocated, freed} (int64 each),
    // in the order allocation, segment, active, inactive_split, allocated_bytes, reserved_bytes, ...
    private const int StatArrayBytes = 3 * 4 * sizeof(long);
    private const int AllocatedBytesOffset = 4 * StatArrayBytes;
    private const int ReservedBytesOffset = 5 * StatArrayBytes;
    private const string GetStatsSymbol = "_ZN2at11accelerator14getDeviceStatsEa";
    private const string ResetPeakSymbol = "_ZN2at11accelerator14resetPeakStatsEa";

    private static bool _bound;
    private static delegate* unmanaged<byte*, sbyte, void> _getStats;
    private static delegate* unmanaged<sbyte, void> _resetPeak;

    /// <summary>Whether the statistics can be read (CUDA up through an existing PyTorch that exports them).</summary>
    public static bool Available => Bind();

    public static AllocatorSnapshot? Read(int device)
    {
        if (!Bind()) return null;
        // The struct comes back through a hidden result pointer; leave generous room past the fields we read.
        var buffer = stackalloc byte[4096];
        _getStats(buffer, (sbyte)device);
        long Aggregate(int offset, int field) => ((long*)(buffer + offset))[field];
        return new AllocatorSnapshot(Aggregate(AllocatedBytesOffset, 0), Aggregate(AllocatedBytesOffset, 1),
            Aggregate(ReservedBytesOffset, 0), Aggregate(ReservedBytesOffset, 1));
    }

    public static void ResetPeak(int device)
    {
        if (Bind()) _resetPeak((sbyte)device);
    }

    private static bool Bind()
    {
        if (_bound) return _getStats != null;
        _bound = true;
        if (TorchRuntime.CudaLibtorch is not string folder) return false;
        if (!NativeLibrary.TryLoad(Path.Combine(folder, "libtorch_cpu.so"), out var lib)) return false;
        if (!NativeLibrary.TryGetExport(lib, GetStatsSymbol, out var get) || !NativeLibrary.TryGetExport(lib, ResetPeakSymbol, out var reset)) return false;
        _getStats = (delegate* unmanaged<byte*, sbyte, void>)get;
        _resetPeak = (delegate* unmanaged<sbyte, void>)reset;
        return true;
    }
}
