using Athanor.Fp8;

namespace Athanor.Tests.Fp8;

/// <summary>The pure E4M3/E5M2 reference against the OCP FP8 specification's values, derived by hand.</summary>
public sealed class Fp8FormatTests
{
    public static TheoryData<string> Formats => new() { "e4m3", "e5m2" };

    private static Fp8Format Format(string name) => name == "e4m3" ? Fp8Format.E4M3 : Fp8Format.E5M2;

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryCodeRoundTrips(string name)
    {
        var f = Format(name);
        int nan = 0, inf = 0;
        for (int code = 0; code < 256; code++)
        {
            var value = f.Decode((byte)code);
            if (float.IsNaN(value))
            {
                nan++;
                Assert.True(f.IsNaN(f.Encode(value)), $"{name} NaN code 0x{code:X2} encodes back to a NaN");
                continue;
            }
            if (float.IsInfinity(value))
            {
                inf++;
                // Saturating casts map infinities to the largest finite value of the same sign.
                Assert.Equal(value > 0 ? f.Max : -f.Max, f.Decode(f.Encode(value)));
                continue;
            }
            Assert.Equal((byte)code, f.Encode(value));
        }
        // E4M3fn: S.1111.111 only; E5M2: S.11111.{01,10,11} NaN and S.11111.00 infinities.
        Assert.Equal(name == "e4m3" ? 2 : 6, nan);
        Assert.Equal(name == "e4m3" ? 0 : 2, inf);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void DecodedValuesAreOrderedLikeTheirCodes(string name)
    {
        // Within one sign, a larger code is a larger magnitude: the bit layout is sign-magnitude.
        var f = Format(name);
        var previous = -1f;
        for (int code = 0; code < 0x80; code++)
        {
            var v = f.Decode((byte)code);
            if (!float.IsFinite(v)) break;
            Assert.True(v > previous || code == 0, $"0x{code:X2} = {v} after {previous}");
            Assert.Equal(-v, f.Decode((byte)(code | 0x80)));
            previous = v;
        }
    }

    [Theory]
    // E4M3 (bias 7): 1.0 = 0.0111.000; the largest finite 1.75 * 2^8 = 448 = 0.1111.110; NaN 0.1111.111.
    [InlineData("e4m3", 0x38, 1.0)]
    [InlineData("e4m3", 0x7E, 448.0)]
    [InlineData("e4m3", 0xFE, -448.0)]
    [InlineData("e4m3", 0x08, 0.015625)]            // smallest normal 2^-6
    [InlineData("e4m3", 0x01, 0.001953125)]         // smallest subnormal 2^-9
    [InlineData("e4m3", 0x07, 0.013671875)]         // largest subnormal 7 * 2^-9
    [InlineData("e4m3", 0x3C, 1.5)]
    [InlineData("e4m3", 0x80, -0.0)]
    // E5M2 (bias 15): 1.0 = 0.01111.00; largest finite 1.75 * 2^15 = 57344 = 0.11110.11.
    [InlineData("e5m2", 0x3C, 1.0)]
    [InlineData("e5m2", 0x7B, 57344.0)]
    [InlineData("e5m2", 0x04, 6.103515625e-05)]      // smallest normal 2^-14
    [InlineData("e5m2", 0x01, 1.52587890625e-05)]    // smallest subnormal 2^-16
    [InlineData("e5m2", 0x03, 4.57763671875e-05)]    // largest subnormal 3 * 2^-16
    public void SpecValuesDecodeAndEncode(string name, int code, double value)
    {
        var f = Format(name);
        Assert.Equal((float)value, f.Decode((byte)code));
        Assert.Equal((byte)code, f.Encode((float)value));
    }

    [Fact]
    public void SpecialCodesDecodeAsTheSpecSays()
    {
        Assert.True(float.IsNaN(Fp8Format.E4M3.Decode(0x7F)));
        Assert.True(float.IsNaN(Fp8Format.E4M3.Decode(0xFF)));
        Assert.Equal(480f, Fp8Format.E4M3.Decode(0x7E) + 32f); // 0x7E is 448; 480 would be the NaN pattern, so 448 is the max
        Assert.Equal(float.PositiveInfinity, Fp8Format.E5M2.Decode(0x7C));
        Assert.Equal(float.NegativeInfinity, Fp8Format.E5M2.Decode(0xFC));
        foreach (byte nan in new byte[] { 0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF }) Assert.True(float.IsNaN(Fp8Format.E5M2.Decode(nan)));
        Assert.Equal(0.001953125, Fp8Format.E4M3.SmallestSubnormal);
        Assert.Equal(1.52587890625e-05, Fp8Format.E5M2.SmallestSubnormal);
    }

    [Theory]
    // Halfway between 1.0 (mantissa 000) and 1.125 (001): to the even one, 1.0; between 1.125 and 1.25 (010): 1.25.
    [InlineData("e4m3", 1.0625, 0x38)]
    [InlineData("e4m3", 1.1875, 0x3A)]
    [InlineData("e4m3", 1.0625001, 0x39)]           // just above the tie goes up
    // Subnormal ties: half the smallest subnormal (2^-10) goes to 0 (even); 3 * 2^-10 to 2 * 2^-9 (even).
    [InlineData("e4m3", 0.0009765625, 0x00)]
    [InlineData("e4m3", 0.0029296875, 0x02)]
    // The tie between the largest subnormal (7 * 2^-9) and the smallest normal (8 * 2^-9) goes to the normal (even mantissa).
    [InlineData("e4m3", 0.0146484375, 0x08)]
    // E5M2: between 1.0 (00) and 1.25 (01) the tie 1.125 goes to 1.0; between 1.25 and 1.5 (10) the tie 1.375 to 1.5.
    [InlineData("e5m2", 1.125, 0x3C)]
    [InlineData("e5m2", 1.375, 0x3E)]
    [InlineData("e5m2", 7.62939453125e-06, 0x00)]   // 2^-17, half the smallest subnormal
    public void TiesGoToEven(string name, double value, int code)
    {
        Assert.Equal((byte)code, Format(name).Encode((float)value));
        Assert.Equal((byte)(code | 0x80), Format(name).Encode((float)-value));
    }

    [Theory]
    [InlineData("e4m3", 449.0, 0x7E)]
    [InlineData("e4m3", 464.0, 0x7E)]               // would round to 480, which E4M3fn does not have
    [InlineData("e4m3", 1e6, 0x7E)]
    [InlineData("e4m3", double.PositiveInfinity, 0x7E)]
    [InlineData("e4m3", double.NegativeInfinity, 0xFE)]
    [InlineData("e5m2", 61440.0, 0x7B)]             // the tie above the max would round to 2^16: saturated
    [InlineData("e5m2", 1e9, 0x7B)]
    [InlineData("e5m2", double.PositiveInfinity, 0x7B)]
    [InlineData("e5m2", -1e9, 0xFB)]
    public void LargeMagnitudesSaturate(string name, double value, int code) =>
        Assert.Equal((byte)code, Format(name).Encode((float)value));

    [Theory]
    [MemberData(nameof(Formats))]
    public void NaNStaysNaN(string name)
    {
        var f = Format(name);
        // .NET's float.NaN has its sign bit set; the sign is kept, the payload is the canonical 0x7F.
        Assert.Equal(0xFF, f.Encode(float.NaN));
        Assert.Equal(0x7F, f.Encode(BitConverter.Int32BitsToSingle(0x7FC00000)));
        Assert.True(f.IsNaN(f.Encode(float.NaN)));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void EncodeIsTheNearestCode(string name)
    {
        // Brute force: for many values, no finite code is strictly nearer than the one Encode picks.
        var f = Format(name);
        var finite = Enumerable.Range(0, 256).Select(c => (Code: (byte)c, Value: (double)f.Decode((byte)c))).Where(p => double.IsFinite(p.Value)).ToList();
        var random = new Random(7);
        for (int i = 0; i < 20_000; i++)
        {
            float v = (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-20, 18)));
            double chosen = f.Decode(f.Encode(v));
            double best = finite.Min(p => Math.Abs(p.Value - v));
            if (Math.Abs(v) <= f.Max) Assert.True(Math.Abs(chosen - v) == best, $"{name}: {v} encoded as {chosen}, but a code is {best} away");
            else Assert.Equal(Math.Sign(v) * (double)f.Max, chosen);
        }
    }
}
