using System.Text.Json.Nodes;
using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Parallel;
using Athanor.Training;

namespace Athanor.Tests.Training;

/// <summary>
/// A job re-formed on another world size keeps its global batch and picks its micro-batch: the gradient is normalized
/// by the whole global batch's target tokens, so the curve is the same up to summation order.
/// </summary>
public class ElasticBatchTests
{
    private static readonly JobConfig Demo = new() { ModelNameOrPath = "/m", OutputDir = "/o", PerDeviceTrainBatchSize = 8, WorldSize = 3, MinWorldSize = 2 };

    [Theory]
    [InlineData(3, 8, 1)]
    [InlineData(2, 6, 2)] // a share of 12: the largest divisor not above 8 is 6
    [InlineData(1, 8, 3)]
    [InlineData(4, 6, 1)]
    [InlineData(6, 4, 1)]
    public void TheSettingsOfAWorldSizeKeepTheGlobalBatchWithTheLargestMicroBatchThatFits(int world, int micro, int accumulation)
    {
        var settings = JobPreparation.MapSettings(Demo, trainSamples: 40, worldSize: world, zeroStage: 0);
        Assert.Equal(24, settings.GlobalBatch);
        Assert.Equal(micro, settings.MicroBatchSize);
        Assert.Equal(accumulation, settings.GradientAccumulation);
    }

    [Fact]
    public void AWorldSizeThatDoesNotDivideTheGlobalBatchSaysWhichDo()
    {
        var ex = Assert.Throws<JobException>(() => JobPreparation.MapSettings(Demo, trainSamples: 40, worldSize: 5, zeroStage: 0));
        Assert.Contains("world sizes that can: 1, 2, 3, 4, 6, 8, 12, 24", ex.Message);
    }

    [Fact]
    public void WorldThreeWithMicroEightAndWorldTwoWithMicroFourOrSixTrainTheSameCurve()
    {
        using var temp = new TestPaths.TempFolder();
        var three = Train(temp.Sub("w3m8"), world: 3, micro: 8);
        var twoBySix = Train(temp.Sub("w2m6"), world: 2, micro: 6);
        var twoByFour = Train(temp.Sub("w2m4"), world: 2, micro: 4);
        AssertSameLosses(three, twoBySix, "world 2, micro 6");
        AssertSameLosses(three, twoByFour, "world 2, micro 4");
    }

    /// <summary>A global batch of 24 on world ranks (one thread each over a loopback ring); rank 0's per-step losses.</summary>
    private static List<double> Train(string dir, int world, int micro)
    {
        var data = TinySetup.Data(trainCount: 48, validationCount: 2);
        var group = new LocalGroup(world);
        var settings = TinySetup.Settings(dir) with
        {
            WorldSize = world, MicroBatchSize = micro, GradientAccumulation = 24 / (world * micro), MaxSteps = 6, SaveSteps = 100, LoggingSteps = 1,
        };
        Assert.Equal(24, settings.GlobalBatch);
        var ranks = Enumerable.Range(0, world).Select(rank => Task.Factory.StartNew(() =>
        {
            using var collective = group.Join(rank);
            using var model = TinySetup.Model(seed: 100 + rank); // rank 0's weights are broadcast
            new Trainer(model, null, data, settings, null, collective).Run();
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(ranks, TimeSpan.FromMinutes(2)), "data-parallel run hung");
        return File.ReadAllLines(Path.Combine(dir, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!)
            .Where(r => r["loss"] is not null).Select(r => r["loss"]!.GetValue<double>()).ToList();
    }

    private static void AssertSameLosses(List<double> expected, List<double> actual, string what)
    {
        Assert.Equal(6, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"{what}: step {i + 1} loss {actual[i]:R} vs {expected[i]:R}");
    }
}
