using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
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
            // What the cluster dashboard's unreachable panel reads, sampled on the two survivors while the cut is resolved.
            using var sampling = new CancellationTokenSource();
            double unreachableSeen = 0;
            var sampler = new Thread(() =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    foreach (var n in new[] { n1, c[1] })
                        unreachableSeen = Math.Max(unreachableSeen, LabCluster.MetricFromInside(n, "athanor_cluster_members_unreachable") ?? 0);
                    Thread.Sleep(500);
                }
            });
            sampler.Start();
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
            sampling.Cancel();
            sampler.Join();
            Assert.True(unreachableSeen >= 1, "the dashboard's unreachable-members gauge never showed the cut-off node");
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
            // The attempt's end is in the job's history. Its reason is whichever report arrives first: the coordinator's
            // ("node X unreachable"), a surviving rank's aborted collective quoting it, a surviving rank's own ring error
            // ("receive from rank 0 failed"), or, when the job's shard lived on the cut-off node, the coordinator's answer to
            // the entity's check (which carries its reason). All four were seen; only some name the node (docs/cluster.md).
            Assert.True(logs.Contains("attempt 1 ended: Failed", StringComparison.Ordinal), "the job's history does not say the attempt ended:\n" + logs);
            // A rank whose ring broke waits briefly for the reason (an abort quoting the coordinator or the node's removal)
            // before reporting its own socket error, so the first report mostly names the lost node: printed, not asserted.
            var ended = Regex.Match(logs, @"attempt 1 ended: Failed: [^\n]*").Value;
            Report("worker cut", $"{ended} (names the lost node: {ended.Contains(n3.Address, StringComparison.Ordinal)})");
            Assert.True(stepAtCut - lastCheckpointBefore <= 5);
            Assert.Equal("Cancelled", (string?)Cancel(c, n1, id)["state"]);
            Assert.True(cutAt < downedAt);
        }
        catch { output.WriteLine(c.Tails()); throw; }
    }

    [NetNamespaceFact]
    public void TheCoordinatorsNodeCutOffIsDownedAndTheMajorityTakesOverWithOneFenceWriterAtATime()
    {
        using var c = new LabCluster(3);
        try
        {
            var (n1, n2, n3) = (c[0], c[1], c[2]); // n1 is the oldest: the coordinator singleton and the journal fence's writer
            var servers = new[] { n2.Server, n3.Server };
            var id = c.Client.Submit(n2.Server, Job(c, "coord", 400, 3, "min_world_size: 1\nmax_world_size: 3"));
            var before = c.Client.WaitFor(servers, id, s => LabCluster.Int(s, "world_size") == 3 && LabCluster.Int(s, "step") >= 8, Long, "3 workers past step 8");
            int stepAtCut = LabCluster.Int(before, "step");
            var clock = Stopwatch.StartNew();
            c.Lab.Cut(n1.Host);
            Assert.True(n1.WaitForExit(TimeSpan.FromSeconds(60)), "the cut-off coordinator did not exit:\n" + n1.Tail());
            var exited = clock.Elapsed;
            Assert.Equal(1, n1.ExitCode);
            var downedAt = LabCluster.DownedAtUtc(n1) ?? throw new Xunit.Sdk.XunitException("no downing line:\n" + n1.Tail());
            var resumed = c.Client.WaitFor(servers, id, s => LabCluster.Int(s, "attempts") >= 2 && (string?)s["state"] == "Running"
                && LabCluster.Int(s, "step") > stepAtCut, Long, "the new coordinator to re-form the job");
            var reformed = clock.Elapsed;
            // The singleton moves to the oldest member left: n2 or n3, whichever became Up first (they join together; a CI
            // run under load saw n3 take it).
            var successor = new[] { n2, n3 }.SingleOrDefault(n => n.Output.Contains($"coordinator started on {n.Address}", StringComparison.Ordinal))
                ?? throw new Xunit.Sdk.XunitException("neither n2 nor n3 says it started the coordinator");

            // Exactly one writer at a time: the fence's writes go from n1 to the successor once, and n1 wrote nothing after
            // it was downed. The new coordinator writes the fence on its first fence tick; the job may re-form before that.
            var fence = FenceHistory.Read(Path.Combine(c.Folders.Root, "journal.db"));
            for (var wait = Stopwatch.StartNew(); !fence.Any(w => w.Coordinator == successor.Address) && wait.Elapsed < TimeSpan.FromSeconds(60); Thread.Sleep(500))
                fence = FenceHistory.Read(Path.Combine(c.Folders.Root, "journal.db"));
            var writers = fence.Select(w => w.Coordinator).Aggregate(new List<string>(), (runs, w) => { if (runs.Count == 0 || runs[^1] != w) runs.Add(w); return runs; });
            Report("coordinator cut", $"cut at step {stepAtCut}; the old coordinator exited {exited.TotalSeconds:F1} s after the cut; the job re-formed by the " +
                $"new coordinator on {LabCluster.Int(resumed, "world_size")} workers {reformed.TotalSeconds:F1} s after the cut; fence writers in order: {string.Join(" -> ", writers)}");
            var history = c.Client.Run(n2.Server, "logs", id).Output;
            Assert.Contains("attempt 1 ended: Failed", history);
            // Whether the first report named the lost node (docs/cluster.md records how often it did): printed, not asserted.
            var ended = Regex.Match(history, @"attempt 1 ended: Failed: [^\n]*").Value;
            Report("coordinator cut", $"{ended} (names the lost node: {ended.Contains(n1.Address, StringComparison.Ordinal)})");
            Assert.Equal([n1.Address, successor.Address], writers);
            Assert.All(fence.Where(w => w.Coordinator == n1.Address), w => Assert.True(w.TimeUtc < downedAt, $"n1 wrote the fence at {w.TimeUtc:O}, after it was downed at {downedAt:O}"));
            Assert.Equal("Cancelled", (string?)Cancel(c, n2, id)["state"]);
        }
        catch { output.WriteLine(c.Tails()); throw; }
    }

    [NetNamespaceFact]
    public void AnEvenSplitLeavesExactlyOneSideRunningTheJob()
    {
        using var c = new LabCluster(4);
        try
        {
            // The job's two ranks go to the two lowest addresses (n1, n2); the split puts them on opposite sides.
            var (n1, n2, n3, n4) = (c[0], c[1], c[2], c[3]);
            var id = c.Client.Submit(n1.Server, Job(c, "split", 400, 2, "min_world_size: 1"));
            var before = c.Client.WaitFor([n1.Server], id, s => LabCluster.Int(s, "world_size") == 2 && LabCluster.Int(s, "step") >= 8, Long, "2 workers past step 8");
            int stepAtSplit = LabCluster.Int(before, "step");
            var clock = Stopwatch.StartNew();
            c.Lab.Split([n1.Host, n3.Host], [n2.Host, n4.Host]);
            // keep-majority's tie rule: the side with the lowest address (n1's) stays, the other downs itself.
            Assert.True(n2.WaitForExit(TimeSpan.FromSeconds(60)) && n4.WaitForExit(TimeSpan.FromSeconds(10)), "the losing side did not exit:\n" + n2.Tail() + "\n" + n4.Tail());
            var exited = clock.Elapsed;
            Assert.Equal((1, 1), (n2.ExitCode, n4.ExitCode));
            var resumed = c.Client.WaitFor([n1.Server, n3.Server], id, s => LabCluster.Int(s, "attempts") >= 2 && (string?)s["state"] == "Running"
                && LabCluster.Int(s, "step") > stepAtSplit, Long, "the job to run on the surviving side");
            var reformed = clock.Elapsed;
            Assert.False(n1.HasExited || n3.HasExited, "the winning side lost a node");
            var logs = c.Client.Run(n1.Server, "logs", id).Output;
            var placed = System.Text.RegularExpressions.Regex.Matches(logs, @"attempt (\d+): \d+ workers on (.*)").Last().Groups[2].Value;
            Report("even split", $"split 2|2 at step {stepAtSplit}; the losing side (n2, n4) exited {exited.TotalSeconds:F1} s after the split; " +
                $"the job ran again on {LabCluster.Int(resumed, "world_size")} worker(s) of the winning side {reformed.TotalSeconds:F1} s after it ({placed})");
            Assert.DoesNotContain(n2.Host.Address, placed);
            Assert.DoesNotContain(n4.Host.Address, placed);
            Assert.Equal("Cancelled", (string?)Cancel(c, n1, id)["state"]);
        }
        catch { output.WriteLine(c.Tails()); throw; }
    }

    [NetNamespaceFact]
    public void OneWayLossIsResolvedAsAPartitionNotAHang()
    {
        using var c = new LabCluster(3);
        try
        {
            var (n1, n2, n3) = (c[0], c[1], c[2]);
            var servers = new[] { n1.Server, n2.Server };
            var id = c.Client.Submit(n1.Server, Job(c, "oneway", 400, 3, "min_world_size: 1"));
            var before = c.Client.WaitFor(servers, id, s => LabCluster.Int(s, "world_size") == 3 && LabCluster.Int(s, "step") >= 8, Long, "3 workers past step 8");
            int stepAtDrop = LabCluster.Int(before, "step");
            var clock = Stopwatch.StartNew();
            // n3 still hears everyone, but nothing it sends arrives.
            c.Lab.DropOneWay(n3.Host, n1.Host);
            c.Lab.DropOneWay(n3.Host, n2.Host);
            Assert.True(n3.WaitForExit(TimeSpan.FromSeconds(60)), "the node that cannot send did not exit:\n" + n3.Tail());
            var exited = clock.Elapsed;
            Assert.Equal(1, n3.ExitCode);
            var resumed = c.Client.WaitFor(servers, id, s => LabCluster.Int(s, "attempts") >= 2 && (string?)s["state"] == "Running"
                && LabCluster.Int(s, "step") > stepAtDrop, Long, "training to resume on the other two");
            Report("one-way loss", $"n3's outgoing packets dropped at step {stepAtDrop}; n3 exited (downed) {exited.TotalSeconds:F1} s later; " +
                $"training again on {LabCluster.Int(resumed, "world_size")} workers {clock.Elapsed.TotalSeconds:F1} s after the drop");
            Assert.False(n1.HasExited || n2.HasExited);
            Assert.Equal("Cancelled", (string?)Cancel(c, n1, id)["state"]);
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
