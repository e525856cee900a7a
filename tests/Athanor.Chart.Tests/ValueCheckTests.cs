using System.Text.Json;
using Json.Schema;

namespace Athanor.Chart.Tests;

/// <summary>Issue 28, finding 8: a subchart's keys are accepted; contradictory values fail the render naming both.</summary>
public sealed class ValueCheckTests
{
    private static JsonSchema Schema => ValuesSchemaTests.Schema; // one instance: the library registers a schema by its id once

    private static bool SchemaAccepts(string valuesYaml)
    {
        using var doc = JsonDocument.Parse(ChartRenderer.CoalescedValues(valuesYaml).ToJsonString());
        return Schema.Evaluate(doc.RootElement).IsValid;
    }

    [Fact]
    public void Helms_global_and_enabled_keys_are_accepted_so_the_chart_can_be_a_subchart()
    {
        Assert.True(SchemaAccepts(File.ReadAllText(Path.Combine(ValueSets.CiDir, "subchart-values.yaml"))));
        Assert.False(SchemaAccepts("enabled: maybe\n"));
        Assert.False(SchemaAccepts("globals: {}\n")); // other unknown keys are still refused
    }

    [Theory]
    [InlineData("limits")]
    [InlineData("requests")]
    public void A_gpu_resource_beside_gpu_count_is_refused_not_rendered_twice(string kind)
    {
        var ex = Assert.Throws<RenderException>(() => ChartRenderer.Render($"{ChartValues.JournalSecret}\ngpu:\n  count: 8\nresources:\n  {kind}:\n    nvidia.com/gpu: 4\n"));
        Assert.Contains($"resources.{kind}.nvidia.com/gpu=4", ex.Message);
        Assert.Contains("gpu.count (now 8)", ex.Message);
    }

    [Fact]
    public void More_required_contact_points_than_members_is_refused()
    {
        var ex = Assert.Throws<RenderException>(() => ChartRenderer.Render(ChartValues.JournalSecret + "\nreplicaCount: 3\ndiscovery:\n  requiredContactPoints: 4\n"));
        Assert.Contains("discovery.requiredContactPoints=4 is more than replicaCount=3", ex.Message);
        ChartRenderer.Render(ChartValues.JournalSecret + "\nreplicaCount: 3\ndiscovery:\n  requiredContactPoints: 3\n");
    }

    [Fact]
    public void A_grace_period_shorter_than_the_nodes_drain_is_refused()
    {
        // Past the schema (whose minimum says the same), the render refuses too, naming both numbers.
        var ex = Assert.Throws<RenderException>(() => ChartRenderer.Render(ChartValues.JournalSecret + "\nterminationGracePeriodSeconds: 70\n"));
        Assert.Contains("terminationGracePeriodSeconds=70", ex.Message);
        Assert.Contains("drain timeout of 60 s", ex.Message);
        Assert.Contains("at least 80", ex.Message);
        Assert.False(SchemaAccepts("terminationGracePeriodSeconds: 70\n"));
        Assert.Equal("80", ChartRenderer.Render(ChartValues.JournalSecret + "\nterminationGracePeriodSeconds: 80\n").One("StatefulSet").Text("spec.template.spec.terminationGracePeriodSeconds"));
        // The node's drain is ClusterNodeOptions.DrainTimeout, 60 s, and its host stops 20 s after.
        string options = File.ReadAllText(Path.Combine(ChartRenderer.RepoRoot, "src", "Athanor.Cluster", "Hosting", "ClusterNodeOptions.cs"));
        Assert.Contains("DrainTimeout { get; init; } = TimeSpan.FromSeconds(60)", options);
    }
}
