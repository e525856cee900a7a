namespace Athanor.Tokenization;

/// <summary>A stretch of text on its way to the model: Text[Start..End]. AtOrigin: it begins the input text.</summary>
internal readonly record struct Piece(string Text, int Start, int End, bool AtOrigin)
{
    public ReadOnlySpan<char> Span => Text.AsSpan(Start, End - Start);

    public static Piece Whole(string text, bool atOrigin) => new(text, 0, text.Length, atOrigin);
}

/// <summary>A tokenizer.json "pre_tokenizer": cuts pieces into smaller ones (and may rewrite them).</summary>
internal interface IPreTokenizer
{
    void PreTokenize(List<Piece> input, List<Piece> output);
}

internal enum SplitBehavior { Isolated, Removed }

/// <summary>Split: cuts on a pattern's matches; Isolated keeps matches and the text between them as pieces.</summary>
internal sealed class SplitPreTokenizer(ISplitPattern pattern, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public void PreTokenize(List<Piece> input, List<Piece> output)
    {
        var matches = new List<(int Start, int End)>();
        foreach (var piece in input)
        {
            matches.Clear();
            pattern.FindMatches(piece.Span, matches);
            int at = 0, length = piece.End - piece.Start;
            foreach (var (start, end) in matches)
            {
                if (start > at) Emit(piece, at, start, isMatch: false, output);
                Emit(piece, start, end, isMatch: true, output);
                at = end;
            }
            if (at < length) Emit(piece, at, length, isMatch: false, output);
        }
    }

    private void Emit(Piece piece, int start, int end, bool isMatch, List<Piece> output)
    {
        if (behavior == SplitBehavior.Removed && isMatch != invert) return;
        output.Add(new Piece(piece.Text, piece.Start + start, piece.Start + end, piece.AtOrigin && start == 0));
    }
}

/// <summary>
/// ByteLevel's splitting part: optional prefix space and, with use_regex, GPT-2's pattern. The byte-to-alphabet
/// mapping itself happens in the model stage so that the BPE cache can be keyed by the raw piece.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    private readonly SplitPreTokenizer? gpt2 = useRegex
        ? new SplitPreTokenizer(KnownSplitPattern.TryCreate(KnownSplitPattern.Gpt2)!, SplitBehavior.Isolated, false)
        : null;

    public void PreTokenize(List<Piece> input, List<Piece> output)
    {
        var prefixed = input;
        if (addPrefixSpace)
        {
            prefixed = new List<Piece>(input.Count);
            foreach (var piece in input)
                prefixed.Add(piece.Span.StartsWith(' ') ? piece : Piece.Whole(" " + piece.Span.ToString(), piece.AtOrigin));
        }
        if (gpt2 is not null) gpt2.PreTokenize(prefixed, output);
        else output.AddRange(prefixed);
    }
}

internal enum PrependScheme { Always, First, Never }

/// <summary>Metaspace (SentencePiece): spaces become the replacement, a prefix is added, and optionally each replacement starts a new piece.</summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : IPreTokenizer
{
    public void PreTokenize(List<Piece> input, List<Piece> output)
    {
        foreach (var piece in input)
        {
            string text = piece.Span.ToString().Replace(' ', replacement);
            bool prepend = scheme == PrependScheme.Always || (scheme == PrependScheme.First && piece.AtOrigin);
            if (prepend && !text.StartsWith(replacement)) text = replacement + text;
            if (!split)
            {
                output.Add(Piece.Whole(text, piece.AtOrigin));
                continue;
            }
            // Each replacement char opens a piece (MergedWithNext); a run of them gives single-char pieces before the last.
            int start = 0;
            for (int i = 1; i < text.Length; i++)
            {
                if (text[i] != replacement) continue;
                output.Add(new Piece(text, start, i, piece.AtOrigin && start == 0));
                start = i;
            }
            if (text.Length > 0) output.Add(new Piece(text, start, text.Length, piece.AtOrigin && start == 0));
        }
    }
}

internal sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> steps) : IPreTokenizer
{
    public void PreTokenize(List<Piece> input, List<Piece> output)
    {
        var current = input;
        for (int i = 0; i < steps.Count; i++)
        {
            var next = i == steps.Count - 1 ? output : new List<Piece>(current.Count * 4);
            steps[i].PreTokenize(current, next);
            current = next;
        }
        if (steps.Count == 0) output.AddRange(input);
    }
}
