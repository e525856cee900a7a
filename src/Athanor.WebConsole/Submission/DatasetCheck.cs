using Athanor.Configuration;
using Athanor.Data.Formats;
using Athanor.Node.Security;

namespace Athanor.WebConsole.Submission;

/// <summary>
/// The console's check of a validated job's datasets, before anything is queued: every name in dataset and
/// eval_dataset is in dataset_dir's dataset_info.json, its entry is one this reader loads, and its file lies under the
/// node's roots (links followed) and exists. The loader alone would find a bad name only when the job starts.
/// </summary>
public sealed class DatasetCheck(PathPolicy paths)
{
    private const int MaxFolderFiles = 10_000;

    /// <summary>The problems, one per key (dataset, eval_dataset, dataset_dir); empty when the data can be read.</summary>
    public IReadOnlyList<(string Key, string Message)> Problems(JobConfig config)
    {
        var names = config.DatasetNames.Select(n => ("dataset", n)).Concat(config.EvalDatasetNames.Select(n => ("eval_dataset", n))).ToList();
        if (names.Count == 0) return [];
        DatasetInfo info;
        try
        {
            var infoPath = paths.Check("dataset_dir", Path.Combine(config.DatasetDir, DatasetInfo.FileName), PathUse.Read, out _);
            if (!DataRootsCatalog.IsRegularFile(infoPath))
                return [("dataset_dir", $"dataset_dir: {config.DatasetDir} holds no {DatasetInfo.FileName} (a regular file); accepted: a folder like LLaMA-Factory's data/")];
            info = DatasetInfo.Load(config.DatasetDir);
        }
        catch (PathNotAllowedException ex) { return [("dataset_dir", ex.Message)]; }
        catch (Exception ex) when (ex is DatasetException or IOException or UnauthorizedAccessException) { return [("dataset_dir", "dataset_dir: " + ex.Message)]; }

        var problems = new List<(string, string)>();
        foreach (var (key, name) in names)
        {
            if (problems.Any(p => p.Item1 == key)) continue; // one message per key
            if (!info.Contains(name))
            {
                problems.Add((key, $"{key}: '{Shorten(name)}' is not in {info.Path}; accepted: {Shorten(string.Join(", ", info.Names))}"));
                continue;
            }
            try
            {
                var entry = info.Get(name);
                var file = paths.Check(key, entry.FullPath, PathUse.Read, out _);
                if (Directory.Exists(file))
                {
                    // A folder of files: each is read, so each must lie under the roots too (a link inside may point anywhere).
                    foreach (var inner in Directory.EnumerateFiles(file, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Take(MaxFolderFiles))
                        paths.Check(key, inner, PathUse.Read, out _);
                }
                else if (!File.Exists(file))
                    problems.Add((key, $"{key}: '{name}' names the file {entry.FileName}, which does not exist in {info.DatasetDir}"));
            }
            catch (PathNotAllowedException ex) { problems.Add((key, $"{key}: '{name}': {ex.Message}")); }
            catch (DatasetException ex) { problems.Add((key, $"{key}: {ex.Message}")); }
        }
        return problems;
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;
}
