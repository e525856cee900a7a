using System.Globalization;
using Athanor.Reporting;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Draws a dashboard's panels from the series Prometheus returned for their queries: a grid of time-series panels,
/// seconds since the run started on x, each series in its own colour with its labels as legend. It stands in for
/// Grafana's rendering (Grafana cannot be installed here); the data is the dashboards' own queries' answer.
/// </summary>
public static class DashboardImage
{
    public sealed record Series(string Name, IReadOnlyList<(double Time, double Value)> Points);
    /// <summary>Stat: a single-value panel (Grafana's "stat"), drawn as its last value.</summary>
    public sealed record Panel(string Title, IReadOnlyList<Series> Series, bool Stat = false);

    private static readonly Rgb[] Palette = [Rgb.FromHex(0x1F77B4), Rgb.FromHex(0xFF7F0E), Rgb.FromHex(0x2CA02C), Rgb.FromHex(0xD62728),
        Rgb.FromHex(0x9467BD), Rgb.FromHex(0x8C564B), Rgb.FromHex(0xE377C2), Rgb.FromHex(0x17BECF)];
    private static readonly Rgb Text = Rgb.FromHex(0x262626), Muted = Rgb.FromHex(0x7A7A7A), Grid = Rgb.FromHex(0xE8E8E8), Frame = Rgb.FromHex(0xBBBBBB);
    private const int PanelWidth = 560, PanelHeight = 300, Gap = 12, Columns = 2;

    public static byte[] Png(string title, IReadOnlyList<Panel> panels, double t0)
    {
        var font = PixelFont.Normal;
        int rows = (panels.Count + Columns - 1) / Columns;
        int header = font.LineHeight + 2 * Gap;
        var canvas = new RasterCanvas(Columns * PanelWidth + (Columns + 1) * Gap, header + rows * (PanelHeight + Gap), Rgb.FromHex(0xF4F5F5));
        font.Draw(canvas, title, Gap, Gap, Text, bold: true);
        for (int i = 0; i < panels.Count; i++)
        {
            int left = Gap + i % Columns * (PanelWidth + Gap), top = header + i / Columns * (PanelHeight + Gap);
            DrawPanel(canvas, panels[i], new PixelRect(left, top, left + PanelWidth, top + PanelHeight), t0);
        }
        return canvas.EncodePng();
    }

    private static void DrawPanel(RasterCanvas canvas, Panel panel, PixelRect box, double t0)
    {
        var font = PixelFont.Normal;
        var small = PixelFont.Small;
        canvas.FillRect(box, Rgb.White);
        canvas.FillRect(new PixelRect(box.Left, box.Top, box.Right, box.Top + 1), Frame);
        font.Draw(canvas, panel.Title, box.Left + 8, box.Top + 8, Text, bold: true);
        var points = panel.Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Value)).ToList();
        if (panel.Stat && points.Count > 0)
        {
            var large = PixelFont.Large;
            string value = Format(panel.Series[0].Points.Last(p => double.IsFinite(p.Value)).Value);
            large.Draw(canvas, value, box.Left + (box.Width - large.MeasureWidth(value)) / 2, box.Top + (box.Height - large.CapHeight) / 2, Palette[0]);
            return;
        }
        int legendHeight = panel.Series.Count * (small.LineHeight + 2) + 4;
        var plot = new PixelRect(box.Left + 70, box.Top + 16 + font.LineHeight, box.Right - 14, box.Bottom - 24 - legendHeight);
        if (points.Count == 0)
        {
            font.Draw(canvas, "no data", plot.Left + plot.Width / 2 - 40, plot.Top + plot.Height / 2, Muted);
            return;
        }
        double xMin = points.Min(p => p.Time) - t0, xMax = Math.Max(points.Max(p => p.Time) - t0, xMin + 1);
        double yMin = points.Min(p => p.Value), yMax = points.Max(p => p.Value);
        if (yMax - yMin < 1e-12 * Math.Max(1, Math.Abs(yMax))) { yMin -= Math.Max(0.5, Math.Abs(yMin) * 0.1); yMax += Math.Max(0.5, Math.Abs(yMax) * 0.1); }
        else { double m = (yMax - yMin) * 0.06; yMin -= m; yMax += m; }
        if (yMin < 0 && points.All(p => p.Value >= 0)) yMin = 0;
        double X(double t) => plot.Left + (t - t0 - xMin) / (xMax - xMin) * plot.Width;
        double Y(double v) => plot.Bottom - (v - yMin) / (yMax - yMin) * plot.Height;

        var (yTicks, yLabels) = Ticks(yMin, yMax, 5);
        for (int t = 0; t < yTicks.Length; t++)
        {
            int y = (int)Math.Round(Y(yTicks[t]));
            canvas.FillRect(new PixelRect(plot.Left, y, plot.Right, y + 1), Grid);
            small.Draw(canvas, yLabels[t], plot.Left - 6 - small.MeasureWidth(yLabels[t]), y - small.CapHeight / 2, Muted);
        }
        var (xTicks, xLabels) = Ticks(xMin, xMax, 6);
        for (int t = 0; t < xTicks.Length; t++)
        {
            int x = (int)Math.Round(plot.Left + (xTicks[t] - xMin) / (xMax - xMin) * plot.Width);
            canvas.FillRect(new PixelRect(x, plot.Top, x + 1, plot.Bottom), Grid);
            string label = xLabels[t] + "s";
            small.Draw(canvas, label, x - small.MeasureWidth(label) / 2, plot.Bottom + 5, Muted);
        }
        canvas.FillRect(new PixelRect(plot.Left, plot.Bottom, plot.Right, plot.Bottom + 1), Frame);
        for (int s = 0; s < panel.Series.Count; s++)
        {
            var color = Palette[s % Palette.Length];
            var line = panel.Series[s].Points.Where(p => double.IsFinite(p.Value)).Select(p => (X(p.Time), Y(p.Value))).ToArray();
            canvas.StrokePolyline(line, 2, color);
            int legendTop = plot.Bottom + 18 + s * (small.LineHeight + 2);
            canvas.FillRect(new PixelRect(plot.Left, legendTop + 2, plot.Left + 14, legendTop + 5), color);
            small.Draw(canvas, panel.Series[s].Name, plot.Left + 20, legendTop, Text);
        }
    }

    /// <summary>Round tick values inside [min, max] and their labels, as the loss plot draws them.</summary>
    internal static (double[] Values, string[] Labels) Ticks(double min, double max, int target)
    {
        double step = NiceTicks.Step(max - min, target);
        var values = NiceTicks.Values(min, max, step);
        return (values, TickLabels.Format(values, step));
    }

    private static string Format(double v) =>
        Math.Abs(v) >= 1e4 || (Math.Abs(v) < 1e-3 && v != 0) ? v.ToString("0.##e0", CultureInfo.InvariantCulture) : v.ToString("0.####", CultureInfo.InvariantCulture);
}
