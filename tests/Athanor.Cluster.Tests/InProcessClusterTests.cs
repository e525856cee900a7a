using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Athanor.Cluster.Hosting;
using Athanor.Cluster.Messages;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Tests;

/// <summary>
/// A one-node cluster in the test process: the actors, the journal and the trainer end to end. The protocols alone (late
/// checkpoints, late ranks, rejected job files and the rest) are tested without processes in tests/Athanor.Cluster.Core.Tests.
/// </summary>
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
}
