namespace Athanor.Chart.Tests;

/// <summary>Issue 28, finding 1: scaling adds or removes pods and restarts none (nothing in the pod template depends on replicaCount).</summary>
public sealed class ScalingTests
{
    private const string C = "spec.template.spec.containers.0.";

    // Scaling is an upgrade of an installed release: its generated remoting certificates are found and kept (so is
    // their checksum); one install's Secret serves every render here.
    private static readonly Lazy<string> InstalledSecrets = new(() =>
        ChartRenderer.Render(ChartValues.JournalSecret).Sources["athanor/templates/secret-remoting-tls.yaml"]);

    private static string PodTemplate(string values) =>
        Yaml.Dump(ChartRenderer.RenderUpgrade(values, InstalledSecrets.Value).One("StatefulSet").At("spec.template"));

    [Theory]
    [InlineData("kubernetes")]
    [InlineData("dns")]
    public void The_pod_template_is_the_same_for_every_replica_count_from_two_up(string discovery)
    {
        var templates = new[] { 2, 3, 5, 9, 64 }.Select(n =>
            PodTemplate($"{ChartValues.JournalSecret}\nreplicaCount: {n}\ndiscovery:\n  method: {discovery}\n")).ToList();
        Assert.All(templates, t => Assert.Equal(templates[0], t));
        Assert.DoesNotContain("ATHANOR_PEERS", templates[0]);
    }

    [Fact]
    public void The_check_above_would_see_a_replica_dependent_template()
    {
        // From one member to several the founding quorum changes (1 -> 2): that one pod restarts, and the test sees it.
        var one = PodTemplate(ChartValues.JournalSecret + "\nreplicaCount: 1\n");
        var three = PodTemplate(ChartValues.JournalSecret + "\nreplicaCount: 3\n");
        Assert.NotEqual(one, three);
        Assert.Equal(three, PodTemplate(ChartValues.JournalSecret + "\nreplicaCount: 3\n"));
    }

    [Fact]
    public void With_dns_discovery_the_start_script_gets_pod_zeros_name_and_the_headless_service_not_a_peer_list()
    {
        var sts = ChartRenderer.Render(ChartValues.JournalSecret + "\nreplicaCount: 4\ndiscovery:\n  method: dns\n", release: "prod", ns: "train").One("StatefulSet");
        var env = Yaml.ByName(sts.List(C + "env"));
        Assert.Equal("prod-athanor-0.prod-athanor-peers.train.svc.cluster.local", Yaml.Scalar(env["ATHANOR_FIRST_POD_NAME"], "value"));
        Assert.Equal("prod-athanor-peers.train.svc.cluster.local", Yaml.Scalar(env["ATHANOR_PEER_NAMES"], "value"));
        Assert.Equal("prod-athanor-peers", sts.Text("spec.serviceName"));
        Assert.Equal(["/bin/sh", "/opt/athanor/scripts/start-node.sh"], sts.Texts(C + "command"));
    }

    [Fact]
    public void With_kubernetes_discovery_the_pods_get_no_start_script_inputs()
    {
        var env = Yaml.ByName(ChartRenderer.Render(ChartValues.JournalSecret).One("StatefulSet").List(C + "env"));
        Assert.DoesNotContain(env.Keys, k => k is "ATHANOR_FIRST_POD_NAME" or "ATHANOR_PEER_NAMES" or "ATHANOR_PEERS" or "ATHANOR_SEED_WAIT_SECONDS");
    }

    [Fact]
    public void Notes_and_docs_say_scaling_restarts_no_member()
    {
        string notes = ChartRenderer.Render(ChartValues.JournalSecret, notes: true).Sources["athanor/templates/NOTES.txt"];
        Assert.Contains("running ones are not restarted", notes);
        Assert.DoesNotContain("new peer list", notes);
        string operations = File.ReadAllText(Path.Combine(ChartRenderer.RepoRoot, "docs", "operations.md"));
        Assert.DoesNotContain("new peer list", operations);
    }
}
