namespace Athanor.Configuration;

/// <summary>How a job uses the file or folder a path key names.</summary>
public enum PathUse
{
    /// <summary>Read; a value that is no local folder may be a name (a Hugging Face hub id).</summary>
    FolderOrName,

    /// <summary>Read; a value that is no local file may be a name (deepspeed: ds_z3_config.json gives the stage).</summary>
    FileOrName,

    /// <summary>Read.</summary>
    Read,

    /// <summary>Written (outputs, logs, caches).</summary>
    Write,
}

/// <summary>
/// Turns a path key's value, as written, into the path the job uses. The loader asks it for every path key
/// before anything opens, reads or even looks at that path, so a resolver that refuses a path (a node's
/// roots) refuses it untouched. It throws to refuse.
/// </summary>
public interface IJobPathResolver
{
    /// <param name="key">The YAML key (model_name_or_path, deepspeed, output_dir, ...).</param>
    /// <param name="written">The value as written: not empty, no control characters, bounded in length.</param>
    /// <param name="use">How the job uses it.</param>
    string Resolve(string key, string written, PathUse use);
}

/// <summary>
/// LLaMA-Factory's rule for a job on this machine: relative paths resolve against the folder the job starts
/// from; a model or adapter that is no local folder, or a deepspeed name that is no local file, stays as written.
/// </summary>
public sealed class WorkingFolderPaths(string baseDirectory) : IJobPathResolver
{
    public string Resolve(string key, string written, PathUse use)
    {
        var full = Path.GetFullPath(written, baseDirectory);
        return use switch
        {
            PathUse.FolderOrName => Directory.Exists(full) ? full : written,
            PathUse.FileOrName => File.Exists(full) ? full : written,
            _ => full,
        };
    }
}
