using Athanor.Estimation;

namespace Athanor.Tests.Estimation;

public class MemoryEstimatorTests
{
    private static readonly ModelSpec Llama7b = ModelPresets.Get("7b");
    private const double P = 6_738_415_616;
    private const double Adapters = 19_988_480;
    private const double BlockLinear = 4.0 * 4096 * 4096 + 3.0 * 4096 * 11008;

    private static MemoryEstimate Estimate(TrainingPlan plan) => MemoryEstimator.Estimate(Llama7b, plan);

    [Fact]
    public void FullFineTuningCountsSixteenBytesPerParameterUnsharded()
    {
        var e = Estimate(new TrainingPlan { Gpus = 1 });
        Assert.Equal(16 * P, e.ModelStateBytes);
        Assert.Equal((long)P, e.TrainedParameters);
        var fp32 = Estimate(new TrainingPlan { Gpus = 1, GradientBytes = 4 });
        Assert.Equal(4 * P, fp32.GradientBytes);
        Assert.Equal(18 * P, fp32.ModelStateBytes);
    }

    [Fact]
    public void LoraFreezesTheBase()
    {
        var e = Estimate(new TrainingPlan { Method = FineTuningMethod.Lora, Gpus = 1, LoraRank = 8 });
        Assert.Equal((long)Adapters, e.TrainedParameters);
        Assert.Equal(2 * (P + Adapters), e.WeightBytes);
        Assert.Equal(2 * Adapters, e.GradientBytes);
        Assert.Equal(12 * Adapters, e.OptimizerBytes);
    }

    [Fact]
    public void LoraUnderZero3ShardsTheFrozenBaseToo()
    {
        var e = Estimate(new TrainingPlan { Method = FineTuningMethod.Lora, ZeroStage = 3, Gpus = 8 });
        Assert.Equal(2 * (P + Adapters) / 8, e.WeightBytes, 1e-3);
        Assert.Equal(2 * Adapters / 8, e.GradientBytes, 1e-3);
    }

    [Fact]
    public void QloraStoresTheBlockLinearsInFourBits()
    {
        var e = Estimate(new TrainingPlan { Method = FineTuningMethod.Qlora, Gpus = 1 });
        double linear = 32 * BlockLinear;
        Assert.Equal((0.5 + 1.0 / 64) * linear + 2 * (P - linear) + 2 * Adapters, e.WeightBytes, 1e-3);
        Assert.InRange(e.WeightBytes / 1e9, 3.8, 4.0);
    }

    [Fact]
    public void QloraWithZero3IsRefusedNamingWhatIsAllowed()
    {
        var ex = Assert.Throws<PlannerInputException>(() => Estimate(new TrainingPlan { Method = FineTuningMethod.Qlora, ZeroStage = 3, Gpus = 8 }));
        Assert.Contains("--method qlora with --zero 3", ex.Message);
        Assert.Contains("--zero 0, 1 or 2", ex.Message);
    }

    [Theory]
    [InlineData(4, 1, "--zero 4")]
    [InlineData(0, 0, "--gpus 0")]
    public void OutOfRangeStagesAndGpuCountsAreRefused(int stage, int gpus, string named)
    {
        var ex = Assert.Throws<PlannerInputException>(() => Estimate(new TrainingPlan { ZeroStage = stage, Gpus = gpus }));
        Assert.Contains(named, ex.Message);
        Assert.Contains("accepted", ex.Message);
    }

    [Fact]
    public void OffloadMovesTheOptimizerPartitionAndAnFp32GradientCopyToTheHost()
    {
        var e = Estimate(new TrainingPlan { ZeroStage = 2, Gpus = 8, Offload = true });
        Assert.Equal(0, e.OptimizerBytes);
        Assert.Equal((12 * P + 4 * P) / 8, e.HostBytesPerRank, 1e-3);
        Assert.Equal(16 * P, e.HostBytesTotal, 1e-2);
        Assert.Throws<PlannerInputException>(() => Estimate(new TrainingPlan { ZeroStage = 0, Gpus = 8, Offload = true }));
    }

    [Fact]
    public void ActivationsFollowTheDocumentedPerTokenFormula()
    {
        // Per block per token: 22 x 4096 + 4 x 4096 (k, v) + 8 x 11008 = 194,560 bytes; the final norm adds 8 x 4096.
        Assert.Equal(194_560, ActivationModel.BlockBytesPerToken(Llama7b.Shape, MemoryModelConstants.Default));
        var plain = Estimate(new TrainingPlan { Gpus = 1, Sequence = 2048, Batch = 1 });
        Assert.Equal(2048.0 * (32 * 194_560 + 32_768), plain.ActivationBytes);
        // Checkpointing keeps each block's bf16 input and recomputes one block at a time.
        var ckpt = Estimate(new TrainingPlan { Gpus = 1, Sequence = 2048, Batch = 1, GradientCheckpointing = true });
        Assert.Equal(2048.0 * (32 * 2 * 4096 + 194_560 + 32_768), ckpt.ActivationBytes);
        var twice = Estimate(new TrainingPlan { Gpus = 1, Sequence = 2048, Batch = 2 });
        Assert.Equal(2 * plain.ActivationBytes, twice.ActivationBytes);
    }

    [Fact]
    public void RecalibratedConstantsChangeThePrediction()
    {
        var plan = new TrainingPlan { Gpus = 1 };
        var calibrated = MemoryEstimator.Estimate(Llama7b, plan, MemoryModelConstants.Default with { ActivationPerFfn = 10, LogitsBytes = 12 });
        var baseline = Estimate(plan);
        Assert.Equal(2048.0 * 32 * 2 * 11008, calibrated.ActivationBytes - baseline.ActivationBytes, 1e-3);
        Assert.Equal(3 * baseline.LogitsBytes, calibrated.LogitsBytes);
    }

    [Fact]
    public void BuffersHoldLogitsBucketsAndZero3Gathers()
    {
        var single = Estimate(new TrainingPlan { Gpus = 1, Batch = 2, Sequence = 1024 });
        Assert.Equal(2.0 * 1024 * 32000 * 4, single.LogitsBytes);
        Assert.Equal(0, single.CommBucketBytes);
        Assert.Equal(0, single.GatherBytes);

        var z2 = Estimate(new TrainingPlan { ZeroStage = 2, Gpus = 8 });
        Assert.Equal(50e6 * 2, z2.CommBucketBytes);
        Assert.Equal(0, z2.GatherBytes);

        // Two gathered blocks in bf16 plus one block's bf16 gradient before reduce-scatter; a 7B block outweighs the embedding.
        var z3 = Estimate(new TrainingPlan { ZeroStage = 3, Gpus = 8 });
        double block = BlockLinear + 2 * 4096;
        Assert.Equal(2 * block * 2 + block * 2, z3.GatherBytes);

        var lora = Estimate(new TrainingPlan { Method = FineTuningMethod.Lora, ZeroStage = 2, Gpus = 8 });
        Assert.Equal(Adapters * 2, lora.CommBucketBytes);
    }

    [Fact]
    public void TotalIsTheSumOfItsParts()
    {
        var e = Estimate(new TrainingPlan { ZeroStage = 3, Gpus = 16, Batch = 4, GradientCheckpointing = true });
        Assert.Equal(e.WeightBytes + e.GradientBytes + e.OptimizerBytes + e.ActivationBytes + e.LogitsBytes + e.CommBucketBytes + e.GatherBytes,
            e.TotalBytes, 1e-3);
        Assert.True(e.Fits(e.TotalBytes));
        Assert.False(e.Fits(e.TotalBytes - 1));
    }
}
