using Athanor.Cli.Terminal;
using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Training;

namespace Athanor.Cli.Commands;

/// <summary>`cluster train [CONFIG] [--set key=value]...`: one process trains a job to the end, with a live view.</summary>
public sealed class TrainCommand : ICommand
{
    public string Name => "train";
    public string Summary => "train a model from a job file (no file: the built-in demo)";
    public string Usage => """
        usage: cluster train [CONFIG] [--set key=value]... [--world N] [--zero S] [--console]

          CONFIG        a job YAML (LLaMA-Factory keys; see docs/configuration.md).
                        Without it, the built-in demo runs: a small Llama-style model learns a
                        bundled sample of LLaMA-Factory's demo data on this machine's CPU.
          --set k=v     override any key of the job file (repeatable), e.g. --set max_steps=50
          --world N     run N data-parallel ranks on this machine (default: world_size of the job);
                        the global batch stays the job's, only the accumulation changes
          --zero S      ZeRO stage 0, 1 or 2 (default: zero_stage of the job)
          --console     serve the web console on 127.0.0.1 (a free port) while the run lasts; it prints the
                        address and a token made up for this run (docs/console.md)
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster train", args, ["--set", "--world", "--zero"], ["--console"]);
        reader.AtMostPositionals(1, "one job file");
        var demo = reader.Positionals.Count == 0;
        var loaded = demo ? DemoJob.Load(reader.All("--set")) : JobConfigLoader.Load(reader.Positionals[0], reader.All("--set"));
        var config = loaded.Config;
        int world = ParseInt(reader.One("--world"), "--world", config.WorldSize, 1, 1024);
        int zero = ParseInt(reader.One("--zero"), "--zero", config.ZeroStage, 0, 3);

        var progress = new ConsoleProgress(config.LoggingSteps);
        if (demo) progress.Line(DemoJob.Introduction(config));
        foreach (var ignored in loaded.IgnoredKeys)
            progress.Line($"note: ignoring {ignored.Name} ({ignored.Reason})");

        // The global batch must split over the ranks: say so before anything starts.
        JobPreparation.MapSettings(config, trainSamples: 1, world, zero);
        JobPreparation.Preflight(config);
        var outcome = EmbeddedTraining.RunAsync(config, world, zero, progress, cancel, webConsole: reader.Has("--console")).GetAwaiter().GetResult();
        switch (outcome.State)
        {
            case Node.Backend.JobState.Cancelled:
                var latest = new Checkpoints.CheckpointStore(config.OutputDir).Latest();
                progress.Line($"interrupted at step {outcome.Steps}; saved {latest}. Resume with --set resume_from_checkpoint=auto");
                return ExitCodes.Interrupted;
            case Node.Backend.JobState.Failed:
                // A job that could not start as configured (data, model, tokenizer) is bad input; a run that kept failing is not.
                Console.Error.WriteLine($"error: {outcome.Error}");
                return outcome.Error?.StartsWith("gave up", StringComparison.Ordinal) == true ? ExitCodes.Failed : ExitCodes.BadInput;
        }
        var (first, last) = FirstAndLastLoss(config.OutputDir);
        if (config.PlotLoss && File.Exists(Path.Combine(config.OutputDir, JobOutputs.LossPlotFile)))
            progress.Line($"loss plot: {Path.Combine(config.OutputDir, JobOutputs.LossPlotFile)}");
        progress.Line($"done: {outcome.Steps} steps; loss {first:F4} -> {last:F4}; model in {config.OutputDir}");
        if (demo) progress.Line(DemoJob.Conclusion(first, last));
        return ExitCodes.Ok;
    }

    /// <summary>The first and last logged training loss, from metrics.jsonl.</summary>
    private static (double? First, double? Last) FirstAndLastLoss(string outputDir)
    {
        var path = Path.Combine(outputDir, MetricsLog.FileName);
        if (!File.Exists(path)) return (null, null);
        var losses = File.ReadLines(path).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)?["loss"]).Where(n => n is not null)
            .Select(n => n!.GetValue<double>()).ToList();
        return losses.Count == 0 ? (null, null) : (losses[0], losses[^1]);
    }

    private static int ParseInt(string? text, string flag, int fallback, int min, int max)
    {
        if (text is null) return fallback;
        if (!int.TryParse(text, out int value) || value < min || value > max)
            throw new UsageException($"cluster train: {flag} '{text}' is not valid; accepted: a whole number from {min} to {max}");
        return value;
    }
}
