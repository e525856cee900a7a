using Athanor.Kernels;
using Athanor.Native;
using static TorchSharp.torch;

namespace Athanor.Tests.Kernels;

/// <summary>The kernels' bf16 conversions (twinned in C# by Bf16) agree with libtorch's own bf16 cast.</summary>
public sealed class Bf16Tests
{
    public Bf16Tests() => TorchRuntime.Initialize();

    private static float[] Values()
    {
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 3.14159265f, 65504f, 1e-3f, float.MaxValue, -float.MaxValue, float.Epsilon, -float.Epsilon,
            float.PositiveInfinity, float.NegativeInfinity,
            BitConverter.UInt32BitsToSingle(0x00008000), // denormal that is exactly a tie
            BitConverter.UInt32BitsToSingle(0x007fffff), // largest denormal: rounds up to the smallest normal
            BitConverter.UInt32BitsToSingle(0x7f7fffff), // max float: rounds to infinity
        };
        // Exact ties between two bf16 values, with even and odd lower neighbours, and one ulp either side of them.
        foreach (uint hi in new uint[] { 0x3f80, 0x3f81, 0x4049, 0xc2f7, 0x0001, 0x7f00 })
            foreach (uint low in new uint[] { 0x8000, 0x7fff, 0x8001, 0x0000, 0xffff })
                values.Add(BitConverter.UInt32BitsToSingle((hi << 16) | low));
        var random = new Random(1234);
        for (int i = 0; i < 20000; i++) values.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));
        return values.Where(v => !float.IsNaN(v)).ToArray();
    }

    [Fact]
    public void FromFloat_rounds_like_libtorch_for_finite_infinite_and_denormal_values()
    {
        var values = Values();
        using var source = tensor(values);
        using var cast = source.to_type(ScalarType.BFloat16);
        var expected = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(cast.bytes).ToArray();
        for (int i = 0; i < values.Length; i++)
            Assert.True((ushort)expected[i] == Bf16.FromFloat(values[i]),
                $"value {values[i]:R} (0x{BitConverter.SingleToUInt32Bits(values[i]):x8}): libtorch 0x{(ushort)expected[i]:x4}, ours 0x{Bf16.FromFloat(values[i]):x4}");
    }

    [Fact]
    public void ToFloat_is_exact_like_libtorch_for_every_bf16_bit_pattern()
    {
        var all = Enumerable.Range(0, 1 << 16).Select(i => (short)i).ToArray();
        using var asBf16 = zeros(all.Length, ScalarType.BFloat16);
        asBf16.bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(all.AsSpan());
        using var widened = asBf16.to_type(ScalarType.Float32);
        var expected = widened.data<float>().ToArray();
        for (int i = 0; i < all.Length; i++)
        {
            float ours = Bf16.ToFloat((ushort)i);
            Assert.True(float.IsNaN(expected[i]) ? float.IsNaN(ours) : BitConverter.SingleToUInt32Bits(ours) == BitConverter.SingleToUInt32Bits(expected[i]),
                $"bf16 0x{i:x4}: libtorch {expected[i]:R}, ours {ours:R}");
        }
    }

    [Fact]
    public void NaN_stays_NaN_with_its_sign_whatever_its_payload()
    {
        foreach (uint nan in new uint[] { 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fbfffff, 0x7fffffff })
        {
            ushort b = Bf16.FromFloat(BitConverter.UInt32BitsToSingle(nan));
            Assert.True(float.IsNaN(Bf16.ToFloat(b)), $"0x{nan:x8} became 0x{b:x4}, not a NaN");
            Assert.Equal(nan >> 31, (uint)b >> 15);
        }
    }

    [Fact]
    public void The_kernel_prelude_implements_the_same_rounding_as_the_twin()
    {
        // The CUDA text and Bf16.FromFloat must say the same thing; a change to one without the other fails here.
        Assert.Contains("if ((u & 0x7fffffffu) > 0x7f800000u) return (bf16)((u >> 16) | 0x0040u);", KernelPrelude.Code);
        Assert.Contains("u += 0x7fffu + ((u >> 16) & 1u);", KernelPrelude.Code);
        Assert.Contains("__uint_as_float(((unsigned int)v) << 16)", KernelPrelude.Code);
    }
}
