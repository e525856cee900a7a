namespace Athanor.Configuration;

/// <summary>
/// Resolves relative paths the way LLaMA-Factory does: against the working folder the job is
/// started from, not the YAML file's folder. Names that are not local folders (a Hugging Face
/// hub id such as Qwen/Qwen3-4B) are left as written.
/// </summary>
internal static class ConfigPaths
{
    /// <summary>The config with paths resolved, and the raw text of each path that changed (by YAML key).</summary>
    public static (JobConfig Config, Dictionary<string, string> RawPaths) Resolve(JobConfig c, string baseDirectory)
    {
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);

        string Full(string key, string path)
        {
            var full = Path.GetFullPath(path, baseDirectory);
            if (full != path)
                raw[key] = path;
            return full;
        }

        // Model and adapter may be hub ids: only a folder that exists here counts as a path.
        string? IfFolderExists(string key, string? path) =>
            path is not null && Directory.Exists(Path.Combine(baseDirectory, path)) ? Full(key, path) : path;

        string? IfFileExists(string key, string? path) =>
            path is not null && File.Exists(Path.Combine(baseDirectory, path)) ? Full(key, path) : path;

        var resolved = c with
        {
            ModelNameOrPath = IfFolderExists("model_name_or_path", c.ModelNameOrPath)!,
            AdapterNameOrPath = IfFolderExists("adapter_name_or_path", c.AdapterNameOrPath),
            Tokenizer = c.Tokenizer is "model" or "byte" ? c.Tokenizer : Full("tokenizer", c.Tokenizer),
            Deepspeed = IfFileExists("deepspeed", c.Deepspeed),
            DatasetDir = Full("dataset_dir", c.DatasetDir),
            OutputDir = Full("output_dir", c.OutputDir),
            TokenizedPath = c.TokenizedPath is null ? null : Full("tokenized_path", c.TokenizedPath),
            LoggingDir = c.LoggingDir is null ? null : Full("logging_dir", c.LoggingDir),
            ResumeFromCheckpoint = c.ResumeFromCheckpoint is null or "auto"
                ? c.ResumeFromCheckpoint
                : Full("resume_from_checkpoint", c.ResumeFromCheckpoint),
        };
        return (resolved, raw);
    }
}
