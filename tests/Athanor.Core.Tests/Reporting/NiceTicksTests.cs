using Athanor.Reporting;

namespace Athanor.Tests.Reporting;

public class NiceTicksTests
{
    [Theory]
    [InlineData(10, 5, 2)]
    [InlineData(3000, 7, 500)]
    [InlineData(2.2, 6, 0.5)]
    [InlineData(0.4, 6, 0.05)]
    [InlineData(0.67, 6, 0.1)]
    [InlineData(0.03, 5, 0.005)]
    [InlineData(2_000_000, 4, 500_000)]
    [InlineData(7, 7, 1)]
    public void Step_IsOneTwoOrFiveTimesAPowerOfTen(double span, int target, double expected) =>
        Assert.Equal(expected, NiceTicks.Step(span, target), 12);

    [Fact]
    public void Step_IntegerOnlyNeverGoesBelowOne() =>
        Assert.Equal(1, NiceTicks.Step(2, 10, integerOnly: true));

    [Fact]
    public void Values_AreTheMultiplesInsideTheRangeIncludingTheEdges()
    {
        Assert.Equal([0.2, 0.4, 0.6, 0.8], NiceTicks.Values(0.05, 0.95, 0.2).Select(v => Math.Round(v, 12)));
        Assert.Equal([0, 500, 1000], NiceTicks.Values(0, 1000, 500));
        Assert.Equal([-1, 0, 1], NiceTicks.Values(-1, 1, 1));
    }

    [Fact]
    public void Values_FromTheIndexDoNotAccumulateRoundingError()
    {
        var ticks = NiceTicks.Values(0, 1, 0.1);
        Assert.Equal(11, ticks.Length);
        Assert.Equal(0.7, ticks[7], 15);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Step_RejectsASpanThatIsNotFinitePositive(double span)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => NiceTicks.Step(span, 5));
        Assert.Contains("finite and positive", ex.Message);
    }
}
