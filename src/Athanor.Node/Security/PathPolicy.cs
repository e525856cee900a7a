using Athanor.Configuration;

namespace Athanor.Node.Security;

/// <summary>A job path outside the node's roots (gRPC PERMISSION_DENIED).</summary>
public sealed class PathNotAllowedException(string key, string message) : Exception(message)
{
    public string Key { get; } = key;
}

/// <summary>
/// Which files a submitted job may touch on this node, so a remote caller cannot make it read or
/// overwrite any file it likes: jobs read models, tokenizers, datasets, adapters, DeepSpeed files and
/// checkpoints only under the data roots or the output root, and write output_dir only under the
/// output root. Paths are compared after following symbolic links and "..".
/// Relative paths resolve against the first data root, except output_dir and resume_from_checkpoint,
/// which resolve against the output root.
/// </summary>
public sealed class PathPolicy
{
    public PathPolicy(IReadOnlyList<string> dataRoots, string outputRoot)
    {
        if (dataRoots.Count == 0) throw new ArgumentException("at least one data root is needed (--data-root DIR): jobs read models and datasets only under it");
        DataRoots = dataRoots.Select(r => ExistingFolder(r, "data root")).Distinct().ToList();
        OutputRoot = ExistingFolder(outputRoot, "output root");
    }

    public IReadOnlyList<string> DataRoots { get; }

    public string OutputRoot { get; }

    /// <summary>Relative read paths resolve against this folder.</summary>
    public string ReadBase => DataRoots[0];

    /// <summary>
    /// The config with every path key resolved as described above and checked; notes say which relative paths were resolved.
    /// Throws <see cref="PathNotAllowedException"/> naming the key, the path and the allowed roots.
    /// </summary>
    public (JobConfig Config, List<string> Notes) Apply(LoadedConfig loaded)
    {
        var c = loaded.Config;
        var notes = new List<string>();

        string Check(string key, string value, bool write)
        {
            // The loader resolved relative paths that exist against ReadBase; take the text as written again.
            var written = loaded.RawPaths.TryGetValue(key, out var raw) ? raw : value;
            var baseDir = key is "output_dir" or "resume_from_checkpoint" ? OutputRoot : ReadBase;
            string full;
            try
            {
                full = RealPath.Resolve(Path.IsPathRooted(written) ? written : Path.Combine(baseDir, written));
            }
            catch (Exception ex) when (ex is ArgumentException or IOException)
            {
                throw new PathNotAllowedException(key, $"{key}: '{written}' cannot be used: {ex.Message}");
            }
            if (!Path.IsPathRooted(written)) notes.Add($"{key}: '{written}' resolved to {full}");
            bool allowed = write ? RealPath.IsUnder(full, OutputRoot)
                : DataRoots.Any(r => RealPath.IsUnder(full, r)) || RealPath.IsUnder(full, OutputRoot);
            if (!allowed) throw new PathNotAllowedException(key, $"{key}: '{written}'{(full != written ? $" (= {full})" : "")} is outside {Allowed(write)}");
            return full;
        }

        string? Optional(string key, string? value) => value is null ? null : Check(key, value, write: false);

        var checkedConfig = c with
        {
            ModelNameOrPath = Check("model_name_or_path", c.ModelNameOrPath, write: false),
            AdapterNameOrPath = Optional("adapter_name_or_path", c.AdapterNameOrPath),
            Tokenizer = c.Tokenizer is "model" or "byte" ? c.Tokenizer : Check("tokenizer", c.Tokenizer, write: false),
            Deepspeed = Optional("deepspeed", c.Deepspeed),
            DatasetDir = Check("dataset_dir", c.DatasetDir, write: false),
            EvalPrompts = Optional("eval_prompts", c.EvalPrompts),
            EvalTasks = c.EvalTasks is null ? null : string.Join(",", c.EvalTasks.Split(',').Select(t =>
                t.IndexOf(':') is int i and > 0 ? t[..(i + 1)] + Check("eval_tasks", t[(i + 1)..], write: false) : t)),
            OutputDir = Check("output_dir", c.OutputDir, write: true),
            LoggingDir = c.LoggingDir is null ? null : Check("logging_dir", c.LoggingDir, write: true),
            TokenizedPath = c.TokenizedPath is null ? null : Check("tokenized_path", c.TokenizedPath, write: true),
            ResumeFromCheckpoint = c.ResumeFromCheckpoint is null or "auto" ? c.ResumeFromCheckpoint : Check("resume_from_checkpoint", c.ResumeFromCheckpoint, write: false),
        };
        return (checkedConfig, notes);
    }

    private string Allowed(bool write) => write
        ? $"the output root; allowed: {OutputRoot}/..."
        : $"the allowed roots; allowed: {string.Join(", ", DataRoots)} (data roots), {OutputRoot} (output root)";

    private static string ExistingFolder(string path, string what)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"the {what} is empty");
        var full = RealPath.Resolve(Path.GetFullPath(path));
        if (!Directory.Exists(full)) throw new ArgumentException($"{what} '{path}' is not an existing folder");
        return full;
    }
}
