using SkiaSharp;

namespace Athanor.Tests.Reporting;

/// <summary>A PNG decoded by Skia, with pixel look-ups for tests that check what a chart shows.</summary>
internal sealed class ChartPixels
{
    private readonly SKColor[] _pixels;

    private ChartPixels(SKBitmap bitmap)
    {
        Width = bitmap.Width;
        Height = bitmap.Height;
        _pixels = bitmap.Pixels;
    }

    public int Width { get; }
    public int Height { get; }

    public static ChartPixels Decode(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png) ?? throw new InvalidDataException("not a decodable PNG");
        return new ChartPixels(bitmap);
    }

    public SKColor Pixel(int x, int y) => _pixels[y * Width + x];

    /// <summary>Whether the pixel is <paramref name="hex"/> give or take anti-aliasing (each channel within 24).</summary>
    public bool Is(int x, int y, uint hex)
    {
        var p = Pixel(x, y);
        return Math.Abs(p.Red - (int)(hex >> 16 & 0xFF)) <= 24 && Math.Abs(p.Green - (int)(hex >> 8 & 0xFF)) <= 24
            && Math.Abs(p.Blue - (int)(hex & 0xFF)) <= 24;
    }

    public int Count(uint hex, int left = 0, int top = 0, int right = int.MaxValue, int bottom = int.MaxValue)
    {
        int n = 0;
        for (int y = top; y < Math.Min(bottom, Height); y++)
        for (int x = left; x < Math.Min(right, Width); x++)
            if (Is(x, y, hex)) n++;
        return n;
    }

    /// <summary>Pixels dark enough to be text or frame (each channel under 100).</summary>
    public int CountDark(int left, int top, int right, int bottom)
    {
        int n = 0;
        for (int y = top; y < Math.Min(bottom, Height); y++)
        for (int x = left; x < Math.Min(right, Width); x++)
        {
            var p = Pixel(x, y);
            if (p.Red < 100 && p.Green < 100 && p.Blue < 100) n++;
        }
        return n;
    }

    /// <summary>Pixels that are not (nearly) white: anything drawn.</summary>
    public int CountInk(int left, int top, int right, int bottom)
    {
        int n = 0;
        for (int y = top; y < Math.Min(bottom, Height); y++)
        for (int x = left; x < Math.Min(right, Width); x++)
        {
            var p = Pixel(x, y);
            if (p.Red < 200 || p.Green < 200 || p.Blue < 200) n++;
        }
        return n;
    }
}
