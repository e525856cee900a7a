namespace Athanor.IO;

/// <summary>
/// A table-driven CRC-32 over a reflected polynomial, initial and final XOR 0xFFFFFFFF: the shape of zlib's
/// CRC-32 (PNG) and of CRC-32C (TFRecord), which differ only in the polynomial.
/// </summary>
public sealed class ReflectedCrc32
{
    private readonly uint[] _table = new uint[256];

    public ReflectedCrc32(uint reflectedPolynomial)
    {
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
                c = (c & 1) != 0 ? reflectedPolynomial ^ (c >> 1) : c >> 1;
            _table[n] = c;
        }
    }

    /// <summary>The running value before any byte; feed it to <see cref="Update"/>, then <see cref="Finish"/>.</summary>
    public const uint Start = 0xFFFFFFFFu;

    public uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
            crc = _table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    public static uint Finish(uint crc) => crc ^ 0xFFFFFFFFu;

    public uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Start, data));
}
