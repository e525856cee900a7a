using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Athanor.Tokenization;

/// <summary>Finds the non-overlapping matches of a pre-tokenizer pattern, left to right.</summary>
internal interface ISplitPattern
{
    /// <summary>Appends (start, end) of each match in text, in order.</summary>
    void FindMatches(ReadOnlySpan<char> text, List<(int Start, int End)> matches);
}

/// <summary>
/// Hand-written matchers for the regexes that byte-level BPE models ship (GPT-2's, and the GPT-4 style one of
/// Llama 3 and Qwen 2/3). They work on code points with Unicode categories as Oniguruma (HF's regex engine)
/// does; .NET's Regex sees surrogate halves instead, so \p{L} would miss letters outside the BMP.
/// </summary>
internal sealed class KnownSplitPattern : ISplitPattern
{
    /// <summary>GPT-2's pattern, also what ByteLevel uses when use_regex is true.</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    /// <summary>Qwen 2/2.5/3: digits one at a time.</summary>
    public const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    /// <summary>Llama 3 (and cl100k): digits in groups of up to three.</summary>
    public const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly bool gpt4Style;
    private readonly int maxDigits;

    private KnownSplitPattern(bool gpt4Style, int maxDigits)
    {
        this.gpt4Style = gpt4Style;
        this.maxDigits = maxDigits;
    }

    public static KnownSplitPattern? TryCreate(string pattern) => pattern switch
    {
        Gpt2 => new KnownSplitPattern(false, int.MaxValue),
        Qwen2 => new KnownSplitPattern(true, 1),
        Llama3 => new KnownSplitPattern(true, 3),
        _ => null,
    };

    public void FindMatches(ReadOnlySpan<char> text, List<(int Start, int End)> matches)
    {
        int p = 0;
        while (p < text.Length)
        {
            int end = gpt4Style ? MatchGpt4(text, p) : MatchGpt2(text, p);
            if (end > p)
            {
                matches.Add((p, end));
                p = end;
            }
            else
            {
                p += CodePointLength(text, p); // no alternative matches here: the character stays between matches
            }
        }
    }

    private int MatchGpt4(ReadOnlySpan<char> s, int p)
    {
        int end = MatchContraction(s, p, ignoreCase: true);
        if (end > 0) return end;

        int cp = CodePoint(s, p, out int next);
        if (IsLetter(cp)) return SkipLetters(s, next);
        if (cp != '\r' && cp != '\n' && !IsNumber(cp) && next < s.Length && IsLetter(CodePoint(s, next, out int afterFirst)))
            return SkipLetters(s, afterFirst);

        if (IsNumber(cp))
        {
            int count = 1;
            while (count < maxDigits && next < s.Length && IsNumber(CodePoint(s, next, out int n2)))
            {
                next = n2;
                count++;
            }
            return next;
        }

        int punctEnd = MatchSpacePunctuation(s, p);
        if (punctEnd > 0)
        {
            while (punctEnd < s.Length && s[punctEnd] is '\r' or '\n') punctEnd++;
            return punctEnd;
        }

        if (!IsWhitespace(s[p])) return -1;
        int runEnd = SkipWhitespace(s, p);
        for (int k = runEnd - 1; k >= p; k--)
            if (s[k] is '\r' or '\n') return k + 1; // \s*[\r\n]+
        return WhitespaceRun(s, p, runEnd);
    }

    private static int MatchGpt2(ReadOnlySpan<char> s, int p)
    {
        int end = MatchContraction(s, p, ignoreCase: false);
        if (end > 0) return end;

        int start = p;
        if (s[p] == ' ' && p + 1 < s.Length) start = p + 1;
        int cp = CodePoint(s, start, out int next);
        if (IsLetter(cp)) return SkipLetters(s, next);
        if (IsNumber(cp))
        {
            while (next < s.Length && IsNumber(CodePoint(s, next, out int n2))) next = n2;
            return next;
        }

        int punctEnd = MatchSpacePunctuation(s, p);
        if (punctEnd > 0) return punctEnd;

        if (!IsWhitespace(s[p])) return -1;
        return WhitespaceRun(s, p, SkipWhitespace(s, p));
    }

    /// <summary>'s|'t|'re|'ve|'m|'ll|'d, optionally case-insensitive (Oniguruma folds U+017F long s to s).</summary>
    private static int MatchContraction(ReadOnlySpan<char> s, int p, bool ignoreCase)
    {
        if (s[p] != '\'' || p + 1 >= s.Length) return -1;
        char a = Fold(s[p + 1], ignoreCase);
        if (a is 's' or 't' or 'm' or 'd') return p + 2;
        if (p + 2 >= s.Length) return -1;
        char b = Fold(s[p + 2], ignoreCase);
        return (a, b) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? p + 3 : -1;
    }

    private static char Fold(char c, bool ignoreCase)
    {
        if (!ignoreCase) return c;
        if (c is >= 'A' and <= 'Z') return (char)(c + 32);
        return c == '\u017F' ? 's' : c;
    }

    /// <summary> ?[^\s\p{L}\p{N}]+ : returns the end, or -1.</summary>
    private static int MatchSpacePunctuation(ReadOnlySpan<char> s, int p)
    {
        int q = s[p] == ' ' ? p + 1 : p;
        int end = q;
        while (end < s.Length)
        {
            int cp = CodePoint(s, end, out int next);
            if (IsWhitespace(cp) || IsLetter(cp) || IsNumber(cp)) break;
            end = next;
        }
        return end > q ? end : -1;
    }

    /// <summary>\s+(?!\S)|\s+ over the whitespace run [p, runEnd).</summary>
    private static int WhitespaceRun(ReadOnlySpan<char> s, int p, int runEnd)
    {
        if (runEnd == s.Length || runEnd - 1 == p) return runEnd; // whole run (second alternative if a single space)
        return runEnd - 1; // leave the last whitespace to start the next word
    }

    private static int SkipLetters(ReadOnlySpan<char> s, int i)
    {
        while (i < s.Length && IsLetter(CodePoint(s, i, out int next))) i = next;
        return i;
    }

    private static int SkipWhitespace(ReadOnlySpan<char> s, int i)
    {
        while (i < s.Length && IsWhitespace(s[i])) i++;
        return i;
    }

    private static int CodePoint(ReadOnlySpan<char> s, int i, out int next)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            next = i + 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        next = i + 1;
        return c;
    }

    private static int CodePointLength(ReadOnlySpan<char> s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;

    // Unicode White_Space, as Oniguruma's \s: the same set as char.IsWhiteSpace; none lies outside the BMP.
    private static bool IsWhitespace(int cp) => cp < 0x10000 && char.IsWhiteSpace((char)cp);

    private static bool IsLetter(int cp)
    {
        if (cp < 0x80) return (uint)((cp | 0x20) - 'a') <= 'z' - 'a';
        return CharUnicodeInfo.GetUnicodeCategory(cp) <= UnicodeCategory.OtherLetter;
    }

    private static bool IsNumber(int cp)
    {
        if (cp < 0x80) return (uint)(cp - '0') <= 9;
        var cat = CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }
}

/// <summary>Any other Split pattern, through .NET's Regex (exact for text inside the BMP).</summary>
internal sealed class RegexSplitPattern : ISplitPattern
{
    private readonly Regex regex;

    public RegexSplitPattern(Regex regex) => this.regex = regex;

    public void FindMatches(ReadOnlySpan<char> text, List<(int Start, int End)> matches)
    {
        foreach (ValueMatch m in regex.EnumerateMatches(text))
            if (m.Length > 0) matches.Add((m.Index, m.Index + m.Length));
    }
}
