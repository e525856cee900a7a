using System.Text.Json;

namespace Athanor.Data.Formats;

/// <summary>LLaMA-Factory's dataset_info.json: dataset name -> where the file is and how to read it.
/// Entries are validated only when used (<see cref="Get"/>), so one unsupported entry (remote, multimodal) never blocks the others, just as LLaMA-Factory only looks at the datasets you name.</summary>
public sealed class DatasetInfo
{
    public const string FileName = "dataset_info.json";

    private static readonly string[] RemoteKeys = ["hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name"];

    private readonly Dictionary<string, JsonElement> _entries;

    private DatasetInfo(string path, string datasetDir, Dictionary<string, JsonElement> entries, List<string> names)
    {
        Path = path;
        DatasetDir = datasetDir;
        _entries = entries;
        Names = names;
    }

    /// <summary>The dataset_info.json path (for messages).</summary>
    public string Path { get; }

    /// <summary>The folder file_name values are relative to.</summary>
    public string DatasetDir { get; }

    /// <summary>All dataset names in file order.</summary>
    public IReadOnlyList<string> Names { get; }

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>Reads datasetDir/dataset_info.json (LLaMA-Factory's dataset_dir).</summary>
    public static DatasetInfo Load(string datasetDir)
    {
        var path = System.IO.Path.Combine(datasetDir, FileName);
        if (!File.Exists(path))
            throw new DatasetException($"{path}: not found; dataset_dir '{datasetDir}' must hold a {FileName} like LLaMA-Factory's data folder.");
        using var stream = File.OpenRead(path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stream);
        }
        catch (JsonException ex)
        {
            throw new DatasetException($"{path}:{(ex.LineNumber ?? 0) + 1}: not valid JSON: {JsonErrors.Describe(ex)}", ex);
        }
        using (doc)
            return FromRoot(doc.RootElement, path, System.IO.Path.GetFullPath(datasetDir));
    }

