using System.Text;
using Athanor.Reporting;

namespace Athanor.Tests.Reporting;

public class PngEncoderTests
{
    [Fact]
    public void Crc32_MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Fact]
    public void Crc32_AgreesWithABitwiseCrcOnArbitraryBytes()
    {
        var bytes = new byte[1000];
        new Random(7).NextBytes(bytes);
        Assert.Equal(PngTestDecoder.BitwiseCrc(bytes), Crc32.Compute(bytes));
    }

    [Fact]
    public void Encode_RoundTripsEveryPixel()
    {
        const int width = 37, height = 11; // odd sizes catch stride mistakes
        var rgb = new byte[3 * width * height];
        new Random(1).NextBytes(rgb);

        var decoded = PngTestDecoder.Decode(PngEncoder.Encode(width, height, rgb));

        Assert.Equal(width, decoded.Width);
        Assert.Equal(height, decoded.Height);
        Assert.Equal(rgb, decoded.Rgb);
    }

    [Fact]
    public void Encode_RejectsABufferOfTheWrongSize()
    {
        var ex = Assert.Throws<ArgumentException>(() => PngEncoder.Encode(4, 4, new byte[47]));
        Assert.Contains("47", ex.Message);
        Assert.Contains("48", ex.Message);
    }
}
