using System.Globalization;
using Athanor.Reporting;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Draws one trace as a waterfall, the way trace viewers (Tempo, Jaeger) show it: a row per span in tree order,
/// indented by depth, its bar from start to end on a shared time axis, its service (the node) at the right.
/// </summary>
public static class TraceImage
{
    private static readonly Rgb Text = Rgb.FromHex(0x262626), Muted = Rgb.FromHex(0x7A7A7A), Grid = Rgb.FromHex(0xEDEDED);
    private static readonly Dictionary<string, Rgb> ScopeColors = new()
    {
        ["Athanor.Cluster"] = Rgb.FromHex(0x1F77B4),
        ["Athanor.Training"] = Rgb.FromHex(0x2CA02C),
    };
    private const int Row = 16, LabelWidth = 330, BarsWidth = 760, NodeWidth = 150, Pad = 12;

    /// <param name="keep">which spans to draw (their ancestors are drawn too)</param>
    public static byte[] Png(string title, IReadOnlyList<TelemetryOtlpReceiver.OtlpSpan> trace, Func<TelemetryOtlpReceiver.OtlpSpan, bool> keep)
    {
        var byId = trace.ToDictionary(s => s.SpanId);
        var shown = new HashSet<string>();
        foreach (var s in trace.Where(keep))
            for (var at = s; at is not null && shown.Add(at.SpanId); at = byId.GetValueOrDefault(at.ParentSpanId)) { }
        var rows = new List<(TelemetryOtlpReceiver.OtlpSpan Span, int Depth)>();
        void Walk(TelemetryOtlpReceiver.OtlpSpan span, int depth)
        {
            rows.Add((span, depth));
            foreach (var child in trace.Where(c => c.ParentSpanId == span.SpanId && shown.Contains(c.SpanId)).OrderBy(c => c.StartNanos))
                Walk(child, depth + 1);
        }
        foreach (var root in trace.Where(s => shown.Contains(s.SpanId) && !byId.ContainsKey(s.ParentSpanId)).OrderBy(s => s.StartNanos))
            Walk(root, 0);

        var font = PixelFont.Normal;
        var small = PixelFont.Small;
        int top = Pad + font.LineHeight + Pad + small.LineHeight + 6;
        var canvas = new RasterCanvas(Pad + LabelWidth + BarsWidth + NodeWidth + Pad, top + rows.Count * Row + Pad, Rgb.White);
        font.Draw(canvas, title, Pad, Pad, Text, bold: true);
        ulong t0 = rows.Min(r => r.Span.StartNanos), t1 = rows.Max(r => r.Span.EndNanos);
        double seconds = (t1 - t0) / 1e9;
        int barsLeft = Pad + LabelWidth;
        double X(ulong t) => barsLeft + (t - t0) / 1e9 / seconds * BarsWidth;
        var (ticks, labels) = DashboardImage.Ticks(0, seconds, 8);
        for (int k = 0; k < ticks.Length; k++)
        {
            int x = (int)Math.Round(barsLeft + ticks[k] / seconds * BarsWidth);
            canvas.FillRect(new PixelRect(x, top - 2, x + 1, canvas.Height - Pad), Grid);
            string label = labels[k] + "s";
            small.Draw(canvas, label, x - small.MeasureWidth(label) / 2, top - small.LineHeight - 4, Muted);
        }
        for (int i = 0; i < rows.Count; i++)
        {
            var (span, depth) = rows[i];
            int y = top + i * Row;
            small.Draw(canvas, Label(span), Pad + depth * 12, y + 3, Text);
            var color = ScopeColors.GetValueOrDefault(span.Scope, Rgb.FromHex(0x9467BD));
            int left = (int)X(span.StartNanos), right = Math.Max(left + 2, (int)Math.Ceiling(X(span.EndNanos)));
            canvas.FillRect(new PixelRect(left, y + 3, right, y + Row - 3), color);
            string millis = ((span.EndNanos - span.StartNanos) / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " ms";
            int after = right + 4 + small.MeasureWidth(millis) < barsLeft + BarsWidth ? right + 4 : left - 4 - small.MeasureWidth(millis);
            small.Draw(canvas, millis, after, y + 3, Muted);
            small.Draw(canvas, span.Service, barsLeft + BarsWidth + 8, y + 3, Muted);
        }
        return canvas.EncodePng();
    }

    private static string Label(TelemetryOtlpReceiver.OtlpSpan span) => span.Name switch
    {
        "rank" => $"rank {span.Attributes.GetValueOrDefault("rank")}",
        "step" => $"step {span.Attributes.GetValueOrDefault("step")}",
        "job" => $"job {span.Attributes.GetValueOrDefault("job_id")}",
        "attempt" => $"attempt {span.Attributes.GetValueOrDefault("attempt")}",
        _ => span.Name,
    };
}
