namespace Athanor.Estimation;

/// <summary>
/// What Athanor's optimizer (Parallel/ZeroAdamW) allocates on each GPU beyond the ZeRO paper's gradients and optimizer
/// state, stage by stage. One GPU at stage 0 takes the fused path: bf16 gradients on the parameters and fp32 master,
/// m, v, nothing else. Every other case takes the unfused path: fp32 flat parameters and flat gradients over the
/// padded length, the decay-mask shard, at stage 2 an fp32 gradient shard, and the bf16 gradients on the parameters,
/// which stay whole on every rank whatever the stage. ZeRO-3 follows its design: decoder layers sharded, the
/// embedding, final norm and LM head replicated in bf16 with their gradients and optimizer state handled as in stage 2,
/// the layers' shards exactly as the paper counts them.
/// </summary>
public static class OptimizerMemoryModel
{
    /// <summary>Whether ZeroAdamW takes its fused one-GPU path (world 1, stage 0 on CUDA).</summary>
    public static bool Fused(TrainingPlan p) => p.Gpus == 1 && p.ZeroStage == 0;

    /// <param name="trained">trained parameters</param>
    /// <param name="nonBlockTrained">of those, the ones outside the decoder layers (embedding, final norm, LM head)</param>
    /// <param name="nonBlockParameters">all parameters outside the decoder layers, trained or not</param>
    public static double ExtraBytes(double trained, double nonBlockTrained, double nonBlockParameters, TrainingPlan p, MemoryModelConstants c)
    {
        if (Fused(p)) return c.SetupCopyBytes * trained + Math.Max(0, c.WeightBytes - p.GradientBytes) * trained;
        if (p.ZeroStage < 3) return Unfused(trained, p.ZeroStage, p, c);
        double n = p.Gpus;
        // Layers are sharded as the paper counts them (their gathers and fp32 layer gradient are GatherBytes).
        // Embedding, final norm and LM head: replicated bf16 weights (the paper shards them) and stage 2's buffers.
        double replicated = c.WeightBytes * nonBlockParameters * (1 - 1 / n);
        // The paper's stage-3 terms hold g/N and 12/N of them, as stage 2's do: Unfused counts only what exceeds that.
        double stage2 = Unfused(nonBlockTrained, 2, p, c);
        return replicated + stage2;
    }

    /// <summary>Temporaries of the optimizer step itself (the unfused arithmetic over the rank's shard).</summary>
    public static double StepBytes(double trained, double nonBlockTrained, TrainingPlan p, MemoryModelConstants c)
    {
        // Offloaded, the step runs on the host.
        if (Fused(p) || p.Offload) return 0;
        double n = p.Gpus;
        double shard = p.ZeroStage switch
        {
            0 => Padded(trained, n),
            < 3 => Padded(trained, n) / n,
            // ZeRO-3: the embedding, norm and head go through stage 2's step; the layers' update is not described
            // by the design (docs/memory-planner.md): taken as in place.
            _ => Padded(nonBlockTrained, n) / n,
        };
        return c.UnfusedStepBytes * shard;
    }

    /// <summary>The unfused ZeroAdamW over <paramref name="trained"/> parameters at stage 0-2, beyond the paper's terms.</summary>
    private static double Unfused(double trained, int stage, TrainingPlan p, MemoryModelConstants c)
    {
        double n = p.Gpus;
        double padded = Padded(trained, n);
        double shard = stage == 0 ? padded : padded / n;
        double paperGradients = p.GradientBytes * trained / (stage >= 2 ? n : 1);
        return c.FlatBufferBytes * padded
            + (p.Offload ? 0 : c.DecayMaskBytes * shard)
            + (stage == 2 ? c.GradientShardBytes * shard : 0)
            + c.SetupCopyBytes * trained
            + Math.Max(0, c.WeightBytes * trained - paperGradients);
    }

    /// <summary>FlatLayout pads the flat vector to a multiple of the world size.</summary>
    private static double Padded(double elements, double n) => Math.Ceiling(elements / n) * n;
}
