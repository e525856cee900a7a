using Athanor.Data.Formats;
using Athanor.Node.Security;

namespace Athanor.WebConsole.Submission;

/// <summary>One dataset the submit form offers: its name in the dataset_info.json of <paramref name="DatasetDir"/>.</summary>
public sealed record DatasetChoice(string DatasetDir, string Name, string Formatting, bool Ranking)
{
    /// <summary>
    /// The form's option value: the folder and the name, each percent-encoded (so neither holds the '|' between them, and
    /// no line break is there for a form post to rewrite).
    /// </summary>
    public string Value => Uri.EscapeDataString(DatasetDir) + "|" + Uri.EscapeDataString(Name);

    public static (string Dir, string Name)? Parse(string? value) =>
        value?.Split('|') is [var dir, var name] && dir.Length > 0 && name.Length > 0 ? (Uri.UnescapeDataString(dir), Uri.UnescapeDataString(name)) : null;
}

/// <summary>
/// What the data roots hold for the submit form: the datasets of every dataset_info.json and the model folders
/// (a config.json) a few levels down. Links are not followed and only regular files are read, so nothing outside the
/// roots is looked at; the walk is bounded so a huge data root costs little.
/// </summary>
public sealed class DataRootsCatalog(PathPolicy paths)
{
    public const int MaxDepth = 3;
    public const int MaxFolders = 5000;
    public const int MaxDatasetFiles = 50;

    public sealed record Contents(IReadOnlyList<DatasetChoice> Datasets, IReadOnlyList<string> ModelFolders, IReadOnlyList<string> Problems);

    public Contents Scan()
    {
        var datasets = new List<DatasetChoice>();
        var models = new List<string>();
        var problems = new List<string>();
        int infoFiles = 0;
        foreach (var folder in Folders())
        {
            if (IsRegularFile(Path.Combine(folder, "config.json"))) models.Add(folder);
            var info = Path.Combine(folder, DatasetInfo.FileName);
            if (!IsRegularFile(info) || ++infoFiles > MaxDatasetFiles) continue;
            try
            {
                var loaded = DatasetInfo.Load(folder);
                foreach (var name in loaded.Names)
                {
                    string formatting = "?";
                    bool ranking = false;
                    try { var entry = loaded.Get(name); formatting = entry.Formatting.ToString().ToLowerInvariant(); ranking = entry.Ranking; }
                    catch (DatasetException) { formatting = "unsupported"; }
                    datasets.Add(new DatasetChoice(folder, name, formatting, ranking));
                }
            }
            catch (Exception ex) when (ex is DatasetException or IOException or UnauthorizedAccessException)
            {
                problems.Add(ex.Message);
            }
        }
        return new Contents(datasets, models, problems);
    }

    // The data roots and their folders down to MaxDepth, breadth first, links skipped.
    private IEnumerable<string> Folders()
    {
        var options = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint, RecurseSubdirectories = false };
        var queue = new Queue<(string Folder, int Depth)>(paths.DataRoots.Select(r => (r, 0)));
        int seen = 0;
        while (queue.Count > 0 && seen++ < MaxFolders)
        {
            var (folder, depth) = queue.Dequeue();
            yield return folder;
            if (depth >= MaxDepth) continue;
            IEnumerable<string> children;
            try { children = Directory.EnumerateDirectories(folder, "*", options).Order(StringComparer.Ordinal).ToList(); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
            foreach (var child in children)
                if (!Path.GetFileName(child).StartsWith('.')) queue.Enqueue((child, depth + 1));
        }
    }

    internal static bool IsRegularFile(string path)
    {
        var info = new FileInfo(path);
        return info.Exists && info.LinkTarget is null && (info.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) == 0;
    }
}
