namespace Athanor.Estimation;

/// <summary>
/// Per-GPU memory of mixed-precision Adam training under ZeRO (Rajbhandari et al. 2020) with N data-parallel ranks:
/// stage 0 replicates everything, stage 1 shards the optimizer state by N, stage 2 also the gradients, stage 3 also
/// the parameters. LoRA trains only adapters (the base is frozen: no gradients, no optimizer state for it).
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

        double tokens = (double)plan.Batch * plan.Sequence;
        double activations = ActivationModel.Bytes(shape, tokens, plan.GradientCheckpointing, c);
        double logits = tokens * shape.Vocab * c.LogitsBytes;
        double buckets = plan.Gpus > 1 ? Math.Min(c.CommBucketElements, trained) * plan.GradientBytes : 0;
        double gather = 0;
        if (plan.ZeroStage >= 3 && plan.Gpus > 1)
        {
            // The largest unit gathered whole: a decoder block or the embedding matrix (lm_head has the same size).
            double unit = Math.Max(model.BlockParameters, shape.EmbeddingMatrix);
            gather = c.Zero3GatheredBlocks * unit * c.WeightBytes
                + (plan.TrainsAdapters ? 0 : c.Zero3ReducedBlocks * unit * plan.GradientBytes);
        }
        return new MemoryEstimate(model, plan, trained, weights, gradients, optimizer, activations, logits, buckets, gather, host);
    }
}
