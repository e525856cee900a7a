namespace Athanor.Configuration;

/// <summary>The shape of a value as written, before typing.</summary>
internal enum RawKind
{
    /// <summary>One scalar: <see cref="RawEntry.Text"/>.</summary>
    Scalar,

    /// <summary>A list of scalars: <see cref="RawEntry.Items"/>.</summary>
    Sequence,

    /// <summary>A mapping or nested list, which no Athanor key accepts.</summary>
    Nested,
}

/// <summary>One key and its untyped value, with where it came from (for error messages).</summary>
internal sealed record RawEntry(
    string Key,
    RawKind Kind,
    string Text,
    bool Quoted,
    IReadOnlyList<string> Items,
    string SourceName,
    int? Line)
{
    /// <summary>True for YAML null: an unquoted null, Null, NULL, ~ or nothing at all.</summary>
    public bool IsNull => Kind == RawKind.Scalar && !Quoted && YamlScalars.IsNull(Text);

    /// <summary>The value as the user wrote it, for messages.</summary>
    public string Display => Kind switch
    {
        RawKind.Scalar => InputText.Shorten(Text),
        RawKind.Sequence => InputText.Shorten("[" + string.Join(", ", Items) + "]"),
        _ => "(a nested mapping or list)",
    };

    public ConfigException Error(string problem) => new(SourceName, Line, Key, problem);
}
