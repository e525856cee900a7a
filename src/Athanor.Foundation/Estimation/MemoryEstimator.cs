namespace Athanor.Estimation;

/// <summary>
/// Per-GPU memory of mixed-precision AdamW training under ZeRO (Rajbhandari et al. 2020) with N data-parallel ranks,
/// as Athanor runs it. Model states follow the paper: stage 0 replicates everything, stage 1 shards the optimizer
/// state by N, stage 2 also the gradients, stage 3 also the parameters; LoRA trains only adapters. On top come what
/// Athanor's optimizer allocates beyond them (<see cref="OptimizerMemoryModel"/>), ZeRO-3's gathered layers, a fixed
/// workspace, and the activations and working memory of the step's worst phase (docs/memory-planner.md).
/// </summary>
public static class MemoryEstimator
{
    public static MemoryEstimate Estimate(ModelSpec model, TrainingPlan plan, MemoryModelConstants? constants = null)
    {
        var c = constants ?? MemoryModelConstants.Default;
        plan.Validated();
        double n = plan.Gpus;
        var shape = model.Shape;
        long adapters = plan.TrainsAdapters ? shape.LoraParameters(plan.LoraRank) : 0;
        long trained = plan.TrainsAdapters ? adapters : model.Parameters;

        double baseWeights = plan.Method == FineTuningMethod.Qlora
            ? c.QuantizedWeightBytes * model.LinearParameters + c.WeightBytes * (model.Parameters - model.LinearParameters)
            : c.WeightBytes * model.Parameters;
        double weights = (baseWeights + c.WeightBytes * adapters) / (plan.ZeroStage >= 3 ? n : 1);
        double gradients = plan.GradientBytes * (double)trained / (plan.ZeroStage >= 2 ? n : 1);
        double optimizerShard = c.OptimizerBytes * trained / (plan.ZeroStage >= 1 ? n : 1);
        double optimizer = plan.Offload ? 0 : optimizerShard;
        double host = plan.Offload ? optimizerShard + c.HostGradientBytes * trained / n : 0;

        double nonBlock = model.Parameters - shape.Layers * model.BlockParameters;
        double nonBlockTrained = plan.TrainsAdapters ? 0 : nonBlock;
        double optimizerBuffers = OptimizerMemoryModel.ExtraBytes(trained, nonBlockTrained, nonBlock, plan, c);

        double gather = 0;
        if (plan.ZeroStage >= 3 && plan.Gpus > 1)
        {
            // Two whole layers in bf16 (current + prefetched) and one layer's fp32 gradient before its reduce-scatter.
            double layerTrained = plan.TrainsAdapters ? (double)adapters / shape.Layers : model.BlockParameters;
            gather = c.Zero3GatheredBlocks * model.BlockParameters * c.WeightBytes
                + c.Zero3ReducedBlocks * layerTrained * c.Zero3GradientBytes;
        }

        var phases = Phases(shape, plan, trained, nonBlockTrained, c);
        return new MemoryEstimate(model, plan, trained, weights, gradients, optimizer, optimizerBuffers, gather,
            c.WorkspaceBytes, phases, host);
    }

    /// <summary>Activations and working memory at each phase of one micro-batch's step.</summary>
    private static IReadOnlyList<PhaseBytes> Phases(ModelShape s, TrainingPlan plan, double trained, double nonBlockTrained, MemoryModelConstants c)
    {
        double tokens = (double)plan.Batch * plan.Sequence;
        // ZeRO-3 keeps activations like any stage unless checkpointing is on (then each layer is recomputed in backward).
        bool ckpt = plan.GradientCheckpointing;
        int rank = plan.TrainsAdapters ? plan.LoraRank : 0;
        bool headTrained = !plan.TrainsAdapters;

        double stored = ActivationModel.StoredBytes(s, tokens, ckpt, c, rank);
        double block = tokens * ActivationModel.BlockBytesPerToken(s, c, rank);
        double backward = tokens * ActivationModel.BackwardWorkingBytesPerToken(s, c);
        double keptPerLayer = tokens * ActivationModel.KeptGradientBytesPerToken(s, ckpt, c);
        double lossKept = LossMemoryModel.KeptBytes(s, tokens, headTrained, c);
        return
        [
            new(PeakPhase.Loss, stored, LossMemoryModel.ForwardBytes(s, tokens, headTrained, c)),
            new(PeakPhase.BackwardFirstLayer, stored + (ckpt ? block : 0), lossKept + backward),
            new(PeakPhase.BackwardLastLayer, block, (s.Layers - 1) * keptPerLayer + lossKept + backward),
            new(PeakPhase.OptimizerStep, 0, OptimizerMemoryModel.StepBytes(trained, nonBlockTrained, plan, c)),
        ];
    }
}
