using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Athanor.Cluster.Hosting;
using Athanor.Cluster.Messages;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Tests;

/// <summary>A one-node cluster in the test process: the actors, the journal and the trainer end to end.</summary>
public class InProcessClusterTests
{
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static async Task<JobRecord> WaitFor(IActorRef jobs, string jobId, Func<JobRecord, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JobRecord view;
        do
        {
            view = await jobs.Ask<JobRecord>(new GetJob(jobId), TimeSpan.FromSeconds(10));
            if (done(view)) return view;
            await Task.Delay(200);
        } while (DateTime.UtcNow < deadline);
        var events = await jobs.Ask<JobEventsPage>(new GetJobEvents(jobId, 1), TimeSpan.FromSeconds(10));
        throw new TimeoutException($"job {jobId} is {view.State} at step {view.Step}; events:\n" +
            string.Join("\n", events.Events.Select(e => $"{e.Kind} {e.Phase} {e.Text}")));
    }

    [Fact]
    public async Task AJobRunsToTheEndOnTwoSlotsAndItsHistoryIsJournaled()
    {
        using var temp = new TempFolder();
        var options = new ClusterNodeOptions { Port = FreePort(), Devices = "cpu:2", DataDir = temp.Sub("node"), Seeds = [] };
        options = options with { Seeds = [$"127.0.0.1:{options.Port}"] };
        await using var node = await ClusterNode.StartAsync(options);
        var yaml = TestJobs.Yaml(temp.Sub("job"), extra: "min_world_size: 1\nmax_world_size: 2");
        var submitted = await node.Jobs.Ask<object>(new SubmitJob("j1", "tiny", yaml, [], "test.yaml"), TimeSpan.FromSeconds(30));
        Assert.IsType<JobRecord>(submitted);
        var done = await WaitFor(node.Jobs, "j1", v => v.State is JobState.Succeeded or JobState.Failed, TimeSpan.FromMinutes(3));
        Assert.True(done.State == JobState.Succeeded, done.Error);
        Assert.Equal(12, done.Step);
        Assert.Equal(2, done.WorldSize);
        Assert.Equal(12, done.LastCheckpointStep);
        Assert.True(File.Exists(Path.Combine(temp.Path, "job", "out", "model.safetensors")));
    }

    [Fact]
    public async Task ACheckpointReportedAfterItsAttemptEndedIsStillRecordedUnlessStale()
    {
        // The leader reports a checkpoint once it is committed; another rank's end of attempt may reach the job first.
        using var temp = new TempFolder();
        var options = new ClusterNodeOptions { Port = FreePort(), Devices = "cpu:1", DataDir = temp.Sub("node"), Seeds = [] };
        options = options with { Seeds = [$"127.0.0.1:{options.Port}"] };
        await using var node = await ClusterNode.StartAsync(options);
        var yaml = TestJobs.Yaml(temp.Sub("job"));
        await node.Jobs.Ask<object>(new SubmitJob("late", "tiny", yaml, [], "test.yaml"), TimeSpan.FromSeconds(30));
        var done = await WaitFor(node.Jobs, "late", v => v.State is JobState.Succeeded or JobState.Failed, TimeSpan.FromMinutes(3));
        Assert.True(done.State == JobState.Succeeded, done.Error);
        int recorded = done.LastCheckpointStep!.Value;

        node.Jobs.Tell(new ReportCheckpoint("late", 1, recorded + 5, "later"));   // attempt 1 has ended: still a committed checkpoint
        node.Jobs.Tell(new ReportCheckpoint("late", 1, recorded - 1, "older"));   // not newer than what is recorded
        node.Jobs.Tell(new ReportCheckpoint("late", 7, recorded + 9, "unknown")); // an attempt that was never scheduled
        var after = await WaitFor(node.Jobs, "late", v => v.LastCheckpointStep != recorded, TimeSpan.FromSeconds(20));
        await Task.Delay(500);
        after = await node.Jobs.Ask<JobRecord>(new GetJob("late"), TimeSpan.FromSeconds(10));
        Assert.Equal(recorded + 5, after.LastCheckpointStep);
    }

