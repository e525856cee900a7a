namespace Athanor.Estimation;

/// <summary>
/// Activation memory of a Llama block trained with flash/SDPA attention (no seq x seq score matrix is kept), in bf16.
/// The per-token coefficients live in <see cref="MemoryModelConstants"/>; this class only combines them.
/// </summary>
public static class ActivationModel
{
    /// <summary>Bytes one block keeps for backward per token.</summary>
    public static double BlockBytesPerToken(ModelShape s, MemoryModelConstants c) =>
        c.ActivationPerHidden * s.Hidden + c.ActivationPerKvDim * s.KvDim + c.ActivationPerFfn * s.Intermediate;

    /// <summary>
    /// Activations of a micro-batch of <paramref name="tokens"/> tokens. Without checkpointing every block keeps its
    /// tensors; with it, every block keeps only its input and one block at a time is recomputed in full.
    /// </summary>
    public static double Bytes(ModelShape s, double tokens, bool checkpointing, MemoryModelConstants c)
    {
        double block = BlockBytesPerToken(s, c);
        double perToken = checkpointing
            ? s.Layers * c.CheckpointPerHidden * s.Hidden + block
            : s.Layers * block;
        return tokens * (perToken + c.HeadPerHidden * s.Hidden);
    }
}
