using Athanor.Native.Nvml;

namespace Athanor.Native.SelfTest;

internal static class NvmlCheck
{
    /// <summary>One NVML sample of every GPU; fails when NVML is missing or sees no GPU.</summary>
    public static string SampleAll()
    {
        using var monitor = NvmlMonitor.Open();
        if (monitor.DeviceCount == 0) throw new InvalidOperationException("NVML sees no GPU");
        var samples = monitor.Sample();
        foreach (var s in samples)
            if (s.MemoryTotalBytes <= 0 || string.IsNullOrEmpty(s.Uuid))
                throw new InvalidOperationException($"implausible NVML sample: {s}");
        return string.Join("; ", samples);
    }
}
