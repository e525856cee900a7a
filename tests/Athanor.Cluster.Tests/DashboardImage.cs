using System.Globalization;
using Athanor.Reporting;
using ScottPlot;
using SkiaSharp;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Draws a dashboard's panels from the series Prometheus returned for their queries: a grid of ScottPlot time-series
/// panels, seconds since the run started on x, each series in its own colour with its labels as legend. It stands in
/// for Grafana's rendering (Grafana cannot be installed here); the data is the dashboards' own queries' answer.
/// </summary>
public static class DashboardImage
{
    public sealed record Series(string Name, IReadOnlyList<(double Time, double Value)> Points);
    /// <summary>Stat: a single-value panel (Grafana's "stat"), drawn as its last value.</summary>
    public sealed record Panel(string Title, IReadOnlyList<Series> Series, bool Stat = false);

    private static readonly SKColor PageBackground = new(0xF4, 0xF5, 0xF5), Text = new(0x26, 0x26, 0x26);
    private const int PanelWidth = 560, PanelHeight = 300, Gap = 12, Columns = 2, TitleSize = 16;

    public static byte[] Png(string title, IReadOnlyList<Panel> panels, double t0)
    {
        int rows = (panels.Count + Columns - 1) / Columns;
        int header = TitleSize + 2 * Gap;
        var info = new SKImageInfo(Columns * PanelWidth + (Columns + 1) * Gap, header + rows * (PanelHeight + Gap));
        using var surface = SKSurface.Create(info);
        var canvas = surface.Canvas;
        canvas.Clear(PageBackground);
        DrawText(canvas, title, Gap, Gap + TitleSize, TitleSize, Text);
        for (int i = 0; i < panels.Count; i++)
        {
            int left = Gap + i % Columns * (PanelWidth + Gap), top = header + i / Columns * (PanelHeight + Gap);
            var box = new PixelRect(left, left + PanelWidth, top + PanelHeight, top);
            if (panels[i].Stat) DrawStat(canvas, panels[i], box);
            else
            {
                // Each panel is its own figure (rendering a plot clears the canvas it draws on), pasted into the grid.
                using var plot = TimeSeries(panels[i], t0);
                using var bitmap = SKBitmap.Decode(plot.GetImageBytes(PanelWidth, PanelHeight, ImageFormat.Png));
                canvas.DrawBitmap(bitmap, left, top);
            }
        }
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static Plot TimeSeries(Panel panel, double t0)
    {
        var plot = new Plot();
        plot.Title(panel.Title, 13);
        plot.XLabel("seconds since the job started", 11);
        foreach (var series in panel.Series)
        {
            var finite = series.Points.Where(p => double.IsFinite(p.Value)).ToArray();
            var line = plot.Add.ScatterLine(finite.Select(p => p.Time - t0).ToArray(), finite.Select(p => p.Value).ToArray());
            line.LineWidth = 2;
            line.LegendText = series.Name;
        }
        if (panel.Series.Count > 0) plot.ShowLegend(Edge.Bottom);
        if (!panel.Series.Any(s => s.Points.Any(p => double.IsFinite(p.Value))))
        {
            var note = plot.Add.Annotation("no data", Alignment.MiddleCenter);
            ChartFont.Apply(note.LabelStyle);
            note.LabelStyle.BackgroundColor = Colors.White;
            note.LabelStyle.BorderColor = Colors.Transparent;
            note.LabelStyle.ShadowColor = Colors.Transparent;
        }
        ChartFont.Apply(plot);
        return plot;
    }

    private static void DrawStat(SKCanvas canvas, Panel panel, PixelRect box)
    {
        canvas.DrawRect(box.Left, box.Top, box.Width, box.Height, new SKPaint { Color = SKColors.White });
        DrawText(canvas, panel.Title, box.Left + 8, box.Top + 8 + 13, 13, Text);
        var last = panel.Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Value)).Select(p => (double?)p.Value).LastOrDefault();
        string value = last is double v ? Format(v) : "no data";
        using var font = new SKFont(ChartFont.Typeface, 40);
        float width = font.MeasureText(value);
        DrawText(canvas, value, box.HorizontalCenter - width / 2, box.VerticalCenter + 14, 40, new SKColor(0x1F, 0x77, 0xB4));
    }

    private static void DrawText(SKCanvas canvas, string text, float x, float baseline, float size, SKColor color)
    {
        using var font = new SKFont(ChartFont.Typeface, size);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        canvas.DrawText(text, x, baseline, font, paint);
    }

    private static string Format(double v) =>
        Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-3 && v != 0) ? v.ToString("0.##e0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);
}
