using Athanor.Reporting;
using ScottPlot;

namespace Athanor.Tests.Reporting;

public class LossPlotTests
{
    private const uint TrainBlue = 0x1F77B4;
    private const uint EvalOrange = 0xFF7F0E;
    private const uint White = 0xFFFFFF;

    private static List<(double Step, double Value)> FallingTrain(int points = 300, int every = 10)
    {
        var rng = new Random(3);
        var list = new List<(double, double)>();
        for (int i = 1; i <= points; i++)
            list.Add((i * every, 0.5 + 2 * Math.Exp(-i / 60.0) + 0.1 * rng.NextDouble()));
        return list;
    }

    private static List<(double Step, double Value)> Eval() =>
        [(500, 1.6), (1000, 1.1), (1500, 0.9), (2000, 0.8), (2500, 0.75), (3000, 0.72)];

    private static ChartPixels Render(IReadOnlyList<(double, double)> train, IReadOnlyList<(double, double)>? eval, string title = "loss") =>
        ChartPixels.Decode(LossPlot.RenderPng(train, eval, title));

    /// <summary>The texts of the chart's free-standing notes.</summary>
    private static List<string> Notes(IReadOnlyList<(double, double)> train, IReadOnlyList<(double, double)>? eval)
    {
        using var plot = LossPlot.Build(train, eval, "t", LossPlot.DefaultWidth, LossPlot.DefaultHeight);
        return plot.GetPlottables<ScottPlot.Plottables.Annotation>().Select(a => a.Text).ToList();
    }

    [Fact]
    public void WritePng_WritesADecodablePngOfTheDefaultSizeOnAWhiteBackground()
    {
        using var folder = new TestPaths.TempFolder();
        var path = folder.Sub("training_loss.png");

        LossPlot.WritePng(path, FallingTrain(), Eval(), "training loss of saves/demo");

        var image = ChartPixels.Decode(File.ReadAllBytes(path));
        Assert.Equal(800, image.Width);
        Assert.Equal(500, image.Height);
        Assert.True(image.Is(0, 0, White));
        Assert.True(image.Is(799, 499, White));
        Assert.Equal(new[] { "training_loss.png" }, Directory.GetFiles(folder.Path).Select(p => Path.GetFileName(p)).ToArray()); // no temp file left
    }

    [Fact]
    public void Texts_AreDrawnWithTheBundledFont()
    {
        // The bundled typeface has every glyph the chart writes, so no installed font is needed (a bare Debian has none).
        Assert.Equal("DejaVu Sans", ChartFont.Typeface.FamilyName);
        Assert.True(ChartFont.Typeface.ContainsGlyphs("training loss: step 0123456789.e-+ (smoothed) skipped \u00e9"));
        Assert.Equal(ChartFont.Typeface.FamilyName, Fonts.GetTypeface(ChartFont.Name, bold: false, italic: false).FamilyName);

        // The title is drawn: dark pixels in the band above the plot.
        var titled = Render([], null, "training loss of saves/demo");
        Assert.True(titled.CountDark(0, 0, 800, 30) > 100, "the title should be drawn at the top");
    }

    [Fact]
    public void TrainLine_RunsAcrossThePlotAndFallsWithTheLoss()
    {
        var image = Render(FallingTrain(), null);

        var meanRows = new List<double>();
        for (int x = 120; x <= 720; x += 20)
        {
            var rows = Enumerable.Range(0, image.Height).Where(y => image.Is(x, y, TrainBlue)).ToList();
            Assert.True(rows.Count > 0, $"no train-line pixel in column {x}");
            meanRows.Add(rows.Average());
        }
        Assert.True(meanRows[0] + 150 < meanRows[^1], "a falling loss must be drawn falling (higher rows on the right)");
    }

    [Fact]
    public void EvalMarkers_AppearOnlyWhenEvalPointsAreGiven()
    {
        Assert.True(Render(FallingTrain(), Eval()).Count(EvalOrange) > 6 * 20, "six eval markers expected");
        Assert.Equal(0, Render(FallingTrain(), null).Count(EvalOrange));
        Assert.Equal(0, Render(FallingTrain(), []).Count(EvalOrange));
    }

    [Fact]
    public void Legend_NamesTheSeriesShown()
    {
        using var both = LossPlot.Build(FallingTrain(), Eval(), "t", 800, 500);
        using var trainOnly = LossPlot.Build(FallingTrain(), null, "t", 800, 500);

        Assert.Equal(["train", "train (smoothed)", "eval"], both.Legend.GetItems().Select(i => i.LabelText));
        Assert.Equal(["train", "train (smoothed)"], trainOnly.Legend.GetItems().Select(i => i.LabelText));
        Assert.True(both.Legend.IsVisible);
        Assert.Equal("step", both.Axes.Bottom.Label.Text);
        Assert.Equal("loss", both.Axes.Left.Label.Text);
    }

    [Fact]
    public void Output_IsDeterministicAndMatchesTheWrittenFile()
    {
        using var folder = new TestPaths.TempFolder();
        var first = LossPlot.RenderPng(FallingTrain(), Eval(), "same");
        var second = LossPlot.RenderPng(FallingTrain(), Eval(), "same");
        LossPlot.WritePng(folder.Sub("a.png"), FallingTrain(), Eval(), "same");

        Assert.Equal(first, second);
        Assert.Equal(first, File.ReadAllBytes(folder.Sub("a.png")));
    }

