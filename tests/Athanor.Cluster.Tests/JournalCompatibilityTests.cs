using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Athanor.Cluster.Backend;
using Athanor.Cluster.Hosting;
using Athanor.Cluster.Messages;
using Athanor.Node.Backend;
using Microsoft.Data.Sqlite;

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

        // Before anyone asks for it, the waiting job's entity is started again by its shard (remembered entities, their
        // store in the journal) and asks the coordinator for two slots, which this one-slot node cannot give.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        ClusterState state;
        while (!(state = await node.Coordinator.Ask<ClusterState>(new GetClusterState(), TimeSpan.FromSeconds(10))).WaitingJobs.Contains(WaitingJobId)
               && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.Contains(WaitingJobId, state.WaitingJobs);
        // The shard coordinator's state is in the journal too (state-store-mode persistence), under the same id as before.
        Assert.True(CoordinatorEvents(journal) > 6, "the shard coordinator did not go on with its journaled state");

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

        var waits = jobs[0];
        Assert.Equal((WaitingJobId, JobState.Pending), (waits.Id, waits.State));
        Assert.Contains("needs at least 2 free cpu slot(s)", waits.WaitingReason);
    }

    /// <summary>The id make.sh's run gave the waiting job (ids are the submission's time and a random suffix).</summary>
    private const string WaitingJobId = "20261207-193649-f44d5f";

    private static long CoordinatorEvents(string journal)
    {
        using var connection = new SqliteConnection($"Data Source={journal}");
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM journal WHERE persistence_id = '/system/sharding/jobsCoordinator/singleton/coordinator'";
        return (long)count.ExecuteScalar()!;
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
