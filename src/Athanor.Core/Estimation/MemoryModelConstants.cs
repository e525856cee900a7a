namespace Athanor.Estimation;

/// <summary>
/// Every constant of the memory model in one place, so predictions can be recalibrated against measured GPU peaks by
/// changing numbers here (or passing another instance), never formulas. docs/memory-planner.md derives each one.
/// </summary>
public sealed record MemoryModelConstants
{
    public static MemoryModelConstants Default { get; } = new();

    /// <summary>bf16 compute copy of every parameter.</summary>
    public double WeightBytes { get; init; } = 2;
    /// <summary>Mixed-precision Adam per trained parameter: fp32 master 4 + momentum 4 + variance 4 (the ZeRO paper's K = 12).</summary>
    public double OptimizerBytes { get; init; } = 12;
    /// <summary>QLoRA NF4: half a byte per weight plus its quantization constant, one byte per block of 64 (double quantization).</summary>
    public double QuantizedWeightBytes { get; init; } = 0.5 + 0.5 / 64 * 2;
    /// <summary>With --offload, the CPU optimizer steps on an fp32 copy of its partition's gradients.</summary>
    public double HostGradientBytes { get; init; } = 4;

    // Activations kept for backward, bytes per token per decoder block:
    //   ActivationPerHidden * hidden + ActivationPerKvDim * kv_dim + ActivationPerFfn * ffn
    // bf16 (2 bytes) tensors of width hidden: block input, attention-norm output, rotated q, attention output, o_proj
    // input, mid-block residual, MLP-norm output = 7 x 2 = 14; fp32 inputs both RMSNorms save = 2 x 4 = 8; total 22.
    // rotated k and v (flash/SDPA keeps q, k, v, out and a log-sum-exp; no seq x seq matrix) = 2 x 2 = 4 per kv_dim.
    // gate output, up output, silu(gate), silu(gate) * up (down_proj input) = 4 x 2 = 8 per ffn.
    public double ActivationPerHidden { get; init; } = 22;
    public double ActivationPerKvDim { get; init; } = 4;
    public double ActivationPerFfn { get; init; } = 8;
    /// <summary>With gradient checkpointing each block keeps only its bf16 input.</summary>
    public double CheckpointPerHidden { get; init; } = 2;
    /// <summary>Final RMSNorm: fp32 input 4 + bf16 input 2 + bf16 output 2 bytes per hidden unit per token.</summary>
    public double HeadPerHidden { get; init; } = 8;

    /// <summary>Logits in fp32 for the loss: batch x seq x vocab x this.</summary>
    public double LogitsBytes { get; init; } = 4;
    /// <summary>Gradient communication buckets (two of 25M elements: one filling, one in flight), when gpus &gt; 1.</summary>
    public double CommBucketElements { get; init; } = 50e6;
    /// <summary>ZeRO-3 gathers whole blocks before use: the current one and one prefetched.</summary>
    public double Zero3GatheredBlocks { get; init; } = 2;
    /// <summary>ZeRO-3 holds one block's full gradient before reduce-scattering it.</summary>
    public double Zero3ReducedBlocks { get; init; } = 1;
}
