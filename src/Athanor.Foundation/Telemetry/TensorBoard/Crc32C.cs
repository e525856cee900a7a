using System.Buffers.Binary;
using System.Numerics;

namespace Athanor.Telemetry.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of TFRecord framing, from <see cref="BitOperations.Crc32C(uint, ulong)"/>
/// (the CPU's CRC32 instruction where there is one). System.IO.Hashing's Crc32 is the zlib polynomial, not this one.
/// </summary>
public static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }
        foreach (byte b in data)
            crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    /// <summary>
    /// TFRecord stores CRCs masked (rotated right by 15, plus a constant), because a CRC of data that
    /// itself holds CRCs is weak.
    /// </summary>
    public static uint Mask(uint crc) => BitOperations.RotateRight(crc, 15) + 0xA282EAD8u;

    /// <summary>The masked CRC-32C of <paramref name="data"/>, as TFRecord writes it.</summary>
    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
