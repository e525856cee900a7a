using System.Text.Json.Nodes;
using Athanor.Checkpoints;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Two submissions, one output_dir, a real `cluster node`: the folder belongs to the job that wrote it. A second job is
/// refused while the first runs, then refused naming the first unless it sets overwrite_output_dir, and then trains
/// from the beginning (never from the first job's weights) and writes checkpoints of its own.
/// </summary>
public sealed class OutputOwnershipTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);
    private readonly ClusterFolders _folders = new();
    private NodeProcess? _node;

    private static int Int(JsonObject o, string key) => o[key] is JsonNode n ? n.GetValue<int>() : 0;

    [Fact]
    public void ASecondJobOnTheSameOutputDirIsRefusedNamingTheOwnerAndWithOverwriteStartsOver()
    {
        int akka = NodeProcess.FreePort();
        _node = new NodeProcess("owner", akka, NodeProcess.FreePort(), [$"127.0.0.1:{akka}"], "sqlite:" + Path.Combine(_folders.Root, "journal.db"), _folders);
        _node.WaitUntilServing(TimeSpan.FromSeconds(90));
        var server = _node.Server;
        var client = new ClusterClient(_folders);
        var outputDir = Path.Combine(_folders.OutputRoot, "shared");

        var first = client.Submit(server, _folders.WriteJob("shared", maxSteps: 5000, saveSteps: 5, worldSize: 1));
        client.WaitFor([server], first, s => Int(s, "last_checkpoint_step") >= 5, Long, "the first job's first checkpoint");

        // While the first job runs, nothing takes its folder, not even with overwrite_output_dir.
        var job = _folders.WriteJob("shared", maxSteps: 4, saveSteps: 2, worldSize: 1, "weight_decay: 0.01");
        var (exit, text) = client.Run(server, "submit", job, "--set", "overwrite_output_dir=true");
        output.WriteLine(text);
        Assert.Equal(2, exit);
        Assert.Contains($"is in use by job {first}", text);
        Assert.Contains("[FailedPrecondition]", text);

        Assert.Equal(0, client.Run(server, "cancel", first).Exit);
        client.WaitFor([server], first, s => (string?)s["state"] == "Cancelled", Long, "the first job to be cancelled");

        // Its outputs stay its own: a second job is refused, naming it, unless it asks to start over there.
        (exit, text) = client.Run(server, "submit", job);
        output.WriteLine(text);
        Assert.Equal(2, exit);
        Assert.Contains($"holds the outputs of job {first}", text);
        Assert.Contains("overwrite_output_dir: true", text);

        (exit, text) = client.Run(server, "submit", job, "--set", "overwrite_output_dir=true");
        Assert.True(exit == 0, text);
        var second = text.Trim().Split('\n')[^1].Trim().Split(' ')[^1];
        var done = client.WaitFor([server], second, s => (string?)s["state"] == "Succeeded", Long, "the second job to finish");
        Assert.Equal(4, Int(done, "step"));
        var logs = client.Run(server, "logs", second).Output;
        output.WriteLine(logs);
        Assert.DoesNotContain("resumed from", logs); // trained from the beginning, not from the first job's step 5+
        Assert.Matches(@"step\s+1/4", logs);
        var owners = new CheckpointStore(outputDir).CompleteWithOwners();
        Assert.Equal(second, owners.Single(c => c.Step == 4).JobId);
        Assert.Equal(second, owners.Single(c => c.Step == 2).JobId);
    }

    public void Dispose()
    {
        if (_node is not null)
        {
            output.WriteLine($"--- node (last lines) ---\n{_node.Tail(25)}");
            _node.Dispose();
        }
        _folders.Dispose();
    }
}
