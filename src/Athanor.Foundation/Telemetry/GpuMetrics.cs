using System.Diagnostics.Metrics;
using Athanor.Native.Nvml;

namespace Athanor.Telemetry;

/// <summary>
/// Gauges of this machine's GPUs from NVML, labelled by gpu index, name and UUID: utilization (%), memory used and
/// total (bytes), power (W), temperature (C). Readings are taken at most once per second, whatever the export
/// interval; on a machine without NVML no gauge reports anything.
/// </summary>
public sealed class GpuMetrics : IDisposable
{
    private readonly Meter _meter = new(TelemetryNames.Gpu);
    private readonly NvmlMonitor? _nvml;
    private readonly Lock _gate = new();
    private IReadOnlyList<GpuSample> _samples = [];
    private DateTime _sampledAt = DateTime.MinValue;

    public GpuMetrics()
    {
        _nvml = NvmlMonitor.TryOpen(out var problem);
        Problem = problem;
        // Names and units as deploy/grafana/dashboards/athanor-gpus.json queries them (Prometheus: athanor_gpu_utilization,
        // athanor_gpu_memory_bytes, athanor_gpu_memory_total_bytes, athanor_gpu_power_watts, athanor_gpu_temperature_celsius).
        _meter.CreateObservableGauge("athanor.gpu.utilization", () => Read(s => (double)s.GpuUtilizationPercent), null, "percent of time the GPU was busy over NVML's last sample period");
        _meter.CreateObservableGauge("athanor.gpu.memory", () => Read(s => (double)s.MemoryUsedBytes), "By", "device memory in use (all processes)");
        _meter.CreateObservableGauge("athanor.gpu.memory.total", () => Read(s => (double)s.MemoryTotalBytes), "By", "device memory");
        _meter.CreateObservableGauge("athanor.gpu.power", () => Read(s => s.PowerWatts), "W", "power draw");
        _meter.CreateObservableGauge("athanor.gpu.temperature", () => Read(s => s.TemperatureCelsius), "Cel", "GPU temperature");
    }

    /// <summary>Why NVML is not there (null when it is).</summary>
    public string? Problem { get; }

    /// <summary>How many GPUs NVML sees (0 without NVML).</summary>
    public int DeviceCount => _nvml?.DeviceCount ?? 0;

    private IEnumerable<Measurement<double>> Read(Func<GpuSample, double?> value)
    {
        foreach (var s in Samples())
            if (value(s) is double v)
                yield return new Measurement<double>(v, new KeyValuePair<string, object?>("gpu", s.Index),
                    new KeyValuePair<string, object?>("gpu_name", s.Name), new KeyValuePair<string, object?>("gpu_uuid", s.Uuid));
    }

    private IReadOnlyList<GpuSample> Samples()
    {
        if (_nvml is null) return [];
        lock (_gate)
        {
            if (DateTime.UtcNow - _sampledAt > TimeSpan.FromSeconds(1))
            {
                try { _samples = _nvml.Sample(); }
                catch (NvmlException) { _samples = []; }
                _sampledAt = DateTime.UtcNow;
            }
            return _samples;
        }
    }

    public void Dispose()
    {
        _meter.Dispose();
        _nvml?.Dispose();
    }
}
