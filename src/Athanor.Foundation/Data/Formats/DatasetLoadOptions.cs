namespace Athanor.Data.Formats;

/// <summary>The LLaMA-Factory data arguments this loader honours.</summary>
public sealed record DatasetLoadOptions
{
    /// <summary>dataset_dir: the folder holding dataset_info.json.</summary>
    public required string DatasetDir { get; init; }

    /// <summary>dataset: names in dataset_info.json, concatenated in this order (mix_strategy concat).</summary>
    public required IReadOnlyList<string> Datasets { get; init; }

    /// <summary>eval_dataset: read the same way into the validation list (exclusive with <see cref="ValSize"/>).</summary>
    public IReadOnlyList<string> EvalDatasets { get; init; } = [];

    /// <summary>max_samples: read only the first N records of each dataset (before bad records are removed, as LLaMA-Factory truncates raw rows).</summary>
    public long? MaxSamples { get; init; }

    /// <summary>val_size: 0 for none, a fraction in (0, 1), or a whole count >= 1 of validation records.</summary>
    public double ValSize { get; init; }

    /// <summary>seed: drives the validation split shuffle.</summary>
    public long Seed { get; init; } = 42;

    public OnBadRecord OnBadRecord { get; init; } = OnBadRecord.Error;

    /// <summary>Splits LLaMA-Factory's "a,b" dataset list (whitespace around names is ignored).</summary>
    public static IReadOnlyList<string> ParseNameList(string commaList)
    {
        var names = commaList.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0))
            throw new DatasetException($"dataset list '{commaList}' has an empty name; expected comma-separated dataset names like 'identity,alpaca_en_demo'.");
        return names;
    }

    /// <summary>Parses on_bad_record: "error" or "skip".</summary>
    public static OnBadRecord ParseOnBadRecord(string text) => text.Trim().ToLowerInvariant() switch
    {
        "error" => OnBadRecord.Error,
        "skip" => OnBadRecord.Skip,
        _ => throw new DatasetException($"on_bad_record '{text}' is not supported; accepted: error, skip."),
    };
}
