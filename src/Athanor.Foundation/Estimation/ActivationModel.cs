namespace Athanor.Estimation;

/// <summary>
/// Activation memory of Athanor's Llama block in bf16 on CUDA (fused RMSNorm and rotary kernels, SDPA without a
/// seq x seq matrix), and what backward holds on top. The per-token coefficients live in
/// <see cref="MemoryModelConstants"/>; this class only combines them.
/// </summary>
public static class ActivationModel
{
    /// <summary>Bytes one block keeps for backward per token (LoRA adds its rank-r intermediates).</summary>
    public static double BlockBytesPerToken(ModelShape s, MemoryModelConstants c, int loraRank = 0) =>
        c.ActivationPerHidden * s.Hidden + c.ActivationPerQDim * s.QDim + c.ActivationPerFfn * s.Intermediate
        + c.ActivationPerHead * s.Heads + c.ActivationPerToken + c.ActivationPerLoraRank * loraRank;

    /// <summary>
    /// What forward leaves for backward over a micro-batch of <paramref name="tokens"/> tokens: every block's
    /// activations, or with checkpointing only every block's input; then the final norm and hidden states.
    /// </summary>
    public static double StoredBytes(ModelShape s, double tokens, bool checkpointing, MemoryModelConstants c, int loraRank = 0)
    {
        double perBlock = checkpointing ? c.CheckpointPerHidden * s.Hidden : BlockBytesPerToken(s, c, loraRank);
        return tokens * (s.Layers * perBlock + c.HeadPerHidden * s.Hidden);
    }

    /// <summary>Gradients of one block that backward keeps referenced until it ends (Training/BackwardResults), per token.</summary>
    public static double KeptGradientBytesPerToken(ModelShape s, bool checkpointing, MemoryModelConstants c) =>
        (c.KeptPerHidden + (checkpointing ? c.KeptCheckpointPerHidden : 0)) * s.Hidden
        + c.KeptPerQDim * s.QDim + c.KeptPerKvDim * s.KvDim;

    /// <summary>One block's backward temporaries beyond its activations, per token.</summary>
    public static double BackwardWorkingBytesPerToken(ModelShape s, MemoryModelConstants c) => c.BackwardPerFfn * s.Intermediate;
}
