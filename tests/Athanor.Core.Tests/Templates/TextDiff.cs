namespace Athanor.Tests.Templates;

internal static class TextDiff
{
    /// <summary>Null when equal; otherwise where the strings first differ, with escaped context from both.</summary>
    public static string? FirstDifference(string expected, string actual)
    {
        int n = Math.Min(expected.Length, actual.Length);
        int i = 0;
        while (i < n && expected[i] == actual[i]) i++;
        if (i == n && expected.Length == actual.Length) return null;
        int from = Math.Max(0, i - 40);
        string Context(string s) => Escape(s.Substring(from, Math.Min(s.Length - from, i - from + 40)));
        return $"first difference at char {i} (expected length {expected.Length}, actual {actual.Length})\n" +
               $"  expected: …{Context(expected)}…\n  actual:   …{Context(actual)}…";
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
}
