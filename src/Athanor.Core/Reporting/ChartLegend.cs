namespace Athanor.Reporting;

/// <summary>
/// The legend box: one row per series shown, placed in whichever inner corner of the plot hides the fewest
/// already-drawn data pixels (top right first, where a falling loss curve usually leaves room).
/// </summary>
internal static class ChartLegend
{
    private const int Inset = 10;
    private const int InnerPad = 8;
    private const int SampleWidth = 26;
    private const int SampleGap = 8;
    private const int RowGap = 6;
    private const double MaxAreaFraction = 0.12;

    private enum Sample { RawLine, SmoothedLine, Marker }

    public static void Draw(RasterCanvas canvas, PixelRect plot, PixelFont font, int trainCount, int evalCount)
    {
        var rows = new List<(string Label, Sample Sample)>(3);
        if (trainCount > 0)
        {
            rows.Add(("train", Sample.RawLine));
            rows.Add(("train (smoothed)", Sample.SmoothedLine));
        }
        if (evalCount > 0) rows.Add(("eval", Sample.Marker));
        if (rows.Count == 0) return;

        // On a small chart a full-size legend would bury the data: fall back to the small font, then to none.
        font = FitsComfortably(font, rows, plot) ? font : PixelFont.Small;
        var (width, height) = BoxSize(font, rows);
        if (width + 2 * Inset > plot.Width || height + 2 * Inset > plot.Height) return;
        int rowHeight = font.CapHeight + RowGap;

        var box = QuietestCorner(canvas, plot, width, height);
        canvas.FillRect(box, ChartStyle.Background);
        canvas.FillRect(box with { Bottom = box.Top + 1 }, ChartStyle.LegendBorder);
        canvas.FillRect(box with { Top = box.Bottom - 1 }, ChartStyle.LegendBorder);
        canvas.FillRect(box with { Right = box.Left + 1 }, ChartStyle.LegendBorder);
        canvas.FillRect(box with { Left = box.Right - 1 }, ChartStyle.LegendBorder);

        for (int i = 0; i < rows.Count; i++)
        {
            int top = box.Top + InnerPad + i * rowHeight;
            double midY = top + font.CapHeight / 2.0;
            double x0 = box.Left + InnerPad, x1 = x0 + SampleWidth;
            ReadOnlySpan<(double X, double Y)> line = [(x0, midY), (x1, midY)];
            switch (rows[i].Sample)
            {
                case Sample.RawLine:
                    canvas.StrokePolyline(line, ChartStyle.RawWidth, ChartStyle.Train, ChartStyle.RawOpacity);
                    break;
                case Sample.SmoothedLine:
                    canvas.StrokePolyline(line, ChartStyle.SmoothedWidth, ChartStyle.Train);
                    break;
                case Sample.Marker:
                    canvas.StrokePolyline(line, ChartStyle.EvalLineWidth, ChartStyle.Eval, ChartStyle.EvalLineOpacity);
                    canvas.FillCircle((x0 + x1) / 2, midY, ChartStyle.MarkerRadius + ChartStyle.MarkerRim, ChartStyle.Background);
                    canvas.FillCircle((x0 + x1) / 2, midY, ChartStyle.MarkerRadius, ChartStyle.Eval);
                    break;
            }
            font.Draw(canvas, rows[i].Label, (int)x1 + SampleGap, top, ChartStyle.Text);
        }
    }

    private static bool FitsComfortably(PixelFont font, List<(string Label, Sample Sample)> rows, PixelRect plot)
    {
        var (width, height) = BoxSize(font, rows);
        return width * height <= MaxAreaFraction * plot.Width * plot.Height
            && width + 2 * Inset <= plot.Width && height + 2 * Inset <= plot.Height;
    }

    private static (int Width, int Height) BoxSize(PixelFont font, List<(string Label, Sample Sample)> rows) => (
        2 * InnerPad + SampleWidth + SampleGap + rows.Max(r => font.MeasureWidth(r.Label)),
        2 * InnerPad + rows.Count * (font.CapHeight + RowGap) - RowGap);

    private static PixelRect QuietestCorner(RasterCanvas canvas, PixelRect plot, int width, int height)
    {
        int left = plot.Left + Inset, right = plot.Right - Inset - width;
        int top = plot.Top + Inset, bottom = plot.Bottom - Inset - height;
        Span<(int X, int Y)> corners = [(right, top), (left, top), (right, bottom), (left, bottom)];
        PixelRect best = default;
        int bestInk = int.MaxValue;
        foreach (var (x, y) in corners)
        {
            var box = new PixelRect(x, y, x + width, y + height);
            int ink = CountInk(canvas, box);
            if (ink < bestInk)
            {
                best = box;
                bestInk = ink;
            }
        }
        return best;
    }

    /// <summary>Pixels inside <paramref name="box"/> that are neither background nor grid, i.e. data.</summary>
    private static int CountInk(RasterCanvas canvas, PixelRect box)
    {
        int count = 0;
        for (int y = box.Top; y < box.Bottom; y++)
        for (int x = box.Left; x < box.Right; x++)
        {
            var p = canvas.GetPixel(x, y);
            if (p != ChartStyle.Background && p != ChartStyle.Grid) count++;
        }
        return count;
    }
}
