using Athanor.Models;

namespace Athanor.Estimation;

/// <summary>
/// The shapes of a Llama-family decoder that memory and FLOPs depend on. Per block: q/k/v/o attention
/// projections, SwiGLU gate/up/down, and "extra" parameters (norms, biases, q/k norms).
/// </summary>
public sealed record ModelShape(int Hidden, int Intermediate, int Layers, int Heads, int KvHeads, int HeadDim, int Vocab,
    bool TiedEmbeddings = false, long BlockExtraParameters = -1)
{
    public long QDim => (long)Heads * HeadDim;
    public long KvDim => (long)KvHeads * HeadDim;

    /// <summary>Norm weights and biases of one block; two RMSNorm weights when not given.</summary>
    public long BlockExtras => BlockExtraParameters >= 0 ? BlockExtraParameters : 2L * Hidden;

    /// <summary>The seven linear layers of one block as (input, output) features: q, k, v, o, gate, up, down.</summary>
    public IReadOnlyList<(long In, long Out)> BlockProjections =>
    [
        (Hidden, QDim), (Hidden, KvDim), (Hidden, KvDim), (QDim, Hidden),
        (Hidden, Intermediate), (Hidden, Intermediate), (Intermediate, Hidden),
    ];

    public long BlockLinearParameters => BlockProjections.Sum(p => p.In * p.Out);
    public long BlockParameters => BlockLinearParameters + BlockExtras;
    public long EmbeddingMatrix => (long)Vocab * Hidden;
    public long EmbeddingParameters => EmbeddingMatrix * (TiedEmbeddings ? 1 : 2);

    /// <summary>All parameters: blocks, input embedding, lm_head (unless tied) and the final norm.</summary>
    public long ParameterCount => Layers * BlockParameters + EmbeddingParameters + Hidden;

    /// <summary>LoRA A (r x in) and B (out x r) on all seven projections of every block.</summary>
    public long LoraParameters(int rank) => Layers * BlockProjections.Sum(p => rank * (p.In + p.Out));

    public string Describe() =>
        $"hidden {Hidden}, {Layers} layers, {Heads} heads" + (KvHeads != Heads ? $" ({KvHeads} kv)" : "") +
        $", FFN {Intermediate}, vocab {Vocab}";

    public static ModelShape FromConfig(ModelConfig c)
    {
        long extras = 2L * c.HiddenSize + (c.QkNorm ? 2L * c.HeadDim : 0)
            + (c.QkvBias ? (long)c.HeadDim * (c.NumHeads + 2 * c.NumKeyValueHeads) : 0) + (c.OutputBias ? c.HiddenSize : 0)
            + (c.MlpBias ? 2L * c.IntermediateSize + c.HiddenSize : 0);
        return new ModelShape(c.HiddenSize, c.IntermediateSize, c.NumLayers, c.NumHeads, c.NumKeyValueHeads, c.HeadDim,
            c.VocabSize, c.TieWordEmbeddings, extras);
    }

    /// <summary>
    /// A Llama-like shape of about <paramref name="parameters"/> parameters, for --params N where no shapes are
    /// given: head dim 128, hidden = 128 x layers (the ratio of Llama 2 7B and 13B), FFN as Llama rounds 8/3 x hidden
    /// up to a multiple of 256, vocab 32000. Only activations, LoRA sizes and buffers use it.
    /// </summary>
    public static ModelShape InferLlamaLike(double parameters, int vocab = 32000)
    {
        const int headDim = 128;
        double Count(int layers, int hidden) => layers * (12.0 * hidden * hidden) + 2.0 * vocab * hidden;
        int layers = 1;
        while (layers < 1000 && Count(layers + 1, headDim * (layers + 1)) <= parameters) layers++;
        // The layer count that brings hidden = 128 x layers closest to the target, then hidden rounded to 128.
        if (Math.Abs(Count(layers + 1, headDim * (layers + 1)) - parameters) < Math.Abs(Count(layers, headDim * layers) - parameters)) layers++;
        double a = 12.0 * layers, b = 2.0 * vocab;
        double h = (-b + Math.Sqrt(b * b + 4 * a * Math.Max(parameters, 1))) / (2 * a);
        int hidden = Math.Max(headDim, (int)Math.Round(h / headDim) * headDim);
        int ffn = (int)Math.Ceiling(8.0 * hidden / 3 / 256) * 256;
        return new ModelShape(hidden, ffn, layers, hidden / headDim, hidden / headDim, headDim, vocab);
    }
}
