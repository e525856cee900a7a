using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Athanor.Cluster.Hosting;
using Athanor.Cluster.Messages;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// A node the cluster downs must not live on without its actor system: its ranks stop without a checkpoint, its health
/// endpoints fail, and `cluster node` exits non-zero with the reason (a pod then restarts and rejoins as a new member).
/// </summary>
public sealed class NodeDowningTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ADownedNodeAbortsItsRanksWithoutACheckpointAndItsHealthFails()
    {
        using var temp = new TempFolder();
        var options = new ClusterNodeOptions { Port = NodeProcess.FreePort(), Devices = "cpu:1", DataDir = temp.Sub("node"), Seeds = [] };
        options = options with { Seeds = [$"127.0.0.1:{options.Port}"] };
        await using var node = await ClusterNode.StartAsync(options);
        // save_steps beyond the run: the only checkpoint a stop could leave is the one a graceful drain makes.
        var yaml = TestJobs.Yaml(temp.Sub("job"), maxSteps: 100_000, saveSteps: 100_000);
        await node.Jobs.Ask<object>(new SubmitJob("j1", "downed", yaml, [], "test.yaml"), TimeSpan.FromSeconds(30));
        await InProcessClusterTests.WaitFor(node.Jobs, "j1", v => v.Step >= 3, TimeSpan.FromMinutes(2));
        Assert.True(NodeHealth.Live(node).Ok);
        Assert.True(NodeHealth.Ready(node).Ok, NodeHealth.Ready(node).Text);

        var cluster = Akka.Cluster.Cluster.Get(node.System);
        cluster.Down(cluster.SelfAddress);
        var reason = await node.Terminated.WaitAsync(TimeSpan.FromSeconds(60));

        output.WriteLine(reason);
        Assert.Contains("was downed by another member", reason);
        var (live, liveText) = NodeHealth.Live(node);
        Assert.False(live);
        Assert.Contains("not alive: this node (akka.tcp://athanor@127.0.0.1:", liveText);
        Assert.False(NodeHealth.Ready(node).Ok);
        var outputDir = Path.Combine(temp.Path, "job", "out");
        Assert.Empty(Directory.GetDirectories(outputDir, "checkpoint-*"));
    }

    [Fact]
    public async Task ANodeDownedByAnotherMemberFailsReadinessAndExitsNonZeroWithTheReason()
    {
        using var folders = new ClusterFolders();
        var journal = "sqlite:" + Path.Combine(folders.Root, "journal.db");
        int akkaA = NodeProcess.FreePort();
        using var a = new NodeProcess("a", akkaA, NodeProcess.FreePort(), [$"127.0.0.1:{akkaA}"], journal, folders, httpPort: NodeProcess.FreePort());
        a.WaitUntilServing(TimeSpan.FromSeconds(90));
        using var b = new NodeProcess("b", NodeProcess.FreePort(), NodeProcess.FreePort(), [a.Seed], journal, folders, httpPort: NodeProcess.FreePort());
        b.WaitUntilServing(TimeSpan.FromSeconds(90));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        Assert.True(Health.WaitFor(http, b, "ready", HttpStatusCode.OK, TimeSpan.FromSeconds(60)), "b never became ready:\n" + b.Tail());

        // Another member downs b: an Akka member of the cluster in this test process, as an operator's tool would be.
        using var observer = ActorSystem.Create("athanor", ConfigurationFactory.ParseString($$"""
            akka.actor.provider = cluster
            akka.loglevel = WARNING
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.cluster { seed-nodes = ["akka.tcp://athanor@{{a.Seed}}"], roles = ["observer"] }
            """));
        var joined = new TaskCompletionSource();
        Akka.Cluster.Cluster.Get(observer).RegisterOnMemberUp(() => joined.TrySetResult());
        await joined.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        Akka.Cluster.Cluster.Get(observer).Down(Akka.Actor.Address.Parse($"akka.tcp://athanor@{b.Seed}"));

        bool notReady = Health.WaitFor(http, b, "ready", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), orExit: true);
        Assert.True(b.WaitForExit(TimeSpan.FromSeconds(60)), "the downed node did not exit:\n" + b.Tail());
        output.WriteLine($"b exited {b.ExitCode} {clock.Elapsed.TotalSeconds:F1} s after it was downed (readiness failed first: {notReady})");
        Assert.Equal(1, b.ExitCode);
        Assert.Contains($"cluster node: error: this node (akka.tcp://athanor@{b.Seed}) was downed by another member of the cluster", b.Output);
        Assert.False(a.HasExited, "the member that stayed exited too:\n" + a.Tail());
        Akka.Cluster.Cluster.Get(observer).Leave(Akka.Cluster.Cluster.Get(observer).SelfAddress);
    }
}

/// <summary>Polls a node's /health endpoints.</summary>
internal static class Health
{
    /// <summary>True once /health/WHAT answers the status (orExit: or the process has exited, which counts only if it answered so before).</summary>
    public static bool WaitFor(HttpClient http, NodeProcess node, string what, HttpStatusCode status, TimeSpan timeout, bool orExit = false)
        => WaitFor(http, $"http://127.0.0.1:{node.HttpPort}", () => node.HasExited, what, status, timeout, orExit);

    public static bool WaitFor(HttpClient http, string baseUrl, Func<bool> exited, string what, HttpStatusCode status, TimeSpan timeout, bool orExit = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Get(http, $"{baseUrl}/health/{what}") == status) return true;
            if (orExit && exited()) return false;
            Thread.Sleep(50);
        }
        return false;
    }

    public static HttpStatusCode? Get(HttpClient http, string url)
    {
        try { return http.GetAsync(url).GetAwaiter().GetResult().StatusCode; }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { return null; }
    }
}
