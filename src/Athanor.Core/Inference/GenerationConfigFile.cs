using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.Models;

namespace Athanor.Inference;

/// <summary>The token ids of a model folder's generation_config.json (absent file: all empty).</summary>
public sealed record GenerationConfigFile(int? BosTokenId, IReadOnlyList<int> EosTokenIds, int? PadTokenId)
{
    public const string FileName = "generation_config.json";

    public static GenerationConfigFile Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return new(null, [], null);
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path)) is not JsonObject o)
                throw new ModelFormatException($"{path}: the top level is not a JSON object");
            return new(Int(o, "bos_token_id", path), IntOrList(o, "eos_token_id", path), Int(o, "pad_token_id", path));
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{path}: invalid JSON: {ex.Message}", ex);
        }
    }

    private static int? Int(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out int i) => i,
        var other => throw new ModelFormatException($"{path}: {key} is {other.ToJsonString()}, expected an integer"),
    };

    private static IReadOnlyList<int> IntOrList(JsonObject o, string key, string path) => o[key] switch
    {
        null => [],
        JsonArray a => a.Select(n => n is JsonValue v && v.TryGetValue(out int i) ? i
            : throw new ModelFormatException($"{path}: {key} holds {n?.ToJsonString() ?? "null"}, expected integers")).ToArray(),
        _ => Int(o, key, path) is int one ? [one] : [],
    };
}
