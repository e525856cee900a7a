using Athanor.Estimation;

namespace Athanor.Tests.Estimation;

public class ThroughputTests
{
    private static readonly ModelSpec Llama7b = ModelPresets.Get("7b");
    private static readonly GpuType H100 = GpuType.Find("h100")!;

    [Fact]
    public void FullFineTuningCostsSixFlopsPerParameterPlusAttention()
    {
        var plan = new TrainingPlan { Gpus = 8, Sequence = 2048 };
        double flops = 6.0 * 6_738_415_616 + 12.0 * 32 * 4096 * 2048;
        var t = ThroughputEstimate.For(Llama7b, plan, H100, 0.35);
        Assert.Equal(flops, t.FlopsPerToken);
        Assert.Equal(0.35 * 989e12 / flops, t.TokensPerSecondPerGpu, 1e-6);
        // 1B tokens over 8 GPUs.
        Assert.Equal(1e9 / (t.TokensPerSecondPerGpu * 8) / 3600, t.Hours(1e9, 8), 1e-9);
        Assert.Equal(t.Hours(1e9, 8) * 8 * 2.5, t.Cost(1e9, 8, 2.5), 1e-9);
    }

    [Fact]
    public void LoraSkipsWeightGradientsAndCheckpointingPaysOneMoreForward()
    {
        var lora = ThroughputEstimate.For(Llama7b, new TrainingPlan { Method = FineTuningMethod.Lora }, H100, 0.35);
        Assert.Equal(4.0 * 6_738_415_616 + 12.0 * 32 * 4096 * 2048, lora.FlopsPerToken);
        var ckpt = ThroughputEstimate.For(Llama7b, new TrainingPlan { GradientCheckpointing = true }, H100, 0.35);
        Assert.Equal(8.0 * 6_738_415_616 + 16.0 * 32 * 4096 * 2048, ckpt.FlopsPerToken);
    }

    [Fact]
    public void PeaksAreTheDenseBf16Figures()
    {
        Assert.Equal([989.0, 989, 312, 312, 125], GpuType.All.Select(g => g.PeakBf16Tflops));
        Assert.Throws<PlannerInputException>(() => ThroughputEstimate.For(Llama7b, new TrainingPlan(), H100, 1.5));
    }

    [Fact]
    public void EpochUsesThePriceTableOverride()
    {
        using var temp = new TestPaths.TempFolder();
        var file = temp.Sub("prices.json");
        File.WriteAllText(file, """{"h100": 4.0, "A10G": 0.25}""");
        var prices = PriceTable.Load(file);
        Assert.Equal(4.0, prices.PricePerHour(H100));
        Assert.Equal(0.25, prices.PricePerHour(GpuType.Find("a10g")!));
        Assert.Equal(GpuType.Find("h200")!.DefaultPricePerHour, prices.PricePerHour(GpuType.Find("h200")!));
        var epoch = EpochEstimate.For(Llama7b, new TrainingPlan { Gpus = 8 }, H100, 0.35, 1e9, prices);
        Assert.Equal(epoch.Hours * 8 * 4.0, epoch.Cost, 1e-9);
        Assert.Equal(GpuType.All.Count, epoch.Table.Count);
    }

    [Theory]
    [InlineData("""{"h1000": 2}""", "key 'h1000' is not a GPU type")]
    [InlineData("""{"h100": -1}""", "\"h100\" is -1")]
    [InlineData("""{"h100": "cheap"}""", "\"h100\" is \"cheap\"")]
    [InlineData("""[1, 2]""", "not a JSON object")]
    [InlineData("""{"h100": """, "invalid JSON")]
    public void BadPriceTablesNameTheFileTheKeyAndTheValue(string json, string expected)
    {
        using var temp = new TestPaths.TempFolder();
        var file = temp.Sub("prices.json");
        File.WriteAllText(file, json);
        var ex = Assert.Throws<PlannerInputException>(() => PriceTable.Load(file));
        Assert.Contains(file, ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}
