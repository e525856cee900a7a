namespace Athanor.Estimation;

/// <summary>
/// Every constant of the memory model in one place, so predictions can be recalibrated against measured GPU peaks by
/// changing numbers here (or passing another instance), never formulas. Each one is derived from what Athanor's own
/// code allocates (bf16 compute, fused RMSNorm/rotary kernels on CUDA, the chunked LM-head loss); docs/memory-planner.md
/// gives the derivations in full. Symbols: H hidden, Q = heads x head_dim, KV = kv_heads x head_dim, F ffn, V vocab.
/// </summary>
public sealed record MemoryModelConstants
{
    public static MemoryModelConstants Default { get; } = new();

    // ---- model states: the ZeRO paper's terms ----

    /// <summary>bf16 compute copy of every parameter.</summary>
    public double WeightBytes { get; init; } = 2;
    /// <summary>Mixed-precision Adam per trained parameter: fp32 master 4 + momentum 4 + variance 4 (the ZeRO paper's K = 12).</summary>
    public double OptimizerBytes { get; init; } = 12;
    /// <summary>QLoRA NF4: half a byte per weight plus its quantization constant, one byte per block of 64 (double quantization).</summary>
    public double QuantizedWeightBytes { get; init; } = 0.5 + 0.5 / 64 * 2;
    /// <summary>With --offload, the CPU optimizer steps on an fp32 copy of its partition's gradients.</summary>
    public double HostGradientBytes { get; init; } = 4;

    // ---- what ZeroAdamW allocates beyond the paper's model states ----

    /// <summary>
    /// Per trained parameter, for optimizers that leave setup copies on the GPU until the garbage collector runs.
    /// ZeroAdamW used to (fp32 copies made outside any dispose scope; measured on the 1b preset: 27.12 GiB peak at
    /// 2ecb3a9, 24.12 GiB once fixed at 61d442c); it no longer does.
    /// </summary>
    public double SetupCopyBytes { get; init; } = 0;
    /// <summary>Several ranks: the fp32 flat vector the gradients are copied into for their reduction, per padded element.</summary>
    public double ReduceBufferBytes { get; init; } = 4;
    /// <summary>Unfused path (CPU, or --no-fused): fp32 flat parameters 4 + fp32 flat gradients 4, over the padded length.</summary>
    public double FlatBufferBytes { get; init; } = 8;
    /// <summary>Unfused path: the fp32 weight-decay mask of the rank's shard.</summary>
    public double DecayMaskBytes { get; init; } = 4;
    /// <summary>Unfused stage 2: the fp32 gradient shard the flat gradients are reduce-scattered into.</summary>
    public double GradientShardBytes { get; init; } = 4;
    /// <summary>
    /// Unfused step, per shard element: the norm's fp32 grad^2 4, master x mask and its scaled copy 4 + 4, sqrt(v) and
    /// its quotient 4 + 4 = 20 (the fused one-GPU path updates in place: 0).
    /// </summary>
    public double UnfusedStepBytes { get; init; } = 20;

    // ---- activations a decoder block keeps for backward, bytes per token ----
    //   ActivationPerHidden x H + ActivationPerQDim x Q + ActivationPerFfn x F + ActivationPerHead x heads
    //   + ActivationPerToken + ActivationPerLoraRank x r

    /// <summary>bf16 tensors of width H: block input (input norm), its output (q/k/v input), mid residual (second norm), its output (gate/up input) = 4 x 2.</summary>
    public double ActivationPerHidden { get; init; } = 8;
    /// <summary>
    /// bf16 tensors of width Q: rotated q, k and v after repeat_interleave to all heads (SDPA keeps the copies; GQA's
    /// narrower k and v are freed), the SDPA output, and its [B,T,Q] copy that o_proj keeps (the output is laid out
    /// [B,H,T,D], so the reshape copies) = 5 x 2.
    /// </summary>
    public double ActivationPerQDim { get; init; } = 10;
    /// <summary>gate output (silu's input), up output, silu(gate), silu(gate) x up (down_proj's input), bf16 = 4 x 2.</summary>
    public double ActivationPerFfn { get; init; } = 8;
    /// <summary>The attention's fp32 log-sum-exp per head.</summary>
    public double ActivationPerHead { get; init; } = 4;
    /// <summary>The fused RMSNorm keeps one fp32 reciprocal RMS per row: two norms per block.</summary>
    public double ActivationPerToken { get; init; } = 8;
    /// <summary>LoRA: each of the 7 adapters' bf16 A output (rank r), kept by B = 7 x 2 (dropout 0).</summary>
    public double ActivationPerLoraRank { get; init; } = 14;
    /// <summary>With gradient checkpointing each block keeps only its bf16 input.</summary>
    public double CheckpointPerHidden { get; init; } = 2;
    /// <summary>After the blocks: the final norm's bf16 input 2 + its bf16 output, the hidden states the loss reads 2.</summary>
    public double HeadPerHidden { get; init; } = 4;

