using System.Runtime.InteropServices;

namespace Athanor.Native;

/// <summary>
/// GPU memory in use on the current device, from the CUDA runtime (cudaMemGetInfo): total minus free, so it
/// includes the caching allocator's reserve and the context. TorchSharp exposes no allocator statistics;
/// this is an upper bound of what tensors hold.
/// </summary>
public static class DeviceMemory
{
    private delegate int MemGetInfo(out nuint free, out nuint total);
    private static MemGetInfo? _memGetInfo;

    public static double UsedGib()
    {
        _memGetInfo ??= Bind();
        if (_memGetInfo is null) return double.NaN;
        return _memGetInfo(out var free, out var total) == 0 ? (total - free) / (double)(1L << 30) : double.NaN;
    }

    /// <summary>"U of T GiB in use" on the current GPU, or a note that it cannot be read.</summary>
    public static string Describe()
    {
        _memGetInfo ??= Bind();
        if (_memGetInfo is null || _memGetInfo(out var free, out var total) != 0) return "GPU memory could not be read";
        return $"{(total - free) / (double)(1L << 30):F1} of {total / (double)(1L << 30):F1} GiB in use";
    }

    private static MemGetInfo? Bind()
    {
        foreach (var name in new[] { "libcudart.so.13", "libcudart.so.12", "libcudart.so" })
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "cudaMemGetInfo", out var fn))
                return Marshal.GetDelegateForFunctionPointer<MemGetInfo>(fn);
        }
        return null;
    }
}
