using System.Text.Json;

namespace Athanor.Data.Formats;

/// <summary>Finds the elements of a file's top-level JSON array one at a time with <see cref="Utf8JsonReader"/>
/// over a chunked buffer, so the file is never held whole. A structural JSON error is fatal here (after it
/// the array cannot be re-synchronised), so it throws <see cref="DatasetException"/> with file:line.</summary>
internal sealed class JsonArrayScanner : IDisposable
{
    private enum Phase { BeforeArray, InArray, AfterArray, Done }

    private enum Step { Continue, Element, NeedMore }

    private readonly string _path;
    private readonly ByteBuffer _buffer;
    private JsonReaderState _state;
    private Phase _phase = Phase.BeforeArray;

    public JsonArrayScanner(string path, int bufferSize)
    {
        _path = path;
        _buffer = new ByteBuffer(path, bufferSize);
        _buffer.SkipBom();
    }

    /// <summary>The next element's bytes (valid until the next call) and its 1-based start line; false after ']'.</summary>
    public bool MoveNext(out ReadOnlyMemory<byte> element, out long line)
    {
        while (_phase != Phase.Done)
        {
            var step = TryStep(out var start, out var end);
            if (step == Step.Element)
            {
                line = _buffer.LineAt(start);
                element = _buffer.Bytes.AsMemory(start, end - start);
                return true;
            }
            if (step == Step.NeedMore && !_buffer.Refill())
            {
                if (_phase == Phase.AfterArray)
                    _phase = Phase.Done;
                else
                    throw Truncated();
            }
        }
        element = default;
        line = 0;
        return false;
    }

    private Step TryStep(out int start, out int end)
    {
        start = end = 0;
        if (_phase == Phase.BeforeArray && _buffer.Eof && _buffer.Unconsumed.IndexOfAnyExcept(" \t\r\n"u8) < 0)
            throw Truncated(); // Utf8JsonReader would only say "no JSON tokens"
        var offset = _buffer.Start;
        var reader = new Utf8JsonReader(_buffer.Unconsumed, _buffer.Eof, _state);
        try
        {
            if (!reader.Read())
                return Step.NeedMore;
            switch (_phase)
            {
                case Phase.BeforeArray:
                    if (reader.TokenType != JsonTokenType.StartArray)
                        throw new DatasetException(
                            $"{_path}:{_buffer.LineAt(offset + (int)reader.TokenStartIndex)}: the file starts with a JSON {reader.TokenType}; " +
                            "a .json dataset must be a top-level array of records ([{...}, ...]) or one JSON object per line.");
                    _phase = Phase.InArray;
                    break;
                case Phase.InArray:
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        _phase = Phase.AfterArray;
                        break;
                    }
                    start = offset + (int)reader.TokenStartIndex;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && !reader.TrySkip())
                        return Step.NeedMore; // element not complete in the window: retry from the same state after a refill
                    end = offset + (int)reader.BytesConsumed;
                    Commit(ref reader, offset);
                    return Step.Element;
                default:
                    // Utf8JsonReader throws for anything after the single top-level value; reaching here is a bug.
                    throw new DatasetException($"{_path}: unexpected {reader.TokenType} after the top-level array.");
            }
            Commit(ref reader, offset);
            return Step.Continue;
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            throw new DatasetException(
                $"{_path}:{line}: malformed JSON: {JsonErrors.Describe(ex)}. The top-level array cannot be read past this point; " +
                "fix the file (accepted: a JSON array of objects, or JSON lines).", ex);
        }
    }

    private void Commit(ref Utf8JsonReader reader, int offset)
    {
        _state = reader.CurrentState;
        _buffer.Start = offset + (int)reader.BytesConsumed;
    }

    private DatasetException Truncated() => _phase == Phase.BeforeArray
        ? new DatasetException($"{_path}: the file is empty; expected a JSON array of records or JSON lines.")
        : new DatasetException($"{_path}:{_buffer.LineAt(_buffer.End)}: the file ends inside the top-level array (truncated?); expected a closing ']'.");

    public void Dispose() => _buffer.Dispose();
}
