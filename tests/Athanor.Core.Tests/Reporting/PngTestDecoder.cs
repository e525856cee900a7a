using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Athanor.Reporting;

namespace Athanor.Tests.Reporting;

/// <summary>A decoded 8-bit RGB PNG.</summary>
internal sealed record DecodedPng(int Width, int Height, byte[] Rgb)
{
    public Rgb Pixel(int x, int y)
    {
        int i = 3 * (y * Width + x);
        return new Rgb(Rgb[i], Rgb[i + 1], Rgb[i + 2]);
    }

    public int Count(Rgb color, int left = 0, int top = 0, int right = int.MaxValue, int bottom = int.MaxValue)
    {
        int n = 0;
        for (int y = top; y < Math.Min(bottom, Height); y++)
        for (int x = left; x < Math.Min(right, Width); x++)
            if (Pixel(x, y) == color) n++;
        return n;
    }
}

/// <summary>
/// Independent minimal PNG reader for the tests: checks the signature, every chunk CRC (bitwise CRC-32, not the
/// production table), IHDR fields, chunk order, the inflated size and that every row uses filter type 0.
/// </summary>
internal static class PngTestDecoder
{
    public static DecodedPng Decode(byte[] png)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        Assert.True(png.AsSpan(0, 8).SequenceEqual(signature), "PNG signature is wrong");

        int offset = 8, width = 0, height = 0;
        var idat = new MemoryStream();
        var types = new List<string>();
        while (offset < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            string type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            Assert.Equal(BitwiseCrc(png.AsSpan(offset + 4, 4 + length)), stored);
            types.Add(type);
            if (type == "IHDR")
            {
                Assert.Equal(13, length);
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);  // bit depth
                Assert.Equal(2, data[9]);  // RGB
                Assert.Equal(0, data[10]);
                Assert.Equal(0, data[11]);
                Assert.Equal(0, data[12]);
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            offset += 12 + length;
        }
        Assert.Equal(png.Length, offset);
        Assert.Equal("IHDR", types[0]);
        Assert.Equal("IEND", types[^1]);
        Assert.Contains("IDAT", types);

        idat.Position = 0;
        using var inflater = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        inflater.CopyTo(raw);
        var bytes = raw.ToArray();
        int stride = 1 + 3 * width;
        Assert.Equal(stride * height, bytes.Length);

        var rgb = new byte[3 * width * height];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, bytes[y * stride]); // filter type 0 on every row
            Array.Copy(bytes, y * stride + 1, rgb, y * 3 * width, 3 * width);
        }
        return new DecodedPng(width, height, rgb);
    }

    public static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }
}
