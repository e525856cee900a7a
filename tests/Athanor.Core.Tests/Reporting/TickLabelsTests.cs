using Athanor.Reporting;

namespace Athanor.Tests.Reporting;

public class TickLabelsTests
{
    [Fact]
    public void Decimals_FollowTheStep()
    {
        Assert.Equal(["0.0", "0.5", "1.0", "1.5"], TickLabels.Format([0, 0.5, 1.0, 1.5], 0.5));
        Assert.Equal(["0.05", "0.10"], TickLabels.Format([0.05, 0.1], 0.05));
        Assert.Equal(["0", "500", "1000"], TickLabels.Format([0, 500, 1000], 500));
    }

    [Fact]
    public void LargeStepCounts_UseSuffixes()
    {
        Assert.Equal(["0", "10k", "20k"], TickLabels.Format([0, 10_000, 20_000], 10_000));
        Assert.Equal(["12.5k", "15.0k"], TickLabels.Format([12_500, 15_000], 2_500));
        Assert.Equal(["0", "0.5M", "1.0M"], TickLabels.Format([0, 500_000, 1_000_000], 500_000));
        Assert.Equal(["2G", "4G"], TickLabels.Format([2e9, 4e9], 2e9));
    }

    [Fact]
    public void BelowTenThousand_NoSuffix() =>
        Assert.Equal(["2000", "4000", "6000", "8000"], TickLabels.Format([2000, 4000, 6000, 8000], 2000));

    [Fact]
    public void NegativeZeroAndRoundingNoise_ReadAsZero() =>
        Assert.Equal(["-0.2", "0.0", "0.2"], TickLabels.Format([-0.2, -1e-17, 0.2], 0.2));
}
