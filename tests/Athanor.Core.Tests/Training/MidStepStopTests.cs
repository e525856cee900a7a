using Athanor.Checkpoints;
using Athanor.Lora;
using Athanor.Tests.Parallel;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>
/// A stop is honoured between micro-batches, not only at step boundaries: the partial step is dropped, the checkpoint
/// is of the last completed step, and resuming from it reproduces the uninterrupted curve.
/// </summary>
public class MidStepStopTests
{
    // 8 micro-batches of 2 samples a step: a long step.
    private static TrainerSettings Settings(string dir, int world = 1) => TinySetup.Settings(dir) with
    {
        WorldSize = world, MicroBatchSize = 2, GradientAccumulation = 8 / world, MaxSteps = 6, SaveSteps = 100,
    };

    private static readonly LoraSettings Lora = new(4, 8, 0.1, LoraSettings.AllLinear); // dropout: the RNG must be kept right too

    private static TrainingResult Run(string dir, string? resume = null, (int Step, int MicroBatch)? stopAt = null)
    {
        using var model = TinySetup.Model();
        LoraModel.Apply(model, Lora);
        using var cancel = new CancellationTokenSource();
        var trainer = new Trainer(model, Lora, TinySetup.Data(trainCount: 40), Settings(dir) with { ResumeFrom = resume })
        {
            MicroBatchCompleted = (step, index) => { if (stopAt == (step, index)) cancel.Cancel(); },
        };
        return trainer.Run(cancel.Token);
    }

    [Fact]
    public void AStopInTheMiddleOfAStepCheckpointsTheLastCompletedStepAndResumesExactly()
    {
        using var temp = new TestPaths.TempFolder();
        var straight = temp.Sub("straight");
        Run(straight);
        var expected = TrainingCurves.StepLosses(straight);
        Assert.Equal(6, expected.Count);

        var interrupted = temp.Sub("interrupted");
        var stopped = Run(interrupted, stopAt: (3, 2)); // after the 3rd of step 3's 8 micro-batches
        Assert.True(stopped.Cancelled);
        Assert.Equal(2, stopped.Steps); // step 3 never happened
        Assert.EndsWith("checkpoint-2", stopped.LastCheckpoint);
        Assert.Equal(Path.Combine(interrupted, "checkpoint-2"), new CheckpointStore(interrupted).Latest());
        var state = TrainingState.Read(Path.Combine(interrupted, "checkpoint-2", TrainingState.FileName));
        Assert.Equal(2, state.Step);
        Assert.Equal(2 * 16, state.SamplePosition); // the data position of step 2, not partway into step 3

        Run(interrupted, resume: "auto");
        Assert.Equal(expected, TrainingCurves.StepLosses(interrupted));
    }

    [Fact]
    public void OneRankAskedToStopMidStepStopsEveryRankAtTheSameMicroBatch()
    {
        using var temp = new TestPaths.TempFolder();
        var dir = temp.Sub("two");
        var data = TinySetup.Data(trainCount: 40);
        var results = new TrainingResult[2];
        LoopbackRanks.Run(2, (rank, collective) =>
        {
            using var model = TinySetup.Model();
            using var cancel = new CancellationTokenSource();
            // Only rank 1 is asked (as when one node is drained); rank 0 must agree and stop at the same point.
            var trainer = new Trainer(model, null, data, Settings(dir, world: 2), null, collective)
            {
                MicroBatchCompleted = (step, index) => { if (rank == 1 && (step, index) == (2, 1)) cancel.Cancel(); },
            };
            results[rank] = trainer.Run(cancel.Token);
        });
        Assert.All(results, r => Assert.True(r.Cancelled));
        Assert.All(results, r => Assert.Equal(1, r.Steps));
        Assert.Equal(Path.Combine(dir, "checkpoint-1"), new CheckpointStore(dir).Latest());
    }
}
