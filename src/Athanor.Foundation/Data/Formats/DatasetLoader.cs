using Athanor.Data.Sampling;

namespace Athanor.Data.Formats;

/// <summary>The train and validation lists a load produced, with the account of every record read.</summary>
public sealed record LoadedDatasets<T>(IReadOnlyList<T> Train, IReadOnlyList<T> Validation, DatasetLoadReport Report);

/// <summary>Loads datasets named in dataset_info.json as LLaMA-Factory does: each dataset's files read in order
/// (first max_samples records), converted (alpaca/sharegpt), concatenated in the order named (mix_strategy
/// concat), then split by val_size after a seeded shuffle. Reading streams record by record; only the
/// converted results are kept.</summary>
public static class DatasetLoader
{
    /// <summary>sft data: conversations ending with an assistant-side turn.</summary>
    public static LoadedDatasets<Conversation> LoadConversations(DatasetLoadOptions options) =>
        Load(options, (entry, report) => StreamConversations(entry, report, options.OnBadRecord, options.MaxSamples), NotPreferenceData);

    /// <summary>pt data (e.g. c4_demo {"text": ...} with columns {prompt: text}): the text of each record's first
    /// turn, as LLaMA-Factory's pt stage takes the first prompt message.</summary>
    public static LoadedDatasets<string> LoadPretrainingText(DatasetLoadOptions options) =>
        Load(options, (entry, report) => StreamPretrainingText(entry, report, options.OnBadRecord, options.MaxSamples), NotPreferenceData);

    // LLaMA-Factory refuses a dataset that does not fit the stage too ("not applicable in the current training stage").
    private static string? NotPreferenceData(DatasetEntry entry) =>
        entry.Ranking ? "is a ranking dataset (chosen/rejected pairs); it trains with stage dpo"
        : entry.Columns.KtoTag is not null ? "has a kto_tag column; it trains with stage kto"
        : null;

    /// <summary>Streams one dataset's conversations, counting into <paramref name="report"/>.</summary>
    public static IEnumerable<Conversation> StreamConversations(DatasetEntry entry, DatasetReport report, OnBadRecord onBadRecord, long? maxSamples = null) =>
        Stream(entry, report, onBadRecord, maxSamples, requireResponse: true,
            converted => new Conversation(converted.Turns, converted.System, converted.Tools));

    /// <summary>Streams one dataset's pretraining texts, counting into <paramref name="report"/>.</summary>
    public static IEnumerable<string> StreamPretrainingText(DatasetEntry entry, DatasetReport report, OnBadRecord onBadRecord, long? maxSamples = null) =>
        Stream(entry, report, onBadRecord, maxSamples, requireResponse: false, converted =>
        {
            var text = converted.Turns[0].Content;
            if (string.IsNullOrWhiteSpace(text))
                throw new BadRecordException(BadRecordKind.EmptyText, "the text (first turn) is empty.");
            return text;
        });

