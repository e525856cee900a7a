using Athanor.Cluster.Jobs;
using Athanor.Cluster.Messages;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Core.Tests;

/// <summary>The job's state folded from its events: pure, so replay and live updates agree by construction.</summary>
public sealed class JobEntityStateTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly JobRequirements Needs = new(1, 2, [1, 2], 0, "cpu");

    private static JobSubmitted Submitted(string yaml = "not: a job file") => new("j", "tiny", yaml, [], "x.yaml", "/out", 12, Needs, T0);

    private static JobEntityState Fold(params IJobEvent[] events) => events.Aggregate(JobEntityState.Empty, (s, e) => s.Apply(e));

    [Fact]
    public void ApplyReturnsANewStateAndLeavesTheOldOneAsItWas()
    {
        var submitted = JobEntityState.Empty.Apply(Submitted());
        var running = submitted.Apply(new AttemptScheduled(1, [new RankPlacement(0, "node-a", 0)], T0.AddSeconds(1)));
        Assert.Equal((JobState.Pending, (int?)null), (submitted.Phase, submitted.CurrentAttempt));
        Assert.Equal((JobState.Running, (int?)1, 1), (running.Phase, running.CurrentAttempt, running.WorldSize));
        Assert.False(JobEntityState.Empty.Submitted);
        Assert.Null(JobEntityState.Empty.ToRecord("j", 0, null));
    }

    [Fact]
    public void AFailedAttemptIsCountedWithItsReasonAndStep()
    {
        var state = Fold(Submitted(), new AttemptScheduled(1, [], T0), new StepRecorded(1, 7, 12, 1, 1, 1, 1, 1, T0),
            new AttemptEnded(1, AttemptOutcome.Failed, "peer lost", T0.AddMinutes(1)));
        Assert.Equal((1, "peer lost", 7, JobState.Pending), (state.FailedAttempts, state.LastFailureReason, state.StepAtLastFailure, state.Phase));
        Assert.True(state.IsWaiting);
        Assert.Null(state.FinishAfter(2, AttemptOutcome.Failed, "peer lost", T0)); // not a training error: retried
    }

    [Fact]
    public void TheOutcomeOfAnAttemptDecidesTheJob()
    {
        var running = Fold(Submitted(), new AttemptScheduled(1, [], T0));
        Assert.Equal(JobState.Succeeded, running.FinishAfter(1, AttemptOutcome.Completed, "", T0)!.Phase);
        Assert.Equal(new JobFinished(JobState.Failed, "bad config", T0), running.FinishAfter(1, AttemptOutcome.Fatal, "bad config", T0));
        Assert.Equal(JobState.Cancelled, running.FinishAfter(1, AttemptOutcome.Cancelled, "", T0)!.Phase);
        Assert.Null(running.FinishAfter(1, AttemptOutcome.Stopped, "rescale", T0));
        Assert.Equal(JobState.Cancelled, running.Apply(new CancelRequested(T0)).FinishAfter(1, AttemptOutcome.Stopped, "", T0)!.Phase);
    }

    [Fact]
    public void ARecordShowsTheWaitingReasonOnlyWhilePending()
    {
        var pending = Fold(Submitted());
        Assert.Equal("no room", pending.ToRecord("j", 1, "no room")!.WaitingReason);
        Assert.Null(pending.Apply(new AttemptScheduled(1, [], T0)).ToRecord("j", 2, "no room")!.WaitingReason);
    }

    [Fact]
    public void AJournalWhoseJobFileNoLongerParsesKeepsTheDefaultRestarts()
    {
        Assert.Equal(10, Fold(Submitted("learning_rate: banana")).MaxRestarts);
    }

    [Fact]
    public void TheWatchersEventsOfAnEventAreDerivedFromTheStateAfterIt()
    {
        var log = new JobEventLog();
        var state = JobEntityState.Empty;
        foreach (var e in new IJobEvent[] { Submitted(), new AttemptScheduled(1, [new RankPlacement(0, "a", 0), new RankPlacement(1, "a", 1)], T0),
                     new LogRecorded("hello", T0), new JobFinished(JobState.Succeeded, null, T0) })
        {
            state = state.Apply(e);
            log.Append(e, state);
        }
        Assert.Equal(5, log.LastSequence);
        Assert.Equal(["submitted", "attempt 1: 2 workers on a (2)", "attempt 1: 2 workers on a (2)", "hello", "succeeded"], log.From(1).Select(r => r.Text));
        Assert.Equal([4L, 5L], log.From(4).Select(r => r.Sequence));
    }
}
