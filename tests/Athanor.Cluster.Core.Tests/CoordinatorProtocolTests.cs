using Akka.Actor;
using Akka.TestKit;
using Athanor.Cluster.Coordination;
using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Core.Tests;

/// <summary>
/// The coordinator's protocol: node agents, job entities and ranks are probes; time is a fake clock and the
/// coordinator's periodic tick is sent by hand. Every message the coordinator sends is read after it has handled
/// everything before (it answers GetClusterState in order, and probes receive on the calling thread).
/// </summary>
public sealed class CoordinatorProtocolTests(ITestOutputHelper output) : ProtocolTestKit(nameof(CoordinatorProtocolTests), output)
{
    private static readonly CoordinatorSettings ByHand = CoordinatorSettings.Default with { TickInterval = TimeSpan.FromHours(1) };
    private const string Yaml = "max_steps: 12";
    private TestProbe _jobs = null!;
    private IActorRef _coordinator = null!;
    private readonly Dictionary<string, TestProbe> _agents = [];

    private void Start()
    {
        _jobs = CreateTestProbe();
        _coordinator = Sys.ActorOf(Coordinator.Props(_jobs.Ref, ByHand, Clock));
    }

    /// <summary>A node's agent announcing its slots (first time: the node joins).</summary>
    private TestProbe Node(string address, int slots, string kind = "cpu")
    {
        if (!_agents.TryGetValue(address, out var agent)) _agents[address] = agent = CreateTestProbe();
        _coordinator.Tell(new RegisterNode(address, slots, kind, Enumerable.Range(0, slots).Select(i => $"{kind}:{i}").ToArray()), agent.Ref);
        return agent;
    }

    private static JobRequirements Needs(int[] worlds, int priority = 0, string kind = "cpu") => new(worlds.Min(), worlds.Max(), worlds, priority, kind);

    private void Waiting(string job, JobRequirements needs, int attempts = 0, DateTime? submitted = null) =>
        _coordinator.Tell(new JobWaiting(job, needs, attempts, submitted ?? Clock.GetUtcNow().UtcDateTime));

    /// <summary>Moves the clock once the coordinator has handled everything sent so far (what it did, it did at the earlier time).</summary>
    private void Later(TimeSpan by)
    {
        Settle();
        Clock.Advance(by);
    }

    private void Tick() => _coordinator.Tell(Coordinator.Tick.Instance);

    private ClusterState Settle()
    {
        _coordinator.Tell(new GetClusterState(), TestActor);
        return ExpectMsg<ClusterState>(Quick);
    }

    /// <summary>Everything the probe has been sent so far.</summary>
    private List<object> Sent(TestProbe probe)
    {
        Settle();
        var all = new List<object>();
        while (probe.HasMessages) all.Add(probe.ReceiveOne(TimeSpan.Zero)!);
        return all;
    }

    private List<T> Sent<T>(TestProbe probe) => Sent(probe).OfType<T>().ToList();

    private static string Where(RankPlacement[] placement) => string.Join(" ", placement.Select(p => $"{p.Rank}:{p.NodeAddress}#{p.Slot}"));

    /// <summary>Approves the proposal, has every rank report ready, and returns the ranks' StartRank messages.</summary>
    private List<StartRank> Run(ProposeAttempt proposal, int attempt = 1)
    {
        _coordinator.Tell(new AttemptApproved(proposal.JobId, attempt, proposal.Placement, Yaml, [], "job.yaml"));
        var starts = proposal.Placement.Select(p => p.NodeAddress).Distinct().SelectMany(a => Sent<StartRank>(_agents[a])).ToList();
        foreach (var p in proposal.Placement) _coordinator.Tell(new RankReady(proposal.JobId, attempt, p.Rank, $"ep-{p.Rank}"));
        foreach (var a in proposal.Placement.Select(p => p.NodeAddress).Distinct())
            Assert.Equal(proposal.Placement.Count(p => p.NodeAddress == a), Sent<FormGroup>(_agents[a]).Count); // one per rank
        return starts;
    }

    [Fact]
    public void AWaitingJobIsPlacedOnAllItsRanksAtOnceFillingNodesInOrder()
    {
        Start();
        Node("node-b", 2);
        Node("node-a", 2);
        Waiting("j", Needs([4]));
        var proposal = Assert.Single(Sent<ProposeAttempt>(_jobs));
        Assert.Equal("0:node-a#0 1:node-a#1 2:node-b#0 3:node-b#1", Where(proposal.Placement));
        Assert.Equal(4, Settle().Nodes.Sum(n => n.BusySlots)); // held for the job until it answers
    }

