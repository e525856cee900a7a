using System.Diagnostics.Metrics;
using Athanor.Telemetry;

namespace Athanor.Tests.Telemetry;

public class GpuMetricsTests
{
    [Fact]
    public void Without_nvml_the_gauges_exist_but_report_nothing_and_the_reason_is_kept()
    {
        using var metrics = new GpuMetrics();
        Assert.Equal(0, metrics.DeviceCount);
        Assert.Contains("nvidia-ml", metrics.Problem);

        var published = new List<string>();
        int measurements = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name != TelemetryNames.Gpu) return;
            published.Add(instrument.Name);
            l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => measurements++);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(["athanor.gpu.memory", "athanor.gpu.memory.total", "athanor.gpu.power", "athanor.gpu.temperature", "athanor.gpu.utilization"], published.Order());
        Assert.Equal(0, measurements);
    }
}
