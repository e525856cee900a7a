using System.Globalization;

namespace Athanor.Configuration;

/// <summary>
/// How PyYAML (YAML 1.1), which LLaMA-Factory reads configs with, spells null and booleans, and
/// how Athanor writes numbers so that PyYAML reads them back as numbers too.
/// </summary>
internal static class YamlScalars
{
    public static bool IsNull(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    public static bool? ParseBool(string text) => text switch
    {
        "true" or "True" or "TRUE" or "yes" or "Yes" or "YES" or "on" or "On" or "ON" => true,
        "false" or "False" or "FALSE" or "no" or "No" or "NO" or "off" or "Off" or "OFF" => false,
        _ => null,
    };

    /// <summary>
    /// A number in any spelling PyYAML or Python's float() accepts: 1e-4, 1.0e-4, 1_000, +3.
    /// PyYAML itself reads "1e-4" (no dot) as a string; LLaMA-Factory's argument parsing turns it
    /// into a float anyway, so both forms are numbers here. The value may be infinite (1e999).
    /// </summary>
    public static bool TryParseDouble(string text, out double value)
    {
        var t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        // double.TryParse would also take "Infinity" and "NaN": only digits, signs, a dot and an exponent count.
        foreach (var c in t)
        {
            if (!char.IsAsciiDigit(c) && c is not ('+' or '-' or '.' or 'e' or 'E'))
            {
                value = 0;
                return false;
            }
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Shortest round-trip text, always with a dot and a signed exponent, as PyYAML's float rule wants.</summary>
    public static string FormatDouble(double value)
    {
        var s = value.ToString("R", CultureInfo.InvariantCulture);
        var e = s.IndexOf('E');
        if (e < 0)
            return s.Contains('.') ? s : s + ".0";
        var mantissa = s[..e];
        var exponent = s[(e + 1)..];
        if (!mantissa.Contains('.'))
            mantissa += ".0";
        if (exponent[0] is not ('+' or '-'))
            exponent = "+" + exponent;
        return mantissa + "e" + exponent;
    }
}
