using System.Text.RegularExpressions;
using Athanor.Tokenization.Unicode;

namespace Athanor.Tokenization;

/// <summary>A tokenizer.json "normalizer": rewrites text before pre-tokenization.</summary>
internal interface INormalizer
{
    /// <summary>The normalized text, or null when the text is unchanged (the common case allocates nothing).</summary>
    string? Normalize(ReadOnlySpan<char> text);
}

internal sealed class NfcNormalizer : INormalizer
{
    public string? Normalize(ReadOnlySpan<char> text) => Nfc.ToNfcOrNull(text);
}

internal sealed class NfdNormalizer : INormalizer
{
    public string? Normalize(ReadOnlySpan<char> text) => Nfc.ToNfdOrNull(text);
}

internal sealed class LowercaseNormalizer : INormalizer
{
    public string? Normalize(ReadOnlySpan<char> text)
    {
        string lower = text.ToString().ToLowerInvariant();
        return text.SequenceEqual(lower) ? null : lower;
    }
}

/// <summary>Prepend: puts a prefix before any non-empty text (SentencePiece's "▁").</summary>
internal sealed class PrependNormalizer(string prefix) : INormalizer
{
    public string? Normalize(ReadOnlySpan<char> text) => text.IsEmpty ? null : string.Concat(prefix, text);
}

/// <summary>Replace: every occurrence of a literal string (or of a regex) becomes the content.</summary>
internal sealed class ReplaceNormalizer : INormalizer
{
    private readonly string? literal;
    private readonly Regex? regex;
    private readonly string content;

    public ReplaceNormalizer(string? literal, Regex? regex, string content)
    {
        this.literal = literal;
        this.regex = regex;
        this.content = content;
    }

    public string? Normalize(ReadOnlySpan<char> text)
    {
        if (literal is not null)
        {
            if (literal.Length == 0 || text.IndexOf(literal, StringComparison.Ordinal) < 0) return null;
            return text.ToString().Replace(literal, content, StringComparison.Ordinal);
        }
        if (!regex!.IsMatch(text)) return null;
        return regex.Replace(text.ToString(), content.Replace("$", "$$", StringComparison.Ordinal));
    }
}

internal sealed class SequenceNormalizer(IReadOnlyList<INormalizer> steps) : INormalizer
{
    public string? Normalize(ReadOnlySpan<char> text)
    {
        string? current = null;
        foreach (var step in steps)
        {
            string? next = step.Normalize(current is null ? text : current.AsSpan());
            if (next is not null) current = next;
        }
        return current;
    }
}
