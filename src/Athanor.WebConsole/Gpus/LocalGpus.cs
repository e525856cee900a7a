using Athanor.Native.Nvml;

namespace Athanor.WebConsole.Gpus;

/// <summary>One reading of this node's GPUs for the cluster page, or why there is none (no NVML: a CPU node).</summary>
public sealed record GpuReading(IReadOnlyList<GpuSample> Gpus, string? Absent);

/// <summary>
/// The GPUs of the node that serves the console, read through Foundation's NVML monitor: utilization, memory, power and
/// temperature. NVML is opened on the first look and read at most once a second however many viewers poll; without a
/// driver or library the reading says why, once.
/// </summary>
public sealed class LocalGpus : IDisposable
{
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);
    private readonly Lock _gate = new();
    private readonly Lazy<(NvmlMonitor? Monitor, string? Problem)> _nvml = new(() =>
    {
        var monitor = NvmlMonitor.TryOpen(out var problem);
        return (monitor, problem);
    });
    private GpuReading? _last;
    private DateTime _readAt;

    public GpuReading Read()
    {
        lock (_gate)
        {
            if (_last is not null && DateTime.UtcNow - _readAt < MinInterval) return _last;
            var (monitor, problem) = _nvml.Value;
            if (monitor is null) _last = new GpuReading([], $"no NVML on this node ({problem ?? "no driver"})");
            else if (monitor.DeviceCount == 0) _last = new GpuReading([], "NVML sees no GPU on this node");
            else
            {
                try { _last = new GpuReading(monitor.Sample(), null); }
                catch (NvmlException ex) { _last = new GpuReading([], "NVML: " + ex.Message); }
            }
            _readAt = DateTime.UtcNow;
            return _last;
        }
    }

    public void Dispose()
    {
        if (_nvml.IsValueCreated) _nvml.Value.Monitor?.Dispose();
    }
}
