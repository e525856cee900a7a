using System.Text;
using Athanor.Configuration;
using Athanor.Data;
using Athanor.Data.Pipeline;

namespace Athanor.Cli.Commands;

/// <summary>
/// `cluster data preview`: the job's data step exactly as `cluster train` runs it (same tokenizer, template, loader,
/// encoder and cache), then the first samples with their trained text marked, a length histogram and the account of
/// every sample that was skipped, dropped or truncated.
/// </summary>
public sealed class DataPreviewCommand : ICommand
{
    private const string Command = "cluster data preview";

    public string Name => "preview";
    public string Summary => "show a job's first training samples as the trainer sees them";
    public string Usage => """
        cluster data preview CONFIG [--set key=value]... [--samples N]
          CONFIG        a job YAML, as for `cluster train`
          --set k=v     override any key of the job file (repeatable)
          --samples N   how many samples to show (default 3)
          Trained text (loss taken) is green on a terminal and between « » when output is redirected.
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader(Command, args, ["--set", "--samples"], []);
        reader.AtMostPositionals(1, "one job file");
        if (reader.Positionals.Count == 0) throw new UsageException($"{Command}: missing CONFIG (a job YAML)");
        int count = SampleCount(reader.One("--samples"));
        var loaded = JobConfigLoader.Load(reader.Positionals[0], reader.All("--set"));
        var config = loaded.Config;
        foreach (var ignored in loaded.IgnoredKeys) Console.WriteLine($"note: ignoring {ignored.Name} ({ignored.Reason})");

        var tokenizer = JobTokenizer.Load(config);
        var prepared = DataPipeline.Prepare(config, tokenizer, Console.WriteLine);
        var train = prepared.Data.Train;
        var marks = Marks.For(Console.IsOutputRedirected);

        for (int i = 0; i < Math.Min(count, train.Count); i++)
        {
            var sample = train[i];
            int trained = sample.Labels.Skip(1).Count(l => l != TokenizedSample.IgnoreIndex);
            Console.WriteLine();
            Console.WriteLine($"--- sample {i + 1} of {train.Count} (train): {sample.Length} tokens, {trained} trained ---");
            // A preference row (issue 23) holds two sequences: each is shown under what it is.
            var parts = config.IsPreferenceStage ? Preference.PreferencePreview.Parts(sample, config.Stage) : [("", sample)];
            foreach (var (title, sequence) in parts)
            {
                if (title.Length > 0) Console.WriteLine($"[{title}: {sequence.Length} tokens]");
                var text = new StringBuilder();
                foreach (var span in SamplePreview.Spans(sequence, tokenizer))
                    text.Append(span.Trained ? marks.Open + span.Text + marks.Close : span.Text);
                Console.WriteLine(text.ToString());
            }
        }

        Console.WriteLine();
        Console.WriteLine($"token lengths of the {train.Count} training samples (cutoff_len {config.CutoffLen}):");
        foreach (var row in LengthHistogram.Of(train, config.CutoffLen).Rows()) Console.WriteLine("  " + row);

        Console.WriteLine();
        foreach (var line in Account(prepared, config)) Console.WriteLine(line);
        if (train.Count == 0)
        {
            Console.Error.WriteLine($"error: dataset {config.Dataset}: no usable training samples");
            return ExitCodes.BadInput;
        }
        return ExitCodes.Ok;
    }

    /// <summary>What became of every record: skipped at load, truncated or dropped at encoding.</summary>
    private static IEnumerable<string> Account(PreparedData p, JobConfig config)
    {
        yield return $"samples: {p.TrainReport.Kept} train, {p.ValidationReport.Kept} validation" + (p.FromCache ? " (from the cache)" : "");
        yield return $"  skipped bad records: {p.SkippedRecords}" + (p.SkippedRecords > 0 ? " (on_bad_record: skip; reasons and first locations in the dataset lines above)" : "");
        foreach (var (split, r) in new[] { ("train", p.TrainReport), ("validation", p.ValidationReport) })
        {
            if (split == "validation" && r.Kept == 0 && r.Truncated == 0 && r.Dropped.Count == 0) continue;
            yield return $"  {split}: {r.Truncated} truncated to cutoff_len {config.CutoffLen}" +
                         (r.Dropped.Count == 0 ? ", none dropped" : string.Concat(r.Dropped.Select(d => $", {d.Value} dropped ({Reason(d.Key)})")));
        }
    }

    private static string Reason(DroppedReason reason) => reason switch
    {
        DroppedReason.NoTrainedTokens => "no trained tokens left after truncation",
        DroppedReason.PromptOverCutoff => "prompt alone longer than cutoff_len",
        _ => reason.ToString(),
    };

    private static int SampleCount(string? text)
    {
        if (text is null) return 3;
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new UsageException($"{Command}: --samples '{text}' is not accepted; expected a whole number >= 0");
    }

    /// <summary>How trained text is set apart: ANSI green on a terminal (unless NO_COLOR), guillemets otherwise.</summary>
    private sealed record Marks(string Open, string Close)
    {
        public static Marks For(bool redirected) =>
            redirected || Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 } ? new("«", "»") : new("\u001b[32m", "\u001b[0m");
    }
}
