using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using Athanor.Telemetry;

namespace Athanor.Cluster.Telemetry;

/// <summary>
/// The cluster's ActivitySource (job, attempt and rank spans) and the counters its job entities keep.
/// Gauges of the whole cluster (members, queue, slots) are in <see cref="ClusterMetrics"/>.
/// </summary>
public static class ClusterInstruments
{
    private static readonly string? Version = typeof(ClusterInstruments).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    public static readonly ActivitySource Source = new(TelemetryNames.Cluster, Version);
    public static readonly Meter Meter = new(TelemetryNames.Cluster, Version);

    public static readonly Counter<long> JobsSubmitted = Meter.CreateCounter<long>("athanor.cluster.jobs.submitted", null, "jobs accepted");
    public static readonly Counter<long> AttemptsEnded = Meter.CreateCounter<long>("athanor.cluster.attempts.ended", null, "attempts (worker group formations) ended, by outcome");
    public static readonly Counter<long> JobsFinished = Meter.CreateCounter<long>("athanor.cluster.jobs.finished", null, "jobs that reached a final state, by state");

    /// <summary>The lower-case name of an enum value, as labels carry it.</summary>
    public static string Label<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
