using System.Text.Json;
using System.Text.Unicode;

namespace Athanor.Data.Formats;

/// <summary>Streams the records of one .json (top-level array, or JSON lines as Hugging Face's json loader
/// also accepts) or .jsonl file. Each record's bytes are checked for valid UTF-8 and parsed on their own, so a
/// bad line or element becomes a <see cref="RawRecord"/> with an <see cref="RawRecord.Error"/> naming file:line.</summary>
public static class JsonRecordReader
{
    public const int DefaultBufferSize = 1 << 16;

    public static IReadOnlyList<string> SupportedExtensions { get; } = [".json", ".jsonl"];

    public static IEnumerable<RawRecord> Read(string path, int bufferSize = DefaultBufferSize)
    {
        var extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (!SupportedExtensions.Contains(extension))
            throw new DatasetException($"{path}: unsupported file type '{extension}'; accepted: {string.Join(", ", SupportedExtensions)}.");
        if (!File.Exists(path))
            throw new DatasetException($"{path}: file not found.");
        return extension == ".json" && StartsWithArray(path) ? ReadArray(path, bufferSize) : ReadLines(path, bufferSize);
    }

    private static IEnumerable<RawRecord> ReadArray(string path, int bufferSize)
    {
        using var scanner = new JsonArrayScanner(path, bufferSize);
        while (scanner.MoveNext(out var bytes, out var line))
        {
            using var document = Parse(path, line, bytes, out var error);
            yield return new RawRecord(path, line, document?.RootElement ?? default, error);
        }
    }

    private static IEnumerable<RawRecord> ReadLines(string path, int bufferSize)
    {
        using var scanner = new JsonLinesScanner(path, bufferSize);
        while (scanner.MoveNext(out var bytes, out var line))
        {
            using var document = Parse(path, line, bytes, out var error);
            yield return new RawRecord(path, line, document?.RootElement ?? default, error);
        }
    }

    /// <summary>Parses one record without copying its bytes; null with an error for invalid UTF-8 or JSON.</summary>
    private static JsonDocument? Parse(string path, long line, ReadOnlyMemory<byte> bytes, out BadRecord? error)
    {
        var span = bytes.Span;
        if (!Utf8.IsValid(span))
        {
            var (offset, badLine, value) = FirstInvalidUtf8(span);
            error = new BadRecord(BadRecordKind.InvalidUtf8, path, line + badLine,
                $"invalid UTF-8 byte 0x{value:X2} (record byte {offset}); the file must be UTF-8 encoded.");
            return null;
        }
        try
        {
            error = null;
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            error = new BadRecord(BadRecordKind.MalformedJson, path, line + (ex.LineNumber ?? 0),
                $"malformed JSON: {JsonErrors.Describe(ex)}; expected one JSON object per line.");
            return null;
        }
    }

    private static (int Offset, long LineOffset, byte Value) FirstInvalidUtf8(ReadOnlySpan<byte> span)
    {
        var i = 0;
        while (i < span.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(span[i..], out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
                return (i, span[..i].Count((byte)'\n'), span[i]);
            i += consumed;
        }
        return (0, 0, 0);
    }

    /// <summary>Whether the first non-blank byte (after a BOM) is '['; otherwise the file is read as JSON lines.</summary>
    private static bool StartsWithArray(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        Span<byte> chunk = stackalloc byte[4096];
        var first = true;
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            var data = chunk[..read];
            if (first && data.StartsWith("\uFEFF"u8))
                data = data[3..];
            first = false;
            var index = data.IndexOfAnyExcept(" \t\r\n"u8);
            if (index >= 0)
                return data[index] == (byte)'[';
        }
        return true; // empty file: the array reader reports it
    }
}
