using Athanor.Reporting;

namespace Athanor.Tests.Reporting;

public class LossSmoothingTests
{
    [Fact]
    public void Weight_GrowsWithTheNumberOfPointsTowardsNinetyPercent()
    {
        Assert.Equal(1.8 * (1 / (1 + Math.Exp(-0.05)) - 0.5), LossSmoothing.WeightFor(1), 12);
        Assert.True(LossSmoothing.WeightFor(1) < 0.05);
        Assert.InRange(LossSmoothing.WeightFor(100), 0.88, 0.89);
        Assert.InRange(LossSmoothing.WeightFor(10_000), 0.8999, 0.9);
    }

    [Fact]
    public void Smooth_IsAnExponentialMovingAverageStartingAtTheFirstValue()
    {
        double[] values = [4, 2, 3, 1];
        double w = LossSmoothing.WeightFor(values.Length);
        double s0 = 4, s1 = s0 * w + (1 - w) * 2, s2 = s1 * w + (1 - w) * 3, s3 = s2 * w + (1 - w) * 1;

        var smoothed = LossSmoothing.Smooth(values);

        Assert.Equal([s0, s1, s2, s3], smoothed);
    }

    [Fact]
    public void Smooth_KeepsAConstantSeriesAndHandlesEmpty()
    {
        Assert.All(LossSmoothing.Smooth([2.5, 2.5, 2.5]), v => Assert.Equal(2.5, v, 12));
        Assert.Empty(LossSmoothing.Smooth([]));
    }
}
