namespace Athanor.Fp8;

/// <summary>
/// One of the two OCP 8-bit floating-point formats (OCP 8-bit Floating Point Specification, v1.0), as a pure
/// reference: encode with round-to-nearest-even and saturation to the largest finite value (what CUDA's
/// <c>__nv_cvt_float_to_fp8(..., __NV_SATFINITE, ...)</c> does), and decode. The GPU path casts with its own
/// kernels; this is what CPU tests hold them to.
/// </summary>
public sealed record Fp8Format
{
    /// <summary>E4M3 "fn": 4 exponent bits (bias 7), 3 mantissa bits, max 448, no infinities, NaN is S.1111.111.</summary>
    public static readonly Fp8Format E4M3 = new("e4m3", exponentBits: 4, mantissaBits: 3, bias: 7, max: 448f, hasInfinity: false);

    /// <summary>E5M2: 5 exponent bits (bias 15), 2 mantissa bits, max 57344, infinities S.11111.00, NaN S.11111.{01,10,11}.</summary>
    public static readonly Fp8Format E5M2 = new("e5m2", exponentBits: 5, mantissaBits: 2, bias: 15, max: 57344f, hasInfinity: true);

    private Fp8Format(string name, int exponentBits, int mantissaBits, int bias, float max, bool hasInfinity)
    {
        Name = name;
        ExponentBits = exponentBits;
        MantissaBits = mantissaBits;
        Bias = bias;
        Max = max;
        HasInfinity = hasInfinity;
    }

    public string Name { get; }
    public int ExponentBits { get; }
    public int MantissaBits { get; }
    public int Bias { get; }

    /// <summary>The largest finite value.</summary>
    public float Max { get; }

    public bool HasInfinity { get; }

    /// <summary>The exponent of the smallest normal value (1 - bias): below it values are subnormal, in steps of <see cref="SmallestSubnormal"/>.</summary>
    public int MinNormalExponent => 1 - Bias;

    /// <summary>2^(1 - bias - mantissa bits): 2^-9 for E4M3, 2^-16 for E5M2.</summary>
    public double SmallestSubnormal => Math.ScaleB(1.0, MinNormalExponent - MantissaBits);

    /// <summary>The positive NaN code this encoder writes (0x7F for both formats, the sign bit kept).</summary>
    public byte NaNCode => 0x7F;

    private int ExponentMask => (1 << ExponentBits) - 1;
    private int MantissaMask => (1 << MantissaBits) - 1;

    public bool IsNaN(byte code)
    {
        int e = (code >> MantissaBits) & ExponentMask, f = code & MantissaMask;
        return HasInfinity ? e == ExponentMask && f != 0 : e == ExponentMask && f == MantissaMask;
    }

    public float Decode(byte code)
    {
        bool negative = (code & 0x80) != 0;
        int e = (code >> MantissaBits) & ExponentMask, f = code & MantissaMask;
        if (IsNaN(code)) return float.NaN;
        double magnitude;
        if (HasInfinity && e == ExponentMask) magnitude = double.PositiveInfinity;
        else if (e == 0) magnitude = f * SmallestSubnormal;
        else magnitude = Math.ScaleB(1.0 + f / (double)(1 << MantissaBits), e - Bias);
        return (float)(negative ? -magnitude : magnitude);
    }

    /// <summary>
    /// The code nearest to <paramref name="value"/>, ties to the even mantissa; magnitudes above <see cref="Max"/>
    /// (infinities included) saturate to ±Max; NaN gives <see cref="NaNCode"/> with the sign kept; -0 stays -0.
    /// </summary>
    public byte Encode(float value)
    {
        int sign = float.IsNegative(value) ? 0x80 : 0;
        if (float.IsNaN(value)) return (byte)(sign | NaNCode);
        double a = Math.Abs((double)value);
        if (a == 0) return (byte)sign;
        if (a >= Max) return (byte)(sign | CodeOf(Max)); // infinities included: their exponent has no quantum
        // The step between neighbours at a's binade (or the subnormal step below the smallest normal); a / quantum
        // is exact in double, so Math.Round's ties-to-even is the format's.
        int exponent = Math.Max(Math.ILogB(a), MinNormalExponent);
        double quantum = Math.ScaleB(1.0, exponent - MantissaBits);
        double rounded = Math.Round(a / quantum, MidpointRounding.ToEven) * quantum;
        if (rounded > Max) rounded = Max;
        return (byte)(sign | CodeOf(rounded));
    }

    /// <summary>The 7-bit code of a non-negative value already on the format's grid and at most Max.</summary>
    private int CodeOf(double onGrid)
    {
        if (onGrid == 0) return 0;
        int e = Math.ILogB(onGrid);
        if (e < MinNormalExponent) return (int)(onGrid / SmallestSubnormal);
        int f = (int)(Math.ScaleB(onGrid, MantissaBits - e) - (1 << MantissaBits));
        return ((e + Bias) << MantissaBits) | f;
    }

    public override string ToString() => Name;
}
