namespace Athanor.Tokenization;

/// <summary>One entry of tokenizer.json's added_tokens.</summary>
public sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord, bool LStrip, bool RStrip, bool Normalized);

/// <summary>
/// Cuts text on added tokens as HF's AddedVocabulary does: leftmost-longest matches over a character trie,
/// single_word/lstrip/rstrip applied to each match; the rest is returned as plain segments.
/// </summary>
internal sealed class AddedTokenSplitter
{
    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }

    private readonly Node root = new();

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        foreach (var token in tokens)
        {
            if (token.Content.Length == 0) continue;
            var node = root;
            foreach (char c in token.Content)
            {
                node.Children ??= new Dictionary<char, Node>();
                if (!node.Children.TryGetValue(c, out var child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Token ??= token;
            IsEmpty = false;
        }
    }

    public bool IsEmpty { get; } = true;

    /// <summary>Appends (start, end, token or null for plain text) covering the whole text, in order.</summary>
    public void Split(ReadOnlySpan<char> text, List<(int Start, int End, AddedToken? Token)> output)
    {
        int plainStart = 0;
        var firstLevel = root.Children;
        for (int i = 0; i < text.Length; i++)
        {
            if (firstLevel is null || !firstLevel.ContainsKey(text[i])) continue;
            var (token, matchEnd) = LongestAt(text, i);
            if (token is null) continue;

            int start = i, stop = matchEnd;
            if (token.SingleWord)
            {
                bool spaceBefore = start == 0 || !IsWordChar(PreviousCodePoint(text, start));
                bool spaceAfter = stop == text.Length || !IsWordChar(NextCodePoint(text, stop));
                if (!spaceBefore || !spaceAfter)
                {
                    i = matchEnd - 1; // HF finds matches first, then drops this one: nothing may start inside it
                    continue;
                }
            }
            if (token.LStrip)
            {
                while (start > plainStart && char.IsWhiteSpace(text[start - 1])) start--;
            }
            if (token.RStrip)
            {
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            }
            if (start > plainStart) output.Add((plainStart, start, null));
            output.Add((start, stop, token));
            plainStart = stop;
            i = stop - 1;
        }
        if (plainStart < text.Length) output.Add((plainStart, text.Length, null));
    }

    private (AddedToken? Token, int End) LongestAt(ReadOnlySpan<char> text, int start)
    {
        AddedToken? best = null;
        int bestEnd = -1;
        var node = root;
        for (int j = start; j < text.Length; j++)
        {
            if (node.Children is null || !node.Children.TryGetValue(text[j], out var child)) break;
            node = child;
            if (node.Token is not null)
            {
                best = node.Token;
                bestEnd = j + 1;
            }
        }
        return (best, bestEnd);
    }

    private static int PreviousCodePoint(ReadOnlySpan<char> text, int end) =>
        end >= 2 && char.IsSurrogatePair(text[end - 2], text[end - 1]) ? char.ConvertToUtf32(text[end - 2], text[end - 1]) : text[end - 1];

    private static int NextCodePoint(ReadOnlySpan<char> text, int start) =>
        start + 1 < text.Length && char.IsSurrogatePair(text[start], text[start + 1]) ? char.ConvertToUtf32(text[start], text[start + 1]) : text[start];

    // Regex \w as HF uses for single_word: letters, marks, decimal digits, connector punctuation, joiners.
    private static bool IsWordChar(int cp)
    {
        if (cp is 0x200C or 0x200D) return true;
        var cat = System.Globalization.CharUnicodeInfo.GetUnicodeCategory(cp);
        return cat <= System.Globalization.UnicodeCategory.OtherLetter
            || cat is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark
                or System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.DecimalDigitNumber
                or System.Globalization.UnicodeCategory.LetterNumber or System.Globalization.UnicodeCategory.ConnectorPunctuation;
    }
}
