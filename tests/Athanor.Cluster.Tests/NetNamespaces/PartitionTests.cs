using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests.NetNamespaces;

/// <summary>
/// Nodes as separate hosts (network namespaces on a bridge, <see cref="NetworkLab"/>) and the network faults a real cluster
/// sees: a cut link with the process left running, a cut coordinator, an even split, one-way loss. Each test prints its
/// figures (detection, re-formation, steps lost); default failure-detector and split-brain settings throughout.
/// </summary>
public sealed class PartitionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(3);

    private void Report(string scenario, string text) => output.WriteLine($"[{scenario}] {text}");

    private static string Job(LabCluster c, string name, int maxSteps, int world, string extra) =>
        c.Folders.WriteJob(name, maxSteps: maxSteps, saveSteps: 5, worldSize: world, extra);

    [NetNamespaceFact]
    public void AWorkerCutOffMidRunIsDownedExitsAndRejoinsAsANewMemberWhenItsLinkReturns()
    {
        using var c = new LabCluster(3);
        try
        {
            var (n1, n3) = (c[0], c[2]);
            var servers = new[] { n1.Server, c[1].Server };
            // ZeRO-2: every rank writes its optimizer shard into each checkpoint, so the cut-off rank's writes are visible.
            var id = c.Client.Submit(n1.Server, Job(c, "cut", 400, 3, "min_world_size: 1\nmax_world_size: 3\nzero_stage: 2"));
            var before = c.Client.WaitFor(servers, id, s => LabCluster.Int(s, "world_size") == 3 && LabCluster.Int(s, "step") >= 8, Long, "3 workers past step 8");

            int stepAtCut = LabCluster.Int(before, "step");
            var cutAt = DateTime.UtcNow;
            var clock = Stopwatch.StartNew();
            c.Lab.Cut(n3.Host);
            // The cut-off node stays alive but sees the other two unreachable: its own split-brain resolver downs it and it exits.
            Assert.True(n3.WaitForExit(TimeSpan.FromSeconds(60)), "the cut-off node did not exit:\n" + n3.Tail());
            var exited = clock.Elapsed;
            Assert.Equal(1, n3.ExitCode);
            Assert.Matches($@"cluster node: error: this node \({n3.Address}\) was downed: it could not reach 2 of 2 other member\(s\)", n3.Output);
            var downedAt = LabCluster.DownedAtUtc(n3) ?? throw new Xunit.Sdk.XunitException("no downing line:\n" + n3.Tail());

            var resumed = c.Client.WaitFor(servers, id, s => LabCluster.Int(s, "attempts") >= 2 && (string?)s["state"] == "Running"
                && LabCluster.Int(s, "step") > stepAtCut, Long, "training to resume on the other two");
            var reformed = clock.Elapsed;
            int lastCheckpointBefore = stepAtCut / 5 * 5;
            // Rank 2 of the 3-rank attempt ran on the cut-off node; nothing of its was written once it was downed.
            var late = c.WrittenSince("cut", downedAt, f => f.Contains("-00002-of-00003"));
            Assert.True(late.Count == 0, "the downed node wrote after it was downed: " + string.Join(", ", late));

            // The link comes back. The old incarnation is gone (it exited), so nothing rejoins silently; a restart joins as a new member.
            c.Lab.Restore(n3.Host);
            var restartClock = Stopwatch.StartNew();
            n3.Restart();
            n3.WaitUntilServing(LabCluster.Start);
            while (LabCluster.Ready(n3) != HttpStatusCode.OK)
            {
                Assert.True(restartClock.Elapsed < TimeSpan.FromSeconds(90), "the restarted node did not become Up:\n" + n3.Tail());
                Thread.Sleep(250);
            }
            var rejoined = restartClock.Elapsed;
            var grown = c.Client.WaitFor(servers, id, s => LabCluster.Int(s, "world_size") == 3 && LabCluster.Int(s, "attempts") >= 3
                && (string?)s["state"] == "Running", Long, "the job to grow back to 3 workers");
            var grewAfter = restartClock.Elapsed;

            var logs = c.Client.Run(n1.Server, "logs", id).Output;
            Report("worker cut", $"cut at step {stepAtCut}; the cut-off node exited (downed) {exited.TotalSeconds:F1} s after the cut; " +
                $"training again on {LabCluster.Int(resumed, "world_size")} workers {reformed.TotalSeconds:F1} s after the cut from checkpoint {lastCheckpointBefore} " +
                $"(steps lost <= {stepAtCut - lastCheckpointBefore}); restarted node Up {rejoined.TotalSeconds:F1} s after its restart, " +
                $"job on 3 workers again after {grewAfter.TotalSeconds:F1} s (step {LabCluster.Int(grown, "step")})");
            Assert.Matches($@"attempt 1 ended: Failed: node {System.Text.RegularExpressions.Regex.Escape(n3.Address)} (unreachable|removed)", logs);
            Assert.True(stepAtCut - lastCheckpointBefore <= 5);
            Assert.Equal("Cancelled", (string?)Cancel(c, n1, id)["state"]);
            Assert.True(cutAt < downedAt);
        }
        catch { output.WriteLine(c.Tails()); throw; }
    }

    private static System.Text.Json.Nodes.JsonObject Cancel(LabCluster c, LabNode via, string id)
    {
        var (exit, text) = c.Client.Run(via.Server, "cancel", id);
        Assert.True(exit == 0, text);
        return c.Client.WaitFor([via.Server], id, s => (string?)s["state"] is "Cancelled" or "Succeeded", Long, "the job to stop");
    }
}
