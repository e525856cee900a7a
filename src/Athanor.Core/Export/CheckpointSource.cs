using Athanor.Checkpoints;
using Athanor.Configuration;
using Athanor.Jobs;

namespace Athanor.Export;

/// <summary>A complete checkpoint to export, its kind ("full" or "lora") and the effective config of the run that wrote it.</summary>
public sealed record CheckpointSource(string Folder, CheckpointManifest Manifest, JobConfig RunConfig)
{
    public bool IsLora => Manifest.Kind == "lora";

    /// <summary>
    /// dir is a checkpoint-N folder (it must have a valid manifest) or a run's output_dir (its newest complete
    /// checkpoint). The run's effective config is OUTPUT_DIR/athanor_config.yaml, next to the checkpoint folders.
    /// </summary>
    public static CheckpointSource Resolve(string dir)
    {
        if (!Directory.Exists(dir)) throw new ExportException($"--checkpoint {dir}: folder does not exist; accepted: a checkpoint-N folder or a run's output_dir");
        var full = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar);
        string folder;
        if (File.Exists(Path.Combine(full, CheckpointManifest.FileName)) || Path.GetFileName(full).StartsWith(CheckpointStore.Prefix, StringComparison.Ordinal))
            folder = full;
        else
            folder = new CheckpointStore(full).Latest() ?? throw new ExportException(
                $"{dir}: not a complete checkpoint: no {CheckpointManifest.FileName} here and no complete {CheckpointStore.Prefix}N folder in it; " +
                "accepted: a checkpoint-N folder written by `cluster train`, or its run's output_dir");
        var manifest = CheckpointManifest.TryRead(folder, out var problem)
            ?? throw new ExportException($"{folder}: not a complete checkpoint: {problem}");
        if (manifest.Kind is not ("full" or "lora"))
            throw new ExportException($"{folder}: checkpoint kind '{manifest.Kind}' cannot be exported; accepted: full, lora");

        var configPath = Path.Combine(Path.GetDirectoryName(folder)!, JobOutputs.EffectiveConfigFile);
        if (!File.Exists(configPath))
            throw new ExportException($"{configPath}: not found; export reads the run's effective config there to find its base model and tokenizer");
        var config = JobConfigLoader.Load(configPath, []).Config;
        return new CheckpointSource(folder, manifest, config);
    }
}
