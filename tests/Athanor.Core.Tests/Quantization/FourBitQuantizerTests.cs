using Athanor.Configuration;
using Athanor.Native;
using Athanor.Quantization;
using static TorchSharp.torch;

namespace Athanor.Tests.Quantization;

/// <summary>The NF4/FP4 code books, the blockwise quantizer and dequantizer against their definitions and bitsandbytes' layout.</summary>
public sealed class FourBitQuantizerTests
{
    public FourBitQuantizerTests() => TorchRuntime.Initialize();

    [Fact]
    public void Nf4HoldsTheSixteenValuesOfTheQloraPaper()
    {
        float[] paper =
        [
            -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
            -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
            0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
        ];
        Assert.Equal(paper, FourBitCode.Nf4);
        // ... and those are the normal quantiles of the definition (to float32 precision of the linspace).
        var definition = NormalFloatReference.Nf4();
        for (int i = 0; i < 16; i++) Assert.True(Math.Abs(definition[i] - FourBitCode.Nf4[i]) < 2e-6, $"NF4[{i}] = {FourBitCode.Nf4[i]}, definition {definition[i]}");
    }

    [Fact]
    public void Fp4IsBitsandbytesListDividedByTwelve()
    {
        double[] expected = [0, 1 / 192.0, 2 / 3.0, 1, 1 / 3.0, 0.5, 1 / 6.0, 0.25];
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal((float)expected[i], FourBitCode.Fp4[i], 6);
            Assert.Equal(-FourBitCode.Fp4[i], FourBitCode.Fp4[i + 8]);
        }
    }

    [Fact]
    public void TheDynamicMapIsBitsandbytesSigned8BitCode()
    {
        var code = DynamicMap.Code;
        Assert.Equal(256, code.Length);
        Assert.True(code.Zip(code.Skip(1)).Count(p => p.First == p.Second) == 0 || code.Distinct().Count() == 256);
        Assert.Equal(1f, code[^1]);
        Assert.Equal(127, code.Count(v => v < 0));
        Assert.Equal(0f, code[127]);
        // The smallest magnitude: the one mean of decade 10^-6, 0.55e-6 in float32 arithmetic.
        Assert.Equal(0.55f * 1e-6f, code[128]);
        Assert.Equal(-0.55f * 1e-6f, code[126]);
        // The last decade has 64 means of linspace(0.1, 1, 65): the largest below 1 is (0.98593750 + 1) / 2.
        Assert.Equal(0.99296875f, code[254], 6);
        Assert.Equal(-0.99296875f, code[0], 6);
    }

    [Theory]
    [InlineData(QuantizationType.Nf4)]
    [InlineData(QuantizationType.Fp4)]
    public void EveryCodeValueTimesTheBlockAbsmaxRoundTripsExactly(QuantizationType type)
    {
        var book = FourBitCode.Values(type);
        const float absmax = 0.75f;
        // 64 values: each code value scaled by the absmax, cycling through the book, with +-absmax present.
        var values = Enumerable.Range(0, 64).Select(i => book[i % 16] * absmax).ToArray();
        using var weight = tensor(values).reshape(2, 32);
        using var q = FourBitQuantizer.Quantize(weight, type, doubleQuantization: false);
        using var back = q.Dequantize(ScalarType.Float32);
        Assert.Equal(values, back.reshape(-1).data<float>().ToArray());
        Assert.Equal(absmax, q.Absmax.item<float>());
    }

    [Fact]
    public void TwoCodesPerByteWithTheFirstElementInTheHighNibble()
    {
        // Block absmax 1: element 0 is 1.0 (NF4 code 15), element 1 is -1.0 (code 0), element 2 is 0 (code 7),
        // element 3 is 0.0796 (code 8); the rest 0.
        var values = new float[128];
        values[0] = 1f; values[1] = -1f; values[2] = 0f; values[3] = 0.07958029955625534f;
        values[64] = -0.5f; values[65] = 0.25f;
        using var weight = tensor(values).reshape(4, 32);
        using var q = FourBitQuantizer.Quantize(weight, QuantizationType.Nf4, doubleQuantization: false);
        Assert.Equal(new long[] { 64, 1 }, q.Packed.shape);
        Assert.Equal(ScalarType.Byte, q.Packed.dtype);
        var bytes = q.Packed.reshape(-1).data<byte>().ToArray();
        Assert.Equal(0xF0, bytes[0]);
        Assert.Equal(0x78, bytes[1]);
        Assert.Equal(0x77, bytes[2]);
        // Second block: absmax 0.5, so -0.5 -> -1 (code 0) and 0.25 -> 0.5 (nearest 0.44071, code 12).
        Assert.Equal(0x0C, bytes[32]);
        Assert.Equal(new[] { 1f, 0.5f }, q.Absmax.data<float>().ToArray());
    }

    [Theory]
    [InlineData(QuantizationType.Nf4)]
    [InlineData(QuantizationType.Fp4)]
    public void CodesOfRandomWeightsEqualTheScalarReference(QuantizationType type)
    {
        using var weight = randn(96, 80, generator: new Generator(5));
        using var q = FourBitQuantizer.Quantize(weight, type, doubleQuantization: false);
        var values = weight.reshape(-1).data<float>().ToArray();
        var bytes = q.Packed.reshape(-1).data<byte>().ToArray();
        var absmax = q.Absmax.data<float>().ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            int block = i / 64;
            float expectedMax = values.Skip(block * 64).Take(64).Max(Math.Abs);
            Assert.Equal(expectedMax, absmax[block]);
            int expected = FourBitCode.Nearest(type, Math.Clamp(values[i] * (1f / expectedMax), -1f, 1f));
            int actual = i % 2 == 0 ? bytes[i / 2] >> 4 : bytes[i / 2] & 15;
            Assert.True(expected == actual, $"element {i}: code {actual}, reference {expected} (x = {values[i]}, absmax {expectedMax})");
        }
    }

    [Fact]
    public void Nf4ErrorOnNormalWeightsIsWithinTheCodeSpacingAndBelowFp4()
    {
        using var weight = randn(256, 512, generator: new Generator(11));
        double Rms(QuantizationType type, bool dq, out double worstOverBound)
        {
            using var q = FourBitQuantizer.Quantize(weight, type, dq);
            using var back = q.Dequantize(ScalarType.Float32);
            using var error = back - weight;
            // No element is further from its value than half the widest gap of the book times its block's absmax,
            // plus (double-quantized) how far the decoded scale is from that absmax (|code| <= 1).
            var book = FourBitCode.Values(type).Order().ToArray();
            double halfGap = book.Zip(book.Skip(1)).Max(p => p.Second - p.First) / 2;
            using var blockMax = weight.reshape(-1, 64).abs().amax([1]).unsqueeze(1);
            using var scales = FourBitQuantizer.BlockScales(q).unsqueeze(1);
            using var bound = blockMax * halfGap + (scales - blockMax).abs() + 1e-6;
            using var ratio = error.reshape(-1, 64).abs() / bound;
            worstOverBound = ratio.max().item<float>();
            return Math.Sqrt(error.square().mean().item<float>());
        }
        double nf4 = Rms(QuantizationType.Nf4, false, out var nf4Worst);
        double fp4 = Rms(QuantizationType.Fp4, false, out var fp4Worst);
        double nf4Dq = Rms(QuantizationType.Nf4, true, out var nf4DqWorst);
        Assert.True(nf4Worst <= 1.0, $"an NF4 error exceeds half the code spacing: {nf4Worst:F4} of it");
        Assert.True(fp4Worst <= 1.0, $"an FP4 error exceeds half the code spacing: {fp4Worst:F4} of it");
        Assert.True(nf4DqWorst <= 1.0, $"a double-quantized NF4 error exceeds its bound: {nf4DqWorst:F4} of it");
        // Measured on this matrix (N(0, 1), 131072 values): RMS error NF4 0.0912, FP4 0.1212, NF4 + DQ 0.0912.
        Assert.True(nf4 is > 0.085 and < 0.1, $"NF4 RMS error {nf4:F4}");
        Assert.True(nf4 < fp4, $"NF4 should beat FP4 on normal weights (the QLoRA paper's point): {nf4:F4} vs {fp4:F4}");
        Assert.True(nf4Dq < nf4 * 1.01, $"double quantization should cost under 1% RMS: {nf4Dq:F4} vs {nf4:F4}");
        Console.WriteLine($"RMS error on N(0,1) 256x512: NF4 {nf4:F4}, FP4 {fp4:F4}, NF4+DQ {nf4Dq:F4}");
    }

    [Fact]
    public void DoubleQuantizationStoresScalesAs8BitCodesWithOffset()
    {
        // 300 blocks of 64: two groups of 256 scales (the second partial).
        using var weight = randn(300, 64, generator: new Generator(3)) * linspace(0.1, 3, 300).unsqueeze(1);
        using var plain = FourBitQuantizer.Quantize(weight, QuantizationType.Nf4, doubleQuantization: false);
        using var q = FourBitQuantizer.Quantize(weight, QuantizationType.Nf4, doubleQuantization: true);
        Assert.Equal(ScalarType.Byte, q.Absmax.dtype);
        Assert.Equal(new long[] { 300 }, q.Absmax.shape);
        var nested = q.Nested!;
        Assert.Equal(256, nested.BlockSize);
        Assert.Equal(new long[] { 2 }, nested.Absmax.shape);
        Assert.Equal(DynamicMap.Code, nested.Code.data<float>().ToArray());
        var absmax = plain.Absmax.data<float>().ToArray();
        Assert.Equal(absmax.Average(), nested.Offset, 5);
        // Each group's nested absmax is the largest |absmax - offset| in it.
        var centered = absmax.Select(a => a - nested.Offset).ToArray();
        Assert.Equal(centered.Take(256).Max(Math.Abs), nested.Absmax[0].item<float>(), 5);
        Assert.Equal(centered.Skip(256).Max(Math.Abs), nested.Absmax[1].item<float>(), 5);
        // Decoded: code[q] * nested_absmax + offset, close to the absmax (8-bit dynamic code: under 1% of the group's range).
        using var scales = FourBitQuantizer.BlockScales(q);
        var decoded = scales.data<float>().ToArray();
        var codes = q.Absmax.data<byte>().ToArray();
        for (int b = 0; b < 300; b++)
        {
            float expected = DynamicMap.Code[codes[b]] * nested.Absmax[b / 256].item<float>() + nested.Offset;
            Assert.Equal(expected, decoded[b]);
            Assert.True(Math.Abs(decoded[b] - absmax[b]) <= 0.01 * nested.Absmax[b / 256].item<float>(), $"block {b}: {decoded[b]} vs {absmax[b]}");
        }
        // The 4-bit codes do not depend on how the scales are stored.
        Assert.Equal(plain.Packed.data<byte>().ToArray(), q.Packed.data<byte>().ToArray());
    }

    [Fact]
    public void AnAllZeroBlockDecodesToZerosNotNaN()
    {
        using var weight = zeros(2, 64);
        using var q = FourBitQuantizer.Quantize(weight, QuantizationType.Nf4, doubleQuantization: true);
        using var back = q.Dequantize(ScalarType.Float32);
        Assert.All(back.reshape(-1).data<float>().ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Bf16WeightsQuantizeAndDequantizeToBf16()
    {
        using var weight = randn(64, 64, generator: new Generator(2)).to_type(ScalarType.BFloat16);
        using var q = FourBitQuantizer.Quantize(weight, QuantizationType.Nf4, doubleQuantization: true);
        Assert.Equal(ScalarType.BFloat16, q.Dtype);
        using var back = q.Dequantize(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, back.dtype);
        Assert.Equal(weight.shape, back.shape);
        // The same values as the float32 dequantization, rounded once.
        using var viaF32 = q.Dequantize(ScalarType.Float32).to_type(ScalarType.BFloat16);
        Assert.Equal(viaF32.to_type(ScalarType.Float32).data<float>().ToArray(), back.to_type(ScalarType.Float32).data<float>().ToArray());
    }
}
