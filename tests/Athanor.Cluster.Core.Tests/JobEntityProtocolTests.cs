using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.TestKit;
using Athanor.Cluster.Jobs;
using Athanor.Cluster.Messages;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Core.Tests;

/// <summary>
/// The job entity's protocol: commands from clients, the coordinator and the ranks in; replies, messages to the
/// coordinator and journaled events out. Journal in memory, time from a fake clock, announcements driven by hand.
/// </summary>
public sealed class JobEntityProtocolTests(ITestOutputHelper output) : ProtocolTestKit(nameof(JobEntityProtocolTests), output)
{
    private const string Id = "job-1";
    private static readonly JobEntitySettings ByHand = new(TimeSpan.FromHours(1), TimeSpan.FromHours(1), UnknownAnswersToGiveUp: 2);

    private sealed record Entity(IActorRef Ref, TestProbe Coordinator, TestProbe Shard);

    private Entity Start(TestProbe? coordinator = null)
    {
        coordinator ??= CreateTestProbe();
        var shard = CreateTestProbe();
        var parent = Sys.ActorOf(ShardStandIn.Props(JobEntity.Props(Id, coordinator.Ref, ByHand, Clock), shard.Ref));
        return new Entity(parent, coordinator, shard);
    }

    private JobRecord Submit(Entity e, string yaml)
    {
        e.Ref.Tell(new SubmitJob(Id, "tiny", yaml, [], "test.yaml"));
        var record = ExpectMsg<JobRecord>(Quick);
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.JobId == Id && w.Attempts == 0, Quick);
        return record;
    }

    private static RankPlacement[] On(int world) => Enumerable.Range(0, world).Select(r => new RankPlacement(r, $"node-{r}", 0)).ToArray();

    private AttemptApproved Approve(Entity e, int world = 1)
    {
        e.Ref.Tell(new ProposeAttempt(Id, On(world)));
        return ExpectMsg<AttemptApproved>(Quick);
    }

    private JobRecord Get(Entity e)
    {
        e.Ref.Tell(new GetJob(Id));
        return ExpectMsg<JobRecord>(Quick);
    }

    private JobEventRecord[] Events(Entity e)
    {
        e.Ref.Tell(new GetJobEvents(Id, 1));
        return ExpectMsg<JobEventsPage>(Quick).Events;
    }

    /// <summary>The record once the entity has handled what was sent before: commands are handled in order, and Persist holds later ones back (PersistAsync does not: steps, evaluations, log lines).</summary>
    private JobRecord Settled(Entity e) => Get(e);

    [Fact]
    public void ASubmittedJobIsPendingAndAnnouncesItselfToTheCoordinator()
    {
        using var files = new TestJobFiles();
        var e = Start();
        var record = Submit(e, files.Yaml());
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal("tiny", record.Name);
        Assert.Equal(12, record.MaxSteps);
        Assert.Equal(Clock.GetUtcNow(), record.CreatedAt);
        Assert.Equal(Path.Combine(files.Folder, "out"), record.OutputDir);
        var first = Assert.Single(Events(e));
        Assert.Equal(("state", JobState.Pending, "submitted"), (first.Kind, first.Phase, first.Text));
    }

    [Fact]
    public void AWaitingJobReannouncesItselfOnEveryTick()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        e.Ref.Tell(JobEntity.Tick.Instance);
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 0, Quick);
        e.Ref.Tell(new PokeJob(Id));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 0, Quick);
    }

    [Fact]
    public void AnInvalidJobIsRejectedWithTheConfigErrorAndNoJobIsLeftBehind()
    {
        using var files = new TestJobFiles();
        var e = Start();
        e.Ref.Tell(new SubmitJob(Id, "bad", files.Yaml("warmup_ratio: banana"), [], "bad.yaml"));
        var rejected = ExpectMsg<SubmitRejected>(Quick);
        Assert.Contains("warmup_ratio", rejected.Reason);
        e.Shard.ExpectMsg<Passivate>(Quick); // the entity asks its shard to forget it
        e.Coordinator.ExpectNoMsg(Silence);
    }

    [Fact]
    public void AnUnknownJobIdAnswersJobUnknownAndIsForgotten()
    {
        var e = Start();
        e.Ref.Tell(new GetJob(Id));
        Assert.Equal(new JobUnknown(Id), ExpectMsg<JobUnknown>(Quick));
        e.Shard.ExpectMsg<Passivate>(Quick);
    }

    [Fact]
    public void AProposalBecomesTheNextAttemptWithTheJobFile()
    {
        using var files = new TestJobFiles();
        var e = Start();
        var yaml = files.Yaml();
        Submit(e, yaml);
        var approved = Approve(e, world: 2);
        Assert.Equal((1, 2, yaml), (approved.Attempt, approved.Placement.Length, approved.YamlText));
        var record = Get(e);
        Assert.Equal((JobState.Running, 1, 2), (record.State, record.Attempts, record.WorldSize));
        Assert.Contains(Events(e), r => r.Kind == "log" && r.Text == "attempt 1: 2 workers on node-0 (1), node-1 (1)");
    }

    [Fact]
    public void AProposalWhileAnAttemptRunsIsDeclined()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e);
        e.Ref.Tell(new ProposeAttempt(Id, On(1)));
        Assert.Equal("job is not waiting", ExpectMsg<AttemptDeclined>(Quick).Reason);
        Assert.Equal(1, Get(e).Attempts);
    }

    [Fact]
    public void StepsEvaluationsAndCheckpointsOfTheCurrentAttemptUpdateTheRecord()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e);
        e.Ref.Tell(new ReportStep(Id, 1, 4, 12, Loss: 2.5, LearningRate: 0.01, GradNorm: 1.5, TokensPerSecond: 100, Epoch: 0.5));
        e.Ref.Tell(new ReportEval(Id, 1, 4, EvalLoss: 2.25, IsBest: true));
        e.Ref.Tell(new ReportCheckpoint(Id, 1, 4, "checkpoint-4"));
        var record = Settled(e);
        Assert.Equal((4, 4), (record.Step, record.LastCheckpointStep));
        Assert.Equal(new JobMetrics(2.5, 0.01, 1.5, 100, 2.25, 0.5), record.Metrics);
        Assert.Equal(["state", "state", "log", "step", "eval", "checkpoint"], Events(e).Select(r => r.Kind));
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), Events(e).Select(r => r.Sequence));
    }

    [Fact]
    public void ReportsOfAnAttemptThatIsNotCurrentAreIgnored()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e);
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Failed, "peer lost"));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 1, Quick);
        Approve(e);
        e.Ref.Tell(new ReportStep(Id, 1, 9, 12, 1, 1, 1, 1, 1));          // a rank of attempt 1, late
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Failed, "late")); // ditto
        e.Ref.Tell(new ReportLog(Id, 1, "late line"));
        var record = Settled(e);
        Assert.Equal((JobState.Running, 2, 0), (record.State, record.Attempts, record.Step));
        Assert.DoesNotContain(Events(e), r => r.Text == "late line");
    }

    [Fact]
    public void ACompletedAttemptSucceedsTheJobAndTellsTheCoordinator()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e);
        e.Ref.Tell(new ReportStep(Id, 1, 12, 12, 1.0, 0.01, 1, 100, 1));
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Completed, ""));
        e.Coordinator.ExpectMsg<JobDone>(d => d.JobId == Id, Quick);
        var record = Get(e);
        Assert.Equal((JobState.Succeeded, 12, (string?)null), (record.State, record.Step, record.Error));
        Assert.Equal(("state", (JobState?)JobState.Succeeded, "succeeded"), (Events(e)[^1].Kind, Events(e)[^1].Phase, Events(e)[^1].Text));
        e.Ref.Tell(new ProposeAttempt(Id, On(1)));
        Assert.Equal("job is finished", ExpectMsg<AttemptDeclined>(Quick).Reason);
    }

    [Fact]
    public void AFailedAttemptSendsTheJobBackToWaitingFromItsLastCheckpoint()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e, world: 4);
        e.Ref.Tell(new ReportStep(Id, 1, 5, 12, 1, 1, 1, 1, 1));
        e.Ref.Tell(new ReportCheckpoint(Id, 1, 4, "checkpoint-4"));
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Failed, "node node-3 removed from the cluster"));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 1, Quick);
        var record = Get(e);
        Assert.Equal((JobState.Pending, 1, 4, 5), (record.State, record.Attempts, record.LastCheckpointStep, record.Step));
        Assert.Contains(Events(e), r => r.Text == "attempt 1 ended: Failed: node node-3 removed from the cluster");
        Assert.Equal(2, Approve(e, world: 2).Attempt); // the job shrinks onto what is left
    }

    [Fact]
    public void ARankSettingsMismatchFailsTheAttemptKeepsTheRecordAndTheNextAttemptRuns()
    {
        // Another part of the cluster compares the ranks' settings when a group forms; a mismatch ends the attempt as
        // Failed with one line naming the key, its values and the nodes. The job must stay intact and be placed again.
        const string mismatch = "rank settings differ: fused_kernels is true on node-0 but false on node-1";
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e, world: 2);
        e.Ref.Tell(new ReportStep(Id, 1, 8, 12, 1.5, 0.01, 1, 100, 1));
        e.Ref.Tell(new ReportCheckpoint(Id, 1, 8, "checkpoint-8"));
        var before = Settled(e);
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Failed, mismatch));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 1, Quick);
        var after = Get(e);
        Assert.Equal(JobState.Pending, after.State);
        Assert.Null(after.Error);
        Assert.Equal((before.Name, before.Step, before.LastCheckpointStep, before.Metrics, before.CreatedAt),
            (after.Name, after.Step, after.LastCheckpointStep, after.Metrics, after.CreatedAt));
        Assert.Contains(Events(e), r => r.Text == $"attempt 1 ended: Failed: {mismatch}");
        var next = Approve(e, world: 1);
        Assert.Equal(2, next.Attempt);
        Assert.Equal(JobState.Running, Get(e).State);
    }

    [Fact]
    public void TheSameTrainingErrorTwiceWithoutAStepFailsTheJobInsteadOfRetrying()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml("max_restarts: 10"));
        var error = RepeatedFailure.TrainingError(new IOException("checkpoint-4 is in the way"));
        Approve(e);
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Failed, error));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 1, Quick);
        Approve(e);
        e.Ref.Tell(new ReportAttemptEnded(Id, 2, AttemptOutcome.Failed, error));
        e.Coordinator.ExpectMsg<JobDone>(Quick);
        var record = Get(e);
        Assert.Equal((JobState.Failed, 2), (record.State, record.Attempts));
        Assert.Equal($"the same error ended attempts 1 and 2 with no step in between, so retrying will not help: {error}", record.Error);
    }

    [Fact]
    public void TheSameTrainingErrorAfterProgressIsRetried()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        var error = RepeatedFailure.TrainingError(new IOException("disk hiccup"));
        Approve(e);
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Failed, error));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 1, Quick);
        Approve(e);
        e.Ref.Tell(new ReportStep(Id, 2, 3, 12, 1, 1, 1, 1, 1));
        AwaitAssert(() => Assert.Equal(3, Get(e).Step), Quick); // journaled asynchronously: the failure comes later in life too
        e.Ref.Tell(new ReportAttemptEnded(Id, 2, AttemptOutcome.Failed, error));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 2, Quick);
        Assert.Equal(JobState.Pending, Get(e).State);
    }

    [Fact]
    public void FailuresBeyondMaxRestartsFailTheJob()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml("max_restarts: 1"));
        Approve(e);
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Failed, "peer lost"));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 1, Quick);
        Approve(e);
        e.Ref.Tell(new ReportAttemptEnded(Id, 2, AttemptOutcome.Failed, "peer lost again"));
        e.Coordinator.ExpectMsg<JobDone>(Quick);
        var record = Get(e);
        Assert.Equal(JobState.Failed, record.State);
        Assert.Equal("gave up after 2 failed attempts; last: peer lost again", record.Error);
    }

    [Fact]
    public void AFatalAttemptFailsTheJobAtOnceWithItsReason()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e);
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Fatal, "the model does not fit"));
        e.Coordinator.ExpectMsg<JobDone>(Quick);
        Assert.Equal((JobState.Failed, "the model does not fit"), (Get(e).State, Get(e).Error));
        Assert.Contains(Events(e), r => r.Kind == "state" && r.Phase == JobState.Failed && r.Text == "the model does not fit");
    }

    [Fact]
    public void CancellingAWaitingJobCancelsItAtOnce()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        e.Ref.Tell(new CancelJob(Id));
        Assert.Equal(JobState.Cancelled, ExpectMsg<JobRecord>(Quick).State);
        e.Coordinator.ExpectMsg<JobDone>(Quick);
        e.Ref.Tell(JobEntity.Tick.Instance);
        e.Coordinator.ExpectNoMsg(Silence); // no longer announced
    }

    [Fact]
    public void CancellingARunningJobStopsItsRanksGracefullyAndEndsCancelled()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e, world: 2);
        e.Ref.Tell(new CancelJob(Id));
        Assert.Equal(JobState.Running, ExpectMsg<JobRecord>(Quick).State); // until the ranks have stopped
        e.Coordinator.ExpectMsg<StopRank>(s => s.Attempt == 1 && s.Graceful && s.Reason == "cancelled by the user", Quick);
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Stopped, "stopped"));
        e.Coordinator.ExpectMsg<JobDone>(Quick);
        Assert.Equal(JobState.Cancelled, Get(e).State);
        e.Ref.Tell(new CancelJob(Id)); // again: answered, nothing more happens
        Assert.Equal(JobState.Cancelled, ExpectMsg<JobRecord>(Quick).State);
        e.Coordinator.ExpectNoMsg(Silence);
    }

    [Fact]
    public void ACheckpointReportedAfterItsAttemptEndedIsStillRecordedUnlessStale()
    {
        // The leader reports a checkpoint once it is committed; another rank's end of attempt may reach the job first.
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e);
        e.Ref.Tell(new ReportCheckpoint(Id, 1, 4, "checkpoint-4"));
        e.Ref.Tell(new ReportAttemptEnded(Id, 1, AttemptOutcome.Failed, "peer lost"));
        e.Ref.Tell(new ReportCheckpoint(Id, 1, 8, "checkpoint-8"));   // attempt 1 has ended: still a committed checkpoint
        e.Ref.Tell(new ReportCheckpoint(Id, 1, 3, "checkpoint-3"));   // not newer than what is recorded
        e.Ref.Tell(new ReportCheckpoint(Id, 7, 20, "checkpoint-20")); // an attempt that was never scheduled
        Assert.Equal(8, Settled(e).LastCheckpointStep);
        Assert.Equal(["checkpoint-4", "checkpoint-8"], Events(e).Where(r => r.Kind == "checkpoint").Select(r => r.Folder));
    }

    [Fact]
    public void TwoUnknownAnswersEndTheAttemptWithTheCoordinatorsReason()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e);
        e.Ref.Tell(JobEntity.Tick.Instance);
        e.Coordinator.ExpectMsg<CheckAttempt>(c => c.Attempt == 1, Quick);
        e.Ref.Tell(new AttemptUnknown(Id, 1, "node node-0 removed from the cluster"));
        Assert.Equal(JobState.Running, Settled(e).State); // once may be a report still on its way
        e.Ref.Tell(new AttemptUnknown(Id, 1, "node node-0 removed from the cluster"));
        e.Coordinator.ExpectMsg<JobWaiting>(w => w.Attempts == 1, Quick);
        Assert.Contains(Events(e), r => r.Text == "attempt 1 ended: Failed: node node-0 removed from the cluster");
    }

    [Fact]
    public void AStepBetweenUnknownAnswersKeepsTheAttempt()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e);
        e.Ref.Tell(new AttemptUnknown(Id, 1));
        e.Ref.Tell(new ReportStep(Id, 1, 1, 12, 1, 1, 1, 1, 1)); // the ranks are alive after all
        e.Ref.Tell(new AttemptUnknown(Id, 1));
        Assert.Equal(JobState.Running, Settled(e).State);
    }

    [Fact]
    public void TheWaitingReasonIsShownOnlyWhileTheJobWaitsForThatAttempt()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        e.Ref.Tell(new ReportWaiting(Id, 0, "waiting for workers: needs at least 1 free cpu slot(s), the cluster has 0 free of 0"));
        Assert.StartsWith("waiting for workers", Settled(e).WaitingReason);
        Approve(e);
        Assert.Null(Get(e).WaitingReason);
        e.Ref.Tell(new ReportWaiting(Id, 0, "stale: from before the attempt")); // the coordinator's older view
        Assert.Null(Settled(e).WaitingReason);
    }

    [Fact]
    public void TheRecordAndEventNumbersAreRecoveredFromTheJournalAfterARestart()
    {
        using var files = new TestJobFiles();
        var e = Start();
        Submit(e, files.Yaml());
        Approve(e, world: 2);
        e.Ref.Tell(new ReportStep(Id, 1, 6, 12, 1.25, 0.01, 1, 100, 0.5));
        e.Ref.Tell(new ReportCheckpoint(Id, 1, 4, "checkpoint-4"));
        e.Ref.Tell(new ReportLog(Id, 1, "rank 0/2: first step done"));
        AwaitAssert(() => Assert.Equal(6, Get(e).LastSequence), Quick); // log lines are journaled asynchronously
        var before = Get(e);
        var events = Events(e);
        Watch(e.Ref);
        Sys.Stop(e.Ref);
        ExpectTerminated(e.Ref, Quick);

        var again = Start(e.Coordinator); // the same job id: the same journal
        Assert.Equal(before, Get(again));
        Assert.Equal(events, Events(again));
        // Its attempt is still current: the recovered entity asks the coordinator about it instead of announcing itself.
        again.Ref.Tell(JobEntity.Tick.Instance);
        again.Coordinator.ExpectMsg<CheckAttempt>(c => c.Attempt == 1, Quick);
    }

    [Fact]
    public void ASecondSubmitOfTheSameIdAnswersTheExistingJob()
    {
        using var files = new TestJobFiles();
        var e = Start();
        var first = Submit(e, files.Yaml());
        e.Ref.Tell(new SubmitJob(Id, "other", files.Yaml("max_steps: 99"), [], "other.yaml"));
        Assert.Equal(first, ExpectMsg<JobRecord>(Quick));
    }
}
