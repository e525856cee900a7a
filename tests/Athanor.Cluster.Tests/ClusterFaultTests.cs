using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Real clusters of `cluster node` processes on 127.0.0.1, journal in a real PostgreSQL server, CPU workers,
/// one test per fault the cluster must survive. Each test measures and prints its recovery.
/// </summary>
public sealed class ClusterFaultTests(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IDisposable
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(8); // generous: CI machines are small and shared
    private readonly ClusterFolders _folders = new();
    private readonly List<NodeProcess> _nodes = [];

    private NodeProcess StartNode(string name, string journal, NodeProcess? seed, string devices = "cpu:1")
    {
        int akka = NodeProcess.FreePort();
        var seeds = seed is null ? new[] { $"127.0.0.1:{akka}" } : [seed.Seed];
        var node = new NodeProcess(name, akka, NodeProcess.FreePort(), seeds, journal, _folders, devices);
        _nodes.Add(node);
        return node;
    }

    private (NodeProcess A, NodeProcess B, NodeProcess C, string Journal) ThreeNodes(string test)
    {
        var journal = "postgres:" + postgres.Server.CreateDatabase(test + "_" + Guid.NewGuid().ToString("N")[..6]);
        var a = StartNode("a", journal, null);
        a.WaitUntilServing(Start);
        var b = StartNode("b", journal, a);
        var c = StartNode("c", journal, a);
        b.WaitUntilServing(Start);
        c.WaitUntilServing(Start);
        return (a, b, c, journal);
    }

    private static int Int(JsonObject o, string key) => o[key] is JsonNode n ? n.GetValue<int>() : 0;

    private void Report(string scenario, string text) => output.WriteLine($"[{scenario}] {text}");

    [Fact]
    public void Kill9OfAWorkerNodeMidRunRecoversOnTheSurvivors()
    {
        var (a, b, c, _) = ThreeNodes("kill_worker");
        var client = new ClusterClient(_folders);
        var id = client.Submit(a.Server, _folders.WriteJob("job", maxSteps: 90, saveSteps: 10, worldSize: 3, "min_world_size: 1"));
        var running = client.WaitFor([a.Server], id, s => Int(s, "world_size") == 3 && Int(s, "step") >= 25, Long, "3 workers past step 25");

        int stepAtKill = Int(running, "step");
        var killed = Stopwatch.StartNew();
        c.Kill9();
        var resumed = client.WaitFor([a.Server, b.Server], id, s => Int(s, "attempts") >= 2 && (string?)s["state"] == "Running" && Int(s, "step") > stepAtKill,
            Long, "training to resume after the kill");
        var recovery = killed.Elapsed;
        var done = client.WaitFor([a.Server, b.Server], id, s => (string?)s["state"] == "Succeeded", Long, "the job to finish");

        int checkpointBefore = stepAtKill / 10 * 10;
        Report("kill -9 worker", $"killed at step {stepAtKill}, resumed from checkpoint {checkpointBefore} on {Int(resumed, "world_size")} workers " +
            $"after {recovery.TotalSeconds:F1}s; steps lost <= {stepAtKill - checkpointBefore}; attempts {Int(done, "attempts")}");
        Assert.Equal(90, Int(done, "step"));
        Assert.True(Int(resumed, "world_size") is 1 or 2);
        // Every rank of the resumed attempt said in the job's log how its bring-up went. (The log of the first
        // attempt is not asserted: the job's entity may have lived on the killed node, and its log is kept in memory.)
        var logs = client.Run(a.Server, "logs", id).Output;
        int world = Int(resumed, "world_size");
        Assert.Matches($@"attempt {Int(resumed, "attempts")}: {world} workers on akka\.tcp://\S+ \(1\)", logs); // where it was placed
        string connect = world > 1 ? "connecting to the other ranks [0-9.]+ s, comparing the ranks' settings [0-9.]+ s, " : ""; // one rank has no peers
        for (int rank = 0; rank < world; rank++)
            Assert.Matches($@"rank {rank}/{world} on akka\.tcp://\S+ \(cpu:0\): first step done [0-9.]+ s after start \(waiting for every rank to be placed [0-9.]+ s, " +
                $@"preparing data [0-9.]+ s, {connect}building the model [0-9.]+ s, setting up training and taking the first step [0-9.]+ s\)", logs);
        Assert.True(recovery < TimeSpan.FromSeconds(60), $"recovery took {recovery}");
        Assert.True(File.Exists(Path.Combine(_folders.OutputRoot, "job", "model.safetensors")));
    }

    [Fact]
    public void ANodeThatJoinsGrowsARunningJob()
    {
        var journal = "postgres:" + postgres.Server.CreateDatabase("scale_out_" + Guid.NewGuid().ToString("N")[..6]);
        var a = StartNode("a", journal, null);
        a.WaitUntilServing(Start);
        var b = StartNode("b", journal, a);
        b.WaitUntilServing(Start);
        var client = new ClusterClient(_folders);
        var id = client.Submit(a.Server, _folders.WriteJob("grow", maxSteps: 90, saveSteps: 10, worldSize: 2, "max_world_size: 3"));
        client.WaitFor([a.Server], id, s => Int(s, "world_size") == 2 && Int(s, "step") >= 10, Long, "2 workers training");

        var joined = Stopwatch.StartNew();
        var c = StartNode("c", journal, a);
        c.WaitUntilServing(Start);
        var grown = client.WaitFor([a.Server], id, s => Int(s, "world_size") == 3 && (string?)s["state"] == "Running", Long, "the job to grow to 3 workers");
        Report("scale-out", $"node joined; training on 3 workers {joined.Elapsed.TotalSeconds:F1}s after the node started (step {Int(grown, "step")})");
        var done = client.WaitFor([a.Server], id, s => (string?)s["state"] == "Succeeded", Long, "the job to finish");
        Assert.Equal(90, Int(done, "step"));
        Assert.True(Int(done, "attempts") >= 2);
    }

    [Fact]
    public void TheCoordinatorsNodeDyingDoesNotLoseTheJob()
    {
        var (a, b, c, _) = ThreeNodes("kill_coordinator");
        var client = new ClusterClient(_folders);
        var id = client.Submit(a.Server, _folders.WriteJob("coord", maxSteps: 80, saveSteps: 10, worldSize: 3, "min_world_size: 1"));
        client.WaitFor([a.Server], id, s => Int(s, "world_size") == 3 && Int(s, "step") >= 15, Long, "3 workers past step 15");

        var killed = Stopwatch.StartNew();
        a.Kill9(); // the seed, the oldest member: the coordinator singleton and some job shards lived here
        var resumed = client.WaitFor([b.Server, c.Server], id, s => Int(s, "attempts") >= 2 && (string?)s["state"] == "Running", Long,
            "the job to be re-formed by the new coordinator");
        Report("kill -9 coordinator", $"re-formed on {Int(resumed, "world_size")} workers {killed.Elapsed.TotalSeconds:F1}s after the kill");
        var done = client.WaitFor([b.Server, c.Server], id, s => (string?)s["state"] == "Succeeded", Long, "the job to finish");
        Assert.Equal(80, Int(done, "step"));
    }

    [Fact]
    public void SigtermCheckpointsAndTheJobContinuesElsewhere()
    {
        var (a, b, c, _) = ThreeNodes("sigterm");
        var client = new ClusterClient(_folders);
        var id = client.Submit(a.Server, _folders.WriteJob("preempt", maxSteps: 90, saveSteps: 1000, worldSize: 3, "min_world_size: 1"));
        client.WaitFor([a.Server], id, s => Int(s, "world_size") == 3 && Int(s, "step") >= 10, Long, "3 workers past step 10");

        c.Sigterm();
        Assert.True(c.WaitForExit(TimeSpan.FromSeconds(90)), "the node did not leave after SIGTERM:\n" + c.Tail());
        Assert.Equal(0, c.ExitCode);
        var after = client.WaitFor([a.Server], id, s => Int(s, "attempts") >= 2 && (string?)s["state"] == "Running", Long, "the job to continue");
        // save_steps is 1000: the only checkpoint before the end is the one the preemption made.
        Assert.NotNull(after["last_checkpoint_step"]);
        var logs = client.Run(a.Server, "logs", id).Output;
        Assert.Contains("Stopped", logs);
        Report("SIGTERM", $"checkpoint at step {Int(after, "last_checkpoint_step")} made by the preemption; continued on {Int(after, "world_size")} workers, no steps lost");
        var done = client.WaitFor([a.Server], id, s => (string?)s["state"] == "Succeeded", Long, "the job to finish");
        Assert.Equal(90, Int(done, "step"));
    }

    [Fact]
    public void AJobThatNeedsMoreWorkersThanExistWaitsAndSaysSo()
    {
        var journal = "postgres:" + postgres.Server.CreateDatabase("too_big_" + Guid.NewGuid().ToString("N")[..6]);
        var a = StartNode("a", journal, null);
        a.WaitUntilServing(Start);
        var client = new ClusterClient(_folders);
        var id = client.Submit(a.Server, _folders.WriteJob("big", maxSteps: 10, saveSteps: 5, worldSize: 4));
        Thread.Sleep(3000);
        var status = client.Status(a.Server, id);
        Assert.Equal("Pending", (string?)status["state"]);
        Assert.Contains("waiting for workers: needs at least 4 free cpu slot(s), the cluster has 1 free of 1", client.Run(a.Server, "logs", id).Output);
        // The reason is part of the job, for scripts (status --json) and people (status).
        Assert.Equal("waiting for workers: needs at least 4 free cpu slot(s), the cluster has 1 free of 1", (string?)status["waiting_reason"]);
        Assert.Contains("waiting    waiting for workers: needs at least 4", client.Run(a.Server, "status", id).Output);
    }

    [Fact]
    public void AJobShrunkByADeadNodeRunsOnTheSurvivorsWithASmallerMicroBatch()
    {
        // The demo's shape: a global batch of 24 in micro-batches of 8 on 3 workers, at least 2. On 2 workers each
        // rank's share of 12 runs as 2 micro-batches of 6; before, the job waited for 3 free slots forever.
        var (a, b, c, _) = ThreeNodes("shrink");
        var client = new ClusterClient(_folders);
        var job = _folders.WriteJob("shrink", maxSteps: 40, saveSteps: 5, worldSize: 3, "min_world_size: 2");
        File.WriteAllText(job, File.ReadAllText(job).Replace("per_device_train_batch_size: 1\ngradient_accumulation_steps: 4", "per_device_train_batch_size: 8\ngradient_accumulation_steps: 1"));
        var id = client.Submit(a.Server, job);
        var running = client.WaitFor([a.Server], id, s => Int(s, "world_size") == 3 && Int(s, "step") >= 8, Long, "3 workers past step 8");

        var killed = Stopwatch.StartNew();
        c.Kill9();
        var resumed = client.WaitFor([a.Server, b.Server], id, s => Int(s, "attempts") >= 2 && (string?)s["state"] == "Running" && Int(s, "world_size") == 2,
            Long, "training to resume on 2 workers");
        Report("shrink", $"killed at step {Int(running, "step")}; running on 2 workers {killed.Elapsed.TotalSeconds:F1}s later");
        var done = client.WaitFor([a.Server, b.Server], id, s => (string?)s["state"] == "Succeeded", Long, "the job to finish on 2 workers");
        Assert.Equal(40, Int(done, "step"));
        Assert.Equal(2, Int(done, "world_size"));
        Assert.Null(done["waiting_reason"]);
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

/// <summary>One PostgreSQL server for the fault tests; each test makes its own database in it.</summary>
public sealed class PostgresFixture : IDisposable
{
    public PostgresServer Server { get; } = new();
    public void Dispose() => Server.Dispose();
}
