using System.Runtime.InteropServices;

namespace Athanor.Native.Nvml;

/// <summary>
/// Reads utilization, memory, power and temperature of every GPU through NVML. Open initializes NVML
/// (nvmlInit_v2, reference counted by NVML) and Dispose shuts it down. Names and UUIDs are read once.
/// </summary>
public sealed unsafe class NvmlMonitor : IDisposable
{
    private readonly IntPtr[] _devices;
    private readonly string[] _names;
    private readonly string[] _uuids;
    private int _disposed;

    private NvmlMonitor(IntPtr[] devices, string[] names, string[] uuids)
    {
        _devices = devices;
        _names = names;
        _uuids = uuids;
    }

    public int DeviceCount => _devices.Length;

    /// <summary>Initializes NVML and finds every GPU; throws NativeLibraryMissingException without a driver, NvmlException on errors.</summary>
    public static NvmlMonitor Open()
    {
        Check(NvmlApi.Init(), "nvmlInit_v2");
        try
        {
            uint count;
            Check(NvmlApi.DeviceGetCount(&count), "nvmlDeviceGetCount_v2");
            var devices = new IntPtr[count];
            var names = new string[count];
            var uuids = new string[count];
            byte* buffer = stackalloc byte[Math.Max(NvmlApi.NameBufferSize, NvmlApi.UuidBufferSize)];
            for (uint i = 0; i < count; i++)
            {
                IntPtr device;
                Check(NvmlApi.DeviceGetHandleByIndex(i, &device), $"nvmlDeviceGetHandleByIndex_v2({i})");
                devices[i] = device;
                Check(NvmlApi.DeviceGetName(device, buffer, NvmlApi.NameBufferSize), $"nvmlDeviceGetName({i})");
                names[i] = Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "";
                Check(NvmlApi.DeviceGetUuid(device, buffer, NvmlApi.UuidBufferSize), $"nvmlDeviceGetUUID({i})");
                uuids[i] = Marshal.PtrToStringUTF8((IntPtr)buffer) ?? "";
            }
            return new NvmlMonitor(devices, names, uuids);
        }
        catch
        {
            NvmlApi.Shutdown();
            throw;
        }
    }

    /// <summary>Opens NVML, or returns null with the reason (no driver, no library) instead of throwing.</summary>
    public static NvmlMonitor? TryOpen(out string? reason)
    {
        if (!NvmlApi.Library.TryLoad(out reason)) return null;
        try
        {
            return Open();
        }
        catch (Exception ex) when (ex is NvmlException or EntryPointNotFoundException)
        {
            reason = ex.Message;
            return null;
        }
    }

    /// <summary>A reading of every GPU.</summary>
    public IReadOnlyList<GpuSample> Sample()
    {
        var samples = new GpuSample[_devices.Length];
        for (int i = 0; i < samples.Length; i++) samples[i] = Sample(i);
        return samples;
    }

    public GpuSample Sample(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var device = _devices[index];
        NvmlApi.Utilization utilization;
        Check(NvmlApi.DeviceGetUtilizationRates(device, &utilization), $"nvmlDeviceGetUtilizationRates({index})");
        NvmlApi.Memory memory;
        Check(NvmlApi.DeviceGetMemoryInfo(device, &memory), $"nvmlDeviceGetMemoryInfo({index})");
        uint milliwatts;
        double? watts = Optional(NvmlApi.DeviceGetPowerUsage(device, &milliwatts), $"nvmlDeviceGetPowerUsage({index})") ? milliwatts / 1000.0 : null;
        int? celsius = Optional(NvmlApi.DeviceGetTemperature(device, out int c), $"nvmlDeviceGetTemperature({index})") ? c : null;
        return new GpuSample(index, _names[index], _uuids[index], (int)utilization.Gpu, (int)utilization.Memory,
            (long)memory.Used, (long)memory.Total, watts, celsius);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) NvmlApi.Shutdown();
    }

    /// <summary>True on success, false when the device does not support the reading; throws on real errors.</summary>
    private static bool Optional(int code, string function)
    {
        if (code == NvmlApi.ErrorNotSupported) return false;
        Check(code, function);
        return true;
    }

    private static void Check(int code, string function)
    {
        if (code != NvmlApi.Success)
            throw new NvmlException(function, code, Marshal.PtrToStringUTF8((IntPtr)NvmlApi.ErrorString(code)) ?? "unknown error");
    }
}
