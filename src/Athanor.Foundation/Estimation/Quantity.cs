using System.Globalization;

namespace Athanor.Estimation;

/// <summary>Counts written as 7e9, 7B, 7.5B, 500M, 20K, 1T or 7000000000 (suffixes K, M, B/G, T are powers of 1000).</summary>
public static class Quantity
{
    public const string Accepted = "a count such as 7e9, 7B, 7.5B, 500M or 7000000000";

    public static bool TryParse(string text, out long value)
    {
        value = 0;
        var s = text.Trim();
        if (s.Length == 0) return false;
        double scale = char.ToUpperInvariant(s[^1]) switch { 'K' => 1e3, 'M' => 1e6, 'B' or 'G' => 1e9, 'T' => 1e12, _ => 1 };
        if (scale != 1) s = s[..^1];
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return false;
        var total = Math.Round(number * scale);
        if (!double.IsFinite(total) || total < 1 || total > 9e18 || Math.Abs(number * scale - total) > 1e-6 * Math.Max(1, total)) return false;
        value = (long)total;
        return true;
    }

    /// <summary>6.74B, 19.99M, 512K: three significant digits for people.</summary>
    public static string Format(double count) => count switch
    {
        >= 1e12 => FormattableString.Invariant($"{count / 1e12:0.##}T"),
        >= 1e9 => FormattableString.Invariant($"{count / 1e9:0.##}B"),
        >= 1e6 => FormattableString.Invariant($"{count / 1e6:0.##}M"),
        >= 1e3 => FormattableString.Invariant($"{count / 1e3:0.##}K"),
        _ => count.ToString("0", CultureInfo.InvariantCulture),
    };
}
