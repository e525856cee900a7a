namespace Athanor.Inference;

/// <summary>How to decode: greedy when Temperature is 0, otherwise sampling with optional top-k and top-p.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>0 picks the most likely token (greedy); above 0 divides the logits before sampling.</summary>
    public double Temperature { get; init; }

    /// <summary>Keep the smallest set of tokens whose probability reaches this mass (1 = off).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Keep only the K most likely tokens (0 = off).</summary>
    public int TopK { get; init; }

    public int Seed { get; init; }

    /// <summary>Prompts decoded together (left-padded to the longest of the batch).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Token ids that end a completion (eos ids, the template's stop tokens); the stop token itself is not returned.</summary>
    public IReadOnlySet<int> StopTokenIds { get; init; } = new HashSet<int>();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value and what is accepted.</summary>
    public GenerationOptions Validated()
    {
        if (MaxNewTokens < 1) throw new ArgumentException($"max new tokens {MaxNewTokens}: accepted: an integer >= 1");
        if (!(Temperature >= 0) || double.IsInfinity(Temperature)) throw new ArgumentException($"temperature {Temperature}: accepted: 0 (greedy) or a positive number");
        if (!(TopP > 0 && TopP <= 1)) throw new ArgumentException($"top-p {TopP}: accepted: a number in (0, 1]");
        if (TopK < 0) throw new ArgumentException($"top-k {TopK}: accepted: 0 (off) or a positive integer");
        if (BatchSize < 1) throw new ArgumentException($"batch size {BatchSize}: accepted: an integer >= 1");
        return this;
    }
}

/// <summary>One prompt's completion: the new token ids (without the stop token) and why decoding ended.</summary>
public sealed record Completion(int[] PromptIds, int[] TokenIds, FinishReason FinishReason);

public enum FinishReason
{
    /// <summary>A stop token (eos or the template's) was produced.</summary>
    Stop,

    /// <summary>max new tokens (or the model's max_position_embeddings) was reached.</summary>
    Length,
}

/// <summary>Counts and timings of one <see cref="Decoding.Generate"/> call.</summary>
public sealed record GenerationStats(long PromptTokens, long GeneratedTokens, double PrefillSeconds, double DecodeSeconds)
{
    public double TotalSeconds => PrefillSeconds + DecodeSeconds;

    /// <summary>Generated tokens per second of wall time, prefill included.</summary>
    public double TokensPerSecond => TotalSeconds > 0 ? GeneratedTokens / TotalSeconds : 0;
}
