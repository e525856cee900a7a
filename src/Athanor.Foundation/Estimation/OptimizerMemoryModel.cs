namespace Athanor.Estimation;

/// <summary>
/// What Athanor's optimizers (Parallel/ZeroAdamW, Parallel/Sharding/Zero3AdamW) allocate on each GPU beyond the ZeRO
/// paper's gradients and optimizer state, stage by stage, on the fused GPU path they take:
/// - one GPU: bf16 gradients on the parameters and fp32 master, m, v; nothing else;
/// - several GPUs, stages 0-2: the bf16 gradients stay whole on every rank and are copied into an fp32 flat vector
///   over the padded length for the reduction (stage 2 reduce-scatters it into an fp32 shard); stages 1-2 also keep a
///   flat vector of the parameters in their dtype, which the all-gather fills;
/// - ZeRO-3: decoder layers sharded as the paper counts them (their gathers and one layer's fp32 gradient are
///   GatherBytes), the gradient shard in fp32; the embedding, final norm and LM head replicated in bf16, with their
///   bf16 gradients whole and an fp32 flat copy for their reduce-scatter.
/// The fused update works in place: no step temporaries.
/// </summary>
public static class OptimizerMemoryModel
{
    /// <summary>Whether the optimizer runs on the fused kernels (always, on a GPU with NVRTC; the planner assumes it).</summary>
    public static bool Fused(TrainingPlan p) => true;

    /// <param name="trained">trained parameters</param>
    /// <param name="nonBlockTrained">of those, the ones outside the decoder layers (embedding, final norm, LM head)</param>
    /// <param name="nonBlockParameters">all parameters outside the decoder layers, trained or not</param>
    public static double ExtraBytes(double trained, double nonBlockTrained, double nonBlockParameters, TrainingPlan p, MemoryModelConstants c)
    {
        double n = p.Gpus;
        double setup = c.SetupCopyBytes * trained;
        if (n == 1 && p.ZeroStage < 3) return setup + Math.Max(0, c.WeightBytes - p.GradientBytes) * trained;
        if (p.ZeroStage < 3)
        {
            double padded = Padded(trained, n);
            double paperGradients = p.GradientBytes * trained / (p.ZeroStage >= 2 ? n : 1);
            return setup + c.ReduceBufferBytes * padded
                + (p.ZeroStage == 2 ? c.GradientShardBytes * padded / n : 0)
                + (p.ZeroStage >= 1 ? c.WeightBytes * padded : 0)
                + Math.Max(0, c.WeightBytes * trained - paperGradients);
        }
        // Embedding, final norm and LM head: replicated bf16 weights (the paper shards them), their bf16 gradients
        // whole and the fp32 flat copy reduced from them; every trained value's gradient shard is fp32.
        double replicated = c.WeightBytes * nonBlockParameters * (1 - 1 / n);
        double persistentGradients = (c.WeightBytes + c.ReduceBufferBytes) * Padded(nonBlockTrained, n);
        double shardInFp32 = Math.Max(0, c.GradientShardBytes - p.GradientBytes) * trained / n;
        return setup + replicated + persistentGradients + shardInFp32;
    }

    /// <summary>Temporaries of the optimizer step itself: none, the fused update is in place (offloaded: on the host).</summary>
    public static double StepBytes(double trained, double nonBlockTrained, TrainingPlan p, MemoryModelConstants c) => 0;

    /// <summary>FlatLayout pads the flat vector to a multiple of the world size.</summary>
    private static double Padded(double elements, double n) => Math.Ceiling(elements / n) * n;
}
