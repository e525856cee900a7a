using Athanor.Estimation;

namespace Athanor.Tests.Estimation;

/// <summary>
/// Rajbhandari et al. 2020 (ZeRO), Figure 1 / Table 1: 7.5B parameters on 64 GPUs with 2-byte weights and gradients
/// and K = 12 optimizer bytes need 120, 31.4, 16.6 and 1.9 GB of model states at stages 0 to 3.
/// </summary>
public class ZeroPaperExampleTests
{
    private static readonly ModelSpec Model = ModelSpec.FromParameterCount(7_500_000_000);

    [Theory]
    [InlineData(0, 120.0)]
    [InlineData(1, 31.4)]
    [InlineData(2, 16.6)]
    [InlineData(3, 1.9)]
    public void ModelStatesMatchThePaper(int stage, double expectedGb)
    {
        var e = MemoryEstimator.Estimate(Model, new TrainingPlan { ZeroStage = stage, Gpus = 64, GradientBytes = 2 });
        Assert.Equal(expectedGb, Math.Round(e.ModelStateBytes / 1e9, 1));
    }

    [Fact]
    public void EachStageShardsWhatThePaperSays()
    {
        double p = 7.5e9;
        MemoryEstimate At(int stage) => MemoryEstimator.Estimate(Model, new TrainingPlan { ZeroStage = stage, Gpus = 64 });
        Assert.Equal((2 * p, 2 * p, 12 * p), Parts(At(0)));
        Assert.Equal((2 * p, 2 * p, 12 * p / 64), Parts(At(1)));
        Assert.Equal((2 * p, 2 * p / 64, 12 * p / 64), Parts(At(2)));
        Assert.Equal((2 * p / 64, 2 * p / 64, 12 * p / 64), Parts(At(3)));
    }

    private static (double, double, double) Parts(MemoryEstimate e) => (e.WeightBytes, e.GradientBytes, e.OptimizerBytes);
}
