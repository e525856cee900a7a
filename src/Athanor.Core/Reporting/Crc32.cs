using Athanor.IO;

namespace Athanor.Reporting;

/// <summary>
/// CRC-32 as PNG and zlib define it (reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF).
/// Written here because System.IO.Hashing is a separate package.
/// </summary>
public static class Crc32
{
    private static readonly ReflectedCrc32 Zlib = new(0xEDB88320u);

    public static uint Compute(ReadOnlySpan<byte> data) => Zlib.Compute(data);

    /// <summary>The running value before any byte; feed it to <see cref="Update"/>, then <see cref="Finish"/>.</summary>
    public const uint Start = ReflectedCrc32.Start;

    public static uint Update(uint crc, ReadOnlySpan<byte> data) => Zlib.Update(crc, data);

    public static uint Finish(uint crc) => ReflectedCrc32.Finish(crc);
}
