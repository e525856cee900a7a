namespace Athanor.Configuration;

/// <summary>
/// Turns command-line overrides ("key=value", from --set) into raw entries typed by the same rules
/// as the YAML file. The value is read as a plain YAML scalar: quote it ('1e-4', "null") to keep it
/// a string, write [a, b] for a list.
/// </summary>
internal static class OverrideParser
{
    public const string SourceName = "--set";

    public static List<RawEntry> Parse(IEnumerable<string> overrides)
    {
        var entries = new List<RawEntry>();
        foreach (var text in overrides)
            entries.Add(ParseOne(text));
        return entries;
    }

    private static RawEntry ParseOne(string text)
    {
        var eq = text.IndexOf('=');
        if (eq < 0)
            throw new ConfigException(SourceName, null, null,
                $"{InputText.Quote(text)} is not key=value; expected for example --set learning_rate=1e-4");
        var key = text[..eq].Trim();
        if (key.Length == 0)
            throw new ConfigException(SourceName, null, null,
                $"{InputText.Quote(text)} has no key before '='; expected for example --set learning_rate=1e-4");
        var value = text[(eq + 1)..].Trim();

        if (value.Length >= 2 && value[0] is '\'' or '"' && value[^1] == value[0])
        {
            var inner = value[1..^1];
            if (value[0] == '\'')
                inner = inner.Replace("''", "'", StringComparison.Ordinal);
            return new RawEntry(key, RawKind.Scalar, inner, true, [], SourceName, null);
        }
        // {a: 1} is a YAML mapping, as in the file: no key takes one, and it must not pass as the text "{a: 1}".
        if (value.Length >= 2 && value[0] == '{' && value[^1] == '}')
            return new RawEntry(key, RawKind.Nested, "", false, [], SourceName, null);
        if (value.Length >= 2 && value[0] == '[' && value[^1] == ']')
        {
            var items = value[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return new RawEntry(key, RawKind.Sequence, "", false, items, SourceName, null);
        }
        return new RawEntry(key, RawKind.Scalar, value, false, [], SourceName, null);
    }
}
