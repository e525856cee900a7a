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
        int decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(scaledStep) - 1e-9), 0, 10);
        var labels = new string[values.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            double v = values[i] / unit;
            if (Math.Abs(v) < scaledStep * 1e-6) v = 0; // -0 and 1e-17 both read "0"
            string text = v.ToString("F" + decimals, CultureInfo.InvariantCulture);
            labels[i] = v == 0 ? "0" : text + suffix;
        }
        return labels;
    }
}