    [Fact]
    public void TheLargestWorldSizeThatFitsIsChosen()
    {
        Start();
        Node("node-a", 3);
        Waiting("j", Needs([1, 2, 4]));
        Assert.Equal(2, Assert.Single(Sent<ProposeAttempt>(_jobs)).Placement.Length);
    }

    [Fact]
    public void AJobThatDoesNotFitIsToldWhyEveryPassAndLogsTheReasonOnce()
    {
        Start();
        Node("node-a", 1);
        Waiting("big", Needs([4, 8]));
        var sent = Sent(_jobs);
        const string note = "waiting for workers: needs at least 4 free cpu slot(s) (it can run on 4, 8 workers), the cluster has 1 free of 1";
        Assert.Equal(new ReportWaiting("big", 0, note), Assert.Single(sent.OfType<ReportWaiting>()));
        Assert.Equal(new ReportLog("big", 0, note), Assert.Single(sent.OfType<ReportLog>()));
        Tick();
        sent = Sent(_jobs);
        Assert.Single(sent.OfType<ReportWaiting>());
        Assert.Empty(sent.OfType<ReportLog>()); // the same reason is not logged again
    }

    [Fact]
    public void AJobWaitsForItsMinimumWorldAndStartsWhenANodeJoins()
    {
        Start();
        Node("node-a", 1);
        Waiting("j", Needs([2, 4]));
        Assert.Empty(Sent<ProposeAttempt>(_jobs));
        Node("node-b", 1);
        Assert.Equal("0:node-a#0 1:node-b#0", Where(Assert.Single(Sent<ProposeAttempt>(_jobs)).Placement));
    }

    [Fact]
    public void AJobForAnotherDeviceKindIsNotPlacedOnCpuNodes()
    {
        Start();
        Node("node-a", 4);
        Waiting("gpu-job", Needs([1], kind: "cuda"));
        var sent = Sent(_jobs);
        Assert.Empty(sent.OfType<ProposeAttempt>());
        Assert.Contains("needs at least 1 free cuda slot(s), the cluster has 0 free of 0", Assert.Single(sent.OfType<ReportWaiting>()).Reason);
    }

    [Fact]
    public void AHigherPriorityJobIsPlacedFirstEvenIfSubmittedLater()
    {
        Start();
        var t0 = Clock.GetUtcNow().UtcDateTime;
        Waiting("low", Needs([2], priority: 0), submitted: t0);
        Waiting("high", Needs([2], priority: 5), submitted: t0.AddMinutes(1));
        Sent(_jobs);
        Node("node-a", 2); // a node joins with room for one of them
        var proposal = Assert.Single(Sent<ProposeAttempt>(_jobs));
        Assert.Equal("high", proposal.JobId);
    }

    [Fact]
    public void AmongEqualPrioritiesTheOlderSubmissionIsPlacedFirst()
    {
        Start();
        var t0 = Clock.GetUtcNow().UtcDateTime;
        Waiting("newer", Needs([2]), submitted: t0.AddMinutes(1));
        Waiting("older", Needs([2]), submitted: t0);
        Sent(_jobs);
        Node("node-a", 2);
        Assert.Equal("older", Assert.Single(Sent<ProposeAttempt>(_jobs)).JobId);
    }

    [Fact]
    public void ApprovalStartsEveryRankAndTheGroupFormsOnceAllAreReady()
    {
        Start();
        var a = Node("node-a", 1);
        var b = Node("node-b", 1);
        Waiting("j", Needs([2]));
        var proposal = Assert.Single(Sent<ProposeAttempt>(_jobs));
        _coordinator.Tell(new AttemptApproved("j", 1, proposal.Placement, Yaml, ["lr=1"], "job.yaml", "00-trace-01"));
        var startA = Assert.Single(Sent<StartRank>(a));
        var startB = Assert.Single(Sent<StartRank>(b));
        Assert.Equal((0, 2, 0, Yaml, "00-trace-01"), (startA.Rank, startA.World, startA.Slot, startA.YamlText, startA.TraceParent));
        Assert.Equal(1, startB.Rank);
        Assert.Same(startA.Ring, startB.Ring); // one group id and ring secret for the attempt's ranks
        Assert.Equal(32, startA.Ring.Secret.Length);

        _coordinator.Tell(new RankReady("j", 1, 1, "10.0.0.2:7001"));
        Assert.Empty(Sent<FormGroup>(a)); // not before every rank is listening
        _coordinator.Tell(new RankReady("j", 1, 0, "10.0.0.1:7000"));
        var formA = Assert.Single(Sent<FormGroup>(a));
        Assert.Equal(["10.0.0.1:7000", "10.0.0.2:7001"], formA.Endpoints);
        Assert.Equal(["10.0.0.1:7000", "10.0.0.2:7001"], Assert.Single(Sent<FormGroup>(b)).Endpoints);
        // Each rank's node, in rank order: a rank aborts its group when a peer's node leaves the cluster.
        Assert.Equal([proposal.Placement.Single(p => p.Rank == 0).NodeAddress, proposal.Placement.Single(p => p.Rank == 1).NodeAddress], formA.RankNodes!);
        Assert.True(Assert.Single(Settle().Running).Formed);
    }