    private static DatasetInfo FromRoot(JsonElement root, string path, string datasetDir)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new DatasetException($"{path}: the top level is a JSON {root.ValueKind}; expected an object of dataset name -> entry.");
        var entries = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var names = new List<string>();
        foreach (var property in root.EnumerateObject())
        {
            if (entries.TryAdd(property.Name, property.Value.Clone()))
                names.Add(property.Name);
            else
                entries[property.Name] = property.Value.Clone(); // Python's json keeps the last duplicate.
        }
        return new DatasetInfo(path, datasetDir, entries, names);
    }

    /// <summary>The validated entry for a name; throws <see cref="DatasetException"/> for unknown names
    /// (listing the known ones) and for entries this offline reader cannot load.</summary>
    public DatasetEntry Get(string name)
    {
        if (!_entries.TryGetValue(name, out var entry))
            throw new DatasetException(
                $"{Path}: undefined dataset '{name}'. Known datasets: {string.Join(", ", Names)}.");
        string Where(string key) => $"{Path}: dataset '{name}' {key}";

        if (entry.ValueKind != JsonValueKind.Object)
            throw new DatasetException($"{Where("entry")} is a JSON {entry.ValueKind}; expected an object with file_name.");

        foreach (var key in RemoteKeys)
        {
            if (entry.TryGetProperty(key, out var url))
                throw new DatasetException(
                    $"{Where(key)} = {url.GetRawText()}: remote datasets are not supported offline; download it and use file_name.");
        }

        var fileName = OptionalString(entry, "file_name", Where)
            ?? throw new DatasetException($"{Where("entry")} has no file_name; expected \"file_name\": a .json/.jsonl file or folder under {DatasetDir}.");

        var formattingText = OptionalString(entry, "formatting", Where) ?? "alpaca";
        var formatting = formattingText switch
        {
            "alpaca" => DatasetFormatting.Alpaca,
            "sharegpt" => DatasetFormatting.Sharegpt,
            _ => throw new DatasetException($"{Where("formatting")} = '{formattingText}' is not supported; accepted: alpaca, sharegpt."),
        };

        var isRanking = false;
        if (entry.TryGetProperty("ranking", out var ranking))
        {
            if (ranking.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new DatasetException($"{Where("ranking")} = {ranking.GetRawText()}; expected true or false.");
            isRanking = ranking.ValueKind == JsonValueKind.True;
        }

        var split = OptionalString(entry, "split", Where);
        if (split is not null && split != "train")
            throw new DatasetException($"{Where("split")} = '{split}': a local file only has the 'train' split; remove the key.");
        if (entry.TryGetProperty("num_samples", out var numSamples))
            throw new DatasetException($"{Where("num_samples")} = {numSamples.GetRawText()} is not supported; use max_samples (first N records).");

        var columns = ParseColumns(entry, Where);
        var tags = ParseTags(entry, formatting, Where);
        var fullPath = System.IO.Path.GetFullPath(System.IO.Path.Combine(DatasetDir, fileName));
        return new DatasetEntry(name, fileName, fullPath, formatting, columns, tags) { Ranking = isRanking };
    }

    private static DatasetColumns ParseColumns(JsonElement entry, Func<string, string> where)
    {
        if (!entry.TryGetProperty("columns", out var columns))
            return DatasetColumns.Default;
        if (columns.ValueKind != JsonValueKind.Object)
            throw new DatasetException($"{where("columns")} is a JSON {columns.ValueKind}; expected an object of column -> record key.");
        foreach (var property in columns.EnumerateObject())
        {
            var key = property.Name;
            if (DatasetColumns.MultimodalKeys.Contains(key))
                throw new DatasetException($"{where("columns." + key)}: multimodal datasets are not supported (text only).");
            if (!DatasetColumns.SupportedKeys.Contains(key))
                throw new DatasetException($"{where("columns." + key)} is not a known column; accepted: {string.Join(", ", DatasetColumns.SupportedKeys)}.");
        }
        string? Column(string key) => OptionalString(columns, key, k => where("columns." + k));
        return new DatasetColumns(
            Column("prompt"), Column("query"), Column("response"), Column("history"),
            Column("messages"), Column("system"), Column("tools"))
        { Chosen = Column("chosen"), Rejected = Column("rejected"), KtoTag = Column("kto_tag") };
    }

    private static SharegptTags ParseTags(JsonElement entry, DatasetFormatting formatting, Func<string, string> where)
    {
        // LLaMA-Factory only reads tags for sharegpt.
        if (formatting != DatasetFormatting.Sharegpt || !entry.TryGetProperty("tags", out var tags))
            return SharegptTags.Default;
        if (tags.ValueKind != JsonValueKind.Object)
            throw new DatasetException($"{where("tags")} is a JSON {tags.ValueKind}; expected an object of tag -> value.");
        foreach (var property in tags.EnumerateObject())
        {
            if (!SharegptTags.SupportedKeys.Contains(property.Name))
                throw new DatasetException($"{where("tags." + property.Name)} is not a known tag; accepted: {string.Join(", ", SharegptTags.SupportedKeys)}.");
        }
        string? Tag(string key) => OptionalString(tags, key, k => where("tags." + k));
        var role = Tag("role_tag") ?? throw new DatasetException($"{where("tags")} has no role_tag; a tags object must name role_tag (e.g. \"from\" or \"role\").");
        var content = Tag("content_tag") ?? throw new DatasetException($"{where("tags")} has no content_tag; a tags object must name content_tag (e.g. \"value\" or \"content\").");
        return new SharegptTags(role, content, Tag("user_tag"), Tag("assistant_tag"), Tag("observation_tag"), Tag("function_tag"), Tag("system_tag"));
    }

    private static string? OptionalString(JsonElement obj, string key, Func<string, string> where)
    {
        if (!obj.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new DatasetException($"{where(key)} = {value.GetRawText()}; expected a string.");
        return value.GetString();
    }
}
