using Athanor.Configuration;
using Athanor.Data;
using Athanor.Data.Pipeline;
using Athanor.Node.Security;

namespace Athanor.WebConsole.Submission;

/// <summary>One shown sample: its parts (two for a preference row), each a list of text spans marked trained or not.</summary>
public sealed record PreviewSample(int Number, int Tokens, int Trained, IReadOnlyList<(string Title, IReadOnlyList<PreviewSpan> Spans)> Parts);

/// <summary>What "Preview data" shows: the first samples and the account of the data step, or why there is none.</summary>
public sealed record DataPreviewResult(IReadOnlyList<PreviewSample> Samples, int TrainCount, IReadOnlyList<string> Account, string? Problem);

/// <summary>
/// `cluster data preview` for the console: the job's data step as the trainer runs it (<see cref="DataPipeline.Prepare"/>,
/// same tokenizer, template, encoder and cache), then the first samples with their trained spans. It runs only on a job
/// the validator and <see cref="DatasetCheck"/> passed, and first checks the files it will open that no validator looked
/// at (the tokenizer's files, the cache folder) against the roots: no path outside them is read.
/// </summary>
public sealed class DataPreviewer(PathPolicy paths)
{
    public const int Shown = 3;
    private static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja"];

    public async Task<DataPreviewResult> RunAsync(JobConfig config, CancellationToken cancel)
    {
        if (Unsafe(config) is { } problem) return new DataPreviewResult([], 0, [], problem);
        // The data step is CPU work with no cancellation of its own: it runs off the request thread.
        return await Task.Run(() => Prepare(config), cancel).ConfigureAwait(false);
    }

    private string? Unsafe(JobConfig config)
    {
        try
        {
            var folder = config.Tokenizer switch { "byte" => null, "model" => config.ModelNameOrPath, var f => f };
            if (folder is not null)
                foreach (var name in TokenizerFiles) paths.Check("tokenizer", Path.Combine(folder, name), PathUse.Read, out _);
            // The tokenized-data cache is written beside output_dir (or at tokenized_path): only under the output root.
            paths.Check("tokenized_path", DataPipeline.CacheRoot(config), PathUse.Write, out _);
            return null;
        }
        catch (PathNotAllowedException ex) { return "no preview: " + ex.Message; }
    }

    private static DataPreviewResult Prepare(JobConfig config)
    {
        var log = new List<string>();
        try
        {
            var tokenizer = JobTokenizer.Load(config);
            var prepared = DataPipeline.Prepare(config, tokenizer, log.Add);
            var train = prepared.Data.Train;
            var samples = new List<PreviewSample>();
            for (int i = 0; i < Math.Min(Shown, train.Count); i++)
            {
                var sample = train[i];
                int trained = sample.Labels.Skip(1).Count(l => l != TokenizedSample.IgnoreIndex);
                var parts = config.IsPreferenceStage ? Preference.PreferencePreview.Parts(sample, config.Stage) : [("", sample)];
                samples.Add(new PreviewSample(i + 1, sample.Length, trained,
                    parts.Select(p => (p.Title, SamplePreview.Spans(p.Sequence, tokenizer))).ToList()));
            }
            var account = new List<string>
            {
                $"samples: {prepared.TrainReport.Kept} train, {prepared.ValidationReport.Kept} validation" + (prepared.FromCache ? " (from the cache)" : ""),
                $"truncated to cutoff_len {config.CutoffLen}: {prepared.TrainReport.Truncated} train; skipped bad records: {prepared.SkippedRecords}",
            };
            account.AddRange(LengthHistogram.Of(train, config.CutoffLen).Rows(24).Select(r => "tokens " + r));
            return new DataPreviewResult(samples, train.Count, account, train.Count == 0 ? $"dataset {config.Dataset}: no usable training samples" : null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A data problem (bad record, missing tokenizer file) is the preview's answer, in one line.
            return new DataPreviewResult([], 0, log, "no preview: " + ex.Message.Split('\n')[0]);
        }
    }
}
