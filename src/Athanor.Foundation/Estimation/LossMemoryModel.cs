namespace Athanor.Estimation;

/// <summary>
/// GPU memory of the chunked LM-head cross-entropy (Training/LmHeadCrossEntropy): no full logits, but forward makes
/// the gradients, so it holds the hidden-state gradient, (for a trained head) an fp32 weight-gradient accumulator,
/// and one chunk's logits in three forms.
/// </summary>
public static class LossMemoryModel
{
    /// <summary>Rows of one chunk: the loss's chunk size over the vocabulary, at most the micro-batch.</summary>
    public static double ChunkRows(ModelShape s, double tokens, MemoryModelConstants c) =>
        Math.Min(tokens, Math.Max(1, Math.Floor(c.LossChunkElements / s.Vocab)));

    /// <summary>Everything the loss holds at its worst moment in forward, beyond the stored activations.</summary>
    public static double ForwardBytes(ModelShape s, double tokens, bool headTrained, MemoryModelConstants c)
    {
        double rows = ChunkRows(s, tokens, c);
        double logits = rows * s.Vocab;
        double head = (double)s.Vocab * s.Hidden;
        // At log-sum-exp: the chunk's logits three times; later: twice plus the bf16 gradient, g @ W and g^T h.
        double chunk = Math.Max(c.LossChunkBytesPerLogit * logits,
            c.LossChunkGradientBytesPerLogit * logits + c.WeightBytes * rows * s.Hidden + (headTrained ? c.LossHeadProductBytes * head : 0));
        return tokens * c.LossHiddenGradientPerHidden * s.Hidden + (headTrained ? c.LossHeadGradientBytes * head : 0) + chunk;
    }

    /// <summary>What the loss and final norm hand back to backward and stay referenced until it ends.</summary>
    public static double KeptBytes(ModelShape s, double tokens, bool headTrained, MemoryModelConstants c) =>
        tokens * c.KeptHeadPerHidden * s.Hidden + (headTrained ? c.KeptHeadGradientBytes * (double)s.Vocab * s.Hidden : 0);
}
