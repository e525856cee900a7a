namespace Athanor.Configuration;

/// <summary>
/// The one place that lists a job's path keys and sends each through an <see cref="IJobPathResolver"/> before
/// anything touches the path: on this machine LLaMA-Factory's rule (relative to the working folder, hub ids
/// left as written), on a node its roots. A value that cannot be a path (empty, a control character such as
/// NUL, longer than the system's limit) is a config error naming the key.
/// </summary>
internal static class ConfigPaths
{
    /// <summary>Linux's PATH_MAX: longer paths cannot be opened, and checking one costs a lookup per component.</summary>
    public const int MaxPathLength = 4096;

    /// <summary>The config with paths resolved, and the raw text of each path that changed (by YAML key).</summary>
    /// <param name="error">Makes the error for a key (with its source and line).</param>
    public static (JobConfig Config, Dictionary<string, string> RawPaths) Resolve(JobConfig c, IJobPathResolver resolver,
        Func<string, string, ConfigException> error)
    {
        var raw = new Dictionary<string, string>(StringComparer.Ordinal);

        string Checked(string key, string written)
        {
            if (written.Length == 0)
                throw error(key, "is empty; expected a path");
            if (written.Length > MaxPathLength)
                throw error(key, $"{InputText.Quote(written)} is longer than {MaxPathLength} characters, the longest path the system opens");
            foreach (var ch in written)
                if (char.IsControl(ch))
                    throw error(key, $"{InputText.Quote(written)} contains the control character U+{(int)ch:X4}{(ch == '\0' ? " (NUL)" : "")}; a path cannot hold one");
            return written;
        }

        string Path(string key, string written, PathUse use)
        {
            var full = resolver.Resolve(key, Checked(key, written), use);
            if (full != written)
                raw[key] = written;
            return full;
        }

        string? Optional(string key, string? written, PathUse use) => written is null ? null : Path(key, written, use);

        // "KIND:FILE,KIND:FILE": only the files are paths; items without a kind are left for the job to refuse.
        string? EvalTasks(string? list) => list is null ? null : string.Join(",", list.Split(',').Select(item =>
            item.IndexOf(':') is int colon and > 0 ? item[..(colon + 1)] + resolver.Resolve("eval_tasks", Checked("eval_tasks", item[(colon + 1)..]), PathUse.Read) : item));

        var resolved = c with
        {
            ModelNameOrPath = Path("model_name_or_path", c.ModelNameOrPath, PathUse.FolderOrName),
            AdapterNameOrPath = Optional("adapter_name_or_path", c.AdapterNameOrPath, PathUse.FolderOrName),
            Tokenizer = c.Tokenizer is "model" or "byte" ? c.Tokenizer : Path("tokenizer", c.Tokenizer, PathUse.Read),
            Deepspeed = Optional("deepspeed", c.Deepspeed, PathUse.FileOrName),
            DatasetDir = Path("dataset_dir", c.DatasetDir, PathUse.Read),
            EvalPrompts = Optional("eval_prompts", c.EvalPrompts, PathUse.Read),
            EvalTasks = EvalTasks(c.EvalTasks),
            OutputDir = Path("output_dir", c.OutputDir, PathUse.Write),
            TokenizedPath = Optional("tokenized_path", c.TokenizedPath, PathUse.Write),
            LoggingDir = Optional("logging_dir", c.LoggingDir, PathUse.Write),
            ResumeFromCheckpoint = c.ResumeFromCheckpoint is null or "auto"
                ? c.ResumeFromCheckpoint
                : Path("resume_from_checkpoint", c.ResumeFromCheckpoint, PathUse.Read),
        };
        return (resolved, raw);
    }
}
