using ScottPlot;
using ScottPlot.TickGenerators;

namespace Athanor.Reporting;

/// <summary>Builds the ScottPlot figure of one loss chart: series, axes, legend, title and notes.</summary>
internal static class LossChart
{
    public const string EmptyNote = "no finite loss values";

    public static Plot Build(LossSeries train, LossSeries eval, string title, int width)
    {
        var plot = new Plot();
        plot.FigureBackground.Color = ChartStyle.Background;
        plot.DataBackground.Color = ChartStyle.Background;
        AddTrain(plot, train);
        AddEval(plot, eval);
        plot.XLabel("step");
        plot.YLabel("loss");
        if (title.Trim().Length > 0)
            plot.Title(FitTitle(title.Trim(), width - 2 * ChartStyle.TitlePadding - ChartStyle.TitleCentreShift), ChartStyle.TitleSize);
        if (train.Count + eval.Count > 0) plot.ShowLegend(Alignment.UpperRight);
        if (AllWhole(train.Steps) && AllWhole(eval.Steps))
            plot.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
        SetLimits(plot, train, eval);
        ChartFont.Apply(plot);

        int skipped = train.Skipped + eval.Skipped;
        if (skipped > 0) AddNote(plot, $"skipped {skipped} non-finite point{(skipped == 1 ? "" : "s")}", Alignment.LowerLeft);
        if (train.Count + eval.Count == 0) AddNote(plot, EmptyNote, Alignment.MiddleCenter);
        return plot;
    }

    private static void AddTrain(Plot plot, LossSeries train)
    {
        if (train.Count == 0) return;
        // SignalXY draws sorted x cheaply at any length (one vertical span per pixel column).
        var raw = plot.Add.SignalXY(train.Steps, train.Values, ChartStyle.Train.WithOpacity(ChartStyle.RawOpacity));
        raw.LineWidth = ChartStyle.RawWidth;
        raw.MarkerSize = 0;
        raw.LegendText = "train";
        var smoothed = plot.Add.SignalXY(train.Steps, LossSmoothing.Smooth(train.Values), ChartStyle.Train);
        smoothed.LineWidth = ChartStyle.SmoothedWidth;
        smoothed.MarkerSize = 0;
        smoothed.LegendText = "train (smoothed)";
        if (train.Count == 1) // a lone point makes no line: mark it
            plot.Add.Marker(train.Steps[0], train.Values[0], MarkerShape.FilledCircle, ChartStyle.MarkerSize, ChartStyle.Train);
    }

    private static void AddEval(Plot plot, LossSeries eval)
    {
        if (eval.Count == 0) return;
        var points = plot.Add.Scatter(eval.Steps, eval.Values, ChartStyle.Eval);
        points.LineColor = ChartStyle.Eval.WithOpacity(ChartStyle.EvalLineOpacity);
        points.LineWidth = ChartStyle.EvalLineWidth;
        points.MarkerShape = MarkerShape.FilledCircle;
        points.MarkerSize = ChartStyle.MarkerSize;
        points.LegendText = "eval";
    }

    /// <summary>ScottPlot's automatic limits, except that a loss axis never dips below 0 for padding alone.</summary>
    private static void SetLimits(Plot plot, LossSeries train, LossSeries eval)
    {
        if (train.Count + eval.Count == 0)
        {
            plot.Axes.SetLimits(0, 1, 0, 1);
            return;
        }
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        bool nonNegative = train.Values.All(v => v >= 0) && eval.Values.All(v => v >= 0);
        if (nonNegative && limits.Bottom < 0) plot.Axes.SetLimitsY(0, limits.Top);
    }

    private static void AddNote(Plot plot, string text, Alignment where)
    {
        var note = plot.Add.Annotation(text, where);
        ChartFont.Apply(note.LabelStyle);
        note.LabelStyle.FontSize = ChartStyle.NoteSize;
        note.LabelStyle.ForeColor = ChartStyle.MutedText;
        note.LabelStyle.BackgroundColor = ChartStyle.Background.WithOpacity(0.8);
        note.LabelStyle.BorderColor = Colors.Transparent;
        note.LabelStyle.ShadowColor = Colors.Transparent;
    }

    /// <summary><paramref name="title"/> shortened with "..." until it fits <paramref name="width"/> pixels.</summary>
    private static string FitTitle(string title, float width)
    {
        var style = new LabelStyle { FontSize = ChartStyle.TitleSize };
        ChartFont.Apply(style);
        using var paint = Paint.NewDisposablePaint();
        bool Fits(string text) => style.Measure(text, paint).Width <= width;
        if (Fits(title)) return title;
        for (int keep = title.Length - 1; keep > 0; keep--)
        {
            string candidate = title[..keep].TrimEnd() + "...";
            if (Fits(candidate)) return candidate;
        }
        return "...";
    }

    private static bool AllWhole(double[] values) => values.All(v => v == Math.Floor(v));
}
