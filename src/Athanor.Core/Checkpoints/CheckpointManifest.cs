using System.Text.Json;
using System.Text.Json.Serialization;

namespace Athanor.Checkpoints;

/// <summary>
/// The file that makes a checkpoint folder count. It is written last (write, fsync, rename); it lists
/// every other file with its size, so a folder whose manifest is missing or disagrees is never loaded.
/// </summary>
public sealed record CheckpointManifest(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("files")] IReadOnlyDictionary<string, long> Files,
    [property: JsonPropertyName("created_utc")] DateTime CreatedUtc,
    // The cluster job that wrote it (null outside the cluster): a job's attempts resume only their own checkpoints.
    [property: JsonPropertyName("job_id")] string? JobId = null)
{
    public const string FileName = "athanor-checkpoint.json";
    public const string CurrentFormat = "athanor-checkpoint/1";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads and checks a folder's manifest; null when it is absent, unreadable, or its files are not all there.</summary>
    public static CheckpointManifest? TryRead(string folder, out string? problem)
    {
        problem = null;
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) { problem = "no manifest (the checkpoint was not finished)"; return null; }
        CheckpointManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(path)); }
        catch (JsonException ex) { problem = $"unreadable manifest: {ex.Message}"; return null; }
        if (manifest is null || manifest.Format != CurrentFormat || manifest.Files is null)
        {
            problem = $"manifest format is not {CurrentFormat}";
            return null;
        }
        foreach (var (name, size) in manifest.Files)
        {
            var file = Path.Combine(folder, name);
            if (!File.Exists(file)) { problem = $"'{name}' listed in the manifest is missing"; return null; }
            long actual = new FileInfo(file).Length;
            if (actual != size) { problem = $"'{name}' is {actual} bytes, the manifest says {size}"; return null; }
        }
        return manifest;
    }
}
