using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Athanor.Telemetry;

namespace Athanor.Tests.Telemetry;

/// <summary>
/// Listens to Athanor.Training the way an OpenTelemetry SDK does (ActivityListener, MeterListener) and keeps
/// what one test's run produced: spans of one trace, measurements labelled with one job id (tests in parallel
/// record too).
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private static readonly ActivitySource TestSource = new("Athanor.Tests.Telemetry");
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters = new();
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentQueue<Measurement> _measurements = new();

    public sealed record Measurement(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags);

    public TelemetryCapture(string jobId)
    {
        JobId = jobId;
        _activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name is TelemetryNames.Training or "Athanor.Tests.Telemetry",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (Root is not null && a.TraceId == Root.TraceId) _spans.Enqueue(a); },
        };
        ActivitySource.AddActivityListener(_activities);
        Root = TestSource.StartActivity("test-root")!;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TelemetryNames.Training) listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Keep(i, v, tags));
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Keep(i, v, tags));
        _meters.Start();
    }

    public string JobId { get; }

    /// <summary>The span the run happens under (the rank's span in the cluster).</summary>
    public Activity Root { get; } = null!;

    public IReadOnlyList<Activity> Spans => _spans.ToList();

    public IReadOnlyList<Measurement> Of(string instrument) => _measurements.Where(m => m.Instrument == instrument).ToList();

    private void Keep(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dict = new Dictionary<string, object?>();
        foreach (var t in tags) dict[t.Key] = t.Value;
        if (dict.TryGetValue(TelemetryNames.JobIdTag, out var id) && (string?)id == JobId)
            _measurements.Enqueue(new Measurement(instrument.Name, instrument.Unit, value, dict));
    }

    public void Dispose()
    {
        Root.Stop();
        _meters.Dispose();
        _activities.Dispose();
    }
}
