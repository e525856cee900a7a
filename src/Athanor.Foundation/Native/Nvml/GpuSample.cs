namespace Athanor.Native.Nvml;

/// <summary>
/// One reading of one GPU from NVML. Index is NVML's (PCI bus order, all GPUs, ignoring CUDA_VISIBLE_DEVICES).
/// Power and temperature are null where the device does not report them.
/// </summary>
public sealed record GpuSample(
    int Index,
    string Name,
    string Uuid,
    int GpuUtilizationPercent,
    int MemoryUtilizationPercent,
    long MemoryUsedBytes,
    long MemoryTotalBytes,
    double? PowerWatts,
    int? TemperatureCelsius)
{
    public override string ToString() =>
        $"gpu {Index} {Name} ({Uuid}): util {GpuUtilizationPercent}% (memory {MemoryUtilizationPercent}%), " +
        $"{MemoryUsedBytes / (double)(1L << 30):F1} / {MemoryTotalBytes / (double)(1L << 30):F1} GiB, " +
        $"{(PowerWatts is double w ? $"{w:F0} W" : "power n/a")}, {(TemperatureCelsius is int t ? $"{t} C" : "temperature n/a")}";
}
