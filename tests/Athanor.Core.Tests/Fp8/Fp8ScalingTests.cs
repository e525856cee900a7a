using Athanor.Fp8;

namespace Athanor.Tests.Fp8;

/// <summary>Tensorwise scaling's reference: scale = fp8_max / amax, its edge cases, and quantize/dequantize of arrays.</summary>
public sealed class Fp8ScalingTests
{
    [Fact]
    public void TheScaleMapsTheAmaxOntoTheFormatsMax()
    {
        Assert.True(Fp8Scaling.TryTensorwiseScale(2f, Fp8Format.E4M3, out var scale));
        Assert.Equal(224f, scale);
        Assert.True(Fp8Scaling.TryTensorwiseScale(0.5f, Fp8Format.E5M2, out scale));
        Assert.Equal(114688f, scale);
        float[] values = [0.25f, -2f, 1f];
        var codes = new byte[3];
        Fp8Scaling.Quantize(values, Fp8Format.E4M3, 224f, codes);
        Assert.Equal(0xFE, codes[1]); // -2 * 224 = -448: the largest magnitude lands on -max
        Assert.Equal(Fp8Format.E4M3.Encode(56f), codes[0]);
    }

    [Fact]
    public void AnAllZeroTensorHasScaleOne()
    {
        Assert.Equal(0f, Fp8Scaling.Amax([0f, -0f, 0f]));
        Assert.True(Fp8Scaling.TryTensorwiseScale(0f, Fp8Format.E4M3, out var scale));
        Assert.Equal(1f, scale);
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public void AnInfiniteOrNaNAmaxHasNoScale(float bad)
    {
        Assert.False(Fp8Scaling.TryTensorwiseScale(bad, Fp8Format.E4M3, out _));
        Assert.False(Fp8Scaling.TryTensorwiseScale(bad, Fp8Format.E5M2, out _));
        var result = new float[3];
        Assert.False(Fp8Scaling.RoundTrip([1f, bad, 2f], Fp8Format.E4M3, result, out _));
    }

    [Fact]
    public void AmaxSeesNaNAndInfinityWhereverTheyAre()
    {
        Assert.True(float.IsNaN(Fp8Scaling.Amax([1f, 5f, float.NaN, 2f])));
        Assert.True(float.IsNaN(Fp8Scaling.Amax([float.NaN, 5f])));
        Assert.Equal(float.PositiveInfinity, Fp8Scaling.Amax([1f, float.NegativeInfinity]));
        Assert.Equal(7f, Fp8Scaling.Amax([1f, -7f, 3f]));
    }

    [Fact]
    public void ATinyAmaxGivesTheLargestFiniteScale()
    {
        Assert.True(Fp8Scaling.TryTensorwiseScale(1e-45f, Fp8Format.E4M3, out var scale));
        Assert.Equal(float.MaxValue, scale);
    }

    [Fact]
    public void RoundTripErrorIsWithinHalfAStepOfTheFormat()
    {
        // E4M3 keeps 3 mantissa bits: a normal value's relative error after rounding is at most 2^-4; E5M2's 2^-3.
        var random = new Random(3);
        var values = Enumerable.Range(0, 4096).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        foreach (var (format, bound) in new[] { (Fp8Format.E4M3, 1.0 / 16), (Fp8Format.E5M2, 1.0 / 8) })
        {
            var back = new float[values.Length];
            Assert.True(Fp8Scaling.RoundTrip(values, format, back, out var scale));
            for (int i = 0; i < values.Length; i++)
            {
                double scaled = Math.Abs(values[i] * scale);
                double step = scaled >= Math.ScaleB(1.0, format.MinNormalExponent) ? scaled * bound : format.SmallestSubnormal / 2;
                Assert.True(Math.Abs(back[i] - values[i]) * scale <= step * 1.0001, $"{format}: {values[i]} came back as {back[i]}");
            }
            Assert.Equal(Fp8Scaling.Amax(values), Fp8Scaling.Amax(back), 5); // the amax itself is exactly representable (it is max)
        }
    }
}
