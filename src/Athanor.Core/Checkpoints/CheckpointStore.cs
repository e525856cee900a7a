using System.Globalization;
using Athanor.IO;

namespace Athanor.Checkpoints;

/// <summary>
/// The checkpoint-N folders of a run's output_dir: atomic commit, discovery of the newest complete one,
/// and retention (save_total_limit).
/// </summary>
public sealed class CheckpointStore(string outputDir)
{
    public const string Prefix = "checkpoint-";

    public string OutputDir { get; } = outputDir;

    public string FolderFor(int step) => Path.Combine(OutputDir, Prefix + step.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Writes a checkpoint: writeFiles fills the folder (each file durable), then the manifest is committed.
    /// A leftover folder for the same step without a manifest (an interrupted save) is cleared first.
    /// </summary>
    public string Save(int step, string kind, Action<string> writeFiles)
    {
        var folder = Prepare(step);
        writeFiles(folder);
        Commit(step, kind);
        return folder;
    }

    /// <summary>Step one of a save (one process does it): an empty folder for the step, stale content removed.</summary>
    public string Prepare(int step)
    {
        var folder = FolderFor(step);
        if (Directory.Exists(folder))
        {
            if (CheckpointManifest.TryRead(folder, out _) is not null) Forget(folder); // re-saving a step: the new state replaces it whole
            Directory.Delete(folder, recursive: true);
        }
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>Last step of a save, once every writer is done: fsync everything, then write the manifest.</summary>
    /// <param name="jobId">the cluster job writing it, recorded in the manifest (null outside the cluster)</param>
    public void Commit(int step, string kind, string? jobId = null)
    {
        var folder = FolderFor(step);
        var files = Directory.EnumerateFiles(folder)
            .Select(Path.GetFileName)
            .Where(n => n != CheckpointManifest.FileName && !n!.StartsWith('.'))
            .ToDictionary(n => n!, n => new FileInfo(Path.Combine(folder, n!)).Length);
        foreach (var name in files.Keys) DurableFile.SyncFile(Path.Combine(folder, name));
        DurableFile.SyncFolder(folder);
        var manifest = new CheckpointManifest(CheckpointManifest.CurrentFormat, step, kind, files, DateTime.UtcNow, jobId);
        DurableFile.WriteAllText(Path.Combine(folder, CheckpointManifest.FileName), manifest.ToJson());
        DurableFile.SyncFolder(OutputDir);
    }

    /// <summary>Complete checkpoints, oldest first.</summary>
    public IReadOnlyList<(int Step, string Folder)> Complete() => CompleteWithOwners().Select(c => (c.Step, c.Folder)).ToList();

    /// <summary>Complete checkpoints with the job that wrote each (null: written outside the cluster), oldest first.</summary>
    public IReadOnlyList<(int Step, string Folder, string? JobId)> CompleteWithOwners()
    {
        if (!Directory.Exists(OutputDir)) return [];
        var found = new List<(int, string, string?)>();
        foreach (var dir in Directory.EnumerateDirectories(OutputDir, Prefix + "*"))
        {
            var suffix = Path.GetFileName(dir)[Prefix.Length..];
            if (!int.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out int step)) continue;
            if (CheckpointManifest.TryRead(dir, out _) is { } m && m.Step == step) found.Add((step, dir, m.JobId));
        }
        return found.OrderBy(f => f.Item1).ToList();
    }

    public string? Latest() => Complete() is { Count: > 0 } all ? all[^1].Folder : null;

    /// <summary>The newest complete checkpoint written by this job, or null: another job's are never taken for its own.</summary>
    public string? LatestOf(string jobId) => CompleteWithOwners().LastOrDefault(c => c.JobId == jobId).Folder;

    /// <summary>Removes the oldest complete checkpoints so that at most keep remain; the newest is never removed.</summary>
    public IReadOnlyList<string> Prune(int keep)
    {
        var all = Complete();
        var removed = new List<string>();
        for (int i = 0; i < all.Count - Math.Max(1, keep); i++)
        {
            Forget(all[i].Folder);
            Directory.Delete(all[i].Folder, recursive: true);
            removed.Add(all[i].Folder);
        }
        return removed;
    }

    /// <summary>Drops the manifest first, so a folder half-deleted by a crash is never taken for complete.</summary>
    private static void Forget(string folder)
    {
        File.Delete(Path.Combine(folder, CheckpointManifest.FileName));
        DurableFile.SyncFolder(folder);
    }

    /// <summary>Resolves resume_from_checkpoint: "auto" (newest complete, or none), or a folder that must be complete.</summary>
    /// <param name="jobId">a cluster job: "auto" means its own newest checkpoint only</param>
    public string? Resolve(string? resumeFrom, string? jobId = null)
    {
        if (string.IsNullOrEmpty(resumeFrom)) return null;
        if (resumeFrom == "auto") return jobId is null ? Latest() : LatestOf(jobId);
        if (!Directory.Exists(resumeFrom))
            throw new ArgumentException($"resume_from_checkpoint: '{resumeFrom}' does not exist; accepted: auto, or a checkpoint folder");
        if (CheckpointManifest.TryRead(resumeFrom, out var problem) is null)
            throw new ArgumentException($"resume_from_checkpoint: '{resumeFrom}' is not a complete checkpoint: {problem}");
        return resumeFrom;
    }
}
