using System.Diagnostics;
using System.Text.Json.Nodes;
using Akka.Cluster;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Cluster Bootstrap (Akka.Management) with real `cluster node` processes on 127.0.0.1 and no --seed: nodes find each
/// other through discovery, probe each other's /bootstrap/seed-nodes, and exactly one cluster forms.
/// </summary>
public sealed class ClusterBootstrapTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Form = TimeSpan.FromSeconds(120); // stable margin 5 s, plus a loaded 2-core CI machine
    private readonly ClusterFolders _folders = new();
    private readonly List<NodeProcess> _nodes = [];
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    private sealed record Member(string Address, long Uid, MemberStatus Status);

    private NodeProcess StartNode(string name, int akkaPort, int httpPort, IReadOnlyList<string> discoveryArgs,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var journal = "sqlite:" + Path.Combine(_folders.Root, "journal.db");
        var node = new NodeProcess(name, akkaPort, NodeProcess.FreePort(), [], journal, _folders, httpPort: httpPort,
            environment: environment, extraArgs: discoveryArgs);
        _nodes.Add(node);
        return node;
    }

    /// <summary>The members node's contact point offers (Up and reachable ones, as a newcomer would see them).</summary>
    private static List<Member>? Members(NodeProcess node)
    {
        try
        {
            var json = JsonNode.Parse(Http.GetStringAsync($"http://127.0.0.1:{node.HttpPort}/bootstrap/seed-nodes").GetAwaiter().GetResult())!;
            return json["Nodes"]!.AsArray().Select(m => new Member(
                $"{m!["Node"]!["Host"]}:{m["Node"]!["Port"]}", m["NodeUid"]!.GetValue<long>(), (MemberStatus)m["Status"]!.GetValue<int>())).ToList();
        }
        catch (HttpRequestException) { return null; }
        catch (TaskCanceledException) { return null; }
    }

    private static string UpSet(List<Member>? members) =>
        members is null ? "(no answer)" : string.Join(" ", members.Where(m => m.Status == MemberStatus.Up).Select(m => $"{m.Address}#{m.Uid}").Order());

    /// <summary>Waits until every node offers the same <paramref name="count"/> Up members: one cluster, all in it.</summary>
    private string WaitForOneCluster(IReadOnlyList<NodeProcess> nodes, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var views = nodes.Select(n => UpSet(Members(n))).ToList();
            if (views.Distinct().Count() == 1 && views[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == count) return views[0];
            foreach (var n in nodes.Where(n => n.HasExited))
                throw new InvalidOperationException($"node {n.Name} exited ({n.ExitCode}):\n{n.Tail()}");
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"no single cluster of {count} after {timeout}: views {string.Join(" | ", views)}\n{nodes[0].Tail(40)}");
            Thread.Sleep(500);
        }
    }

    [Fact]
    public void ThreeNodesFormOneClusterThroughConfigDiscoveryAndARestartedFounderRejoinsIt()
    {
        var akka = Enumerable.Range(0, 3).Select(_ => NodeProcess.FreePort()).ToArray();
        var http = Enumerable.Range(0, 3).Select(_ => NodeProcess.FreePort()).Order().ToArray(); // node a has the lowest contact point
        var contactPoints = http.SelectMany(p => new[] { "--contact-point", $"127.0.0.1:{p}" }).ToList();
        var args = new List<string>(["--discovery", "config", .. contactPoints]);
        var clock = Stopwatch.StartNew();
        var nodes = new[] { "a", "b", "c" }.Select((name, i) => StartNode(name, akka[i], http[i], args)).ToList();
        foreach (var n in nodes) n.WaitUntilServing(Start);
        var cluster = WaitForOneCluster(nodes, 3, Form);
        output.WriteLine($"one cluster of 3 after {clock.Elapsed.TotalSeconds:F1} s: {cluster}");
        Assert.Contains("Initiating new cluster, self-joining", nodes[0].Output); // the lowest contact point founded it
        Assert.DoesNotContain("Initiating new cluster", nodes[1].Output);
        Assert.DoesNotContain("Initiating new cluster", nodes[2].Output);

        // The founder dies. Restarted with the same address, it must join the cluster the others still form, not found a second one.
        nodes[0].Kill9();
        WaitForOneCluster(nodes.Skip(1).ToList(), 2, Form);
        var survivors = UpSet(Members(nodes[1]));
        clock.Restart();
        var again = StartNode("a2", akka[0], http[0], args);
        again.WaitUntilServing(Start);
        var rejoined = WaitForOneCluster([again, nodes[1], nodes[2]], 3, Form);
        output.WriteLine($"restarted founder back in the cluster after {clock.Elapsed.TotalSeconds:F1} s: {rejoined}");
        foreach (var member in survivors.Split(' ')) Assert.Contains(member, rejoined); // the same incarnations of b and c
        Assert.DoesNotContain("Initiating new cluster", again.Output);
    }

    [Fact]
    public async Task NodesFindEachOtherThroughTheKubernetesApiAndOnlyRunningPodsOfTheReleaseCount()
    {
        var akka = Enumerable.Range(0, 2).Select(_ => NodeProcess.FreePort()).ToArray();
        var http = Enumerable.Range(0, 2).Select(_ => NodeProcess.FreePort()).ToArray();
        int nobody = NodeProcess.FreePort(); // nothing listens here: probing any of the pods below would stall bootstrap
        const string release = "app.kubernetes.io/name=athanor,app.kubernetes.io/instance=t1";
        var pods = new List<KubernetesApiStandIn.Pod>
        {
            new("t1-athanor-0", release, "Running", "127.0.0.1", http[0]),
            new("t1-athanor-1", release, "Running", "127.0.0.1", http[1]),
            new("t1-athanor-2", release, "Pending", "127.0.0.1", nobody),
            new("t1-athanor-3", release, "Running", "127.0.0.1", nobody, Deleting: true),
            new("other-athanor-0", "app.kubernetes.io/name=athanor,app.kubernetes.io/instance=other", "Running", "127.0.0.1", nobody),
        };
        var token = "sa-token-" + Guid.NewGuid().ToString("N");
        await using var api = new KubernetesApiStandIn(_folders.Root, "training", token, pods);
        var args = new List<string>(["--discovery", "kubernetes", "--k8s-label-selector", "app.kubernetes.io/instance=t1,app.kubernetes.io/name=athanor",
            "--k8s-namespace", "training", "--required-contact-points", "2", "--k8s-api-ca-path", api.CaPath, "--k8s-api-token-path", api.TokenPath]);
        var environment = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1", ["KUBERNETES_SERVICE_PORT"] = api.Port.ToString() };
        var clock = Stopwatch.StartNew();
        var nodes = new[] { "a", "b" }.Select((name, i) => StartNode(name, akka[i], http[i], args, environment)).ToList();
        foreach (var n in nodes) n.WaitUntilServing(Start);
        var cluster = WaitForOneCluster(nodes, 2, Form);
        output.WriteLine($"one cluster of 2 through the Kubernetes API after {clock.Elapsed.TotalSeconds:F1} s: {cluster}");
        Assert.NotEmpty(api.Requests);
        Assert.All(api.Requests, r => Assert.Equal($"training app.kubernetes.io/instance=t1,app.kubernetes.io/name=athanor Bearer {token}", r));
    }

    [Fact]
    public void ANodeWhoseSeedDoesNotAnswerSaysSoAndJoinsOnceItDoes()
    {
        // The seed's port is free: nobody answers there yet.
        int seedPort = NodeProcess.FreePort();
        var journal = "sqlite:" + Path.Combine(_folders.Root, "journal.db");
        var lonely = new NodeProcess("lonely", NodeProcess.FreePort(), NodeProcess.FreePort(), [$"127.0.0.1:{seedPort}"], journal, _folders);
        _nodes.Add(lonely);
        lonely.WaitUntilServing(Start);
        var clock = Stopwatch.StartNew();
        string said = $"cluster node: not in a cluster after 20 s: no seed answered (127.0.0.1:{seedPort}); each --seed must be the --host:--port of a running member";
        while (!lonely.Output.Contains(said) && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(200);
        Assert.True(lonely.Output.Contains(said), "no word about the seed:\n" + lonely.Tail());

        // The seed comes up (founding the cluster): the node joins and says so.
        var seed = new NodeProcess("seed", seedPort, NodeProcess.FreePort(), [$"127.0.0.1:{seedPort}"], journal, _folders);
        _nodes.Add(seed);
        clock.Restart();
        while (!lonely.Output.Contains("cluster node: joined the cluster (2 members)") && clock.Elapsed < TimeSpan.FromSeconds(90)) Thread.Sleep(200);
        Assert.True(lonely.Output.Contains("cluster node: joined the cluster (2 members)"), "it did not say it joined:\n" + lonely.Tail());
    }

    [Fact]
    public void TwoClustersOnOneJournalAreCaughtAndOneOfThemLeaves() =>
        OneOfTwoClustersLeaves("sqlite:" + Path.Combine(_folders.Root, "shared-journal.db"));

    [Fact]
    public void TwoClustersOnOnePostgresJournalAreCaughtToo()
    {
        // The fence relies on the journal refusing a second event with the same persistence id and sequence number;
        // PostgreSQL's refusal reads differently from SQLite's (23505, duplicate key).
        using var postgres = new PostgresServer();
        OneOfTwoClustersLeaves("postgres:" + postgres.CreateDatabase("fence_" + Guid.NewGuid().ToString("N")[..6]));
    }

    private void OneOfTwoClustersLeaves(string journal)
    {
        // Misconfigured: each node founds a cluster of its own (its own seed) but both use one journal, where they
        // would recover and run the same jobs. The journal's fence catches it and one node leaves, saying why.
        var nodes = new[] { "a", "b" }.Select(name =>
        {
            int akka = NodeProcess.FreePort();
            var node = new NodeProcess(name, akka, NodeProcess.FreePort(), [$"127.0.0.1:{akka}"], journal, _folders);
            _nodes.Add(node);
            return node;
        }).ToList();
        foreach (var n in nodes) n.WaitUntilServing(Start);
        var clock = Stopwatch.StartNew();
        while (!nodes.Any(n => n.HasExited) && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(200);
        var left = Assert.Single(nodes, n => n.HasExited);
        output.WriteLine($"node {left.Name} left {clock.Elapsed.TotalSeconds:F1} s after both were serving");
        Assert.Equal(1, left.ExitCode);
        Assert.Contains("cluster node: error: another cluster's coordinator writes this journal", left.Output);
        Assert.Contains("give them all the same --seed list", left.Output);
        Thread.Sleep(5000);
        Assert.False(nodes.Single(n => n != left).HasExited, "the other node should keep its cluster");
    }

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        _folders.Dispose();
    }
}