    [Fact]
    public void WritePng_ReplacesAnExistingFileAndCreatesMissingFolders()
    {
        using var folder = new TestPaths.TempFolder();
        var path = folder.Sub("nested", "out", "loss.png");
        LossPlot.WritePng(path, FallingTrain(), null, "first");
        var firstBytes = File.ReadAllBytes(path);

        LossPlot.WritePng(path, FallingTrain(), Eval(), "second");

        Assert.NotEqual(firstBytes, File.ReadAllBytes(path));
        Assert.Equal(LossPlot.RenderPng(FallingTrain(), Eval(), "second"), File.ReadAllBytes(path));
    }

    [Fact]
    public void NonFiniteValues_AreSkippedAndNotedOnTheChart()
    {
        List<(double, double)> train = [(1, 3.0), (2, double.NaN), (3, 2.0), (4, double.PositiveInfinity), (double.NaN, 1.0), (5, 1.5)];
        List<(double, double)> clean = [(1, 3.0), (3, 2.0), (5, 1.5)];

        Assert.Equal(["skipped 4 non-finite points"], Notes(train, [(3, double.NegativeInfinity)]));
        Assert.Equal(["skipped 1 non-finite point"], Notes(clean, [(3, double.NaN)]));
        Assert.Empty(Notes(clean, null));
        // The note is drawn in the lower left corner of the plot; the finite points are drawn as without it.
        var withNote = Render(train, [(3, double.NegativeInfinity)]);
        var without = Render(clean, null);
        Assert.True(withNote.CountInk(60, 400, 300, 450) > without.CountInk(60, 400, 300, 450) + 100, "the note's text is missing");
        Assert.True(withNote.Count(TrainBlue) > 200);
    }

    [Fact]
    public void SinglePoint_IsDrawnAsADotInTheMiddle()
    {
        var image = Render([(10, 1.5)], null);
        Assert.True(image.Count(TrainBlue, left: 350, top: 180, right: 500, bottom: 320) > 10);
    }

    [Fact]
    public void AllEqualValues_DrawAFlatLine()
    {
        var image = Render([(0, 2.0), (100, 2.0), (200, 2.0)], null);

        var rows = new HashSet<int>();
        for (int x = 100; x < 400; x++) // left half: away from the legend
        for (int y = 0; y < image.Height; y++)
            if (image.Is(x, y, TrainBlue)) rows.Add(y);
        Assert.NotEmpty(rows);
        Assert.True(rows.Max() - rows.Min() <= 3, $"flat loss spans rows {rows.Min()}..{rows.Max()}");
    }

    [Fact]
    public void LossAxis_DoesNotDipBelowZeroForPaddingAlone()
    {
        using var plot = LossPlot.Build([(1, 0.0), (2, 0.01), (3, 0.0)], null, "t", 800, 500);
        Assert.Equal(0, plot.Axes.GetLimits().Bottom);
    }

    [Fact]
    public void NoData_StillRendersAxesAndSaysSo()
    {
        Assert.Equal([LossChart.EmptyNote], Notes([], null));
        var image = Render([], null, "");
        Assert.Equal(0, image.Count(TrainBlue));
        Assert.True(image.CountDark(0, 0, 800, 500) > 100, "axes and the note should be drawn");
    }

    [Fact]
    public void HugeStepCounts_Render()
    {
        var train = new List<(double, double)>();
        for (int i = 0; i <= 200_000; i++)
            train.Add((i * 10.0, 3 * Math.Exp(-i / 30_000.0) + 0.4 + 0.1 * Math.Sin(i)));

        var image = ChartPixels.Decode(LossPlot.RenderPng(train, null, "2M steps"));

        Assert.True(image.Count(TrainBlue, left: 100, right: 700) > 500);
    }

    [Fact]
    public void OutOfOrderSteps_DrawTheSameAsSorted()
    {
        var sorted = FallingTrain(50);
        var shuffled = sorted.OrderBy(_ => Guid.NewGuid()).ToList();
        Assert.Equal(LossPlot.RenderPng(sorted, null, "t"), LossPlot.RenderPng(shuffled, null, "t"));
    }

    [Fact]
    public void CustomSize_AndLongOrNonAsciiTitles_Render()
    {
        var png = LossPlot.RenderPng(FallingTrain(), Eval(), "\u00e9tape " + new string('x', 300), 640, 360);
        var image = ChartPixels.Decode(png);
        Assert.Equal((640, 360), (image.Width, image.Height));
        using var plot = LossPlot.Build(FallingTrain(), Eval(), "\u00e9tape " + new string('x', 300), 640, 360);
        Assert.EndsWith("...", plot.Axes.Title.Label.Text);
        Assert.StartsWith("\u00e9tape x", plot.Axes.Title.Label.Text);
    }

    [Fact]
    public void BadArguments_AreRejectedWithClearMessages()
    {
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => LossPlot.RenderPng(FallingTrain(), null, "t", 100, 500));
        Assert.Contains("100", size.Message);
        Assert.Contains("320..8192", size.Message);
        var path = Assert.Throws<ArgumentException>(() => LossPlot.WritePng(" ", FallingTrain(), null, "t"));
        Assert.Contains("path", path.Message);
        Assert.Throws<ArgumentNullException>(() => LossPlot.RenderPng(null!, null, "t"));
    }
}
