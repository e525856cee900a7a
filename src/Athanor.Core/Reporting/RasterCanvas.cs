namespace Athanor.Reporting;

/// <summary>
/// An RGB raster with the few primitives a chart needs: crisp rectangles, anti-aliased strokes and discs.
/// Every drawing call is confined to <see cref="Clip"/>.
/// </summary>
public sealed class RasterCanvas
{
    private readonly byte[] _rgb;
    private float[]? _coverage; // scratch for strokes: per-pixel coverage, so overlapping segments never double-darken
    private PixelRect _clip;

    public RasterCanvas(int width, int height, Rgb background)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"Canvas size {width}x{height} is invalid: width and height must be at least 1.");
        Width = width;
        Height = height;
        _rgb = new byte[3 * width * height];
        Bounds = new PixelRect(0, 0, width, height);
        _clip = Bounds;
        FillRect(Bounds, background);
    }

    public int Width { get; }
    public int Height { get; }
    public PixelRect Bounds { get; }
    public ReadOnlySpan<byte> Pixels => _rgb;

    /// <summary>Drawing outside this rectangle is dropped. Always kept within the canvas.</summary>
    public PixelRect Clip
    {
        get => _clip;
        set => _clip = value.Intersect(Bounds);
    }

    public Rgb GetPixel(int x, int y)
    {
        if (!Bounds.Contains(x, y))
            throw new ArgumentOutOfRangeException(nameof(x), $"Pixel ({x},{y}) lies outside the {Width}x{Height} canvas.");
        int i = 3 * (y * Width + x);
        return new Rgb(_rgb[i], _rgb[i + 1], _rgb[i + 2]);
    }

    public void FillRect(PixelRect rect, Rgb color)
    {
        var r = rect.Intersect(_clip);
        for (int y = r.Top; y < r.Bottom; y++)
        {
            int i = 3 * (y * Width + r.Left);
            for (int x = r.Left; x < r.Right; x++, i += 3)
            {
                _rgb[i] = color.R;
                _rgb[i + 1] = color.G;
                _rgb[i + 2] = color.B;
            }
        }
    }

    /// <summary>Lays <paramref name="color"/> over one pixel with opacity <paramref name="alpha"/> (0..1).</summary>
    public void BlendPixel(int x, int y, Rgb color, double alpha)
    {
        if (alpha <= 0 || !_clip.Contains(x, y)) return;
        int i = 3 * (y * Width + x);
        if (alpha >= 1)
        {
            _rgb[i] = color.R;
            _rgb[i + 1] = color.G;
            _rgb[i + 2] = color.B;
            return;
        }
        _rgb[i] = Rgb.Mix(color.R, _rgb[i], alpha);
        _rgb[i + 1] = Rgb.Mix(color.G, _rgb[i + 1], alpha);
        _rgb[i + 2] = Rgb.Mix(color.B, _rgb[i + 2], alpha);
    }

    /// <summary>An anti-aliased filled disc centred on (cx, cy) in continuous pixel coordinates.</summary>
    public void FillCircle(double cx, double cy, double radius, Rgb color, double opacity = 1)
    {
        var box = new PixelRect((int)Math.Floor(cx - radius - 1), (int)Math.Floor(cy - radius - 1),
            (int)Math.Ceiling(cx + radius + 1), (int)Math.Ceiling(cy + radius + 1)).Intersect(_clip);
        for (int y = box.Top; y < box.Bottom; y++)
        {
            double dy = y + 0.5 - cy;
            for (int x = box.Left; x < box.Right; x++)
            {
                double dx = x + 0.5 - cx;
                double coverage = Math.Clamp(radius + 0.5 - Math.Sqrt(dx * dx + dy * dy), 0, 1);
                BlendPixel(x, y, color, coverage * opacity);
            }
        }
    }

    /// <summary>
    /// An anti-aliased polyline of the given width through <paramref name="points"/> (continuous pixel
    /// coordinates, where pixel (i, j) covers [i, i+1) x [j, j+1)). A single point draws a round dot.
    /// Coverage is gathered first and composited once, so joints of a translucent line are not darker.
    /// </summary>
    public void StrokePolyline(ReadOnlySpan<(double X, double Y)> points, double width, Rgb color, double opacity = 1)
    {
        if (points.IsEmpty || width <= 0 || _clip.IsEmpty) return;
        var coverage = _coverage ??= new float[Width * Height];
        double half = width / 2;
        var dirty = new PixelRect(int.MaxValue, int.MaxValue, int.MinValue, int.MinValue);

        for (int s = 0; s < Math.Max(1, points.Length - 1); s++)
        {
            var a = points[s];
            var b = points.Length == 1 ? a : points[s + 1];
            var box = new PixelRect(
                (int)Math.Floor(Math.Min(a.X, b.X) - half - 1), (int)Math.Floor(Math.Min(a.Y, b.Y) - half - 1),
                (int)Math.Ceiling(Math.Max(a.X, b.X) + half + 1), (int)Math.Ceiling(Math.Max(a.Y, b.Y) + half + 1)).Intersect(_clip);
            if (box.IsEmpty) continue;
            dirty = new PixelRect(Math.Min(dirty.Left, box.Left), Math.Min(dirty.Top, box.Top),
                Math.Max(dirty.Right, box.Right), Math.Max(dirty.Bottom, box.Bottom));
            CoverSegment(coverage, box, a, b, half);
        }

        if (dirty.IsEmpty) return;
        for (int y = dirty.Top; y < dirty.Bottom; y++)
        {
            for (int x = dirty.Left; x < dirty.Right; x++)
            {
                int k = y * Width + x;
                float c = coverage[k];
                if (c <= 0) continue;
                coverage[k] = 0;
                BlendPixel(x, y, color, c * opacity);
            }
        }
    }

    private void CoverSegment(float[] coverage, PixelRect box, (double X, double Y) a, (double X, double Y) b, double half)
    {
        double ex = b.X - a.X, ey = b.Y - a.Y;
        double lengthSquared = ex * ex + ey * ey;
        for (int y = box.Top; y < box.Bottom; y++)
        {
            double py = y + 0.5 - a.Y;
            for (int x = box.Left; x < box.Right; x++)
            {
                double px = x + 0.5 - a.X;
                // Distance from the pixel centre to the closest point of the segment.
                double t = lengthSquared > 0 ? Math.Clamp((px * ex + py * ey) / lengthSquared, 0, 1) : 0;
                double dx = px - t * ex, dy = py - t * ey;
                float c = (float)Math.Clamp(half + 0.5 - Math.Sqrt(dx * dx + dy * dy), 0, 1);
                int k = y * Width + x;
                if (c > coverage[k]) coverage[k] = c;
            }
        }
    }

    public byte[] EncodePng() => PngEncoder.Encode(Width, Height, _rgb);
}
