using System.Text.Json.Serialization;

namespace Athanor.Data.Pipeline;

/// <summary>meta.json of a cache entry, written last: what the binary files hold and the reports of the run that made them.</summary>
public sealed record TokenCacheMeta
{
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")] public int Format { get; init; } = CurrentFormat;
    [JsonPropertyName("key")] public required string Key { get; init; }
    [JsonPropertyName("train_samples")] public int TrainSamples { get; init; }
    [JsonPropertyName("validation_samples")] public int ValidationSamples { get; init; }
    [JsonPropertyName("tokens")] public long Tokens { get; init; }
    /// <summary>File name to (bytes, SHA-256 hex) of tokens.bin, labels.bin and offsets.bin.</summary>
    [JsonPropertyName("files")] public required Dictionary<string, CachedFile> Files { get; init; }
    /// <summary>The dataset load report's lines (records read, kept, skipped by reason), replayed on a cache hit.</summary>
    [JsonPropertyName("dataset_report")] public required List<string> DatasetReport { get; init; }
    [JsonPropertyName("skipped_records")] public long SkippedRecords { get; init; }
    [JsonPropertyName("train_encoding")] public required EncodingCounts TrainEncoding { get; init; }
    [JsonPropertyName("validation_encoding")] public required EncodingCounts ValidationEncoding { get; init; }
}

public sealed record CachedFile([property: JsonPropertyName("bytes")] long Bytes, [property: JsonPropertyName("sha256")] string Sha256);

/// <summary><see cref="EncodingReport"/> in a JSON-friendly shape.</summary>
public sealed record EncodingCounts(
    [property: JsonPropertyName("kept")] int Kept,
    [property: JsonPropertyName("truncated")] int Truncated,
    [property: JsonPropertyName("dropped_no_trained_tokens")] int DroppedNoTrainedTokens,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("trained_tokens")] long TrainedTokens)
{
    /// <summary>Preference records dropped under on_bad_record: skip because their prompt alone exceeds cutoff_len (issue 23).</summary>
    [JsonPropertyName("dropped_prompt_over_cutoff")] public int DroppedPromptOverCutoff { get; init; }

    public static EncodingCounts From(EncodingReport r) =>
        new(r.Kept, r.Truncated, r.Dropped.GetValueOrDefault(DroppedReason.NoTrainedTokens), r.Tokens, r.TargetTokens)
        { DroppedPromptOverCutoff = r.Dropped.GetValueOrDefault(DroppedReason.PromptOverCutoff) };

    public EncodingReport ToReport()
    {
        var dropped = new Dictionary<DroppedReason, int>();
        if (DroppedNoTrainedTokens > 0) dropped[DroppedReason.NoTrainedTokens] = DroppedNoTrainedTokens;
        if (DroppedPromptOverCutoff > 0) dropped[DroppedReason.PromptOverCutoff] = DroppedPromptOverCutoff;
        return new(Kept, Truncated, dropped, Tokens, TrainedTokens);
    }
}
