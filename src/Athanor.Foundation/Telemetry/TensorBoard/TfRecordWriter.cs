using System.Buffers.Binary;

namespace Athanor.Telemetry.TensorBoard;

/// <summary>
/// TFRecord framing: uint64 little-endian length, masked CRC-32C of those 8 bytes, the data, masked CRC-32C of
/// the data. Each record is flushed to the operating system as it is written, so a run that crashes keeps
/// everything it logged.
/// </summary>
public sealed class TfRecordWriter(Stream stream) : IDisposable
{
    public void Write(ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
        stream.Flush();
    }

    public void Dispose() => stream.Dispose();
}
