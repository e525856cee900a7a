using System.Globalization;
using System.Text.RegularExpressions;

namespace Athanor.Configuration;

/// <summary>Formats values as YAML scalars that PyYAML and Athanor both read back unchanged.</summary>
internal static partial class YamlText
{
    public static string Bool(bool value) => value ? "true" : "false";

    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Int(int? value) => value is { } v ? Int(v) : "null";

    public static string Double(double value) => YamlScalars.FormatDouble(value);

    public static string Double(double? value) => value is { } v ? Double(v) : "null";

    /// <summary>Plain when that cannot be misread (as null, a boolean, a number or YAML syntax); single-quoted otherwise.</summary>
    public static string String(string? value)
    {
        if (value is null)
            return "null";
        var plainIsSafe = SafePlain().IsMatch(value)
            && !ResolvesToOtherType().IsMatch(value)
            && !YamlScalars.IsNull(value)
            && YamlScalars.ParseBool(value) is null
            && !YamlScalars.TryParseDouble(value, out _);
        return plainIsSafe ? value : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    // Starts with a letter, digit, '/', '.' or '_' and holds only characters with no YAML meaning.
    [GeneratedRegex(@"^[A-Za-z0-9_./][A-Za-z0-9_./,+=@-]*$")]
    private static partial Regex SafePlain();

    // Plain scalars PyYAML would read as a date, a YAML float spelling or a hex/octal/binary integer.
    [GeneratedRegex(@"^(\d{4}-\d\d?-\d\d?|[-+]?\.(inf|Inf|INF|nan|NaN|NAN)$|[-+]?0[xob])")]
    private static partial Regex ResolvesToOtherType();
}
