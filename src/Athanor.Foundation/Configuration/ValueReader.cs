namespace Athanor.Configuration;

/// <summary>
/// Types one raw entry. Each method throws a <see cref="ConfigException"/> that quotes the value
/// and says what the key accepts (<paramref name="expected"/> comes from the key table).
/// </summary>
internal static class ValueReader
{
    public static string String(RawEntry e, string expected) =>
        NullableString(e, expected) ?? throw e.Error($"null is not allowed; expected {expected}");

    public static string? NullableString(RawEntry e, string expected)
    {
        RequireScalar(e, expected);
        return e.IsNull ? null : e.Text.Trim();
    }

    /// <summary>A comma list, written either as "a, b" or as a YAML list; returned as "a,b".</summary>
    public static string? NullableList(RawEntry e, string expected)
    {
        var items = e.Kind == RawKind.Sequence ? e.Items : NullableString(e, expected)?.Split(',');
        return items is null ? null : string.Join(",", items.Select(i => i.Trim()));
    }

    public static bool Bool(RawEntry e, string expected)
    {
        RequireScalar(e, expected);
        if (e.IsNull)
            throw e.Error($"null is not allowed; expected {expected}");
        return YamlScalars.ParseBool(e.Text.Trim())
            ?? throw e.Error($"{InputText.Quote(e.Text)} is not true or false; expected {expected}");
    }

    public static double Double(RawEntry e, string expected)
    {
        RequireScalar(e, expected);
        if (e.IsNull)
            throw e.Error($"null is not allowed; expected {expected}");
        if (!YamlScalars.TryParseDouble(e.Text, out var value))
            throw e.Error($"{InputText.Quote(e.Text)} is not a number; expected {expected}");
        if (!double.IsFinite(value))
            throw e.Error($"{InputText.Quote(e.Text)} is not a finite number; expected {expected}");
        return value;
    }

    public static int Int(RawEntry e, string expected)
    {
        // PyYAML keeps '30' a string and Hugging Face's dataclass typing does not convert it: LLaMA-Factory would
        // fail later on a str where an int belongs. (Quoted floats such as '2e-4' are read as numbers, as there.)
        if (e.Kind == RawKind.Scalar && e.Quoted)
            throw e.Error($"{InputText.Quote(e.Text)} is quoted text, not a number; expected {expected}, written without quotes");
        var value = Double(e, expected);
        if (value != Math.Floor(value))
            throw e.Error($"{InputText.Quote(e.Text)} is not a whole number; expected {expected}");
        if (value is < int.MinValue or > int.MaxValue)
            throw e.Error($"{InputText.Quote(e.Text)} is too large; expected {expected}");
        return (int)value;
    }

    public static int? NullableInt(RawEntry e, string expected) => e.IsNull ? null : Int(e, expected);

    public static T Enum<T>(RawEntry e, EnumSpelling<T> spelling) where T : struct, System.Enum
    {
        var expected = "one of " + spelling.Accepted;
        RequireScalar(e, expected);
        if (e.IsNull)
            throw e.Error($"null is not allowed; expected {expected}");
        return spelling.Parse(e.Text) ?? throw e.Error($"{InputText.Quote(e.Text)} is not accepted; expected {expected}");
    }

    private static void RequireScalar(RawEntry e, string expected)
    {
        if (e.Kind == RawKind.Sequence)
            throw e.Error($"the list {e.Display} is not accepted; expected {expected}");
        if (e.Kind == RawKind.Nested)
            throw e.Error($"a mapping or nested list is not accepted; expected {expected}");
    }
}
