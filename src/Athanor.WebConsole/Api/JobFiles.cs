using Athanor.Node.Backend;
using Athanor.Node.Security;

namespace Athanor.WebConsole.Api;

/// <summary>
/// Files the backend does not stream but the trainer writes into a job's output_dir: the effective config
/// (athanor_config.yaml) and, on GPUs, the MFU and memory columns of metrics.jsonl. Read only when the output_dir,
/// links followed, lies under this node's output root, and only these named files, at most a bounded size.
/// </summary>
public sealed class JobFiles(PathPolicy paths)
{
    public const string EffectiveConfig = "athanor_config.yaml";
    public const string MetricsLog = "metrics.jsonl";
    public const int MaxConfigBytes = 1 << 20;
    public const int MaxMetricsChunk = 1 << 20;

    /// <summary>The full path of <paramref name="name"/> in the job's output_dir, or null when that folder is not under the output root.</summary>
    public string? PathOf(JobRecord job, string name)
    {
        if (string.IsNullOrEmpty(job.OutputDir)) return null;
        try
        {
            var (resolved, left) = RealPath.ResolveWithin(Path.Combine(job.OutputDir, name), [paths.OutputRoot]);
            return !left && RealPath.IsUnder(resolved, paths.OutputRoot) ? resolved : null;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException) { return null; }
    }

    public string? ReadConfig(JobRecord job)
    {
        var path = PathOf(job, EffectiveConfig);
        if (path is null || !IsRegularFile(path)) return null;
        using var stream = File.OpenRead(path);
        var buffer = new byte[Math.Min(stream.Length, MaxConfigBytes)];
        stream.ReadExactly(buffer);
        return System.Text.Encoding.UTF8.GetString(buffer);
    }

    /// <summary>Complete lines of metrics.jsonl from byte <paramref name="offset"/>; returns them and the offset after the last one.</summary>
    public (IReadOnlyList<string> Lines, long Next) ReadMetrics(JobRecord job, long offset)
    {
        var path = PathOf(job, MetricsLog);
        if (path is null || !IsRegularFile(path)) return ([], offset);
        using var stream = File.OpenRead(path);
        if (offset < 0 || offset > stream.Length) offset = 0; // a restarted run rewrote it
        stream.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[Math.Min(stream.Length - offset, MaxMetricsChunk)];
        stream.ReadExactly(buffer);
        int end = Array.LastIndexOf(buffer, (byte)'\n') + 1; // a half-written last line waits for the next read
        var text = System.Text.Encoding.UTF8.GetString(buffer, 0, end);
        return (text.Split('\n', StringSplitOptions.RemoveEmptyEntries), offset + end);
    }

    private static bool IsRegularFile(string path)
    {
        var info = new FileInfo(path);
        return info.Exists && info.LinkTarget is null && (info.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) == 0;
    }
}
