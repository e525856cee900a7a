using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Athanor.Data.Formats;

/// <summary>Typed column access on one record; every problem becomes a <see cref="BadRecordException"/>
/// naming the column, the JSON type found and what is accepted.</summary>
internal static class RecordFields
{
    private static readonly JsonWriterOptions CompactWriter = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void RequireObject(JsonElement record)
    {
        if (record.ValueKind != JsonValueKind.Object)
            throw new BadRecordException(BadRecordKind.NotAnObject, $"the record is a JSON {record.ValueKind}; expected an object of columns.");
    }

    /// <summary>A present, non-null string column.</summary>
    public static string RequiredString(JsonElement record, string column, string role)
    {
        if (!record.TryGetProperty(column, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new BadRecordException(BadRecordKind.MissingColumn, $"missing column '{column}' ({role}); expected a string.");
        return AsString(value, $"column '{column}'");
    }

    /// <summary>A string column that may be absent or null (then null).</summary>
    public static string? OptionalString(JsonElement record, string? column)
    {
        if (column is null || !record.TryGetProperty(column, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return AsString(value, $"column '{column}'");
    }

    /// <summary>A string, or a JSON object/array given as its compact JSON text (tool schemas).</summary>
    public static string? OptionalJsonText(JsonElement record, string? column)
    {
        if (column is null || !record.TryGetProperty(column, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            var output = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(output, CompactWriter))
                value.WriteTo(writer);
            return System.Text.Encoding.UTF8.GetString(output.WrittenSpan);
        }
        if (value.ValueKind != JsonValueKind.String)
            throw new BadRecordException(BadRecordKind.WrongType, $"column '{column}' is a JSON {value.ValueKind}; expected a string or a JSON array/object of tools.");
        return AsString(value, $"column '{column}'");
    }

    public static string AsString(JsonElement value, string what)
    {
        if (value.ValueKind != JsonValueKind.String)
            throw new BadRecordException(BadRecordKind.WrongType, $"{what} is a JSON {value.ValueKind}; expected a string.");
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new BadRecordException(BadRecordKind.InvalidText, $"{what} cannot be decoded: {ex.Message}");
        }
    }

    /// <summary>Empty values mean "none" in LLaMA-Factory's system/tools columns.</summary>
    public static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
