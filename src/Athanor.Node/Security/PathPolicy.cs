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
/// output root. Paths are compared after following symbolic links and "..", and nothing outside the roots
/// is looked at on the way (<see cref="RealPath.ResolveWithin"/>).
/// Relative read paths resolve against the first data root; written paths and resume_from_checkpoint
/// against the output root.
/// </summary>
public sealed class PathPolicy
{
    /// <param name="reservedOutputFolders">Folders under the output root (relative names) that the server keeps for itself: no job path may point into them.</param>
    public PathPolicy(IReadOnlyList<string> dataRoots, string outputRoot, IReadOnlyList<string>? reservedOutputFolders = null)
    {
        if (dataRoots.Count == 0) throw new ArgumentException("at least one data root is needed (--data-root DIR): jobs read models and datasets only under it");
        DataRoots = dataRoots.Select(r => ExistingFolder(r, "data root")).Distinct().ToList();
        OutputRoot = ExistingFolder(outputRoot, "output root");
        AllRoots = [.. DataRoots, OutputRoot];
        Reserved = (reservedOutputFolders ?? []).Select(name => Path.Combine(OutputRoot, name)).ToList();
    }

    public IReadOnlyList<string> DataRoots { get; }

    public string OutputRoot { get; }

    /// <summary>Relative read paths resolve against this folder.</summary>
    public string ReadBase => DataRoots[0];

    private IReadOnlyList<string> AllRoots { get; }

    private IReadOnlyList<string> Reserved { get; }

    /// <summary>A resolver for one submission: the loader asks it for every path key before any file is touched.</summary>
    public CheckedJobPaths ForSubmission() => new(this);

    /// <summary>
    /// The resolved path for a key's value, or <see cref="PathNotAllowedException"/> naming the key, the path and
    /// the allowed roots. <paramref name="note"/> says what a relative path resolved to.
    /// </summary>
    public string Check(string key, string written, PathUse use, out string? note)
    {
        bool write = use == PathUse.Write;
        var baseDir = write || key == "resume_from_checkpoint" ? OutputRoot : ReadBase;
        var quoted = InputText.Quote(written);
        (string Path, bool Left) walk;
        try
        {
            walk = RealPath.ResolveWithin(Path.IsPathRooted(written) ? written : Path.Combine(baseDir, written), AllRoots);
        }
        catch (Exception ex) when (ex is ArgumentException or IOException)
        {
            throw new PathNotAllowedException(key, $"{key}: {quoted} cannot be used: {ex.Message}");
        }
        var full = walk.Path;
        bool allowed = !walk.Left && (write ? RealPath.IsUnder(full, OutputRoot)
            : DataRoots.Any(r => RealPath.IsUnder(full, r)) || RealPath.IsUnder(full, OutputRoot));
        if (!allowed)
            throw new PathNotAllowedException(key, $"{key}: {quoted}{(full != written ? $" (= {InputText.Shorten(full)})" : "")} is outside {Allowed(write)}");
        if (Reserved.FirstOrDefault(r => RealPath.IsUnder(full, r)) is string reserved)
            throw new PathNotAllowedException(key, $"{key}: {quoted} is inside {reserved}, which the server keeps its job journal in; " +
                                                   $"accepted: any other folder under {OutputRoot}");
        note = Path.IsPathRooted(written) ? null : $"{key}: {quoted} resolved to {full}";
        return full;
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
