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
        usage: cluster train [CONFIG] [--set key=value]...

          CONFIG        a job YAML (LLaMA-Factory keys; see docs/configuration.md).
                        Without it, the built-in demo runs: a small Llama-style model learns a
                        bundled sample of LLaMA-Factory's demo data on this machine's CPU.
          --set k=v     override any key of the job file (repeatable), e.g. --set max_steps=50
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster train", args, ["--set"], []);
        reader.AtMostPositionals(1, "one job file");
        var demo = reader.Positionals.Count == 0;
        var loaded = demo ? DemoJob.Load(reader.All("--set")) : JobConfigLoader.Load(reader.Positionals[0], reader.All("--set"));
        var config = loaded.Config;

        var progress = new ConsoleProgress(config.LoggingSteps);
        if (demo) progress.Line(DemoJob.Introduction(config));
        foreach (var ignored in loaded.IgnoredKeys)
            progress.Line($"note: ignoring {ignored.Name} ({ignored.Reason})");

        using var job = JobPreparation.Prepare(config, progress.Line);
        progress.Line($"{job.Data.Train.Count} training samples, {job.Data.Validation.Count} validation; global batch {job.Settings.GlobalBatch}; " +
                      $"{job.TrainableParameters:N0} trainable parameters; output {config.OutputDir}");
        JobOutputs.WriteEffectiveConfig(config);

        var result = new Trainer(job.Model, job.Lora, job.Data, job.Settings, progress).Run(cancel);
        if (result.Cancelled)
        {
            progress.Line($"interrupted at step {result.Steps}; saved {result.LastCheckpoint}. Resume with --set resume_from_checkpoint=auto");
            return ExitCodes.Interrupted;
        }
        JobOutputs.WriteFinal(job);
        if (config.PlotLoss && JobOutputs.WriteLossPlot(config.OutputDir, $"training loss: {Path.GetFileName(config.OutputDir)}") is string plot)
            progress.Line($"loss plot: {plot}");
        progress.Line($"done: {result.Steps} steps in {result.Elapsed:h\\:mm\\:ss}; loss {result.FirstLoss:F4} -> {result.LastLoss:F4}" +
                      (result.BestEvalLoss is double best ? $"; best eval loss {best:F4}" : "") +
                      (result.StoppedEarly ? " (stopped early)" : "") + $"; model in {config.OutputDir}");
        if (demo) progress.Line(DemoJob.Conclusion(result));
        return ExitCodes.Ok;
    }
}
