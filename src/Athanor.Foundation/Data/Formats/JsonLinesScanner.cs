namespace Athanor.Data.Formats;

/// <summary>Yields the non-blank lines of a file as bytes (without the line break), reading in chunks.</summary>
internal sealed class JsonLinesScanner : IDisposable
{
    private readonly ByteBuffer _buffer;

    public JsonLinesScanner(string path, int bufferSize)
    {
        _buffer = new ByteBuffer(path, bufferSize);
        _buffer.SkipBom();
    }

    /// <summary>The next non-blank line (valid until the next call) and its 1-based number.</summary>
    public bool MoveNext(out ReadOnlyMemory<byte> lineBytes, out long line)
    {
        while (true)
        {
            var newline = _buffer.Unconsumed.IndexOf((byte)'\n');
            if (newline < 0 && !_buffer.Eof)
            {
                _buffer.Refill();
                continue;
            }
            var start = _buffer.Start;
            var length = newline < 0 ? _buffer.End - start : newline;
            if (newline < 0 && length == 0)
            {
                lineBytes = default;
                line = 0;
                return false;
            }
            _buffer.Start = start + length + (newline < 0 ? 0 : 1);
            var bytes = _buffer.Bytes.AsMemory(start, length);
            if (bytes.Span.EndsWith((byte)'\r'))
                bytes = bytes[..^1];
            if (IsBlank(bytes.Span))
                continue;
            line = _buffer.LineAt(start);
            lineBytes = bytes;
            return true;
        }
    }

    private static bool IsBlank(ReadOnlySpan<byte> bytes) => bytes.IndexOfAnyExcept(" \t\r"u8) < 0;

    public void Dispose() => _buffer.Dispose();
}
