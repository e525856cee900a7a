using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Two real `cluster node` processes set up differently (node b runs no fused kernels: --fused-kernels false): a job
/// that wants fused kernels on both fails its attempt at once with one line naming the key, the values and the nodes,
/// the job's record and history say so, and the same job with fused_kernels: false (every rank agrees) trains.
/// </summary>
public sealed class GroupFingerprintTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);
    private readonly ClusterFolders _folders = new();
    private readonly List<NodeProcess> _nodes = [];

    private NodeProcess StartNode(string name, string journal, NodeProcess? seed, params string[] extraArgs)
    {
        int akka = NodeProcess.FreePort();
        var node = new NodeProcess(name, akka, NodeProcess.FreePort(), seed is null ? [$"127.0.0.1:{akka}"] : [seed.Seed], journal, _folders,
            extraArgs: extraArgs);
        _nodes.Add(node);
        return node;
    }

    [Fact]
    public void RanksOnNodesThatDisagreeFailTheAttemptNamingTheKeyTheValuesAndTheNodes()
    {
        var journal = "sqlite:" + Path.Combine(_folders.Root, "journal.db");
        var a = StartNode("a", journal, null);
        a.WaitUntilServing(Start);
        var b = StartNode("b", journal, a, "--fused-kernels", "false");
        b.WaitUntilServing(Start);
        var client = new ClusterClient(_folders);

        var id = client.Submit(a.Server, _folders.WriteJob("mixed", maxSteps: 4, saveSteps: 2, worldSize: 2, "max_restarts: 3"));
        var failed = client.WaitFor([a.Server], id, s => (string?)s["state"] == "Failed", Long, "the job to fail on the mismatch");
        string nodeA = $"akka.tcp://athanor@127.0.0.1:{a.AkkaPort}", nodeB = $"akka.tcp://athanor@127.0.0.1:{b.AkkaPort}";
        // Which node holds rank 0 is the coordinator's choice: the line names each value with its node and rank.
        var expected = new[]
        {
            $"ranks disagree on fused_kernels: true on {nodeA} (rank 0), false (switched off on this node) on {nodeB} (rank 1)",
            $"ranks disagree on fused_kernels: false (switched off on this node) on {nodeB} (rank 0), true on {nodeA} (rank 1)",
        };
        var error = (string?)failed["error"] ?? "";
        output.WriteLine($"state {(string?)failed["state"]}, attempts {failed["attempts"]}: {error}");
        Assert.Contains(expected, e => error.Contains(e, StringComparison.Ordinal));
        Assert.DoesNotContain('\n', error);
        // The job's history keeps the first attempt's end with the same line; no step ran, nothing was written but the config.
        var logs = client.Run(a.Server, "logs", id).Output;
        output.WriteLine(logs);
        Assert.Contains(expected, e => logs.Contains($"attempt 1 failed: {e}", StringComparison.Ordinal) || logs.Contains(e, StringComparison.Ordinal));
        Assert.Equal(0, failed["step"]?.GetValue<int>() ?? 0);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_folders.OutputRoot, "mixed"), "checkpoint-*"));

        // The same job on the same nodes with fused kernels off for every rank agrees, and trains to the end.
        var agreeing = client.Submit(a.Server, _folders.WriteJob("agreeing", maxSteps: 4, saveSteps: 2, worldSize: 2, "fused_kernels: false"));
        var done = client.WaitFor([a.Server], agreeing, s => (string?)s["state"] == "Succeeded", Long, "the agreeing job to finish");
        Assert.Equal(4, done["step"]!.GetValue<int>());
        Assert.Equal(2, done["world_size"]!.GetValue<int>());
    }

    public void Dispose()
    {
        foreach (var node in _nodes)
        {
            output.WriteLine($"--- node {node.Name}\n{node.Tail(40)}");
            node.Dispose();
        }
        _folders.Dispose();
    }
}
