using System.Diagnostics;
using Athanor.Configuration;
using Athanor.Data.Formats;
using Athanor.Templates;
using Athanor.Tokenization;
using Athanor.Training;

namespace Athanor.Data.Pipeline;

/// <summary>
/// From a job's data keys to the samples the trainer sees, the one code path of `cluster train` and
/// `cluster data preview`: look the inputs up in the tokenized-dataset cache; on a miss load the datasets
/// (LLaMA-Factory's rules, <see cref="DatasetLoader"/>), encode them on all cores in the sequential order
/// (<see cref="ParallelSampleEncoder"/>) and stream the samples into a new cache entry, then serve them from
/// its memory-mapped files. Every step is reported through the log.
/// </summary>
public static class DataPipeline
{
    /// <summary>The cache folder: tokenized_path, else .athanor-cache beside output_dir.</summary>
    public static string CacheRoot(JobConfig config)
    {
        if (config.TokenizedPath is string path) return Path.GetFullPath(path);
        var output = Path.GetFullPath(config.OutputDir);
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(output)) ?? output;
        return Path.Combine(parent, ".athanor-cache");
    }

    public static PreparedData Prepare(JobConfig config, ITokenizer tokenizer, Action<string> log)
    {
        int pad = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0;
        var root = CacheRoot(config);
        var key = TokenCacheKey.Compute(config, tokenizer);

        var entry = TokenCache.TryOpen(root, key, out var problem);
        if (entry is not null)
        {
            var meta = entry.Meta;
            foreach (var line in meta.DatasetReport) log(line);
            var trainReport = meta.TrainEncoding.ToReport();
            var validationReport = meta.ValidationEncoding.ToReport();
            LogEncoding(config, trainReport, validationReport, log);
            log($"data: loaded {meta.TrainSamples} train + {meta.ValidationSamples} validation samples ({meta.Tokens:N0} tokens) from the cache {entry.Folder}");
            LogPacking(config, trainReport.Kept, entry.Train.Count, log);
            return new PreparedData(new TrainingData(entry.Train, entry.Validation, pad), meta.DatasetReport, meta.SkippedRecords,
                trainReport, validationReport, FromCache: true, entry.Folder);
        }
        if (problem != "absent")
        {
            log($"data: ignoring the damaged cache entry {Path.Combine(root, key)} ({problem}); rebuilding it");
            TokenCache.Discard(root, key);
        }
        return Encode(config, tokenizer, root, key, pad, log);
    }

    private static void LogPacking(JobConfig config, long samples, int rows, Action<string> log)
    {
        if (config.Packing && config.Stage == TrainingStage.Sft)
            log($"packing: {samples} samples in {rows} rows of at most {config.CutoffLen} tokens");
    }

    private static PreparedData Encode(JobConfig config, ITokenizer tokenizer, string root, string key, int pad, Action<string> log)
    {
        int workers = config.PreprocessingNumWorkers ?? OrderedParallel.AllCores;
        var options = new DatasetLoadOptions
        {
            DatasetDir = config.DatasetDir,
            Datasets = config.DatasetNames,
            EvalDatasets = config.EvalDatasetNames,
            MaxSamples = config.MaxSamples,
            ValSize = config.ValSize,
            Seed = config.Seed,
            OnBadRecord = config.OnBadRecord == BadRecordPolicy.Skip ? OnBadRecord.Skip : OnBadRecord.Error,
        };
        var trainTally = new EncodingTally();
        var validationTally = new EncodingTally();
        IEnumerable<TokenizedSample> train, validation;
        DatasetLoadReport loadReport;
        if (config.IsPreferenceStage)
            (train, validation, loadReport) = Preference.PreferenceData.Encode(config, options, tokenizer, trainTally, validationTally);
        else if (config.Stage == TrainingStage.Pt)
        {
            var texts = DatasetLoader.LoadPretrainingText(options);
            loadReport = texts.Report;
            train = ParallelSampleEncoder.EncodeText(texts.Train, tokenizer, config.CutoffLen, workers, trainTally);
            validation = ParallelSampleEncoder.EncodeText(texts.Validation, tokenizer, config.CutoffLen, workers, validationTally);
        }
        else
        {
            var template = ChatTemplates.Get(config.Template, tokenizer);
            var conversations = DatasetLoader.LoadConversations(options);
            loadReport = conversations.Report;
            train = ParallelSampleEncoder.EncodeConversations(conversations.Train, template, tokenizer, config.CutoffLen, config.TrainOnPrompt, workers, trainTally);
            validation = ParallelSampleEncoder.EncodeConversations(conversations.Validation, template, tokenizer, config.CutoffLen, config.TrainOnPrompt, workers, validationTally);
        }
        if (config.Packing && config.Stage == TrainingStage.Sft)
        {
            train = SamplePacker.Pack(train, config.CutoffLen);
            validation = SamplePacker.Pack(validation, config.CutoffLen);
        }
        var reportLines = loadReport.ToString().Split(Environment.NewLine).ToList();
        foreach (var line in reportLines) log(line);

        var clock = Stopwatch.StartNew();
        TokenCacheWriter? writer = null;
        try
        {
            try
            {
                Directory.CreateDirectory(root);
                writer = new TokenCacheWriter(root, key);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                log($"data: the cache folder {root} cannot be written ({ex.Message}); keeping the samples in memory");
            }
            if (writer is null)
            {
                var trainList = train.ToList();
                var validationList = validation.ToList();
                var (t, v) = (trainTally.Report(), validationTally.Report());
                LogEncoding(config, t, v, log);
                return new PreparedData(new TrainingData(trainList, validationList, pad), reportLines, loadReport.TotalSkipped, t, v, false, null);
            }

            foreach (var sample in train) writer.Add(sample);
            writer.EndTrain();
            foreach (var sample in validation) writer.Add(sample);
            var trainReport = trainTally.Report();
            var validationReport = validationTally.Report();
            var folder = writer.Commit(meta => meta with
            {
                DatasetReport = reportLines,
                SkippedRecords = loadReport.TotalSkipped,
                TrainEncoding = EncodingCounts.From(trainReport),
                ValidationEncoding = EncodingCounts.From(validationReport),
            });
            LogEncoding(config, trainReport, validationReport, log);
            double seconds = clock.Elapsed.TotalSeconds;
            long tokens = trainReport.Tokens + validationReport.Tokens;
            log($"data: encoded {tokens:N0} tokens with {workers} worker{(workers == 1 ? "" : "s")} in {seconds:F1} s " +
                $"({tokens / Math.Max(seconds, 1e-6):N0} tokens/s); cached in {folder}");
            var entry = TokenCache.TryOpen(root, key, out var problem, verifyChecksums: false)
                ?? throw new IOException($"the cache entry {folder} just written cannot be read back: {problem}");
            LogPacking(config, trainReport.Kept, entry.Train.Count, log);
            return new PreparedData(new TrainingData(entry.Train, entry.Validation, pad), reportLines, loadReport.TotalSkipped,
                trainReport, validationReport, FromCache: false, entry.Folder);
        }
        finally
        {
            writer?.Dispose();
        }
    }

    private static void LogEncoding(JobConfig config, EncodingReport train, EncodingReport validation, Action<string> log)
    {
        log($"train: {train}");
        if (config.Stage != TrainingStage.Pt && validation.Kept > 0) log($"validation: {validation}");
    }
}
