using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Cancel and SIGTERM do not wait for a step to end, however many micro-batches it has: a real `cluster node` stops a
/// job between micro-batches, keeps the last completed step's checkpoint, and reports how long the stop took.
/// </summary>
public sealed class MidStepCancelTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);
    private readonly ClusterFolders _folders = new();
    private readonly List<NodeProcess> _nodes = [];

    private static int Int(JsonObject o, string key) => o[key] is JsonNode n ? n.GetValue<int>() : 0;

    private NodeProcess StartNode(string name)
    {
        int akka = NodeProcess.FreePort();
        var node = new NodeProcess(name, akka, NodeProcess.FreePort(), [$"127.0.0.1:{akka}"], "sqlite:" + Path.Combine(_folders.Root, name + ".db"), _folders);
        _nodes.Add(node);
        node.WaitUntilServing(TimeSpan.FromSeconds(90));
        return node;
    }

    /// <summary>A job of world 1 whose steps have <paramref name="microBatches"/> micro-batches of one sample.</summary>
    private string LongSteps(string name, int microBatches, int maxSteps)
    {
        var job = _folders.WriteJob(name, maxSteps: maxSteps, saveSteps: 1, worldSize: 1);
        File.WriteAllText(job, File.ReadAllText(job).Replace("gradient_accumulation_steps: 12", $"gradient_accumulation_steps: {microBatches}"));
        return job;
    }

    [Fact]
    public void ACancelledJobStopsInTheMiddleOfAStepKeepingTheLastCompletedStep()
    {
        var node = StartNode("cancel");
        var client = new ClusterClient(_folders);
        var id = client.Submit(node.Server, LongSteps("midstep", microBatches: 600, maxSteps: 3)); // about 13 s a step on an idle 2-core machine
        var first = client.WaitFor([node.Server], id, s => Int(s, "last_checkpoint_step") >= 1, Long, "the first step's checkpoint");
        Assert.Equal(1, Int(first, "step"));

        var clock = Stopwatch.StartNew();
        Assert.Equal(0, client.Run(node.Server, "cancel", id).Exit);
        var cancelled = client.WaitFor([node.Server], id, s => (string?)s["state"] == "Cancelled", Long, "the job to be cancelled");
        output.WriteLine($"cancel in step 2 of 600 micro-batches: Cancelled {clock.Elapsed.TotalSeconds:F1}s after CancelJob");
        // Step 2 never completed: the stop came between its micro-batches, and the checkpoint is step 1's.
        Assert.Equal(1, Int(cancelled, "step"));
        Assert.Equal(1, Int(cancelled, "last_checkpoint_step"));
        Assert.Contains("stopped in step 2, between micro-batches", client.Run(node.Server, "logs", id).Output);
        Assert.False(Directory.Exists(Path.Combine(_folders.OutputRoot, "midstep", "checkpoint-2")));
    }

    [Fact]
    public void CancelAndSigtermWithAMultiMinuteStepStopWithinSeconds()
    {
        var node = StartNode("measure");
        var client = new ClusterClient(_folders);

        // 100000 micro-batches a step: minutes per step on this model.
        var id = client.Submit(node.Server, LongSteps("cancel-long", microBatches: 100_000, maxSteps: 2));
        client.WaitFor([node.Server], id, s => (string?)s["state"] == "Running", Long, "the job to run");
        WaitForLog(client, node, id, "rank 0/1", TimeSpan.FromSeconds(60)); // in its first step (the bring-up line is overdue after 30 s)
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, client.Run(node.Server, "cancel", id).Exit);
        var cancelled = client.WaitFor([node.Server], id, s => (string?)s["state"] == "Cancelled", Long, "the job to be cancelled");
        var cancelTime = clock.Elapsed;
        Assert.Equal(0, Int(cancelled, "step"));

        var id2 = client.Submit(node.Server, LongSteps("sigterm-long", microBatches: 100_000, maxSteps: 2));
        client.WaitFor([node.Server], id2, s => (string?)s["state"] == "Running", Long, "the second job to run");
        WaitForLog(client, node, id2, "rank 0/1", TimeSpan.FromSeconds(60));
        clock.Restart();
        node.Sigterm();
        Assert.True(node.WaitForExit(TimeSpan.FromSeconds(90)), "the node did not leave after SIGTERM:\n" + node.Tail());
        var sigtermTime = clock.Elapsed;
        output.WriteLine($"step of 100000 micro-batches: CancelJob -> Cancelled {cancelTime.TotalSeconds:F1}s; SIGTERM -> node exited {sigtermTime.TotalSeconds:F1}s (exit {node.ExitCode})");
        Assert.Equal(0, node.ExitCode);
    }

    /// <summary>Waits until the job's log has a line containing text (a rank's bring-up report), or the time passes.</summary>
    private static void WaitForLog(ClusterClient client, NodeProcess node, string id, string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !client.Run(node.Server, "logs", id).Output.Contains(text)) Thread.Sleep(1000);
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
