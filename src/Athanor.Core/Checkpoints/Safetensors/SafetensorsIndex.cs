using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: shard file}}. Written the way transformers
/// writes it (two-space indent, sorted keys, trailing newline) so checkpoints diff cleanly against Python-made ones.
/// </summary>
internal sealed class SafetensorsIndex
{
    private SafetensorsIndex(Dictionary<string, string> metadata, Dictionary<string, string> weightMap)
    {
        Metadata = metadata;
        WeightMap = weightMap;
    }

    /// <summary>Metadata values; strings as they are, anything else (total_size) as its JSON text.</summary>
    public Dictionary<string, string> Metadata { get; }

    public Dictionary<string, string> WeightMap { get; }

    public static SafetensorsIndex Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(path, $"index is not valid JSON ({ex.Message}); expected {{\"metadata\": {{...}}, \"weight_map\": {{tensor: shard file}}}}", ex);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(path, "index has no \"weight_map\" object; expected {\"metadata\": {...}, \"weight_map\": {tensor: shard file}}");

            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String || entry.Value.GetString() is not { Length: > 0 } file)
                    throw new SafetensorsFormatException(path, $"weight_map entry for tensor '{entry.Name}' is {entry.Value.GetRawText()}; expected a shard file name");
                if (!weightMap.TryAdd(entry.Name, file))
                    throw new SafetensorsFormatException(path, $"weight_map lists tensor '{entry.Name}' twice");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                foreach (var item in meta.EnumerateObject())
                    metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : item.Value.GetRawText();
            return new SafetensorsIndex(metadata, weightMap);
        }
    }

    /// <summary>Writes the index (atomically) with metadata.total_size and the weight map sorted by tensor name.</summary>
    public static void Write(string path, long totalSize, IEnumerable<KeyValuePair<string, string>> weightMap)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 2,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("metadata");
            writer.WriteNumber("total_size", totalSize);
            writer.WriteEndObject();
            writer.WriteStartObject("weight_map");
            foreach (var (tensor, file) in weightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                writer.WriteString(tensor, file);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        buffer.Write("\n"u8);

        AtomicFile.Write(path, temp =>
        {
            using var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            buffer.Position = 0;
            buffer.CopyTo(stream);
            stream.Flush(flushToDisk: true);
        });
    }
}
