using Athanor.Reporting;

namespace Athanor.Tests.Reporting;

public class LossPlotTests
{
    private static readonly Rgb TrainBlue = Rgb.FromHex(0x1F77B4);
    private static readonly Rgb EvalOrange = Rgb.FromHex(0xFF7F0E);
    private static readonly Rgb NoteGrey = Rgb.FromHex(0x7A7A7A);

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

    private static DecodedPng Render(IReadOnlyList<(double, double)> train, IReadOnlyList<(double, double)>? eval, string title = "loss") =>
        PngTestDecoder.Decode(LossPlot.RenderPng(train, eval, title));

    [Fact]
    public void WritePng_WritesADecodablePngOfTheDefaultSizeOnAWhiteBackground()
    {
        using var folder = new TestPaths.TempFolder();
        var path = folder.Sub("training_loss.png");

        LossPlot.WritePng(path, FallingTrain(), Eval(), "training loss of saves/demo");

        var image = PngTestDecoder.Decode(File.ReadAllBytes(path));
        Assert.Equal(800, image.Width);
        Assert.Equal(500, image.Height);
        Assert.Equal(Rgb.White, image.Pixel(0, 0));
        Assert.Equal(Rgb.White, image.Pixel(799, 499));
        Assert.Equal(new[] { "training_loss.png" }, Directory.GetFiles(folder.Path).Select(p => Path.GetFileName(p)).ToArray()); // no temp file left
    }

    [Fact]
    public void TrainLine_RunsAcrossThePlotAndFallsWithTheLoss()
    {
        var image = Render(FallingTrain(), null);

        var meanRows = new List<double>();
        for (int x = 120; x <= 720; x += 20)
        {
            var rows = Enumerable.Range(0, image.Height).Where(y => image.Pixel(x, y) == TrainBlue).ToList();
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

        var withNote = Render(train, [(3, double.NegativeInfinity)]);
        var clean = Render([(1, 3.0), (3, 2.0), (5, 1.5)], null);

        Assert.True(withNote.Count(NoteGrey, top: 440) > 50, "the skipped-points note should be drawn at the bottom");
        Assert.Equal(0, clean.Count(NoteGrey));
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
            if (image.Pixel(x, y) == TrainBlue) rows.Add(y);
        Assert.NotEmpty(rows);
        Assert.True(rows.Max() - rows.Min() <= 2, $"flat loss spans rows {rows.Min()}..{rows.Max()}");
    }

    [Fact]
    public void NoData_StillRendersAxesAndSaysSo()
    {
        var image = Render([], null, "");
        Assert.Equal(0, image.Count(TrainBlue));
        Assert.True(image.Count(NoteGrey) > 50);
    }

    [Fact]
    public void HugeStepCounts_RenderQuickly()
    {
        var train = new List<(double, double)>();
        for (int i = 0; i <= 200_000; i++)
            train.Add((i * 10.0, 3 * Math.Exp(-i / 30_000.0) + 0.4 + 0.1 * Math.Sin(i)));
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var image = PngTestDecoder.Decode(LossPlot.RenderPng(train, null, "2M steps"));

        Assert.True(watch.ElapsedMilliseconds < 5000, $"took {watch.ElapsedMilliseconds} ms");
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
        var image = PngTestDecoder.Decode(png);
        Assert.Equal((640, 360), (image.Width, image.Height));
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
