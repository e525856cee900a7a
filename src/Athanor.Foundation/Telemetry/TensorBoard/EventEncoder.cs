using System.Buffers.Binary;
using System.Text;

namespace Athanor.Telemetry.TensorBoard;

/// <summary>
/// Encodes the few TensorFlow <c>Event</c> protobufs an event file of scalars needs, by hand (the messages are
/// tiny and fixed): Event { double wall_time = 1; int64 step = 2; oneof { string file_version = 3;
/// Summary summary = 5; SessionLog session_log = 7; } }, Summary { repeated Value value = 1; },
/// Value { string tag = 1; float simple_value = 2; }, SessionLog { SessionStatus status = 1; }.
/// Sizes are computed first, so each event is written into one exact array.
/// </summary>
public static class EventEncoder
{
    /// <summary>The version string TensorBoard expects in an event file's first record.</summary>
    public const string FileVersion = "brain.Event:2";

    private const int WireVarint = 0, WireFixed64 = 1, WireLengthDelimited = 2, WireFixed32 = 5;
    private const int SessionStatusStart = 1;

    /// <summary>The first record of every event file: file_version "brain.Event:2".</summary>
    public static byte[] FileVersionEvent(double wallTime)
    {
        int versionBytes = Encoding.UTF8.GetByteCount(FileVersion);
        var w = new Writer(EventHeaderSize(0) + LengthDelimitedSize(versionBytes));
        w.EventHeader(wallTime, 0);
        w.Tag(3, WireLengthDelimited);
        w.String(FileVersion, versionBytes);
        return w.Done();
    }

    /// <summary>
    /// SessionLog START at <paramref name="step"/>: TensorBoard hides the points of earlier files at this step and
    /// later (what torch's SummaryWriter writes for purge_step), so a resumed run's curve does not show the steps
    /// logged after the checkpoint it resumed from twice.
    /// </summary>
    public static byte[] SessionStartEvent(double wallTime, long step)
    {
        const int sessionLogSize = 2; // tag + varint 1
        var w = new Writer(EventHeaderSize(step) + 1 + VarintSize(sessionLogSize) + sessionLogSize);
        w.EventHeader(wallTime, step);
        w.Tag(7, WireLengthDelimited);
        w.Varint((ulong)sessionLogSize);
        w.Tag(1, WireVarint);
        w.Varint(SessionStatusStart);
        return w.Done();
    }

    /// <summary>One event holding a summary with a simple_value for each (tag, value).</summary>
    public static byte[] ScalarsEvent(double wallTime, long step, IReadOnlyList<(string Tag, float Value)> scalars)
    {
        int summarySize = 0;
        Span<int> tagBytes = scalars.Count <= 64 ? stackalloc int[scalars.Count] : new int[scalars.Count];
        for (int i = 0; i < scalars.Count; i++)
        {
            tagBytes[i] = Encoding.UTF8.GetByteCount(scalars[i].Tag);
            summarySize += LengthDelimitedSize(ValueSize(tagBytes[i]));
        }
        var w = new Writer(EventHeaderSize(step) + LengthDelimitedSize(summarySize));
        w.EventHeader(wallTime, step);
        w.Tag(5, WireLengthDelimited);
        w.Varint((ulong)summarySize);
        for (int i = 0; i < scalars.Count; i++)
        {
            w.Tag(1, WireLengthDelimited);
            w.Varint((ulong)ValueSize(tagBytes[i]));
            w.Tag(1, WireLengthDelimited);
            w.String(scalars[i].Tag, tagBytes[i]);
            w.Tag(2, WireFixed32);
            w.Float(scalars[i].Value);
        }
        return w.Done();
    }

    // tag string (1), simple_value fixed32 (2)
    private static int ValueSize(int tagBytes) => LengthDelimitedSize(tagBytes) + 1 + 4;

    // One-byte field key + length varint + payload.
    private static int LengthDelimitedSize(int payload) => 1 + VarintSize((ulong)payload) + payload;

    // wall_time (key + 8 bytes), step when not 0 (proto3 leaves defaults out).
    private static int EventHeaderSize(long step) => 9 + (step == 0 ? 0 : 1 + VarintSize((ulong)step));

    private static int VarintSize(ulong value)
    {
        int size = 1;
        while (value >= 0x80) { value >>= 7; size++; }
        return size;
    }

    private ref struct Writer(int size)
    {
        private readonly byte[] _buffer = new byte[size];
        private int _at;

        public void EventHeader(double wallTime, long step)
        {
            Tag(1, WireFixed64);
            BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(_at), wallTime);
            _at += 8;
            if (step != 0)
            {
                Tag(2, WireVarint);
                Varint((ulong)step); // int64: negative values take ten bytes, as protobuf encodes them
            }
        }

        public void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

        public void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer[_at++] = (byte)(value | 0x80);
                value >>= 7;
            }
            _buffer[_at++] = (byte)value;
        }

        public void String(string text, int byteCount)
        {
            Varint((ulong)byteCount);
            _at += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_at));
        }

        public void Float(float value)
        {
            BinaryPrimitives.WriteSingleLittleEndian(_buffer.AsSpan(_at), value);
            _at += 4;
        }

        public readonly byte[] Done() =>
            _at == _buffer.Length ? _buffer : throw new InvalidOperationException($"event encoded to {_at} bytes, sized {_buffer.Length}");
    }
}
