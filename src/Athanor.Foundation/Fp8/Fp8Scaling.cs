namespace Athanor.Fp8;

/// <summary>
/// Tensorwise dynamic scaling (fp8_recipe: tensorwise) as a pure reference: one scale per tensor, fp8_max / amax, so
/// the tensor's largest magnitude lands on the format's largest value. The arithmetic is float32, as on the GPU.
/// </summary>
public static class Fp8Scaling
{
    /// <summary>The largest magnitude; NaN if any element is NaN (so an overflow is never hidden by a max that skips it).</summary>
    public static float Amax(ReadOnlySpan<float> values)
    {
        float amax = 0;
        foreach (var v in values)
        {
            float a = Math.Abs(v);
            if (float.IsNaN(a)) return float.NaN;
            if (a > amax) amax = a;
        }
        return amax;
    }

    /// <summary>
    /// fp8_max / amax; 1 for an all-zero tensor; capped at float.MaxValue for an amax so small the quotient would
    /// overflow. False for an infinite or NaN amax: no scale can represent that tensor, the step must be skipped.
    /// </summary>
    public static bool TryTensorwiseScale(float amax, Fp8Format format, out float scale)
    {
        if (!float.IsFinite(amax))
        {
            scale = float.NaN;
            return false;
        }
        if (amax == 0)
        {
            scale = 1f;
            return true;
        }
        scale = format.Max / amax;
        if (float.IsInfinity(scale)) scale = float.MaxValue;
        return true;
    }

    /// <summary>What the GEMM multiplies its accumulator by to undo the scale (cuBLASLt's A/B scale pointers hold this).</summary>
    public static float InverseScale(float scale) => 1f / scale;

    /// <summary>codes[i] = encode(values[i] * scale), the product in float32 as the cast kernel computes it.</summary>
    public static void Quantize(ReadOnlySpan<float> values, Fp8Format format, float scale, Span<byte> codes)
    {
        if (codes.Length != values.Length) throw new ArgumentException($"{codes.Length} codes for {values.Length} values", nameof(codes));
        for (int i = 0; i < values.Length; i++) codes[i] = format.Encode(values[i] * scale);
    }

    /// <summary>values[i] = decode(codes[i]) * (1 / scale): what the fp8 GEMM sees of each element.</summary>
    public static void Dequantize(ReadOnlySpan<byte> codes, Fp8Format format, float scale, Span<float> values)
    {
        if (codes.Length != values.Length) throw new ArgumentException($"{values.Length} values for {codes.Length} codes", nameof(values));
        float inverse = InverseScale(scale);
        for (int i = 0; i < codes.Length; i++) values[i] = format.Decode(codes[i]) * inverse;
    }

    /// <summary>
    /// Quantize then dequantize with the tensor's own tensorwise scale; false (values untouched) when the amax is
    /// infinite or NaN.
    /// </summary>
    public static bool RoundTrip(ReadOnlySpan<float> values, Fp8Format format, Span<float> result, out float scale)
    {
        if (!TryTensorwiseScale(Amax(values), format, out scale)) return false;
        var codes = new byte[values.Length];
        Quantize(values, format, scale, codes);
        Dequantize(codes, format, scale, result);
        return true;
    }
}
