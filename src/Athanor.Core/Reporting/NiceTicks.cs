namespace Athanor.Reporting;

/// <summary>Axis tick positions at "nice" steps (1, 2 or 5 times a power of ten).</summary>
public static class NiceTicks
{
    private const int MaxTicks = 1000;

    /// <summary>
    /// The nice step closest to splitting <paramref name="span"/> into <paramref name="targetIntervals"/> parts;
    /// with <paramref name="integerOnly"/> the step is never below 1 (training steps are whole numbers).
    /// </summary>
    public static double Step(double span, int targetIntervals, bool integerOnly = false)
    {
        if (!(span > 0) || double.IsInfinity(span))
            throw new ArgumentOutOfRangeException(nameof(span), $"Tick span {span} is invalid: it must be finite and positive.");
        double raw = span / Math.Max(1, targetIntervals);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double fraction = raw / magnitude;
        // Nearest nice factor (not the next larger one), so the count stays close to the target.
        double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
        double step = nice * magnitude;
        return integerOnly ? Math.Max(1, step) : step;
    }

    /// <summary>Every multiple of <paramref name="step"/> inside [min, max], ascending.</summary>
    public static double[] Values(double min, double max, double step)
    {
        if (!(step > 0) || double.IsInfinity(step))
            throw new ArgumentOutOfRangeException(nameof(step), $"Tick step {step} is invalid: it must be finite and positive.");
        double slack = step * 1e-9; // a tick that lands on the edge up to rounding still counts
        long first = (long)Math.Ceiling((min - slack) / step);
        long last = (long)Math.Floor((max + slack) / step);
        if (last < first) return [];
        if (last - first + 1 > MaxTicks) last = first + MaxTicks - 1;
        var values = new double[last - first + 1];
        for (long k = first; k <= last; k++)
            values[k - first] = k * step; // from the integer index, so rounding errors never accumulate
        return values;
    }
}
