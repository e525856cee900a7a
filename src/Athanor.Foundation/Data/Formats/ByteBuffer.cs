namespace Athanor.Data.Formats;

/// <summary>A growable window over a file read in chunks, with 1-based line tracking, shared by the
/// JSON-array and JSON-lines scanners. Bytes before <see cref="Start"/> are dropped on refill.</summary>
internal sealed class ByteBuffer : IDisposable
{
    private readonly Stream _stream;
    private byte[] _bytes;
    private int _lineScan;   // position up to which newlines are counted into _line
    private long _line = 1;  // line number at _lineScan

    public ByteBuffer(string path, int initialSize)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        _bytes = new byte[Math.Max(16, initialSize)];
    }

    public byte[] Bytes => _bytes;

    /// <summary>First unconsumed byte.</summary>
    public int Start { get; set; }

    /// <summary>End of the valid bytes.</summary>
    public int End { get; private set; }

    public bool Eof { get; private set; }

    public ReadOnlySpan<byte> Unconsumed => _bytes.AsSpan(Start, End - Start);

    /// <summary>Drops consumed bytes, grows when the window is full, reads more. False when nothing more came (end of file).</summary>
    public bool Refill()
    {
        if (Eof)
            return false;
        if (Start > 0)
        {
            LineAt(Start);
            Buffer.BlockCopy(_bytes, Start, _bytes, 0, End - Start);
            End -= Start;
            _lineScan -= Start;
            Start = 0;
        }
        if (End == _bytes.Length)
            Array.Resize(ref _bytes, checked(_bytes.Length * 2));
        var read = _stream.Read(_bytes, End, _bytes.Length - End);
        if (read == 0)
        {
            Eof = true;
            return false;
        }
        End += read;
        return true;
    }

    /// <summary>Skips a UTF-8 byte order mark at the very start of the file.</summary>
    public void SkipBom()
    {
        while (End - Start < 3 && Refill()) { }
        if (Unconsumed.StartsWith("\uFEFF"u8))
            Start += 3;
        _lineScan = Start;
    }

    /// <summary>1-based line of the byte at <paramref name="position"/>; positions must not go backwards.</summary>
    public long LineAt(int position)
    {
        if (position > _lineScan)
        {
            _line += _bytes.AsSpan(_lineScan, position - _lineScan).Count((byte)'\n');
            _lineScan = position;
        }
        return _line;
    }

    public void Dispose() => _stream.Dispose();
}
