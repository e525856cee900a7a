using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>The NetworkPolicy: members talk to each other on every port, clients reach gRPC only, scrapers the http port.</summary>
public sealed class NetworkPolicyTests
{
    private static IReadOnlyList<YamlMappingNode> Rules(Rendered r) => r.One("NetworkPolicy").List("spec.ingress").Cast<YamlMappingNode>().ToList();

    private static IEnumerable<string> Ports(YamlMappingNode rule) =>
        rule.Children.TryGetValue(new YamlScalarNode("ports"), out var ports) ? ((YamlSequenceNode)ports).Children.Select(p => Yaml.Scalar(p, "port")!) : [];

    [Fact]
    public void It_is_on_by_default_and_selects_the_members_for_ingress_only()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        var policy = r.One("NetworkPolicy");
        Assert.Equal("networking.k8s.io/v1", policy.Text("apiVersion"));
        Assert.Equal(Manifest.Strings(r.One("StatefulSet").Map("spec.selector.matchLabels")), Manifest.Strings(policy.Map("spec.podSelector.matchLabels")));
        Assert.Equal(["Ingress"], policy.Texts("spec.policyTypes"));
        Assert.False(ChartRenderer.Render(ChartValues.JournalSecret + "\nnetworkPolicy:\n  enabled: false\n").Has("NetworkPolicy"));
    }

    [Fact]
    public void Members_reach_each_other_on_every_port_since_the_training_ring_listens_on_ephemeral_ones()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        var members = Rules(r).Single(rule => !Ports(rule).Any());
        var from = (YamlMappingNode)((YamlSequenceNode)members["from"]).Children.Single();
        Assert.Equal(Manifest.Strings(r.One("StatefulSet").Map("spec.selector.matchLabels")),
            Manifest.Strings((YamlMappingNode)from["podSelector"]["matchLabels"]));
        // Why no port list: a rank's ring listener takes port 0 (src/Athanor.Cluster/Workers/RankRunner.cs).
        Assert.Contains("new TcpListener(IPAddress.Parse(_host), 0)", File.ReadAllText(Path.Combine(ChartRenderer.RepoRoot, "src", "Athanor.Cluster", "Workers", "RankRunner.cs")));
    }

    [Fact]
    public void Clients_reach_only_the_grpc_port_from_anywhere_unless_restricted()
    {
        var open = Rules(ChartRenderer.Render(ChartValues.JournalSecret));
        var grpc = open.Single(rule => Ports(rule).Contains("grpc"));
        Assert.Equal(["grpc"], Ports(grpc));
        Assert.False(grpc.Children.ContainsKey(new YamlScalarNode("from")));
        Assert.All(open.Where(rule => Ports(rule).Any()), rule => Assert.DoesNotContain("akka", Ports(rule)));

        var restricted = Rules(ValueSets.RenderCi("loadbalancer-values.yaml")).Single(rule => Ports(rule).Contains("grpc"));
        var peers = ((YamlSequenceNode)restricted["from"]).Children;
        Assert.Equal("10.20.0.0/16", Yaml.Scalar(peers[0]["ipBlock"], "cidr"));
        Assert.Equal(2, peers.Count);
    }

    [Fact]
    public void Metrics_are_reachable_from_the_configured_namespace_only()
    {
        var metrics = Rules(ChartRenderer.Render(ChartValues.JournalSecret)).Single(rule => Ports(rule).Contains("http"));
        Assert.Equal(["http"], Ports(metrics));
        var from = (YamlMappingNode)((YamlSequenceNode)metrics["from"]).Children.Single();
        Assert.Equal("monitoring", Manifest.Strings((YamlMappingNode)from["namespaceSelector"]["matchLabels"])["kubernetes.io/metadata.name"]);

        var custom = Rules(ChartRenderer.Render(ChartValues.JournalSecret + "\nnetworkPolicy:\n  metricsFrom:\n    - namespaceSelector: {matchLabels: {team: obs}}\n      podSelector: {matchLabels: {app: prometheus}}\n"))
            .Single(rule => Ports(rule).Contains("http"));
        var peer = (YamlMappingNode)((YamlSequenceNode)custom["from"]).Children.Single();
        Assert.Equal("prometheus", Manifest.Strings((YamlMappingNode)peer["podSelector"]["matchLabels"])["app"]);

        var none = Rules(ChartRenderer.Render(ChartValues.JournalSecret + "\nnetworkPolicy:\n  metricsFrom: []\n"));
        Assert.DoesNotContain(none, rule => Ports(rule).Contains("http"));
    }
}