    /// <summary>The data files of an entry: the file, or the folder's .json/.jsonl files in ordinal name order.</summary>
    public static IReadOnlyList<string> ResolveFiles(DatasetEntry entry)
    {
        if (File.Exists(entry.FullPath))
            return [entry.FullPath];
        if (!Directory.Exists(entry.FullPath))
            throw new DatasetException($"dataset '{entry.Name}': file_name '{entry.FileName}' not found at {entry.FullPath}.");
        var files = Directory.GetFiles(entry.FullPath).Order(StringComparer.Ordinal).ToList();
        var unsupported = files.FirstOrDefault(f => !JsonRecordReader.SupportedExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()));
        if (unsupported is not null)
            throw new DatasetException(
                $"dataset '{entry.Name}': {unsupported} has an unsupported file type; a dataset folder may only hold {string.Join(", ", JsonRecordReader.SupportedExtensions)} files.");
        if (files.Count == 0)
            throw new DatasetException($"dataset '{entry.Name}': folder {entry.FullPath} holds no data files; expected .json or .jsonl files.");
        return files;
    }

    /// <param name="unsuitable">why an entry does not fit the stage being loaded, or null when it does</param>
    internal static LoadedDatasets<T> Load<T>(DatasetLoadOptions options, Func<DatasetEntry, DatasetReport, IEnumerable<T>> stream,
        Func<DatasetEntry, string?> unsuitable)
    {
        Validate(options);
        var info = DatasetInfo.Load(options.DatasetDir);
        // Resolve every entry first so a bad name fails before any data is read.
        var trainEntries = options.Datasets.Select(info.Get).ToList();
        var evalEntries = options.EvalDatasets.Select(info.Get).ToList();
        foreach (var entry in trainEntries.Concat(evalEntries))
            if (unsuitable(entry) is { } why)
                throw new DatasetException($"{info.Path}: dataset '{entry.Name}' {why}.");
        var reports = new List<DatasetReport>();

        List<T> ReadAll(List<DatasetEntry> entries, string split)
        {
            var items = new List<T>();
            foreach (var entry in entries)
            {
                var report = new DatasetReport(entry.Name, split);
                reports.Add(report);
                items.AddRange(stream(entry, report));
            }
            return items;
        }

        var train = ReadAll(trainEntries, "train");
        IReadOnlyList<T> validation = ReadAll(evalEntries, "eval");
        IReadOnlyList<T> finalTrain = train;
        if (options.ValSize > 0)
        {
            try
            {
                (finalTrain, validation) = TrainValidationSplit.Split(train, options.ValSize, options.Seed);
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw ValSizeError(ex);
            }
        }
        return new LoadedDatasets<T>(finalTrain, validation, new DatasetLoadReport(reports, finalTrain.Count, validation.Count));
    }

    private static void Validate(DatasetLoadOptions options)
    {
        if (options.Datasets.Count == 0)
            throw new DatasetException("dataset: no dataset names given; expected names from dataset_info.json, e.g. 'identity,alpaca_en_demo'.");
        if (options.MaxSamples is <= 0)
            throw new DatasetException($"max_samples {options.MaxSamples} is not accepted; expected a positive count or none.");
        if (options.ValSize > 0 && options.EvalDatasets.Count > 0)
            throw new DatasetException($"val_size {options.ValSize} cannot be combined with eval_dataset; use one or the other (as LLaMA-Factory).");
        try
        {
            TrainValidationSplit.ValidationCount(options.ValSize, int.MaxValue); // rejects malformed values before reading
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw ValSizeError(ex);
        }
    }

    private static DatasetException ValSizeError(ArgumentOutOfRangeException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" (Parameter", StringComparison.Ordinal);
        return new DatasetException(cut >= 0 ? message[..cut] : message, ex);
    }

    private static IEnumerable<T> Stream<T>(
        DatasetEntry entry, DatasetReport report, OnBadRecord onBadRecord, long? maxSamples, bool requireResponse,
        Func<ConvertedRecord, T> project)
    {
        IRecordConverter converter = entry.Formatting == DatasetFormatting.Sharegpt
            ? new SharegptConverter(entry.Columns, entry.Tags)
            : new AlpacaConverter(entry.Columns);
        return StreamRecords(entry, report, onBadRecord, maxSamples, record => project(converter.Convert(record, requireResponse)));
    }

    /// <summary>
    /// One dataset's records through <paramref name="convert"/> (which throws <see cref="BadRecordException"/> for a bad
    /// one), first max_samples records only, bad ones failing or counted as <paramref name="onBadRecord"/> says.
    /// </summary>
    internal static IEnumerable<T> StreamRecords<T>(
        DatasetEntry entry, DatasetReport report, OnBadRecord onBadRecord, long? maxSamples, Func<System.Text.Json.JsonElement, T> convert)
    {
        var files = ResolveFiles(entry);
        report.Files = files;
        var limit = maxSamples ?? long.MaxValue;

        foreach (var file in files)
        {
            // Check the limit before reading on: max_samples must not touch (or fail on) records past N.
            using var records = JsonRecordReader.Read(file).GetEnumerator();
            while (report.RecordsRead < limit && records.MoveNext())
            {
                var raw = records.Current;
                var bad = raw.Error;
                var value = default(T);
                if (bad is null)
                {
                    try
                    {
                        value = convert(raw.Element);
                    }
                    catch (BadRecordException ex)
                    {
                        bad = new BadRecord(ex.Kind, raw.File, raw.Line, ex.Message);
                    }
                }
                if (bad is null)
                {
                    report.AddKept();
                    yield return value!;
                }
                else if (onBadRecord == OnBadRecord.Skip)
                {
                    report.AddSkipped(bad);
                }
                else
                {
                    throw new DatasetException(
                        $"{bad.Location}: bad record in dataset '{entry.Name}': {bad.Reason} (set on_bad_record: skip to skip and count such records).");
                }
            }
        }
    }
}
