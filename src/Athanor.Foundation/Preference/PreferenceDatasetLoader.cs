using Athanor.Data.Formats;

namespace Athanor.Preference;

/// <summary>
/// Loads the datasets of a preference job as <see cref="DatasetLoader"/> loads SFT data (max_samples, on_bad_record,
/// concatenation in order, val_size split), each record through <see cref="PreferenceRecordConverter"/>. A stage dpo job
/// takes only ranking datasets (chosen and rejected columns), a stage kto job only datasets with a kto_tag column.
/// </summary>
public static class PreferenceDatasetLoader
{
    /// <summary>Stage dpo: chosen/rejected pairs.</summary>
    public static LoadedDatasets<PreferencePair> LoadPairs(DatasetLoadOptions options) =>
        DatasetLoader.Load(options, (entry, report) =>
            DatasetLoader.StreamRecords(entry, report, options.OnBadRecord, options.MaxSamples, new PreferenceRecordConverter(entry).Pair),
            NotRanking);

    /// <summary>Stage kto: responses tagged desirable or undesirable.</summary>
    public static LoadedDatasets<FeedbackExample> LoadFeedback(DatasetLoadOptions options) =>
        DatasetLoader.Load(options, (entry, report) =>
            DatasetLoader.StreamRecords(entry, report, options.OnBadRecord, options.MaxSamples, new PreferenceRecordConverter(entry).Feedback),
            NotFeedback);

    private static string? NotRanking(DatasetEntry entry) =>
        !entry.Ranking ? "is not a ranking dataset (its dataset_info.json entry has no \"ranking\": true); stage dpo trains on chosen/rejected pairs"
        : entry.Columns.Chosen is null || entry.Columns.Rejected is null
            ? "is a ranking dataset without \"chosen\" and \"rejected\" in its \"columns\"; name the columns that hold the two responses"
        : null;

    private static string? NotFeedback(DatasetEntry entry) =>
        entry.Ranking ? "is a ranking dataset (chosen/rejected pairs); stage kto trains on single responses with a kto_tag column (use stage dpo)"
        : entry.Columns.KtoTag is null ? "has no \"kto_tag\" in its \"columns\"; stage kto needs each record's desirable (true) / undesirable (false) tag"
        : null;
}