    [Fact]
    public async Task TheSameTrainingErrorTwiceWithoutProgressFailsTheJobInsteadOfRetryingToMaxRestarts()
    {
        using var temp = new TempFolder();
        var options = new ClusterNodeOptions { Port = FreePort(), Devices = "cpu:1", DataDir = temp.Sub("node"), Seeds = [] };
        options = options with { Seeds = [$"127.0.0.1:{options.Port}"] };
        await using var node = await ClusterNode.StartAsync(options);
        var yaml = TestJobs.Yaml(temp.Sub("job"), extra: "max_restarts: 10");
        // A plain file where the first checkpoint's folder must go: every attempt trains 4 steps and then fails to save it.
        Directory.CreateDirectory(Path.Combine(temp.Path, "job", "out"));
        File.WriteAllText(Path.Combine(temp.Path, "job", "out", "checkpoint-4"), "in the way");
        await node.Jobs.Ask<object>(new SubmitJob("stuck", "tiny", yaml, [], "test.yaml"), TimeSpan.FromSeconds(30));
        var done = await WaitFor(node.Jobs, "stuck", v => v.State is JobState.Succeeded or JobState.Failed, TimeSpan.FromMinutes(3));
        Assert.Equal(JobState.Failed, done.State);
        Assert.Equal(2, done.Attempts); // not 11
        Assert.StartsWith("the same error ended attempts 1 and 2 with no step in between, so retrying will not help: training error: ", done.Error);
        Assert.Contains("checkpoint-4", done.Error);
    }

    [Fact]
    public async Task ARankOfAnAttemptTheJobHasEndedDoesNotTakeItsPlaceInTheQueue()
    {
        // A job waiting for its second attempt (it needs 2 workers; the node has 1), and a late heartbeat of a rank
        // of its first attempt, still winding down on this node.
        using var temp = new TempFolder();
        var options = new ClusterNodeOptions { Port = FreePort(), Devices = "cpu:1", DataDir = temp.Sub("node"), Seeds = [] };
        options = options with { Seeds = [$"127.0.0.1:{options.Port}"] };
        await using var node = await ClusterNode.StartAsync(options);
        var state = await WaitForState(node, s => s.Nodes.Length == 1);
        node.Coordinator.Tell(new JobWaiting("late-rank", new JobRequirements(2, 2, [2], 0, "cpu"), Attempts: 1, DateTime.UtcNow));
        await WaitForState(node, s => s.WaitingJobs.Contains("late-rank"));
        node.Coordinator.Tell(new RankAlive("late-rank", Attempt: 1, Rank: 0, World: 2, state.Nodes[0].NodeAddress, Slot: 0));
        await Task.Delay(1000);
        state = await node.Coordinator.Ask<ClusterState>(new GetClusterState(), TimeSpan.FromSeconds(10));
        Assert.Contains("late-rank", state.WaitingJobs);
        Assert.DoesNotContain(state.Running, r => r.JobId == "late-rank");
        Assert.Equal(1, state.Nodes[0].BusySlots); // its slot stays busy until the rank ends

        // A rank of an attempt the coordinator has not heard of (it just took over) is still learned.
        node.Coordinator.Tell(new RankAlive("late-rank", Attempt: 2, Rank: 0, World: 2, state.Nodes[0].NodeAddress, Slot: 0));
        state = await WaitForState(node, s => s.Running.Any(r => r.JobId == "late-rank" && r.Attempt == 2));
        Assert.DoesNotContain("late-rank", state.WaitingJobs);
    }

    private static async Task<ClusterState> WaitForState(ClusterNode node, Func<ClusterState, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var state = await node.Coordinator.Ask<ClusterState>(new GetClusterState(), TimeSpan.FromSeconds(10));
            if (done(state)) return state;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the coordinator's state never matched: " + System.Text.Json.JsonSerializer.Serialize(state));
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task AnInvalidJobIsRejectedWithTheConfigError()
    {
        using var temp = new TempFolder();
        var options = new ClusterNodeOptions { Port = FreePort(), Devices = "cpu:1", DataDir = temp.Sub("node") };
        options = options with { Seeds = [$"127.0.0.1:{options.Port}"] };
        await using var node = await ClusterNode.StartAsync(options);
        var reply = await node.Jobs.Ask<object>(new SubmitJob("bad", "x", TestJobs.Yaml(temp.Sub("job"), extra: "learning_rate: banana"), [], "bad.yaml"), TimeSpan.FromSeconds(30));
        var rejected = Assert.IsType<SubmitRejected>(reply);
        Assert.Contains("learning_rate", rejected.Reason);
    }
}
