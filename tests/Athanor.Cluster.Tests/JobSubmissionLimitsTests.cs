using System.Diagnostics;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>A real `cluster node` (SQLite journal) refuses absurd sizes at submission, naming the key, without asking the job's entity to do math on them.</summary>
public sealed class JobSubmissionLimitsTests(ITestOutputHelper output) : IDisposable
{
    private readonly ClusterFolders _folders = new();
    private NodeProcess? _node;

    private NodeProcess StartNode()
    {
        int akka = NodeProcess.FreePort();
        _node = new NodeProcess("limits", akka, NodeProcess.FreePort(), [$"127.0.0.1:{akka}"], "sqlite:" + Path.Combine(_folders.Root, "journal.db"), _folders);
        _node.WaitUntilServing(TimeSpan.FromSeconds(90));
        return _node;
    }

    [Theory]
    [InlineData("max_world_size=2147483647", "max_world_size")]
    [InlineData("world_size=2147483647", "world_size")]
    [InlineData("gradient_accumulation_steps=2147483647", "gradient_accumulation_steps")]
    public void AnAbsurdSizeIsRefusedAtOnceWithInvalidArgumentNamingTheKey(string setting, string key)
    {
        var node = StartNode();
        var client = new ClusterClient(_folders);
        var clock = Stopwatch.StartNew();
        var (exit, text) = client.Run(node.Server, "submit", _folders.WriteJob("absurd", maxSteps: 4, saveSteps: 2, worldSize: 1), "--set", setting);
        output.WriteLine($"{setting}: exit {exit} after {clock.Elapsed.TotalSeconds:F1}s: {text.Trim()}");
        Assert.Equal(2, exit); // bad input
        Assert.Contains("[InvalidArgument]", text);
        Assert.Contains($"overrides.{key}", text);
        Assert.Contains("out of range", text);
        Assert.DoesNotContain("AskTimeout", text);
        Assert.DoesNotContain("DivideByZero", text);
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
