using Athanor.Cluster.Workers;

namespace Athanor.Cluster.Tests;

public sealed class RankBringUpTests
{
    private TimeSpan _now;
    private RankBringUp NewBringUp() => new(() => _now);
    private void Wait(double seconds) => _now += TimeSpan.FromSeconds(seconds);

    [Fact]
    public void AStuckStageIsReportedAfter30SecondsThenEachTimeTheWaitDoubles()
    {
        var bringUp = NewBringUp();
        bringUp.Begin("preparing data");
        Wait(2);
        bringUp.Begin("forming the NCCL communicator on cuda:2");
        Wait(29);
        Assert.Null(bringUp.Overdue());
        Wait(2);
        Assert.Equal("still forming the NCCL communicator on cuda:2 after 31 s", bringUp.Overdue());
        Assert.Null(bringUp.Overdue()); // once per threshold, not on every heartbeat
        Wait(28);
        Assert.Null(bringUp.Overdue());
        Wait(2);
        Assert.Equal("still forming the NCCL communicator on cuda:2 after 61 s", bringUp.Overdue());
        Wait(200); // several thresholds passed at once give one line, and the next is the following doubling
        Assert.Equal("still forming the NCCL communicator on cuda:2 after 261 s", bringUp.Overdue());
        Wait(210); // 471 s: the next line is due at 480
        Assert.Null(bringUp.Overdue());
        Wait(10);
        Assert.NotNull(bringUp.Overdue());
    }

    [Fact]
    public void ANewStageStartsItsOwnClock()
    {
        var bringUp = NewBringUp();
        bringUp.Begin("preparing data");
        Wait(25);
        bringUp.Begin("building the model");
        Wait(25);
        Assert.Null(bringUp.Overdue());
        Wait(6);
        Assert.Equal("still building the model after 31 s", bringUp.Overdue());
    }

    [Fact]
    public void TheSummaryListsEachStageOnceTheFirstStepIsDone()
    {
        var bringUp = NewBringUp();
        bringUp.Begin("waiting for every rank to be placed");
        Wait(0.5);
        bringUp.Begin("preparing data");
        Wait(3.1);
        bringUp.Begin("building the model");
        Wait(5.2);
        bringUp.Begin("taking the first step");
        Wait(2);
        Assert.False(bringUp.Finished);
        Assert.True(bringUp.Complete());
        Assert.False(bringUp.Complete()); // reported once per attempt
        Assert.True(bringUp.Finished);
        Assert.Equal("first step done 10.8 s after start (waiting for every rank to be placed 0.5 s, preparing data 3.1 s, " +
            "building the model 5.2 s, taking the first step 2.0 s)", bringUp.Summary());
        Wait(100);
        Assert.Null(bringUp.Overdue()); // a finished bring-up is never overdue
        bringUp.Begin("late stage");
        Assert.DoesNotContain("late stage", bringUp.Summary());
    }
}
