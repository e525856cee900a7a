using Athanor.Training;

namespace Athanor.Data.Pipeline;

/// <summary>The samples a job trains on, with the account of how they were made.</summary>
/// <param name="DatasetReport">The dataset load report's lines: records read, kept, skipped by reason (first location of each).</param>
/// <param name="SkippedRecords">Records skipped under on_bad_record: skip.</param>
/// <param name="CacheFolder">The cache entry the samples live in; null when the cache could not be written.</param>
public sealed record PreparedData(
    TrainingData Data,
    IReadOnlyList<string> DatasetReport,
    long SkippedRecords,
    EncodingReport TrainReport,
    EncodingReport ValidationReport,
    bool FromCache,
    string? CacheFolder);
