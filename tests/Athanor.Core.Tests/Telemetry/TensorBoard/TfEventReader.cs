using System.Buffers.Binary;
using System.Text;
using Athanor.Telemetry.TensorBoard;

namespace Athanor.Tests.Telemetry.TensorBoard;

/// <summary>One decoded Event: what TensorBoard would see in it.</summary>
internal sealed record TfEvent(double WallTime, long Step, string? FileVersion, int? SessionStatus, IReadOnlyList<(string Tag, float Value)> Scalars);

/// <summary>
/// An independent reader of event files for the tests: TFRecord framing with both CRCs checked, then a general
/// protobuf decoder (any field order, unknown fields skipped) for Event, Summary, Value and SessionLog.
/// </summary>
internal static class TfEventReader
{
    public static List<TfEvent> ReadFile(string path)
    {
        // The writer may still hold the file open: share it.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return Records(memory.ToArray()).Select(DecodeEvent).ToList();
    }

    /// <summary>The payload of each record, every length and data CRC verified.</summary>
    public static List<byte[]> Records(byte[] file)
    {
        var records = new List<byte[]>();
        int at = 0;
        while (at < file.Length)
        {
            if (file.Length - at < 12) throw new InvalidDataException($"truncated record header at byte {at}");
            var lengthBytes = file.AsSpan(at, 8);
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8, 4));
            if (lengthCrc != MaskedCrc32C(lengthBytes)) throw new InvalidDataException($"bad length CRC at byte {at}");
            at += 12;
            if ((ulong)(file.Length - at) < length + 4) throw new InvalidDataException($"truncated record data at byte {at}");
            var data = file.AsSpan(at, (int)length).ToArray();
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + (int)length, 4));
            if (dataCrc != MaskedCrc32C(data)) throw new InvalidDataException($"bad data CRC at byte {at}");
            at += (int)length + 4;
            records.Add(data);
        }
        return records;
    }

    /// <summary>
    /// CRC-32C computed bit by bit (no table), masked as TFRecord does: independent of the writer's table code.
    /// </summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        crc = ~crc;
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }

    public static TfEvent DecodeEvent(byte[] data)
    {
        double wallTime = 0; long step = 0; string? version = null; int? status = null;
        var scalars = new List<(string, float)>();
        foreach (var f in Fields(data))
        {
            switch (f.Number)
            {
                case 1: wallTime = BitConverter.Int64BitsToDouble((long)f.Fixed); break;
                case 2: step = (long)f.Varint; break;
                case 3: version = Encoding.UTF8.GetString(f.Bytes!); break;
                case 5:
                    foreach (var v in Fields(f.Bytes!).Where(v => v.Number == 1))
                    {
                        string tag = ""; float value = float.NaN;
                        foreach (var vf in Fields(v.Bytes!))
                        {
                            if (vf.Number == 1) tag = Encoding.UTF8.GetString(vf.Bytes!);
                            else if (vf.Number == 2) value = BitConverter.Int32BitsToSingle((int)vf.Fixed);
                        }
                        scalars.Add((tag, value));
                    }
                    break;
                case 7:
                    status = (int)(Fields(f.Bytes!).FirstOrDefault(s => s.Number == 1)?.Varint ?? 0);
                    break;
            }
        }
        return new TfEvent(wallTime, step, version, status, scalars);
    }

    private sealed record Field(int Number, ulong Varint, ulong Fixed, byte[]? Bytes);

    private static IEnumerable<Field> Fields(byte[] message)
    {
        int at = 0;
        while (at < message.Length)
        {
            ulong key = ReadVarint(message, ref at);
            int number = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0: yield return new Field(number, ReadVarint(message, ref at), 0, null); break;
                case 1: yield return new Field(number, 0, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(at, 8)), null); at += 8; break;
                case 2:
                    int length = (int)ReadVarint(message, ref at);
                    yield return new Field(number, 0, 0, message.AsSpan(at, length).ToArray());
                    at += length;
                    break;
                case 5: yield return new Field(number, 0, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at, 4)), null); at += 4; break;
                default: throw new InvalidDataException($"wire type {key & 7} at byte {at}");
            }
        }
    }

    private static ulong ReadVarint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
    }

    /// <summary>
    /// The scalars TensorBoard shows for a folder: files in name order, and a SessionLog START at step S hides the
    /// points of earlier events at step S and later (TensorBoard's purge of orphaned data).
    /// </summary>
    public static List<(long Step, string Tag, float Value)> MergedScalars(string logDir)
    {
        var points = new List<(long Step, string Tag, float Value)>();
        foreach (var file in Directory.GetFiles(logDir, EventFileWriter.FilePrefix + "*").Order(StringComparer.Ordinal))
        {
            foreach (var e in ReadFile(file))
            {
                if (e.SessionStatus == 1) points.RemoveAll(p => p.Step >= e.Step);
                points.AddRange(e.Scalars.Select(s => (e.Step, s.Tag, s.Value)));
            }
        }
        return points;
    }
}
