namespace Athanor.Reporting;

/// <summary>One axis: its value range, tick step, tick values and their labels.</summary>
internal sealed record ChartAxis(double Min, double Max, double Step, double[] Ticks, string[] Labels)
{
    public double Span => Max - Min;

    public static ChartAxis Create(double min, double max, int targetIntervals, bool integerOnly)
    {
        double step = NiceTicks.Step(max - min, targetIntervals, integerOnly);
        var ticks = NiceTicks.Values(min, max, step);
        return new ChartAxis(min, max, step, ticks, TickLabels.Format(ticks, step));
    }

    /// <summary>
    /// The padded range to show for data spanning [low, high]: a flat or single-valued range is opened up
    /// around its value, then a margin is added on both sides.
    /// </summary>
    public static (double Min, double Max) PaddedRange(double low, double high, double marginFraction, double flatHalfWidth)
    {
        if (high <= low)
        {
            double half = Math.Max(flatHalfWidth, Math.Abs(low) * 0.1);
            return (low - half, high + half);
        }
        double margin = (high - low) * marginFraction;
        return (low - margin, high + margin);
    }
}
