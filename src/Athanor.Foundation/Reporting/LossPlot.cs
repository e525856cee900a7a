using Athanor.IO;
using ScottPlot;

namespace Athanor.Reporting;

/// <summary>
/// Training-loss chart as a PNG, in the spirit of LLaMA-Factory's training_loss.png: raw train loss as a thin
/// light line, its exponential moving average as a thicker line, eval loss as markers, with axes, nice ticks,
/// legend and title, drawn by ScottPlot with a bundled font (<see cref="ChartFont"/>), so no installed font is needed.
/// Non-finite points are skipped and the count is noted on the chart.
/// </summary>
public static class LossPlot
{
    public const int DefaultWidth = 800;
    public const int DefaultHeight = 500;
    public const int MinWidth = 320;
    public const int MinHeight = 200;
    public const int MaxSide = 8192;

    public static void WritePng(string path, IReadOnlyList<(double Step, double Value)> trainLoss,
        IReadOnlyList<(double Step, double Value)>? evalLoss, string title) =>
        WritePng(path, trainLoss, evalLoss, title, DefaultWidth, DefaultHeight);

    /// <summary>Renders the chart and writes it atomically (temp file, fsync, rename) to <paramref name="path"/>.</summary>
    public static void WritePng(string path, IReadOnlyList<(double Step, double Value)> trainLoss,
        IReadOnlyList<(double Step, double Value)>? evalLoss, string title, int width, int height)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException("Loss plot path is empty: give the .png file to write.", nameof(path));
        var png = RenderPng(trainLoss, evalLoss, title, width, height);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        DurableFile.WriteAllBytes(path, png);
    }

    /// <summary>The PNG bytes of the chart; the same input always gives the same bytes.</summary>
    public static byte[] RenderPng(IReadOnlyList<(double Step, double Value)> trainLoss,
        IReadOnlyList<(double Step, double Value)>? evalLoss, string title,
        int width = DefaultWidth, int height = DefaultHeight)
    {
        using var plot = Build(trainLoss, evalLoss, title, width, height);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>The chart as a ScottPlot figure, to be rendered at <paramref name="width"/> x <paramref name="height"/>.</summary>
    internal static Plot Build(IReadOnlyList<(double Step, double Value)> trainLoss,
        IReadOnlyList<(double Step, double Value)>? evalLoss, string title, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(trainLoss);
        ArgumentNullException.ThrowIfNull(title);
        if (width < MinWidth || width > MaxSide)
            throw new ArgumentOutOfRangeException(nameof(width), width, $"Loss plot width {width} px is out of range: use {MinWidth}..{MaxSide}.");
        if (height < MinHeight || height > MaxSide)
            throw new ArgumentOutOfRangeException(nameof(height), height, $"Loss plot height {height} px is out of range: use {MinHeight}..{MaxSide}.");
        return LossChart.Build(LossSeries.From(trainLoss), LossSeries.From(evalLoss), title, width);
    }
}
