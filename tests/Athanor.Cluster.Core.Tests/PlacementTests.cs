using Athanor.Cluster.Coordination;
using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Core.Tests;

/// <summary>The placement policy as pure functions: snapshots in, decisions out, the time given.</summary>
public sealed class PlacementTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly CoordinatorSettings Settings = CoordinatorSettings.Default;

    private static WorkerNode Node(string address, int slots, string kind = "cpu", Dictionary<int, string>? busy = null,
        DateTimeOffset? suspectSince = null, bool unreachable = false, DateTimeOffset? lastSeen = null) =>
        new(address, kind, slots, busy ?? [], lastSeen ?? T0, suspectSince, unreachable);

    private static PendingJob Job(string id, int[] worlds, int priority = 0, string kind = "cpu", int minutesOld = 0, DateTimeOffset? waitingSince = null) =>
        new(id, new JobRequirements(worlds.Min(), worlds.Max(), worlds, priority, kind), 0, T0.UtcDateTime.AddMinutes(-minutesOld), waitingSince ?? T0);

    private static RunningJob Running(string id, int world, int[] worlds, string node = "node-a", bool formed = true, bool stopping = false,
        DateTimeOffset? started = null) =>
        new(id, 1, Enumerable.Range(0, world).Select(r => new RankPlacement(r, node, r)).ToArray(), started ?? T0, formed, stopping,
            new JobRequirements(worlds.Min(), worlds.Max(), worlds, 0, "cpu"));

    private static string Where(Proposal p) => string.Join(" ", p.Placement.Select(r => $"{r.NodeAddress}#{r.Slot}"));

    [Fact]
    public void GangSchedulingPlacesAllRanksOrNone()
    {
        var round = Placement.Place(new Inventory([Node("node-a", 2), Node("node-b", 1)], [Job("j", [4])], []), T0, Settings);
        Assert.Empty(round.Proposals);
        Assert.Equal("waiting for workers: needs at least 4 free cpu slot(s), the cluster has 3 free of 3", Assert.Single(round.Waiting).Note);
    }

    [Fact]
    public void SlotsGivenToOneJobAreNotOfferedToTheNextInTheSamePass()
    {
        var round = Placement.Place(new Inventory([Node("node-a", 3)], [Job("first", [2], minutesOld: 2), Job("second", [2], minutesOld: 1)], []), T0, Settings);
        Assert.Equal("node-a#0 node-a#1", Where(Assert.Single(round.Proposals)));
        Assert.Equal("second", Assert.Single(round.Waiting).JobId);
        Assert.EndsWith("the cluster has 1 free of 3", round.Waiting[0].Note);
    }

    [Fact]
    public void PriorityThenAgeThenIdDecideTheOrder()
    {
        var jobs = new[] { Job("c", [1], minutesOld: 5), Job("b", [1], priority: 1), Job("a", [1], minutesOld: 5) };
        var round = Placement.Place(new Inventory([Node("node-a", 3)], jobs, []), T0, Settings);
        Assert.Equal(["b", "a", "c"], round.Proposals.Select(p => p.JobId));
    }

    [Fact]
    public void BusySuspectAndUnreachableSlotsAreNotUsed()
    {
        var nodes = new[]
        {
            Node("node-a", 2, busy: new() { [0] = "other" }),
            Node("node-b", 1, suspectSince: T0.AddSeconds(-10)),
            Node("node-c", 1, unreachable: true),
            Node("node-d", 4, kind: "cuda"),
        };
        var round = Placement.Place(new Inventory(nodes, [Job("j", [1, 2, 3])], []), T0, Settings);
        Assert.Equal("node-a#1", Where(Assert.Single(round.Proposals)));
    }

    [Fact]
    public void NothingIsPlacedWithinTheGraceAfterAGroupBroke()
    {
        var nodes = new[] { Node("node-a", 2), Node("node-b", 2, suspectSince: T0) };
        var inventory = new Inventory(nodes, [Job("j", [1, 2, 4])], []);
        Assert.Equal(PlacementRound.None, Placement.Place(inventory, T0.AddSeconds(2.9), Settings));
        Assert.Equal(2, Assert.Single(Placement.Place(inventory, T0.AddSeconds(3), Settings).Proposals).Placement.Length);
        Assert.Single(Placement.Place(inventory, T0.AddSeconds(1), Settings with { SuspectGrace = TimeSpan.Zero }).Proposals);
    }

    [Fact]
    public void AJobWaitsForItsOwnRanksStillWindingDownUpToOwnRanksWait()
    {
        var nodes = new[] { Node("node-a", 2, busy: new() { [0] = "j" }) };
        var inventory = new Inventory(nodes, [Job("j", [1, 2], waitingSince: T0)], []);
        Assert.Empty(Placement.Place(inventory, T0.AddSeconds(29), Settings).Proposals);
        Assert.Empty(Placement.Place(inventory, T0.AddSeconds(29), Settings).Waiting); // waiting on itself, not on the cluster
        Assert.Equal("node-a#1", Where(Assert.Single(Placement.Place(inventory, T0.AddSeconds(30), Settings).Proposals)));
    }

    [Fact]
    public void AJobWithARankOnAnUnreachableNodeWaitsForTheDowning()
    {
        var nodes = new[] { Node("node-a", 2), Node("node-b", 1, busy: new() { [0] = "j" }, unreachable: true) };
        var round = Placement.Place(new Inventory(nodes, [Job("j", [1, 2])], []), T0.AddMinutes(5), Settings);
        Assert.Empty(round.Proposals);
        Assert.Empty(round.Waiting);
    }

    [Fact]
    public void ProposedAndRunningJobsAreNotPlacedAgain()
    {
        var pending = new[] { Job("proposed", [1]) with { Proposed = true }, Job("running", [1]) };
        var round = Placement.Place(new Inventory([Node("node-a", 4)], pending, [Running("running", 1, [1], node: "node-b")]), T0, Settings);
        Assert.Empty(round.Proposals);
    }

    [Fact]
    public void ARunningJobGrowsToTheLargestValidSizeTheFreeSlotsAllow()
    {
        var nodes = new[] { Node("node-a", 2, busy: new() { [0] = "j", [1] = "j" }), Node("node-b", 3) };
        var growth = Placement.Grow(new Inventory(nodes, [], [Running("j", 2, [1, 2, 4, 8])]), T0.AddSeconds(5), Settings);
        Assert.Equal(new Growth("j", 1, 2, 4), Assert.Single(growth)); // 2 + 3 free = 5: 4 is the largest valid size
    }

    [Fact]
    public void GrowthWaitsForTheMinimumRunForWaitingJobsAndForFormedGroups()
    {
        var nodes = new[] { Node("node-a", 1, busy: new() { [0] = "j" }), Node("node-b", 1) };
        var running = Running("j", 1, [1, 2]);
        Assert.Empty(Placement.Grow(new Inventory(nodes, [], [running]), T0.AddSeconds(4.9), Settings));
        Assert.Empty(Placement.Grow(new Inventory(nodes, [Job("queued", [4])], [running]), T0.AddMinutes(1), Settings));
        Assert.Empty(Placement.Grow(new Inventory(nodes, [], [running with { Formed = false }]), T0.AddMinutes(1), Settings));
        Assert.Empty(Placement.Grow(new Inventory(nodes, [], [running with { Stopping = true }]), T0.AddMinutes(1), Settings));
        Assert.Empty(Placement.Grow(new Inventory(nodes, [], [running with { Requirements = null }]), T0.AddMinutes(1), Settings));
        Assert.Single(Placement.Grow(new Inventory(nodes, [], [running]), T0.AddSeconds(5), Settings));
    }

    [Fact]
    public void TwoJobsDoNotGrowIntoTheSameFreeSlots()
    {
        var nodes = new[] { Node("node-a", 2, busy: new() { [0] = "j1", [1] = "j2" }), Node("node-b", 1) };
        var running = new[] { Running("j1", 1, [1, 2]), Running("j2", 1, [1, 2]) };
        Assert.Equal(["j1"], Placement.Grow(new Inventory(nodes, [], running), T0.AddMinutes(1), Settings).Select(g => g.JobId));
    }

    [Fact]
    public void GroupsThatNeverFormedAndSilentNodesAreOverdue()
    {
        var nodes = new[] { Node("node-a", 1, lastSeen: T0), Node("node-b", 1, lastSeen: T0.AddSeconds(30)) };
        var running = new[] { Running("unformed", 1, [1], formed: false), Running("formed", 1, [1]), Running("stopping", 1, [1], formed: false, stopping: true) };
        var overdue = Placement.FindOverdue(new Inventory(nodes, [], running), T0.AddSeconds(45.5), Settings);
        Assert.Equal(["unformed"], overdue.UnformedGroups.Select(g => g.JobId));
        Assert.Equal(["node-a"], overdue.SilentNodes.Select(n => n.Address));
        Assert.Empty(Placement.FindOverdue(new Inventory(nodes, [], running), T0.AddSeconds(20), Settings).SilentNodes);
    }

    [Fact]
    public void ALostNodeShrinksTheAttemptsWithARankOnIt()
    {
        var running = new[] { Running("on-a", 2, [1, 2]), Running("on-b", 1, [1], node: "node-b") };
        var inventory = new Inventory([Node("node-a", 2), Node("node-b", 1)], [], running);
        Assert.Equal(["on-a"], Placement.AttemptsOn(inventory, "node-a").Select(a => a.JobId));
        // Once the node is gone and the job waits again, it re-forms on what is left.
        var after = new Inventory([Node("node-b", 3, busy: new() { [0] = "on-b" })], [Job("on-a", [1, 2, 4])], [running[1]]);
        Assert.Equal(2, Assert.Single(Placement.Place(after, T0, Settings).Proposals).Placement.Length);
    }

    [Fact]
    public void TheDefaultThresholdsAreTheDocumentedOnes()
    {
        var d = CoordinatorSettings.Default;
        Assert.Equal([20, 5, 3, 30, 45, 10, 1, 5],
            new[] { d.NodeTimeout, d.MinRunBeforeRescale, d.SuspectGrace, d.OwnRanksWait, d.GroupFormTimeout, d.AnswerUnknownAfter, d.TickInterval, d.FenceRestartDelay }
                .Select(t => t.TotalSeconds));
        Assert.Same(d, d.Validated());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => (d with { SuspectGrace = TimeSpan.FromSeconds(-1) }).Validated());
        Assert.StartsWith("coordinator setting SuspectGrace is -00:00:01; it must be zero or more", error.Message);
    }
}
