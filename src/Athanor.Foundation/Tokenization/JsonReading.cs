using System.Text.Json;

namespace Athanor.Tokenization;

/// <summary>Typed reads of tokenizer JSON whose failures name the file, the key path and the value found.</summary>
internal static class JsonReading
{
    public static JsonElement? Optional(JsonElement obj, string key) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static JsonElement Required(JsonElement obj, string key, string file, string path) =>
        Optional(obj, key) ?? throw new TokenizerFormatException($"{file}: {path}.{key} is missing.");

    public static string RequiredString(JsonElement obj, string key, string file, string path)
    {
        var v = Required(obj, key, file, path);
        return v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new TokenizerFormatException($"{file}: {path}.{key} is {Show(v)}; expected a string.");
    }

    public static string? OptionalString(JsonElement obj, string key, string file, string path)
    {
        var v = Optional(obj, key);
        if (v is null) return null;
        return v.Value.ValueKind == JsonValueKind.String
            ? v.Value.GetString()
            : throw new TokenizerFormatException($"{file}: {path}.{key} is {Show(v.Value)}; expected a string.");
    }

    public static bool OptionalBool(JsonElement obj, string key, bool fallback, string file, string path)
    {
        var v = Optional(obj, key);
        if (v is null) return fallback;
        return v.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerFormatException($"{file}: {path}.{key} is {Show(v.Value)}; expected true or false."),
        };
    }

    public static int OptionalInt(JsonElement obj, string key, int fallback, string file, string path)
    {
        var v = Optional(obj, key);
        if (v is null) return fallback;
        return v.Value.ValueKind == JsonValueKind.Number && v.Value.TryGetInt32(out int i)
            ? i
            : throw new TokenizerFormatException($"{file}: {path}.{key} is {Show(v.Value)}; expected an integer.");
    }

    public static JsonElement RequiredArray(JsonElement obj, string key, string file, string path)
    {
        var v = Required(obj, key, file, path);
        return v.ValueKind == JsonValueKind.Array
            ? v
            : throw new TokenizerFormatException($"{file}: {path}.{key} is {Show(v)}; expected an array.");
    }

    /// <summary>A short rendering of a JSON value for error messages.</summary>
    public static string Show(JsonElement v)
    {
        string raw = v.GetRawText();
        return raw.Length <= 80 ? raw : raw[..77] + "...";
    }
}
