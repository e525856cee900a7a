using System.Globalization;
using Athanor.Reporting;
using ScottPlot;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Draws one trace as a waterfall, the way trace viewers (Tempo, Jaeger) show it: a row per span in tree order,
/// indented by depth, its bar from start to end on a shared time axis, its duration and service (the node) beside it.
/// </summary>
public static class TraceImage
{
    private static readonly Dictionary<string, Color> ScopeColors = new()
    {
        ["Athanor.Cluster"] = Color.FromHex("#1F77B4"),
        ["Athanor.Training"] = Color.FromHex("#2CA02C"),
    };
    private static readonly Color OtherScope = Color.FromHex("#9467BD"), Muted = Color.FromHex("#7A7A7A");
    private const int RowHeight = 16, Width = 1250;

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

        using var plot = new Plot();
        plot.Title(title, 14);
        plot.XLabel("seconds since the trace started", 11);
        ulong t0 = rows.Min(r => r.Span.StartNanos), t1 = rows.Max(r => r.Span.EndNanos);
        double Seconds(ulong t) => (t - t0) / 1e9;
        for (int i = 0; i < rows.Count; i++)
        {
            var span = rows[i].Span;
            var bar = plot.Add.Rectangle(Seconds(span.StartNanos), Seconds(span.EndNanos), i + 0.3, i - 0.3);
            bar.FillColor = ScopeColors.GetValueOrDefault(span.Scope, OtherScope);
            bar.LineWidth = 0;
            string millis = ((span.EndNanos - span.StartNanos) / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " ms";
            var note = plot.Add.Text($"{millis}  {span.Service}", Seconds(span.EndNanos), i);
            ChartFont.Apply(note.LabelStyle);
            note.LabelStyle.FontSize = 10;
            note.LabelStyle.ForeColor = Muted;
            note.LabelStyle.Alignment = Alignment.MiddleLeft;
            note.LabelStyle.OffsetX = 4;
        }
        // One tick per row on the left, labelled with the span and a mark per level of depth; rows run downwards.
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows.Count).Select(i => (double)i).ToArray(),
            rows.Select(r => new string('\u203A', r.Depth) + (r.Depth > 0 ? " " : "") + Label(r.Span)).ToArray());
        double seconds = Seconds(t1);
        plot.Axes.SetLimits(0, seconds * 1.25, rows.Count - 0.5, -0.5); // room at the right for the last labels
        ChartFont.Apply(plot);
        plot.Axes.Left.TickLabelStyle.FontSize = 10;
        return plot.GetImageBytes(Width, 80 + rows.Count * RowHeight, ImageFormat.Png);
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
