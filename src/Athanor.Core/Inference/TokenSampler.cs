using static TorchSharp.torch;

namespace Athanor.Inference;

/// <summary>
/// Picks the next token of each row from last-position logits [B, V]: argmax when temperature is 0, otherwise
/// temperature, then top-k, then top-p (transformers' order), then a draw from a seeded generator, so the same
/// seed gives the same completions.
/// </summary>
public sealed class TokenSampler(GenerationOptions options)
{
    private readonly Random _random = new(options.Seed);

    public long[] Next(Tensor logits)
    {
        using var scope = NewDisposeScope();
        if (options.Temperature == 0)
            return logits.argmax(-1).cpu().data<long>().ToArray();

        var scaled = logits.to_type(ScalarType.Float32) / options.Temperature;
        long vocab = scaled.shape[^1];
        var (values, indices) = options.TopK > 0 && options.TopK < vocab
            ? scaled.topk(options.TopK, dim: -1, largest: true, sorted: true)
            : scaled.sort(dim: -1, descending: true);
        var probs = values.softmax(-1).cpu().data<float>().ToArray();
        var ids = indices.cpu().data<long>().ToArray();
        int width = (int)values.shape[^1];
        int rows = (int)values.shape[0];
        var picked = new long[rows];
        for (int r = 0; r < rows; r++)
            picked[r] = ids[r * width + Draw(probs.AsSpan(r * width, width))];
        return picked;
    }

    /// <summary>probs sorted descending: keep the prefix whose mass first reaches top-p (at least one), draw from it.</summary>
    private int Draw(ReadOnlySpan<float> probs)
    {
        int keep = probs.Length;
        if (options.TopP < 1)
        {
            double before = 0;
            for (int i = 0; i < probs.Length; i++)
            {
                if (before >= options.TopP) { keep = i; break; }
                before += probs[i];
            }
        }
        double mass = 0;
        for (int i = 0; i < keep; i++) mass += probs[i];
        double u = _random.NextDouble() * mass;
        for (int i = 0; i < keep; i++)
        {
            u -= probs[i];
            if (u < 0) return i;
        }
        return keep - 1;
    }
}
