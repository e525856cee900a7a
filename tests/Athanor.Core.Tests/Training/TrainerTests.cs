using Athanor.Configuration;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Training;

public class TrainerTests
{
    [Fact]
    public void AccumulationIsNormalizedByTheTargetsOfTheWholeStep()
    {
        // One micro-batch of 4 and four accumulated micro-batches of 1 must give the same update:
        // the loss is a mean over all target tokens of the step, not a mean of per-micro-batch means.
        using var temp = new TestPaths.TempFolder();
        var data = TinySetup.Data();
        Tensor RunWith(int micro, int accum, string name)
        {
            using var model = TinySetup.Model();
            new Trainer(model, null, data, TinySetup.Settings(temp.Sub(name)) with
            {
                MicroBatchSize = micro, GradientAccumulation = accum, MaxSteps = 1, WarmupRatio = 0, MaxGradNorm = 0,
                // With eps far above |g| and lr = eps, Adam's first update is exactly -g: the test compares gradients.
                LearningRate = 1e4, AdamEpsilon = 1e4, WeightDecay = 0, Schedule = LrSchedulerType.Constant,
            }).Run();
            using var before = TinySetup.Model();
            return (before.OutputWeight - model.OutputWeight).detach();
        }
        using var big = RunWith(4, 1, "big");
        using var small = RunWith(1, 4, "small");
        using var diff = (big - small).abs().max();
        using var scale = big.abs().max();
        Assert.True(scale.item<float>() > 1e-4, "the step changed nothing");
        Assert.True(diff.item<float>() < 1e-5 * scale.item<float>(), $"gradients differ by {diff.item<float>()} (scale {scale.item<float>()})");
    }

    [Fact]
    public void LossFallsAndMetricsAreWritten()
    {
        using var temp = new TestPaths.TempFolder();
        using var model = TinySetup.Model();
        var result = new Trainer(model, null, TinySetup.Data(), TinySetup.Settings(temp.Path) with { MaxSteps = 40, EvalSteps = 10 }).Run();
        Assert.True(result.LastLoss < result.FirstLoss * 0.5, $"loss went from {result.FirstLoss} to {result.LastLoss}");
        var rows = File.ReadAllLines(Path.Combine(temp.Path, MetricsLog.FileName)).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(40, rows.Count(r => r.ContainsKey("loss")));
        Assert.Equal(4, rows.Count(r => r.ContainsKey("eval_loss")));
        foreach (var key in new[] { "step", "loss", "lr", "grad_norm", "tokens_per_s", "step_s", "phase_s" })
            Assert.True(rows[0].ContainsKey(key), key);
    }

    [Fact]
    public void EachRowSaysWhereItsStepsTimeWent()
    {
        using var temp = new TestPaths.TempFolder();
        using var model = TinySetup.Model();
        new Trainer(model, null, TinySetup.Data(), TinySetup.Settings(temp.Path) with { MaxSteps = 12, LoggingSteps = 3, SaveSteps = 6 }).Run();
        var rows = File.ReadAllLines(Path.Combine(temp.Path, MetricsLog.FileName)).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject())
            .Where(r => r.ContainsKey("loss")).ToList();
        Assert.Equal([3, 6, 9, 12], rows.Select(r => (int)r["step"]!));
        foreach (var row in rows)
        {
            double step = (double)row["step_s"]!;
            var phases = row["phase_s"]!.AsObject();
            foreach (var key in new[] { "data", "forward", "backward", "all_reduce", "optimizer", "gc_pause" })
                Assert.True(phases.ContainsKey(key), $"{key} missing in {phases.ToJsonString()}");
            double loop = phases.Where(p => p.Key != "gc_pause").Sum(p => (double)p.Value!);
            // The phases are parts of the step (per step, means over the row's window); the rest is bookkeeping.
            Assert.True(loop <= step * 1.001 + 1e-4 && loop > 0.5 * step, $"phases {loop} s against a step of {step} s: {row.ToJsonString()}");
            Assert.Equal(row["step"]!.GetValue<int>() == 9, phases.ContainsKey("checkpoint")); // saved at 6, counted in the next row
        }
    }

    [Fact]
    public void EarlyStoppingEndsTheRunWhenEvalLossStopsImproving()
    {
        using var temp = new TestPaths.TempFolder();
        using var model = TinySetup.Model();
        // A learning rate far too high makes the eval loss worse after the first evaluation.
        var result = new Trainer(model, null, TinySetup.Data(), TinySetup.Settings(temp.Path) with
        {
            MaxSteps = 200, EvalSteps = 2, EarlyStoppingPatience = 2, LearningRate = 3.0, WarmupRatio = 0, MaxGradNorm = 0,
        }).Run();
        Assert.True(result.StoppedEarly);
        Assert.True(result.Steps < 200);
        Assert.EndsWith($"checkpoint-{result.Steps}", result.LastCheckpoint);
    }

    [Theory]
    [InlineData(LrSchedulerType.Linear, 0, 0.0)]
    [InlineData(LrSchedulerType.Linear, 5, 0.5)]
    [InlineData(LrSchedulerType.Linear, 10, 1.0)]
    [InlineData(LrSchedulerType.Linear, 55, 0.5)]
    [InlineData(LrSchedulerType.Cosine, 10, 1.0)]
    [InlineData(LrSchedulerType.Cosine, 55, 0.5)]
    [InlineData(LrSchedulerType.Cosine, 100, 0.0)]
    [InlineData(LrSchedulerType.Constant, 0, 1.0)]
    [InlineData(LrSchedulerType.ConstantWithWarmup, 5, 0.5)]
    [InlineData(LrSchedulerType.ConstantWithWarmup, 80, 1.0)]
    public void ScheduleMatchesHuggingFaceShapes(LrSchedulerType kind, int step, double fraction)
    {
        var schedule = new LearningRateSchedule(2e-4, TotalSteps: 100, WarmupSteps: 10, kind);
        Assert.Equal(2e-4 * fraction, schedule.At(step), 12);
    }

    [Fact]
    public void WarmupRatioRoundsUpLikeHuggingFace()
    {
        Assert.Equal(11, LearningRateSchedule.ResolveWarmup(0, 0.1, 101));
        Assert.Equal(7, LearningRateSchedule.ResolveWarmup(7, 0.1, 101));
    }
}
