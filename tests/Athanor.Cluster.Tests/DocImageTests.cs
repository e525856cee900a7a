using SkiaSharp;

namespace Athanor.Cluster.Tests;

/// <summary>
/// The images docs/observability.md shows are drawn by <see cref="DashboardImage"/> and <see cref="TraceImage"/> only
/// when deploy/render-dashboard-images.sh asks; these tests keep the drawing code working between such runs.
/// </summary>
public class DocImageTests
{
    [Fact]
    public void TraceImage_DrawsARowPerSpan()
    {
        var spans = new List<TelemetryOtlpReceiver.OtlpSpan>();
        const ulong t0 = 1_700_000_000_000_000_000;
        void Span(string id, string parent, string name, string scope, string node, ulong start, ulong end) =>
            spans.Add(new TelemetryOtlpReceiver.OtlpSpan("trace", id, parent, name, scope, node, new Dictionary<string, object>())
                { StartNanos = t0 + start, EndNanos = t0 + end });
        Span("job", "", "job", "Athanor.Cluster", "node-a", 0, 3_000_000_000);
        Span("rank0", "job", "rank", "Athanor.Training", "node-a", 200_000_000, 2_800_000_000);
        Span("step1", "rank0", "step", "Athanor.Training", "node-a", 300_000_000, 800_000_000);
        Span("rank1", "job", "rank", "Athanor.Training", "node-b", 210_000_000, 2_810_000_000);

        using var image = SKBitmap.Decode(TraceImage.Png("trace", spans, s => s.Name != "step"));

        Assert.Equal(1250, image.Width);
        Assert.Equal(80 + 3 * 16, image.Height); // the step is not kept: job and two ranks
        Assert.Contains(image.Pixels, p => p == new SKColor(0x2C, 0xA0, 0x2C)); // a training span's bar
    }

    [Fact]
    public void DashboardImage_DrawsEveryPanelInAGrid()
    {
        var loss = new DashboardImage.Series("loss", Enumerable.Range(0, 40).Select(i => (1000.0 + i, 3 * Math.Exp(-i / 10.0))).ToList());
        DashboardImage.Panel[] panels = [new("loss", [loss]), new("tokens/s", [loss], Stat: true), new("empty", [])];

        using var image = SKBitmap.Decode(DashboardImage.Png("Athanor / Training", panels, t0: 1000));

        Assert.Equal(2 * 560 + 3 * 12, image.Width);
        Assert.Equal(16 + 2 * 12 + 2 * (300 + 12), image.Height);
        Assert.Contains(image.Pixels, p => p == new SKColor(0x1F, 0x77, 0xB4)); // the loss line
    }
}
