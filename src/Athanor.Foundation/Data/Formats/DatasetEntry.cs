namespace Athanor.Data.Formats;

/// <summary>One validated, local dataset_info.json entry.</summary>
/// <param name="Name">The key in dataset_info.json.</param>
/// <param name="FileName">The "file_name" value as written.</param>
/// <param name="FullPath">file_name resolved against the dataset directory: a .json/.jsonl file or a folder of them.</param>
public sealed record DatasetEntry(
    string Name,
    string FileName,
    string FullPath,
    DatasetFormatting Formatting,
    DatasetColumns Columns,
    SharegptTags Tags)
{
    /// <summary>dataset_info.json "ranking": true: records are chosen/rejected pairs (stage dpo, issue 23).</summary>
    public bool Ranking { get; init; }
}
