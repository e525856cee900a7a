using System.Text.Json;
using Json.Schema;

namespace Athanor.Chart.Tests;

/// <summary>values.schema.json, checked as Helm checks it: against values.yaml with the user's values merged over it.</summary>
public sealed class ValuesSchemaTests
{
    internal static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(ChartRenderer.ChartDir, "values.schema.json"));

    private static EvaluationResults Evaluate(string valuesYaml)
    {
        var values = ChartRenderer.CoalescedValues(valuesYaml);
        using var doc = JsonDocument.Parse(values.ToJsonString());
        return Schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static IEnumerable<string> ErrorLocations(EvaluationResults results) =>
        (results.Details ?? []).Where(d => d.Errors is { Count: > 0 }).Select(d => d.InstanceLocation.ToString());

    [Theory]
    [InlineData("{}")]
    [InlineData(ChartValues.GpuPool)]
    [InlineData("node:\n  devices: cuda:0,1\n  roles: worker\npodDisruptionBudget:\n  maxUnavailable: 25%\ntelemetry:\n  otlpEndpoint: http://otel-collector.monitoring:4317\n")]
    [InlineData("tls:\n  remoting:\n    certManager:\n      enabled: true\n      issuerRef: {name: internal-ca, kind: ClusterIssuer}\n  grpc:\n    enabled: true\n    existingSecret: grpc-cert\n    clientCa: {existingSecret: clients-ca}\n")]
    public void Defaults_and_sensible_overrides_are_accepted(string values)
    {
        var results = Evaluate(values);
        Assert.True(results.IsValid, string.Join("; ", ErrorLocations(results)));
    }

    [Theory]
    [InlineData("replicaCount: 0", "/replicaCount")]
    [InlineData("replicaCount: \"3\"", "/replicaCount")]
    [InlineData("replicas: 3", "/replicas")]
    [InlineData("gpu:\n  count: -1", "/gpu/count")]
    [InlineData("gpu:\n  count: two", "/gpu/count")]
    [InlineData("gpu:\n  count: 1.5", "/gpu/count")]
    [InlineData("node:\n  devices: tpu:1", "/node/devices")]
    [InlineData("node:\n  devices: cpu:0", "/node/devices")]
    [InlineData("node:\n  roles: leader", "/node/roles")]
    [InlineData("node:\n  httpPort: 70000", "/node/httpPort")]
    [InlineData("node:\n  outputRoot: runs", "/node/outputRoot")]
    [InlineData("node:\n  extraArgs: [\"verbose\"]", "/node/extraArgs/0")]
    [InlineData("image:\n  pullPolicy: Sometimes", "/image/pullPolicy")]
    [InlineData("terminationGracePeriodSeconds: 5", "/terminationGracePeriodSeconds")]
    [InlineData("storage:\n  accessModes: [ReadOnlyMany]", "/storage/accessModes/0")]
    [InlineData("storage:\n  size: lots", "/storage/size")]
    [InlineData("token:\n  value: short", "/token/value")]
    [InlineData("journal:\n  connectionString: athanor@db", "/journal/connectionString")]
    [InlineData("podDisruptionBudget:\n  maxUnavailable: 0", "/podDisruptionBudget/maxUnavailable")]
    [InlineData("telemetry:\n  otlpEndpoint: collector:4317", "/telemetry/otlpEndpoint")]
    [InlineData("resources:\n  requests:\n    memory: 8 gigs", "/resources/requests/memory")]
    [InlineData("tls:\n  remoting:\n    enabled: \"yes\"", "/tls/remoting/enabled")]
    [InlineData("tls:\n  remoting:\n    generated:\n      validityDays: 0", "/tls/remoting/generated/validityDays")]
    [InlineData("tls:\n  remoting:\n    certManager:\n      issuerRef:\n        kind: Vault", "/tls/remoting/certManager/issuerRef/kind")]
    [InlineData("tls:\n  remoting:\n    certManager:\n      duration: 90 days", "/tls/remoting/certManager/duration")]
    [InlineData("tls:\n  grpc:\n    existingSecret: My_Secret", "/tls/grpc/existingSecret")]
    [InlineData("tls:\n  grpc:\n    certManager:\n      dnsNames: [\"https://athanor.example.com\"]", "/tls/grpc/certManager/dnsNames/0")]
    [InlineData("tls:\n  grpc:\n    clientCA: {}", "/tls/grpc/clientCA")]
    public void Bad_values_are_rejected_at_their_location(string values, string location)
    {
        var results = Evaluate(values);
        Assert.False(results.IsValid);
        Assert.Contains(location, ErrorLocations(results));
    }

    [Fact]
    public void The_schema_is_draft_07_as_helm_reads_it()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(ChartRenderer.ChartDir, "values.schema.json")));
        Assert.Equal("http://json-schema.org/draft-07/schema#", doc.RootElement.GetProperty("$schema").GetString());
    }
}
