namespace Athanor.Kernels;

/// <summary>The C# twin of the kernels' bf16 bit conversions (KernelPrelude), so they can be tested on any machine.</summary>
public static class Bf16
{
    public static float ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Round to nearest, ties to even; NaN stays NaN (sign and upper payload kept, quiet bit set).</summary>
    public static ushort FromFloat(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort)((u >> 16) | 0x0040u);
        u += 0x7fffu + ((u >> 16) & 1u);
        return (ushort)(u >> 16);
    }
}
