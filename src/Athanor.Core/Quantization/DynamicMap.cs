using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// bitsandbytes' signed 8-bit dynamic data type (bitsandbytes/functional.py, create_dynamic_map with signed=True,
/// max_exponent_bits=7, total_bits=8): for each decade 10^-6 .. 10^0, 2^i evenly spaced fraction means, positive and
/// negative, plus 0 and 1; 256 sorted float32 values. Double quantization stores the block scales in this code.
/// Built with libtorch's own linspace and float32 arithmetic, so the values are bit-for-bit those bitsandbytes writes
/// as nested_quant_map.
/// </summary>
public static class DynamicMap
{
    public const int Size = 256;

    private static readonly Lazy<float[]> Values = new(Build);

    /// <summary>The 256 values, sorted ascending.</summary>
    public static float[] Code => Values.Value;

    private static float[] Build()
    {
        const int maxExponentBits = 7;
        var data = new List<float>(Size);
        using var _ = NewDisposeScope();
        for (int i = 0; i < maxExponentBits; i++)
        {
            long items = (1L << i) + 1;
            var boundaries = linspace(0.1, 1.0, items, dtype: ScalarType.Float32);
            var means = (boundaries.narrow(0, 0, items - 1) + boundaries.narrow(0, 1, items - 1)) / 2.0;
            double scale = Math.Pow(10, -(maxExponentBits - 1) + i);
            data.AddRange((means * scale).data<float>().ToArray());
            data.AddRange((means * -scale).data<float>().ToArray());
        }
        data.Add(0f);
        data.Add(1f);
        if (data.Count != Size) throw new InvalidOperationException($"the dynamic map has {data.Count} values, not {Size}");
        data.Sort();
        return data.ToArray();
    }
}
