namespace Athanor.Configuration;

/// <summary>
/// A job configuration that cannot be used. The message is one line that starts with where the
/// problem is ("job.yaml:12", "--set" or a source name) and says what is wrong and what is accepted.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string sourceName, int? line, string? key, string problem)
        : base(Format(sourceName, line, key, problem))
    {
        SourceName = sourceName;
        Line = line;
        Key = key;
    }

    /// <summary>The file path, "--set" for a command-line override, or the caller's source name.</summary>
    public string SourceName { get; }

    /// <summary>1-based line in the source, when known.</summary>
    public int? Line { get; }

    /// <summary>The configuration key at fault, when there is one.</summary>
    public string? Key { get; }

    private static string Format(string sourceName, int? line, string? key, string problem)
    {
        // The source name and the key may come from a caller (an unknown key): quoted only up to a bounded prefix.
        var source = InputText.Shorten(sourceName);
        var where = line is { } l ? $"{source}:{l}" : source;
        var text = key is null ? $"{where}: {problem}" : $"{where}: {InputText.Shorten(key)}: {problem}";
        // One line, always: multi-line YAML scalars or library messages must not break it.
        return text.ReplaceLineEndings(" ");
    }
}