    [Fact]
    public void ADeclinedProposalFreesItsSlotsForTheNextJob()
    {
        Start();
        Node("node-a", 2);
        Waiting("first", Needs([2]));
        var proposal = Assert.Single(Sent<ProposeAttempt>(_jobs));
        Waiting("second", Needs([2]));
        Assert.Empty(Sent<ProposeAttempt>(_jobs)); // the slots are held for "first"
        _coordinator.Tell(new JobDone("first"));
        _coordinator.Tell(new AttemptDeclined("first", "job is finished"));
        Tick();
        Assert.Equal("second", Assert.Single(Sent<ProposeAttempt>(_jobs)).JobId);
        Assert.Equal(2, proposal.Placement.Length);
    }

    [Fact]
    public void JobDoneTakesTheJobOutOfTheQueue()
    {
        Start();
        Waiting("j", Needs([2]));
        Assert.Equal(["j"], Settle().WaitingJobs);
        _coordinator.Tell(new JobDone("j"));
        Assert.Empty(Settle().WaitingJobs);
        Node("node-a", 2);
        Assert.Empty(Sent<ProposeAttempt>(_jobs));
    }

    [Fact]
    public void AFailedRankStopsTheOtherRanksAndTheJobReformsOnceItsNodesAnnounceThemselves()
    {
        Start();
        var a = Node("node-a", 1);
        var b = Node("node-b", 1);
        Waiting("j", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        _coordinator.Tell(new RankEnded("j", 1, 0, "node-a", 0, AttemptOutcome.Failed, "receive from rank 1 failed"));
        Assert.Equal(new StopRank("j", 1, false, "rank 0 failed: receive from rank 1 failed"), Assert.Single(Sent<StopRank>(b)));
        Assert.Single(Sent<StopRank>(a));

        // The job records the end and waits again; node-b may be dead (its peer failed): nothing is placed at once.
        _coordinator.Tell(new RankEnded("j", 1, 1, "node-b", 0, AttemptOutcome.Failed, "aborted"));
        Waiting("j", Needs([1, 2]), attempts: 1);
        Assert.Empty(Sent<ProposeAttempt>(_jobs));
        Node("node-b", 1); // it is alive
        Assert.Equal(2, Assert.Single(Sent<ProposeAttempt>(_jobs)).Placement.Length);
    }

    [Fact]
    public void ASuspectNodeThatStaysSilentOnlyHoldsPlacementForTheGracePeriod()
    {
        Start();
        Node("node-a", 1);
        Node("node-b", 1);
        Waiting("j", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        _coordinator.Tell(new RankEnded("j", 1, 0, "node-a", 0, AttemptOutcome.Failed, "peer lost"));
        Waiting("j", Needs([1, 2]), attempts: 1);
        Later(TimeSpan.FromSeconds(2));
        Tick();
        Assert.Empty(Sent<ProposeAttempt>(_jobs));
        Later(TimeSpan.FromSeconds(1.5)); // past the 3 s grace: the job goes on without node-b
        Tick();
        Assert.Equal("0:node-a#0", Where(Assert.Single(Sent<ProposeAttempt>(_jobs)).Placement));
    }

    [Fact]
    public void ANodeRemovedMidAttemptEndsTheAttemptAndTheJobShrinksOntoTheRest()
    {
        Start();
        Node("node-a", 1);
        var b = Node("node-b", 1);
        Node("node-c", 1);
        Waiting("j", Needs([1, 2, 3]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));

        _coordinator.Tell(new Coordinator.MemberRemoved("node-c"));
        var ended = Assert.Single(Sent<ReportAttemptEnded>(_jobs));
        Assert.Equal(new ReportAttemptEnded("j", 1, AttemptOutcome.Failed, "node node-c removed from the cluster"), ended);
        Assert.False(Assert.Single(Sent<StopRank>(b)).Graceful);
        Assert.Equal(["node-a", "node-b"], Settle().Nodes.Select(n => n.NodeAddress));

        foreach (var (node, rank) in new[] { ("node-a", 0), ("node-b", 1) })
            _coordinator.Tell(new RankEnded("j", 1, rank, node, 0, AttemptOutcome.Failed, "aborted"));
        Waiting("j", Needs([1, 2, 3]), attempts: 1);
        Assert.Equal("0:node-a#0 1:node-b#0", Where(Assert.Single(Sent<ProposeAttempt>(_jobs)).Placement));
    }

    [Fact]
    public void ASilentNodeIsLostAfterTheNodeTimeout()
    {
        Start();
        Node("node-a", 1);
        Node("node-b", 1);
        Waiting("j", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        Later(TimeSpan.FromSeconds(15));
        Node("node-a", 1); // node-a keeps announcing itself, node-b has gone quiet
        Later(TimeSpan.FromSeconds(6));
        Tick();
        Assert.Equal(new ReportAttemptEnded("j", 1, AttemptOutcome.Failed, "node node-b silent for 20s"), Assert.Single(Sent<ReportAttemptEnded>(_jobs)));
        Assert.Equal(["node-a"], Settle().Nodes.Select(n => n.NodeAddress));
    }

    [Fact]
    public void AnUnreachableNodeStopsItsGroupButTheJobReformsOnlyOnceTheNodeIsDowned()
    {
        Start();
        var a = Node("node-a", 1);
        Node("node-b", 1);
        Node("node-c", 1);
        Waiting("j", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs))); // on node-a and node-b; node-c is free

        _coordinator.Tell(new Coordinator.MemberUnreachable("node-b"));
        Assert.Contains("node node-b unreachable (cut off or dead): attempt 1 stops", Assert.Single(Sent<ReportLog>(_jobs)).Text);
        Assert.Equal("node node-b unreachable", Assert.Single(Sent<StopRank>(a)).Reason);
        _coordinator.Tell(new RankEnded("j", 1, 0, "node-a", 0, AttemptOutcome.Failed, "aborted"));
        Waiting("j", Needs([1, 2]), attempts: 1);
        Later(TimeSpan.FromSeconds(5));
        Tick();
        Assert.Empty(Sent<ProposeAttempt>(_jobs)); // its rank on node-b may still be running on the other side

        _coordinator.Tell(new Coordinator.MemberRemoved("node-b")); // downed
        Assert.Equal("0:node-a#0 1:node-c#0", Where(Assert.Single(Sent<ProposeAttempt>(_jobs)).Placement));
    }

    [Fact]
    public void ANodeThatBecomesReachableAgainIsUsedAgain()
    {
        Start();
        Node("node-a", 1);
        _coordinator.Tell(new Coordinator.MemberUnreachable("node-a"));
        Waiting("j", Needs([1]));
        Assert.Empty(Sent<ProposeAttempt>(_jobs));
        _coordinator.Tell(new Coordinator.MemberReachable("node-a"));
        Assert.Single(Sent<ProposeAttempt>(_jobs));
    }

    [Fact]
    public void ANodeJoiningGrowsARunningJobAtAStepBoundary()
    {
        Start();
        var a = Node("node-a", 2);
        Waiting("j", Needs([1, 2, 4]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        Later(TimeSpan.FromSeconds(6));
        Node("node-b", 2);
        Assert.Equal(new StopRank("j", 1, true, "rescale to 4 workers"), Sent<StopRank>(a).Distinct().Single());
        Assert.Equal(new ReportLog("j", 1, "rescaling: 2 -> 4 workers at the next step boundary"), Assert.Single(Sent<ReportLog>(_jobs)));
    }

    [Fact]
    public void AJobIsNotGrownBeforeItHasRunTheMinimumTime()
    {
        Start();
        var a = Node("node-a", 1);
        Waiting("j", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        Later(TimeSpan.FromSeconds(1));
        Node("node-b", 1);
        Assert.Empty(Sent<StopRank>(a));
        Later(TimeSpan.FromSeconds(4));
        Tick();
        Assert.True(Assert.Single(Sent<StopRank>(a)).Graceful);
    }

    [Fact]
    public void AJobAtItsMaxWorldSizeIsNotGrown()
    {
        Start();
        var a = Node("node-a", 2);
        Waiting("j", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        Later(TimeSpan.FromSeconds(10));
        Node("node-b", 4);
        Tick();
        Assert.Empty(Sent<StopRank>(a));
    }

    [Fact]
    public void AWaitingJobComesBeforeGrowingARunningOne()
    {
        Start();
        var a = Node("node-a", 1);
        Waiting("running", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        Waiting("queued", Needs([3])); // does not fit even with node-b's slot
        Later(TimeSpan.FromSeconds(10));
        Node("node-b", 1);
        Tick();
        Assert.Empty(Sent<StopRank>(a));
    }

    [Fact]
    public void AGroupThatNeverFormsIsGivenUpAfterTheTimeout()
    {
        Start();
        var a = Node("node-a", 1);
        Waiting("j", Needs([1]));
        var proposal = Assert.Single(Sent<ProposeAttempt>(_jobs));
        _coordinator.Tell(new AttemptApproved("j", 1, proposal.Placement, Yaml, [], "job.yaml"));
        Later(TimeSpan.FromSeconds(15));
        Node("node-a", 1);
        Later(TimeSpan.FromSeconds(15));
        Node("node-a", 1);
        Later(TimeSpan.FromSeconds(16)); // 46 s without the rank's endpoint
        Node("node-a", 1);
        Tick();
        Assert.Equal(new ReportAttemptEnded("j", 1, AttemptOutcome.Failed, "the worker group did not form within 45s"),
            Assert.Single(Sent<ReportAttemptEnded>(_jobs)));
        Assert.Equal("the worker group did not form", Assert.Single(Sent<StopRank>(a)).Reason);
        Assert.Equal(0, Settle().Nodes.Single().BusySlots);
    }

    [Fact]
    public void ACancelFromTheJobStopsEveryRankGracefully()
    {
        Start();
        var a = Node("node-a", 1);
        var b = Node("node-b", 1);
        Waiting("j", Needs([2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        _coordinator.Tell(new StopRank("j", 1, Graceful: true, "cancelled by the user"));
        Assert.Equal(new StopRank("j", 1, true, "cancelled by the user"), Assert.Single(Sent<StopRank>(a)));
        Assert.Equal(new StopRank("j", 1, true, "cancelled by the user"), Assert.Single(Sent<StopRank>(b)));
        _coordinator.Tell(new StopRank("j", 7, Graceful: true, "an attempt that is not running"));
        Assert.Empty(Sent<StopRank>(a));
    }

    [Fact]
    public void ARankSettingsMismatchFailsTheAttemptAndTheJobCanBePlacedAgain()
    {
        // A worker that finds the group's settings differ ends its rank as Failed with the one-line reason.
        const string mismatch = "rank settings differ: gradient_bucket_mb is 25 on node-a but 50 on node-b";
        Start();
        var a = Node("node-a", 1);
        var b = Node("node-b", 1);
        Waiting("j", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        _coordinator.Tell(new RankEnded("j", 1, 1, "node-b", 0, AttemptOutcome.Failed, mismatch));
        Assert.Equal($"rank 1 failed: {mismatch}", Assert.Single(Sent<StopRank>(a)).Reason);
        Assert.Single(Sent<StopRank>(b));
        _coordinator.Tell(new RankEnded("j", 1, 0, "node-a", 0, AttemptOutcome.Failed, "aborted"));
        Waiting("j", Needs([1, 2]), attempts: 1);
        Node("node-a", 1);
        Node("node-b", 1);
        var next = Assert.Single(Sent<ProposeAttempt>(_jobs));
        Assert.Equal("j", next.JobId);
        Assert.Empty(Settle().Running);
    }

    [Fact]
    public void CheckAttemptIsAnsweredOnlyAfterTheCoordinatorHasHadTimeToHearFromRanks()
    {
        Start();
        _coordinator.Tell(new CheckAttempt("j", 3));
        Assert.Empty(Sent<AttemptUnknown>(_jobs)); // just started: the ranks may not have announced themselves yet
        Later(TimeSpan.FromSeconds(11));
        _coordinator.Tell(new CheckAttempt("j", 3));
        Assert.Equal(new AttemptUnknown("j", 3), Assert.Single(Sent<AttemptUnknown>(_jobs)));
    }

    [Fact]
    public void CheckAttemptTellsAJobThatMissedItWhyItsAttemptWasStopped()
    {
        Start();
        Node("node-a", 1);
        Waiting("j", Needs([1]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        _coordinator.Tell(new CheckAttempt("j", 1));
        Later(TimeSpan.FromSeconds(11));
        _coordinator.Tell(new CheckAttempt("j", 1));
        Assert.Empty(Sent<AttemptUnknown>(_jobs)); // running: nothing to say
        _coordinator.Tell(new Coordinator.MemberRemoved("node-a"));
        _coordinator.Tell(new CheckAttempt("j", 1));
        Assert.Equal(new AttemptUnknown("j", 1, "node node-a removed from the cluster"), Assert.Single(Sent<AttemptUnknown>(_jobs)));
    }

    [Fact]
    public void ACoordinatorThatJustStartedLearnsRunningAttemptsFromTheirRanks()
    {
        Start();
        Node("node-a", 2);
        _coordinator.Tell(new RankAlive("j", 4, 1, 2, "node-a", 1));
        var state = Settle();
        var running = Assert.Single(state.Running);
        Assert.Equal(("j", 4, 2, true), (running.JobId, running.Attempt, running.World, running.Formed));
        Assert.Equal(1, state.Nodes.Single().BusySlots);
        Waiting("other", Needs([2]));
        Assert.Empty(Sent<ProposeAttempt>(_jobs)); // the busy slot is not offered
    }

    [Fact]
    public void ARankOfAnAttemptTheJobHasEndedDoesNotTakeItsPlaceInTheQueue()
    {
        Start();
        Node("node-a", 1);
        Waiting("late-rank", Needs([2]), attempts: 1); // waiting for its second attempt: it needs 2 workers, there is 1
        _coordinator.Tell(new RankAlive("late-rank", Attempt: 1, Rank: 0, World: 2, "node-a", Slot: 0));
        var state = Settle();
        Assert.Contains("late-rank", state.WaitingJobs);
        Assert.DoesNotContain(state.Running, r => r.JobId == "late-rank");
        Assert.Equal(1, state.Nodes[0].BusySlots); // its slot stays busy until the rank ends

        // A rank of an attempt the coordinator has not heard of (it just took over) is still learned.
        _coordinator.Tell(new RankAlive("late-rank", Attempt: 2, Rank: 0, World: 2, "node-a", Slot: 0));
        state = Settle();
        Assert.Contains(state.Running, r => r.JobId == "late-rank" && r.Attempt == 2);
        Assert.DoesNotContain("late-rank", state.WaitingJobs);
    }

    [Fact]
    public void AJobWaitsForItsOwnWindingDownRanksButNotForever()
    {
        Start();
        Node("node-a", 2);
        Waiting("j", Needs([1, 2]));
        Run(Assert.Single(Sent<ProposeAttempt>(_jobs)));
        Later(TimeSpan.FromSeconds(10));
        Node("node-b", 2);
        Sent(_jobs);
        _coordinator.Tell(new RankEnded("j", 1, 0, "node-a", 0, AttemptOutcome.Stopped, "preempted"));
        Waiting("j", Needs([1, 2]), attempts: 1); // rank 1 is still winding down on node-a
        Assert.Empty(Sent<ProposeAttempt>(_jobs));
        Later(TimeSpan.FromSeconds(31));
        Node("node-a", 2);
        Node("node-b", 2);
        Tick();
        Assert.Single(Sent<ProposeAttempt>(_jobs)); // rank 1 never reported: not waited for beyond 30 s
    }

    [Fact]
    public void ACoordinatorInAClusterRecognizesItsProviderAndSoFollowsMembership()
    {
        // The coordinator subscribes to membership and keeps the journal fence only when its system's provider is a
        // cluster provider (these tests run without one): the provider a node uses must pass that check.
        Assert.True(typeof(Akka.Cluster.IClusterActorRefProvider).IsAssignableFrom(typeof(Akka.Cluster.ClusterActorRefProvider)));
        Assert.IsNotAssignableFrom<Akka.Cluster.IClusterActorRefProvider>(((ExtendedActorSystem)Sys).Provider);
    }

    [Fact]
    public void InvalidSettingsAreRefusedWithTheSettingNamed()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Coordinator.Props(ActorRefs.Nobody, CoordinatorSettings.Default with { NodeTimeout = TimeSpan.Zero }));
        Assert.Contains("coordinator setting NodeTimeout is 00:00:00; it must be more than zero", error.Message);
    }
}
