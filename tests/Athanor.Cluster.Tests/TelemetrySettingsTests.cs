using Athanor.Cluster.Telemetry;
using Athanor.Telemetry;

namespace Athanor.Cluster.Tests;

/// <summary>What a node's OTEL_* environment turns on, and the message a bad value gets.</summary>
public class TelemetrySettingsTests
{
    private static NodeTelemetry Start(bool prometheus, params (string Key, string Value)[] environment) =>
        NodeTelemetry.Start("127.0.0.1:4053", prometheus, environment.ToDictionary(e => e.Key, e => (string?)e.Value));

    [Fact]
    public void OtlpIsOnOnlyWithAnEndpointAndPrometheusOnlyWithTheHttpPort()
    {
        using (var none = Start(prometheus: false))
        {
            Assert.Null(none.Meters);
            Assert.Null(none.Traces);
            Assert.Equal("OTLP off (set OTEL_EXPORTER_OTLP_ENDPOINT)", none.Summary());
        }
        using (var scrape = Start(prometheus: true))
        {
            Assert.NotNull(scrape.Meters);
            Assert.Null(scrape.Traces);
            Assert.True(scrape.ServesPrometheus);
        }
        using (var otlp = Start(prometheus: false, ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")))
        {
            Assert.NotNull(otlp.Meters);
            Assert.NotNull(otlp.Traces);
            Assert.Equal("OTLP to http://collector:4317", otlp.Summary());
        }
        using (var tracesOnly = Start(prometheus: false, ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")))
        {
            Assert.Null(tracesOnly.Meters);
            Assert.NotNull(tracesOnly.Traces);
        }
        using var disabled = Start(prometheus: true, ("OTEL_SDK_DISABLED", "true"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"));
        Assert.Null(disabled.Meters);
        Assert.Null(disabled.Traces);
        Assert.False(disabled.ServesPrometheus);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317", "not an absolute http(s) URL")]
    [InlineData("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "ftp://collector", "not an absolute http(s) URL")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "use grpc or http/protobuf")]
    public void ABadSettingIsRejectedNamingTheVariableAndWhatIsAccepted(string key, string value, string accepted)
    {
        var ex = Assert.Throws<TelemetryConfigurationException>(() => Start(prometheus: true, (key, value)));
        Assert.Contains($"{key}='{value}'", ex.Message);
        Assert.Contains(accepted, ex.Message);
    }
}
