using Athanor.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Athanor.Cluster.Telemetry;

/// <summary>
/// A node's OpenTelemetry SDK: traces and metrics of Athanor.Training and Athanor.Cluster, exported over
/// OTLP when the standard OTEL_EXPORTER_OTLP_* variables name an endpoint (the exporter reads the rest of
/// the OTEL_* settings itself: protocol, headers, timeouts, export interval, resource attributes), and
/// metrics kept for a Prometheus scrape when the node serves HTTP.
/// </summary>
public sealed class NodeTelemetry : IDisposable
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ScrapePath = "/metrics";
    private static readonly string[] Sources = [TelemetryNames.Training, TelemetryNames.Cluster, TelemetryNames.Gpu];

    private NodeTelemetry(MeterProvider? meters, TracerProvider? traces, bool prometheus, string? otlp)
    {
        Meters = meters;
        Traces = traces;
        ServesPrometheus = prometheus;
        OtlpEndpoint = otlp;
    }

    public MeterProvider? Meters { get; }
    public TracerProvider? Traces { get; }
    public bool ServesPrometheus { get; }
    /// <summary>Where OTLP goes (traces and/or metrics), or null when OTLP is off.</summary>
    public string? OtlpEndpoint { get; }

    /// <summary>
    /// Starts the providers. <paramref name="prometheus"/>: keep metrics for <see cref="MapScrapeEndpoint"/>.
    /// <paramref name="instanceId"/> becomes service.instance.id (OTEL_RESOURCE_ATTRIBUTES may override it).
    /// </summary>
    public static NodeTelemetry Start(string instanceId, bool prometheus, IReadOnlyDictionary<string, string?> environment)
    {
        string? Env(string key) => environment.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        if (string.Equals(Env("OTEL_SDK_DISABLED"), "true", StringComparison.OrdinalIgnoreCase)) return new(null, null, false, null);

        string? shared = Validated(EndpointVariable, Env(EndpointVariable));
        string? tracesEndpoint = Validated("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", Env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) ?? shared;
        string? metricsEndpoint = Validated("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", Env("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")) ?? shared;
        foreach (var key in new[] { "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL" })
            if (Env(key) is { } protocol && protocol is not ("grpc" or "http/protobuf"))
                throw new TelemetryConfigurationException($"{key}='{protocol}': not a protocol the OTLP exporter speaks; use grpc or http/protobuf");

        void Describe(ResourceBuilder r) => r.AddService(Env("OTEL_SERVICE_NAME") ?? "athanor", serviceInstanceId: instanceId)
            .AddTelemetrySdk().AddEnvironmentVariableDetector(); // last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win

        MeterProvider? meters = null;
        if (prometheus || metricsEndpoint is not null)
        {
            var builder = Sdk.CreateMeterProviderBuilder().ConfigureResource(Describe).AddMeter(Sources);
            if (metricsEndpoint is not null) builder.AddOtlpExporter();
            if (prometheus) builder.AddPrometheusExporter();
            meters = builder.Build();
        }
        TracerProvider? traces = tracesEndpoint is null ? null
            : Sdk.CreateTracerProviderBuilder().ConfigureResource(Describe).AddSource(Sources).AddOtlpExporter().Build();
        return new NodeTelemetry(meters, traces, prometheus, tracesEndpoint ?? metricsEndpoint);
    }

    private static string? Validated(string key, string? value)
    {
        if (value is null) return null;
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return value;
        throw new TelemetryConfigurationException($"{key}='{value}': not an absolute http(s) URL; " +
            "e.g. http://otel-collector:4317 (OTLP/gRPC) or http://otel-collector:4318 with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf");
    }

    /// <summary>Serves the Prometheus text format at /metrics on an app (the node's health app).</summary>
    public void MapScrapeEndpoint(IEndpointRouteBuilder app)
    {
        if (Meters is null || !ServesPrometheus) throw new InvalidOperationException("this node's telemetry was started without Prometheus");
        app.MapPrometheusScrapingEndpoint(ScrapePath, Meters, null, null);
    }

    /// <summary>One line for the node's startup log.</summary>
    public string Summary() =>
        (OtlpEndpoint is null ? "OTLP off (set OTEL_EXPORTER_OTLP_ENDPOINT)" : $"OTLP to {OtlpEndpoint}") +
        (ServesPrometheus ? $", Prometheus metrics at {ScrapePath}" : "");

    /// <summary>Flushes what is buffered (the last spans of a job) and stops the exporters.</summary>
    public void Dispose()
    {
        Traces?.Dispose();
        Meters?.Dispose();
    }
}
