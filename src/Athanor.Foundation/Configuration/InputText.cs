using System.Text;

namespace Athanor.Configuration;

/// <summary>
/// How error messages quote what a caller sent: at most a bounded prefix, control characters escaped, so a
/// 300 KB value cannot make a 300 KB error (or an error line that breaks logs and response headers).
/// </summary>
public static class InputText
{
    /// <summary>The longest prefix of an input a message quotes.</summary>
    public const int MaxQuoted = 200;

    /// <summary>'text', or 'prefix...' (N characters) for a long one.</summary>
    public static string Quote(string text) =>
        text.Length <= MaxQuoted ? $"'{Escape(text)}'" : $"'{Escape(text[..MaxQuoted])}...' ({text.Length} characters)";

    /// <summary>The text unquoted, bounded the same way.</summary>
    public static string Shorten(string text) =>
        text.Length <= MaxQuoted ? Escape(text) : $"{Escape(text[..MaxQuoted])}... ({text.Length} characters)";

    // Line breaks as spaces, other control characters as \uXXXX: a message stays one readable line whatever was sent.
    private static string Escape(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        text = text.ReplaceLineEndings(" ");
        var b = new StringBuilder(text.Length + 8);
        foreach (var c in text)
            b.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c);
        return b.ToString();
    }
}
