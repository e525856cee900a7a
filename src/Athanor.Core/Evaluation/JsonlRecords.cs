using System.Text.Json;

namespace Athanor.Evaluation;

/// <summary>The non-blank lines of a JSONL file as JSON objects, each failure naming file:line.</summary>
internal static class JsonlRecords
{
    public static IEnumerable<(int Line, JsonElement Record)> Read(string path, string expected)
    {
        if (!File.Exists(path)) throw new EvalInputException($"{path}: file not found (expected JSONL: {expected} per line)");
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement record;
            try
            {
                using var doc = JsonDocument.Parse(line);
                record = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new EvalInputException($"{path}:{lineNo}: not valid JSON ({ex.Message}); expected {expected}", ex);
            }
            if (record.ValueKind != JsonValueKind.Object)
                throw new EvalInputException($"{path}:{lineNo}: expected a JSON object {expected}, got {record.ValueKind.ToString().ToLowerInvariant()}");
            yield return (lineNo, record);
        }
    }

    /// <summary>A text field (numbers are taken as written); null when absent. Other kinds are errors.</summary>
    public static string? Text(JsonElement record, string path, int line, params string[] keys)
    {
        foreach (var key in keys)
        {
            if (!record.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) continue;
            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Number => value.GetRawText(),
                _ => throw new EvalInputException($"{path}:{line}: \"{key}\" is {value.GetRawText()}; expected a string"),
            };
        }
        return null;
    }
}
