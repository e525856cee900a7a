using System.Net;
using System.Net.Sockets;
using Athanor.Cluster.Backend;
using Athanor.Cluster.Hosting;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Tests;

/// <summary>
/// An existing node data directory recovers its jobs: TestData/journal-1/journal.db was written by a `cluster node` of
/// commit aab915a (before the wiring moved to Akka.Hosting; make.sh there made it). Today's node opens that very
/// journal: same plugin ids, tables, tag mode, remember-entities store and event types, or this test fails.
/// </summary>
public class JournalCompatibilityTests
{
    [Fact]
    public async Task AJournalWrittenByTheEarlierWiringRecoversItsFinishedAndItsWaitingJob()
    {
        using var temp = new TempFolder();
        var journal = Path.Combine(temp.Path, "journal.db");
        File.Copy(Path.Combine(TestJobs.RepoRoot, "tests", "Athanor.Cluster.Tests", "TestData", "journal-1", "journal.db"), journal);
        int port = FreePort();
        var options = new ClusterNodeOptions
        {
            Port = port, Seeds = [$"127.0.0.1:{port}"], Devices = "cpu:1", DataDir = temp.Sub("node"), Journal = "sqlite:" + journal, LogLevel = "ERROR",
        };
        await using var node = await ClusterNode.StartAsync(options);
        var backend = new ClusterJobBackend(node);

        var jobs = (await backend.ListAsync(JobFilter.All, new PageRequest(10, null), CancellationToken.None)).Jobs;
        Assert.Equal(["job-waits", "job-done"], jobs.Select(j => j.Name));
        var done = jobs[1];
        Assert.Equal((JobState.Succeeded, 4, 4, 1, (int?)4), (done.State, done.Step, done.MaxSteps, done.Attempts, done.LastCheckpointStep));
        Assert.NotNull(done.Metrics.Loss);
        var events = new List<JobEvent>();
        await foreach (var e in backend.WatchAsync(done.Id, 1, follow: false, CancellationToken.None)) events.Add(e);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal(JobState.Succeeded, Assert.IsType<JobStateChanged>(events[^1]).State);
        Assert.Contains(events, e => e is JobStepReported { Step: 4 });

        // The waiting job's entity is remembered by its shard: it starts again on its own and asks the coordinator for
        // two slots, which this one-slot node cannot give.
        var waits = jobs[0];
        Assert.Equal(JobState.Pending, waits.State);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((waits = await backend.GetAsync(waits.Id, CancellationToken.None)).WaitingReason is null && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.Contains("needs at least 2 free cpu slot(s)", waits.WaitingReason);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
