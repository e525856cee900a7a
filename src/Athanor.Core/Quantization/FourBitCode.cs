using Athanor.Configuration;

namespace Athanor.Quantization;

/// <summary>
/// The 16 values a 4-bit code stands for, as bitsandbytes defines them (bitsandbytes/functional.py, get_4bit_type;
/// the same constants as dDequantizeNF4 / dDequantizeFP4Tree in csrc/kernels.cu), and the nearest-value rule its CUDA
/// quantizer applies (dQuantizeNF4 / dQuantizeFP4: a decision tree on the midpoints between neighbouring values).
/// </summary>
public static class FourBitCode
{
    /// <summary>NF4: the QLoRA paper's 4-bit NormalFloat, index 7 is exactly zero, index 15 is 1.</summary>
    public static readonly float[] Nf4 =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>
    /// FP4 (1 sign bit, 2 exponent, 1 mantissa): bitsandbytes lists 0, 0.0625, 8, 12, 4, 6, 2, 3 (and their negatives
    /// with bit 3 set) and divides by the largest, 12, in float32; the code is not sorted.
    /// </summary>
    public static readonly float[] Fp4 = Fp4Values();

    public static float[] Values(QuantizationType type) => type == QuantizationType.Nf4 ? Nf4 : Fp4;

    /// <summary>bitsandbytes' name of the type ("nf4", "fp4"), as in quant_state.bitsandbytes__nf4.</summary>
    public static string Name(QuantizationType type) => type == QuantizationType.Nf4 ? "nf4" : "fp4";

    public static QuantizationType? Parse(string name) => name switch
    {
        "nf4" => QuantizationType.Nf4,
        "fp4" => QuantizationType.Fp4,
        _ => null,
    };

    private static float[] Fp4Values()
    {
        float[] raw = [0f, 0.0625f, 8f, 12f, 4f, 6f, 2f, 3f, -0f, -0.0625f, -8f, -12f, -4f, -6f, -2f, -3f];
        return raw.Select(v => v / 12f).ToArray();
    }

    /// <summary>
    /// The index of the value nearest to x (x in [-1, 1], already divided by its block's absmax), the way bitsandbytes'
    /// CUDA quantizer picks it: NF4 compares with the midpoints between sorted neighbours (computed in double and
    /// compared in float, as the kernel's literal thresholds are); FP4 takes the sign bit, then the nearest magnitude.
    /// A value exactly on a midpoint goes to the lower neighbour. The reference the vectorised quantizer is tested against.
    /// </summary>
    public static int Nearest(QuantizationType type, float x)
    {
        if (type == QuantizationType.Nf4)
        {
            int index = 0;
            for (int i = 0; i < 15; i++)
                if (x > Nf4Midpoints[i]) index = i + 1;
            return index;
        }
        int sign = x < 0 ? 8 : 0;
        float a = Math.Abs(x);
        int m = 0;
        for (int i = 0; i < 7; i++)
            if (a > Fp4MagnitudeMidpoints[i]) m = i + 1;
        return sign | Fp4MagnitudeCodes[m];
    }

    /// <summary>Thresholds between NF4's sorted values (float32 of the double midpoints).</summary>
    internal static readonly float[] Nf4Midpoints =
        Enumerable.Range(0, 15).Select(i => (float)(((double)Nf4[i] + Nf4[i + 1]) / 2)).ToArray();

    /// <summary>FP4's non-negative magnitudes in increasing order, and the 3-bit code of each.</summary>
    internal static readonly int[] Fp4MagnitudeCodes = [0, 1, 6, 7, 4, 5, 2, 3];

    internal static readonly float[] Fp4MagnitudeMidpoints =
        Enumerable.Range(0, 7).Select(i => (float)(((double)Fp4[Fp4MagnitudeCodes[i]] + Fp4[Fp4MagnitudeCodes[i + 1]]) / 2)).ToArray();
}
