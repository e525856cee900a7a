namespace Athanor.Reporting;

/// <summary>
/// The embedded 5x9 bitmap font (<see cref="PixelFontGlyphs"/>) at an integer scale. Even scales are enlarged
/// with the Scale2x (EPX) rule, which rounds diagonal staircases instead of just fattening pixels.
/// Spacing is proportional except for digits, which share one width so tick labels line up.
/// Characters outside printable ASCII are drawn as '?'.
/// </summary>
public sealed class PixelFont
{
    private const int SpaceColumns = 3;
    private readonly Glyph[] _glyphs;

    public static readonly PixelFont Small = new(1);
    public static readonly PixelFont Normal = new(2);
    /// <summary>Big figures (a dashboard's single-value panels).</summary>
    public static readonly PixelFont Large = new(6);

    private PixelFont(int scale)
    {
        Scale = scale;
        _glyphs = new Glyph[PixelFontGlyphs.Last - PixelFontGlyphs.First + 1];
        for (int i = 0; i < _glyphs.Length; i++)
            _glyphs[i] = BuildGlyph((char)(PixelFontGlyphs.First + i), PixelFontGlyphs.Data[i], scale);
    }

    public int Scale { get; }

    /// <summary>Height of capitals and digits in pixels.</summary>
    public int CapHeight => 7 * Scale;

    /// <summary>Height including descenders.</summary>
    public int LineHeight => PixelFontGlyphs.Rows * Scale;

    public int MeasureWidth(string text, bool bold = false)
    {
        if (text.Length == 0) return 0;
        int width = 0;
        foreach (char c in text) width += GlyphFor(c).Advance + (bold ? 1 : 0);
        return width - Scale; // no trailing gap after the last glyph
    }

    /// <summary>Draws <paramref name="text"/> with its top-left corner (top of capitals) at (x, y).</summary>
    public void Draw(RasterCanvas canvas, string text, int x, int y, Rgb color, bool bold = false)
    {
        foreach (char c in text)
        {
            var glyph = GlyphFor(c);
            for (int gy = 0; gy < glyph.Height; gy++)
            for (int gx = 0; gx < glyph.Width; gx++)
            {
                if (!glyph.Ink[gy * glyph.Width + gx]) continue;
                canvas.BlendPixel(x + gx, y + gy, color, 1);
                if (bold) canvas.BlendPixel(x + gx + 1, y + gy, color, 1);
            }
            x += glyph.Advance + (bold ? 1 : 0);
        }
    }

    /// <summary>Draws <paramref name="text"/> turned 90 degrees counter-clockwise (reading upwards); (x, y) is the bottom-left of the turned box.</summary>
    public void DrawUpwards(RasterCanvas canvas, string text, int x, int y, Rgb color)
    {
        foreach (char c in text)
        {
            var glyph = GlyphFor(c);
            for (int gy = 0; gy < glyph.Height; gy++)
            for (int gx = 0; gx < glyph.Width; gx++)
            {
                if (glyph.Ink[gy * glyph.Width + gx])
                    canvas.BlendPixel(x + gy, y - 1 - gx, color, 1);
            }
            y -= glyph.Advance;
        }
    }

    private Glyph GlyphFor(char c) =>
        _glyphs[(c < PixelFontGlyphs.First || c > PixelFontGlyphs.Last ? '?' : c) - PixelFontGlyphs.First];

    private static Glyph BuildGlyph(char c, string data, int scale)
    {
        var raw = Parse(c, data);
        int first = 0, last = PixelFontGlyphs.Columns - 1;
        if (c == ' ')
        {
            last = SpaceColumns - 1;
        }
        else if (!char.IsDigit(c))
        {
            while (first < last && !ColumnHasInk(raw, first)) first++;
            while (last > first && !ColumnHasInk(raw, last)) last--;
        }

        var scaled = Enlarge(raw, PixelFontGlyphs.Columns, PixelFontGlyphs.Rows, scale);
        int fullWidth = PixelFontGlyphs.Columns * scale, height = PixelFontGlyphs.Rows * scale;
        int width = (last - first + 1) * scale;
        var ink = new bool[width * height];
        for (int y = 0; y < height; y++)
            Array.Copy(scaled, y * fullWidth + first * scale, ink, y * width, width);
        return new Glyph(width, height, width + scale, ink);
    }

    private static bool[] Parse(char c, string data)
    {
        var rows = data.Split(' ');
        if (rows.Length > PixelFontGlyphs.Rows)
            throw new InvalidOperationException($"Glyph '{c}' has {rows.Length} rows; at most {PixelFontGlyphs.Rows} are allowed.");
        var bits = new bool[PixelFontGlyphs.Columns * PixelFontGlyphs.Rows];
        for (int y = 0; y < rows.Length; y++)
        {
            if (rows[y].Length != PixelFontGlyphs.Columns)
                throw new InvalidOperationException($"Glyph '{c}' row {y} is \"{rows[y]}\"; every row must have {PixelFontGlyphs.Columns} characters.");
            for (int x = 0; x < PixelFontGlyphs.Columns; x++)
                bits[y * PixelFontGlyphs.Columns + x] = rows[y][x] == '#';
        }
        return bits;
    }

    private static bool ColumnHasInk(bool[] raw, int column)
    {
        for (int y = 0; y < PixelFontGlyphs.Rows; y++)
            if (raw[y * PixelFontGlyphs.Columns + column]) return true;
        return false;
    }

    /// <summary>Scale2x for even factors (then nearest-neighbour for the rest), plain nearest-neighbour otherwise.</summary>
    private static bool[] Enlarge(bool[] bits, int width, int height, int scale)
    {
        if (scale % 2 == 0)
        {
            bits = Scale2x(bits, width, height);
            width *= 2;
            height *= 2;
            scale /= 2;
        }
        if (scale == 1) return bits;
        var result = new bool[width * scale * height * scale];
        for (int y = 0; y < height * scale; y++)
        for (int x = 0; x < width * scale; x++)
            result[y * width * scale + x] = bits[(y / scale) * width + x / scale];
        return result;
    }

    private static bool[] Scale2x(bool[] bits, int width, int height)
    {
        bool At(int x, int y) => x >= 0 && y >= 0 && x < width && y < height && bits[y * width + x];
        var result = new bool[4 * width * height];
        int outWidth = 2 * width;
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            bool p = At(x, y), up = At(x, y - 1), right = At(x + 1, y), left = At(x - 1, y), down = At(x, y + 1);
            // Each quarter copies a neighbour pair when they agree and the opposite pair does not.
            bool topLeft = left == up && left != down && up != right ? up : p;
            bool topRight = up == right && up != left && right != down ? right : p;
            bool bottomLeft = down == left && down != right && left != up ? left : p;
            bool bottomRight = right == down && right != up && down != left ? down : p;
            result[(2 * y) * outWidth + 2 * x] = topLeft;
            result[(2 * y) * outWidth + 2 * x + 1] = topRight;
            result[(2 * y + 1) * outWidth + 2 * x] = bottomLeft;
            result[(2 * y + 1) * outWidth + 2 * x + 1] = bottomRight;
        }
        return result;
    }

    private sealed record Glyph(int Width, int Height, int Advance, bool[] Ink);
}
