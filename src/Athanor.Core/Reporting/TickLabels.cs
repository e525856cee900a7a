using System.Globalization;

namespace Athanor.Reporting;

/// <summary>
/// Tick label text: just enough decimals for the tick step, and a k/M/G suffix once values reach 10,000
/// (so 25000 reads "25k" and 1500000 reads "1.5M").
/// </summary>
public static class TickLabels
{
    public static string[] Format(IReadOnlyList<double> values, double step)
    {
        double largest = 0;
        foreach (double v in values) largest = Math.Max(largest, Math.Abs(v));
        (double unit, string suffix) = largest switch
        {
            >= 1e9 => (1e9, "G"),
            >= 1e6 => (1e6, "M"),
            >= 1e4 => (1e3, "k"),
            _ => (1.0, ""),
        };

        double scaledStep = step / unit;
        int decimals = DecimalsOf(scaledStep);
        var labels = new string[values.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            double v = values[i] / unit;
            if (Math.Abs(v) < scaledStep * 1e-6) v = 0; // -0 and 1e-17 both read as zero
            string text = v.ToString("F" + decimals, CultureInfo.InvariantCulture);
            labels[i] = v != 0 ? text + suffix : suffix.Length > 0 ? "0" : text;
        }
        return labels;
    }

    /// <summary>The fewest decimals that write <paramref name="step"/> exactly (0.5 -> 1, 0.05 -> 2, 2.5 -> 1, 500 -> 0).</summary>
    private static int DecimalsOf(double step)
    {
        int decimals = 0;
        for (double scaled = step; decimals < 10; decimals++, scaled *= 10)
        {
            if (Math.Abs(scaled - Math.Round(scaled)) <= 1e-6 * Math.Max(1, scaled)) break;
        }
        return decimals;
    }
}