    // ---- the chunked LM-head loss (Training/LmHeadCrossEntropy), which makes its gradients in forward ----

    /// <summary>Rows per chunk = this / vocab: the loss's own chunk size.</summary>
    public double LossChunkElements { get; init; } = Athanor.Training.LmHeadChunk.Elements;
    /// <summary>Per logit of one chunk at log-sum-exp: bf16 logits 2 + fp32 logits 4 + logsumexp's fp32 (x - max) 4.</summary>
    public double LossChunkBytesPerLogit { get; init; } = 10;
    /// <summary>Per logit later in the chunk: bf16 logits 2 + fp32 softmax-minus-one-hot (in place) 4 + its bf16 copy 2.</summary>
    public double LossChunkGradientBytesPerLogit { get; init; } = 8;
    /// <summary>Per head weight when the head is trained: the fp32 gradient accumulator [V, H].</summary>
    public double LossHeadGradientBytes { get; init; } = 4;
    /// <summary>Per head weight when the head is trained: one chunk's bf16 g^T h product before it is added.</summary>
    public double LossHeadProductBytes { get; init; } = 2;
    /// <summary>Per token: the bf16 hidden-state gradient the loss fills in forward.</summary>
    public double LossHiddenGradientPerHidden { get; init; } = 2;

    // ---- backward ----

    /// <summary>
    /// Gradients Athanor's own autograd functions return stay referenced (Training/BackwardResults) until backward
    /// ends: per block the two fused RMSNorms' input gradients (2 x 2 per H) ...
    /// </summary>
    public double KeptPerHidden { get; init; } = 4;
    /// <summary>... the checkpointed block's input gradient when checkpointing (2 per H) ...</summary>
    public double KeptCheckpointPerHidden { get; init; } = 2;
    /// <summary>... and the fused rotary's gradients of q (2 per Q) and of k before repeat_interleave (2 per KV).</summary>
    public double KeptPerQDim { get; init; } = 2;
    public double KeptPerKvDim { get; init; } = 2;
    /// <summary>After the blocks: the loss's bf16 hidden gradient 2 + the final norm's input gradient 2 per H per token.</summary>
    public double KeptHeadPerHidden { get; init; } = 4;
    /// <summary>Per head weight when trained: the loss's bf16 weight gradient it hands back.</summary>
    public double KeptHeadGradientBytes { get; init; } = 2;
    /// <summary>
    /// One block's backward working set beyond its activations, at its MLP: the gradients of silu x up, of silu and of
    /// up (3 x 2 per F) while down_proj's input (2 per F) is already freed = 4 per F.
    /// </summary>
    public double BackwardPerFfn { get; init; } = 4;

    // ---- fixed and ZeRO-3 ----

    /// <summary>
    /// cuBLAS handles and workspaces, lazily loaded kernels: measured 98 MiB at the first bf16 matmul on the forward
    /// thread and 96 MiB more at the first backward (libtorch's autograd thread has its own handle), H200, PyTorch 2.11.
    /// </summary>
    public double WorkspaceBytes { get; init; } = 0.2e9;
    /// <summary>ZeRO-3 gathers whole decoder layers in bf16: the current one and one prefetched.</summary>
    public double Zero3GatheredBlocks { get; init; } = 2;
    /// <summary>ZeRO-3 holds one layer's full gradient before reduce-scattering it ...</summary>
    public double Zero3ReducedBlocks { get; init; } = 1;
    /// <summary>... in fp32.</summary>
    public double Zero3GradientBytes { get; init; } = 4;
}
