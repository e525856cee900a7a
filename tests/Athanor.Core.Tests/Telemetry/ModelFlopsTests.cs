using Athanor.Telemetry;

namespace Athanor.Tests.Telemetry;

public class ModelFlopsTests
{
    [Fact]
    public void FullFineTuningCostsSixFlopsPerParameterAndTokenLoraAboutFour()
    {
        Assert.Equal(6.0 * 1e9, ModelFlops.PerToken(1_000_000_000, 1_000_000_000));
        Assert.Equal(4.0 * 1e9 + 2.0 * 4e6, ModelFlops.PerToken(1_000_000_000, 4_000_000));
        // 8B params, full FT, 4096 tokens a step in 1 s on 8 ranks of 989 TFLOP/s: about 2.5%.
        double mfu = ModelFlops.Utilization(ModelFlops.PerToken(8_000_000_000, 8_000_000_000), 4096, 1.0, 8, 989e12);
        Assert.Equal(6.0 * 8e9 * 4096 / (8 * 989e12), mfu, 1e-15);
        Assert.Equal(0, ModelFlops.Utilization(1, 1, 0, 1, 1));
    }

    [Fact]
    public void ThePeakComesFromTheEnvironmentOrIsEstimatedForTheCpuThreads()
    {
        Assert.Equal(989e12, ModelFlops.PeakPerRank(new Dictionary<string, string?> { [ModelFlops.PeakVariable] = "989e12" }, 4));
        double one = ModelFlops.PeakPerRank(new Dictionary<string, string?>(), 1);
        Assert.InRange(one, 1e9, 1e12); // a core: some GFLOP/s, never absurd
        Assert.Equal(4 * one, ModelFlops.PeakPerRank(new Dictionary<string, string?>(), 4));
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("-5")]
    [InlineData("0")]
    public void AnUnusablePeakIsRejectedNamingTheVariable(string value)
    {
        var ex = Assert.Throws<TelemetryConfigurationException>(() =>
            ModelFlops.PeakPerRank(new Dictionary<string, string?> { [ModelFlops.PeakVariable] = value }, 1));
        Assert.Contains($"ATHANOR_PEAK_FLOPS='{value}'", ex.Message);
        Assert.Contains("positive number", ex.Message);
    }
}
