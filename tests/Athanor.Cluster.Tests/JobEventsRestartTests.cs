using Athanor.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// A job's events, logs and metrics are journaled with the job: after its `cluster node` process is stopped and
/// started again on the same SQLite journal, the events are numbered as before, a stream resumed from event N
/// continues exactly there, and the finished job's metrics are still there.
/// </summary>
public sealed class JobEventsRestartTests(ITestOutputHelper output) : IDisposable
{
    private readonly ClusterFolders _folders = new();
    private readonly List<NodeProcess> _nodes = [];

    private NodeProcess StartNode()
    {
        int akka = NodeProcess.FreePort();
        var node = new NodeProcess("restart", akka, NodeProcess.FreePort(), [$"127.0.0.1:{akka}"], "sqlite:" + Path.Combine(_folders.Root, "journal.db"), _folders);
        _nodes.Add(node);
        node.WaitUntilServing(TimeSpan.FromSeconds(90));
        return node;
    }

    private Metadata Auth => new() { { "authorization", $"Bearer {_folders.Token}" } };

    private async Task<List<JobEvent>> Events(NodeProcess node, string id, long from, bool follow)
    {
        using var channel = GrpcChannel.ForAddress(node.Server);
        var jobs = new JobService.JobServiceClient(channel);
        using var call = jobs.WatchJob(new WatchJobRequest { JobId = id, FromSequence = from, Follow = follow }, Auth, DateTime.UtcNow.AddMinutes(1));
        var events = new List<JobEvent>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None)) events.Add(call.ResponseStream.Current);
        return events;
    }

    private async Task<Job> Get(NodeProcess node, string id)
    {
        using var channel = GrpcChannel.ForAddress(node.Server);
        return await new JobService.JobServiceClient(channel).GetJobAsync(new GetJobRequest { JobId = id }, Auth, DateTime.UtcNow.AddSeconds(30));
    }

    [Fact]
    public async Task AfterANodeRestartTheEventsKeepTheirNumbersAndAStreamResumesExactly()
    {
        var node = StartNode();
        var client = new ClusterClient(_folders);
        var id = client.Submit(node.Server, _folders.WriteJob("events", maxSteps: 20, saveSteps: 5, worldSize: 1));
        client.WaitFor([node.Server], id, s => (string?)s["state"] == "Succeeded", TimeSpan.FromMinutes(5), "the job to finish");
        var before = await Events(node, id, 1, follow: false);
        var jobBefore = await Get(node, id);
        Assert.True(before.Count > 30, $"only {before.Count} events");
        Assert.Equal(Enumerable.Range(1, before.Count).Select(i => (long)i), before.Select(e => e.Sequence));
        Assert.Equal(20, before.Count(e => e.KindCase == JobEvent.KindOneofCase.Step));

        node.Sigterm();
        Assert.True(node.WaitForExit(TimeSpan.FromSeconds(60)), "the node did not stop:\n" + node.Tail());
        node = StartNode();

        var after = await Events(node, id, 1, follow: false);
        output.WriteLine($"{before.Count} events before the restart, {after.Count} after");
        Assert.Equal(before.Select(e => e.ToString()), after.Select(e => e.ToString()));
        // A client that had read up to event 30 resumes there: exactly the rest, nothing twice, nothing missed.
        var resumed = await Events(node, id, 31, follow: true);
        Assert.Equal(before.Skip(30).Select(e => e.ToString()), resumed.Select(e => e.ToString()));
        var jobAfter = await Get(node, id);
        Assert.Equal(jobBefore.LastSequence, jobAfter.LastSequence);
        Assert.True(jobAfter.Metrics.HasLoss, "the finished job's metrics are gone");
        Assert.Equal(jobBefore.Metrics, jobAfter.Metrics);
        Assert.Equal(20, jobAfter.Step);
    }

    public void Dispose()
    {
        foreach (var n in _nodes)
        {
            output.WriteLine($"--- node {n.Name} (last lines) ---\n{n.Tail(25)}");
            n.Dispose();
        }
        _folders.Dispose();
    }
}
