using System.Text.Json;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>
/// Parses and validates the JSON header of a safetensors file: every entry well formed, sizes consistent with
/// shape and dtype, and the byte ranges tiling the data section exactly (no overlap, no gap, nothing past the end).
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>Same cap as the reference implementation: a larger header is a corrupt length, not a real model.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    public const string MetadataKey = "__metadata__";

    private SafetensorsHeader(Dictionary<string, TensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    public Dictionary<string, TensorInfo> Tensors { get; }

    public Dictionary<string, string> Metadata { get; }

    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException ex)
        {
            throw new SafetensorsFormatException(path, $"header is not valid JSON ({ex.Message}); expected a UTF-8 JSON object after the 8-byte length", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(path, $"header is a JSON {root.ValueKind}, expected an object of tensor entries");

            var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seenMetadata = false;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (seenMetadata)
                        throw new SafetensorsFormatException(path, $"header has '{MetadataKey}' twice");
                    seenMetadata = true;
                    ReadMetadata(path, property.Value, metadata);
                    continue;
                }
                var info = ReadEntry(path, property.Name, property.Value, dataLength);
                if (!tensors.TryAdd(info.Name, info))
                    throw new SafetensorsFormatException(path, $"tensor '{info.Name}' appears twice in the header; names must be unique");
            }

            CheckCoverage(path, tensors.Values, dataLength);
            return new SafetensorsHeader(tensors, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind == JsonValueKind.Null) return;
        if (element.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, $"'{MetadataKey}' is a JSON {element.ValueKind}, expected an object of string values");
        foreach (var item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsFormatException(path,
                    $"'{MetadataKey}' key '{item.Name}' has a JSON {item.Value.ValueKind} value ({item.Value.GetRawText()}); metadata values must be strings");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static TensorInfo ReadEntry(string path, string name, JsonElement entry, long dataLength)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw Bad(path, name, $"is a JSON {entry.ValueKind}, expected an object with dtype, shape and data_offsets");

        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad(path, name, $"has no string 'dtype'; accepted: {SafetensorsDtype.SupportedList}");
        var dtype = dtypeElement.GetString()!;
        if (!SafetensorsDtype.TryGetScalarType(dtype, out var scalarType))
            throw Bad(path, name, $"has dtype '{dtype}', which is not supported; accepted: {SafetensorsDtype.SupportedList}");

        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad(path, name, "has no 'shape' array; expected a list of non-negative integers such as [32,64]");
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var dimElement in shapeElement.EnumerateArray())
        {
            if (dimElement.ValueKind != JsonValueKind.Number || !dimElement.TryGetInt64(out var dim))
                throw Bad(path, name, $"has shape entry {dimElement.GetRawText()} at index {i}; dimensions must be integers >= 0");
            if (dim < 0)
                throw Bad(path, name, $"has negative dimension {dim} at index {i} of shape {shapeElement.GetRawText()}; dimensions must be >= 0");
            shape[i++] = dim;
        }

        if (!entry.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw Bad(path, name, "has no 'data_offsets' pair; expected [begin, end] byte offsets into the data section");
        var begin = ReadOffset(path, name, offsetsElement[0]);
        var end = ReadOffset(path, name, offsetsElement[1]);
        if (end < begin)
            throw Bad(path, name, $"has data_offsets [{begin},{end}] whose end is before its begin");
        if (end > dataLength)
            throw Bad(path, name,
                $"has data_offsets [{begin},{end}] but the data section holds only {dataLength} bytes (truncated file or wrong offsets)");

        var elementSize = SafetensorsDtype.ElementSize(scalarType);
        long expectedBytes;
        try
        {
            long count = 1;
            foreach (var dim in shape) count = checked(count * dim);
            expectedBytes = checked(count * elementSize);
        }
        catch (OverflowException)
        {
            throw Bad(path, name, $"has shape {TensorInfo.FormatShape(shape)} whose size overflows 64 bits");
        }
        if (expectedBytes != end - begin)
            throw Bad(path, name,
                $"has shape {TensorInfo.FormatShape(shape)} ({expectedBytes} bytes as {dtype}) but data_offsets span {end - begin} bytes");

        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long ReadOffset(string path, string name, JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value) || value < 0)
            throw Bad(path, name, $"has data_offsets entry {element.GetRawText()}; offsets must be integers >= 0");
        return value;
    }

    /// <summary>The byte ranges, sorted, must follow each other from 0 to the end of the data section.</summary>
    private static void CheckCoverage(string path, IEnumerable<TensorInfo> tensors, long dataLength)
    {
        var sorted = tensors.ToArray();
        Array.Sort(sorted, static (a, b) =>
        {
            var c = a.Begin.CompareTo(b.Begin);
            if (c == 0) c = a.End.CompareTo(b.End);
            return c != 0 ? c : string.CompareOrdinal(a.Name, b.Name);
        });

        long covered = 0;
        TensorInfo? previous = null;
        foreach (var info in sorted)
        {
            if (info.Begin < covered)
                throw Bad(path, info.Name,
                    $"has data_offsets [{info.Begin},{info.End}] overlapping tensor '{previous!.Name}' at [{previous.Begin},{previous.End}]; byte ranges must not overlap");
            if (info.Begin > covered)
                throw Bad(path, info.Name,
                    $"starts at data offset {info.Begin} but the bytes before it end at {covered}" +
                    (previous is null ? "" : $" (after tensor '{previous.Name}')") +
                    "; tensors must cover the data section without gaps");
            covered = info.End;
            if (info.End > info.Begin) previous = info;
        }
        if (covered != dataLength)
            throw new SafetensorsFormatException(path,
                $"the data section holds {dataLength} bytes but the tensors cover only {covered}" +
                (previous is null ? "" : $" (the last ends with tensor '{previous.Name}')") +
                "; tensors must cover the data section exactly");
    }

    private static SafetensorsFormatException Bad(string path, string name, string what) =>
        new(path, $"tensor '{name}' {what}");
}
