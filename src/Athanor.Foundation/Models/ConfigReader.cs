using System.Text.Json;
using System.Text.Json.Nodes;

namespace Athanor.Models;

/// <summary>Typed reads from a config.json object, each failure naming the file, the key and the value.</summary>
internal sealed class ConfigReader(JsonObject root, string source)
{
    public string Source => source;

    private JsonNode? Get(string key) => root.TryGetPropertyValue(key, out var v) ? v : null;

    public string? String(string key) => Get(key) switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        var other => throw Bad(key, other, "a string"),
    };

    public int? Int(string key)
    {
        var node = Get(key);
        if (node is null) return null;
        if (node is JsonValue v)
        {
            if (v.TryGetValue(out int i)) return i;
            if (v.TryGetValue(out long l) && l is >= int.MinValue and <= int.MaxValue) return (int)l;
            if (v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue) return (int)d;
        }
        throw Bad(key, node, "an integer");
    }

    public int RequiredInt(string key) =>
        Int(key) ?? throw new ModelFormatException($"{source}: required key '{key}' is missing");

    public double? Double(string key)
    {
        var node = Get(key);
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out double d)) return d;
        throw Bad(key, node, "a number");
    }

    public bool? Bool(string key)
    {
        var node = Get(key);
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out bool b)) return b;
        throw Bad(key, node, "true or false");
    }

    public JsonObject? Object(string key) => Get(key) switch
    {
        null => null,
        JsonObject o => o,
        var other => throw Bad(key, other, "an object"),
    };

    public IReadOnlyList<int> IntOrList(string key) => Get(key) switch
    {
        null => [],
        JsonArray a => a.Select((n, i) => n is JsonValue v && v.TryGetValue(out int x) ? x : throw Bad($"{key}[{i}]", n, "an integer")).ToArray(),
        _ => Int(key) is int one ? [one] : [],
    };

    public string? FirstArchitecture() =>
        Get("architectures") is JsonArray { Count: > 0 } a && a[0] is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    private ModelFormatException Bad(string key, JsonNode? value, string expected) =>
        new($"{source}: {key} is {value?.ToJsonString() ?? "null"}, expected {expected}");
}
