using Athanor.IO;

namespace Athanor.Telemetry.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial and final XOR 0xFFFFFFFF), the checksum
/// of TFRecord framing. System.IO.Hashing's Crc32 is the zlib polynomial, not this one.
/// </summary>
public static class Crc32C
{
    private static readonly ReflectedCrc32 Castagnoli = new(0x82F63B78u);

    public static uint Compute(ReadOnlySpan<byte> data) => Castagnoli.Compute(data);

    /// <summary>
    /// TFRecord stores CRCs masked (rotated right by 15, plus a constant), because a CRC of data that
    /// itself holds CRCs is weak.
    /// </summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;

    /// <summary>The masked CRC-32C of <paramref name="data"/>, as TFRecord writes it.</summary>
    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
