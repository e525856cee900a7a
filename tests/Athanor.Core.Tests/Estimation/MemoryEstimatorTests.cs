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
        // Per block per token: 8 x 4096 (H) + 10 x 4096 (Q) + 8 x 11008 (F) + 4 x 32 heads + 8 (two fp32 rstd) = 161,928.
        Assert.Equal(161_928, ActivationModel.BlockBytesPerToken(Llama7b.Shape, MemoryModelConstants.Default));
        // LoRA keeps each of its 7 adapters' rank-r intermediate: 14 bytes per rank.
        Assert.Equal(161_928 + 14 * 16, ActivationModel.BlockBytesPerToken(Llama7b.Shape, MemoryModelConstants.Default, loraRank: 16));
        var plain = Estimate(new TrainingPlan { Gpus = 1, Sequence = 2048, Batch = 1 });
        Assert.Equal(2048.0 * (32 * 161_928 + 4 * 4096), Phase(plain, PeakPhase.Loss).ActivationBytes);
        // Checkpointing keeps each block's bf16 input; backward of the first layer holds it recomputed.
        var ckpt = Estimate(new TrainingPlan { Gpus = 1, Sequence = 2048, Batch = 1, GradientCheckpointing = true });
        Assert.Equal(2048.0 * (32 * 2 * 4096 + 4 * 4096), Phase(ckpt, PeakPhase.Loss).ActivationBytes);
        Assert.Equal(2048.0 * 161_928, Phase(ckpt, PeakPhase.BackwardLastLayer).ActivationBytes);
        var twice = Estimate(new TrainingPlan { Gpus = 1, Sequence = 2048, Batch = 2 });
        Assert.Equal(2 * Phase(plain, PeakPhase.Loss).ActivationBytes, Phase(twice, PeakPhase.Loss).ActivationBytes);
    }

    [Fact]
    public void BackwardKeepsEveryLayersReturnedGradientsUntilItEnds()
    {
        var ckpt = Estimate(new TrainingPlan { Gpus = 1, Sequence = 2048, Batch = 1, GradientCheckpointing = true });
        // Per layer: two norms' input gradients + the checkpointed input's (6 x H), rotary q (2 x Q) and k (2 x KV).
        double kept = 6 * 4096 + 2 * 4096 + 2 * 4096;
        // The loss's hidden gradient and the final norm's (4 x H), the head's bf16 gradient, one layer's MLP backward (4 x F).
        double rest = 2048.0 * 4 * 4096 + 2.0 * 32000 * 4096 + 2048.0 * 4 * 11008;
        Assert.Equal(31 * 2048.0 * kept + rest, Phase(ckpt, PeakPhase.BackwardLastLayer).WorkingBytes, 1e-3);
        Assert.Equal(PeakPhase.BackwardLastLayer, ckpt.Phase);
        // Without checkpointing all activations are still there when the loss runs: that is the peak.
        Assert.Equal(PeakPhase.Loss, Estimate(new TrainingPlan { Gpus = 1, Batch = 4 }).Phase);
    }

    [Fact]
    public void TheChunkedLossHoldsItsGradientsAndOneChunkOfLogits()
    {
        // 64Mi logits per chunk over a 32000 vocabulary: 2097 rows, more than a 1024-token micro-batch has.
        var shape = Llama7b.Shape;
        var c = MemoryModelConstants.Default;
        Assert.Equal(2097, LossMemoryModel.ChunkRows(shape, 1e6, c));
        Assert.Equal(1024, LossMemoryModel.ChunkRows(shape, 1024, c));
        double head = 32000.0 * 4096, logits = 1024.0 * 32000;
        // Trained head: bf16 hidden gradient, fp32 head gradient, then the larger of the chunk's two moments.
        double expected = 1024.0 * 2 * 4096 + 4 * head + Math.Max(10 * logits, 8 * logits + 2 * 1024.0 * 4096 + 2 * head);
        Assert.Equal(expected, LossMemoryModel.ForwardBytes(shape, 1024, headTrained: true, c));
        // LoRA freezes the head: no weight gradient at all.
        Assert.Equal(1024.0 * 2 * 4096 + 10 * logits, LossMemoryModel.ForwardBytes(shape, 1024, headTrained: false, c));
    }

    [Fact]
    public void OptimizerBuffersFollowWhatZeroAdamWAllocatesPerStage()
    {
        // One GPU, stage 0: the fused path keeps nothing beyond the paper's 16 bytes.
        Assert.Equal(0, Estimate(new TrainingPlan { Gpus = 1 }).OptimizerBufferBytes);
        Assert.Equal(0, Phase(Estimate(new TrainingPlan { Gpus = 1 }), PeakPhase.OptimizerStep).WorkingBytes);
        // 8 ranks (P is a multiple of 8, so no padding): the fp32 flat gradient 4P for the reduction; stages 1-2 add the
        // bf16 flat parameters 2P the all-gather fills; stage 2 adds the fp32 gradient shard and keeps the bf16
        // gradients whole (2P where the paper counts 2P/8).
        Assert.Equal(4 * P, Estimate(new TrainingPlan { ZeroStage = 0, Gpus = 8 }).OptimizerBufferBytes, 1e-3);
        Assert.Equal(4 * P + 2 * P, Estimate(new TrainingPlan { ZeroStage = 1, Gpus = 8 }).OptimizerBufferBytes, 1e-3);
        var z2 = Estimate(new TrainingPlan { ZeroStage = 2, Gpus = 8 });
        Assert.Equal(4 * P + 4 * P / 8 + 2 * P + (2 * P - 2 * P / 8), z2.OptimizerBufferBytes, 1e-3);
        Assert.Equal(0, Phase(z2, PeakPhase.OptimizerStep).WorkingBytes, 1e-3);
        Assert.Equal(0, z2.GatherBytes);
        // LoRA: the same buffers over the adapters only.
        var lora = Estimate(new TrainingPlan { Method = FineTuningMethod.Lora, ZeroStage = 1, Gpus = 8 });
        Assert.Equal(4 * Adapters + 2 * Adapters, lora.OptimizerBufferBytes, 1e-3);
    }

    [Fact]
    public void Zero3GathersTwoLayersReplicatesTheHeadAndRecomputesOnlyWithCheckpointing()
    {
        var z3 = Estimate(new TrainingPlan { ZeroStage = 3, Gpus = 8, GradientCheckpointing = true });
        double block = BlockLinear + 2 * 4096;
        // Per layer parameter 8 bytes: in backward the gathered layer and its bf16 gradient (2 + 2) and the fp32 flat
        // copy reduce-scattered from it (4).
        Assert.Equal(2 * block * 2 + block * 4, z3.GatherBytes);
        // With checkpointing only block inputs are stored; without it ZeRO-3 keeps what stage 2 keeps.
        Assert.Equal(2048.0 * (32 * 2 * 4096 + 4 * 4096), Phase(z3, PeakPhase.Loss).ActivationBytes);
        var kept = Estimate(new TrainingPlan { ZeroStage = 3, Gpus = 8 });
        Assert.Equal(Phase(Estimate(new TrainingPlan { ZeroStage = 2, Gpus = 8 }), PeakPhase.Loss).ActivationBytes, Phase(kept, PeakPhase.Loss).ActivationBytes);
        Assert.True(Phase(kept, PeakPhase.Loss).ActivationBytes > 10 * Phase(z3, PeakPhase.Loss).ActivationBytes);
        // Embedding, final norm and LM head stay whole in bf16 (the paper's term has 1/8 of them).
        double nonBlock = 2.0 * 32000 * 4096 + 4096;
        // Their bf16 gradients are whole too (2 per value; the fp32 copies for the reduction are zeroed here).
        var c = MemoryModelConstants.Default with { ReduceBufferBytes = 0, GradientShardBytes = 0 };
        var bare = MemoryEstimator.Estimate(Llama7b, new TrainingPlan { ZeroStage = 3, Gpus = 8 }, c);
        Assert.Equal(2 * nonBlock * (1 - 1.0 / 8) + 2 * nonBlock, bare.OptimizerBufferBytes, 1e-2);
    }

    [Fact]
    public void RecalibratedConstantsChangeThePrediction()
    {
        var plan = new TrainingPlan { Gpus = 1 };
        var calibrated = MemoryEstimator.Estimate(Llama7b, plan, MemoryModelConstants.Default with { ActivationPerFfn = 10, SetupCopyBytes = 4 });
        var baseline = Estimate(plan);
        Assert.Equal(2048.0 * 32 * 2 * 11008, Phase(calibrated, PeakPhase.Loss).ActivationBytes - Phase(baseline, PeakPhase.Loss).ActivationBytes, 1e-3);
        Assert.Equal(4 * P, calibrated.OptimizerBufferBytes - baseline.OptimizerBufferBytes);
    }

    [Fact]
    public void TotalIsTheSumOfItsPartsAtThePeakPhase()
    {
        var e = Estimate(new TrainingPlan { ZeroStage = 3, Gpus = 16, Batch = 4, GradientCheckpointing = true });
        Assert.Equal(e.WeightBytes + e.GradientBytes + e.OptimizerBytes + e.OptimizerBufferBytes + e.GatherBytes + e.WorkspaceBytes
            + e.ActivationBytes + e.WorkingBytes, e.TotalBytes, 1e-3);
        Assert.Equal(e.Phases.Max(p => e.TotalAt(p.Phase)), e.TotalBytes, 1e-3);
        Assert.Equal(0.2e9, e.WorkspaceBytes);
        Assert.True(e.Fits(e.TotalBytes));
        Assert.False(e.Fits(e.TotalBytes - 1));
    }

    private static PhaseBytes Phase(MemoryEstimate e, PeakPhase phase) => e.Phases.Single(p => p.Phase == phase);
}
