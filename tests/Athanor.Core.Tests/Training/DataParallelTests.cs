using System.Text.Json.Nodes;
using Athanor.Parallel;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>World size and ZeRO stage change only how a step is computed, not what it computes.</summary>
public class DataParallelTests
{
    private const int GlobalBatch = 12;

    private static TrainerSettings SettingsFor(string dir, int world, int stage) => TinySetup.Settings(dir) with
    {
        WorldSize = world, ZeroStage = stage, MicroBatchSize = 2, GradientAccumulation = GlobalBatch / (2 * world),
        MaxSteps = 8, SaveSteps = 4, LoggingSteps = 1, EvalSteps = 4,
    };

    /// <summary>Trains with one thread per rank over a loopback TCP ring; returns rank 0's metric rows.</summary>
    private static List<JsonObject> Train(string dir, int world, int stage, string? resume = null, int stopAfter = 0)
    {
        var data = TinySetup.Data(trainCount: 30, validationCount: 7);
        var group = new LocalGroup(world);
        using var cancel = new CancellationTokenSource();
        var ranks = Enumerable.Range(0, world).Select(rank => Task.Factory.StartNew(() =>
        {
            using var collective = group.Join(rank);
            using var model = TinySetup.Model(seed: 100 + rank); // different on purpose: rank 0's weights are broadcast
            var observer = rank == 0 && stopAfter > 0 ? new StopAfter(stopAfter, cancel) : null;
            new Trainer(model, null, data, SettingsFor(dir, world, stage) with { ResumeFrom = resume }, observer, collective).Run(cancel.Token);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(ranks, TimeSpan.FromMinutes(2)), "data-parallel run hung");
        return File.ReadAllLines(Path.Combine(dir, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    private static void AssertSameCurve(List<JsonObject> expected, List<JsonObject> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            foreach (var key in new[] { "loss", "eval_loss" })
                if (expected[i][key] is JsonNode e)
                {
                    double a = actual[i][key]!.GetValue<double>(), b = e.GetValue<double>();
                    Assert.True(Math.Abs(a - b) <= 1e-5 * Math.Abs(b), $"{what}: row {i} {key} {a:R} vs {b:R}");
                }
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(2, 2)]
    public void LossCurveMatchesOneRank(int world, int stage)
    {
        using var temp = new TestPaths.TempFolder();
        var single = Train(temp.Sub("w1"), 1, 0);
        var parallel = Train(temp.Sub($"w{world}z{stage}"), world, stage);
        AssertSameCurve(single, parallel, $"world {world} zero {stage}");
    }

    [Fact]
    public void ACheckpointFromOneWorldSizeAndStageResumesAtAnother()
    {
        using var temp = new TestPaths.TempFolder();
        var straight = Train(temp.Sub("straight"), 1, 0);

        var dir = temp.Sub("elastic");
        Train(dir, 2, 2, stopAfter: 5);            // stops after step 5 with a checkpoint at 5 (and 4)
        Directory.Delete(Path.Combine(dir, "checkpoint-5"), recursive: true); // as if killed: resume from 4
        var resumed = Train(dir, 3, 1, resume: "auto");
        AssertSameCurve(straight, resumed, "saved at world 2 / ZeRO-2, resumed at world 3 / ZeRO-1");
    }
}
