using System.Text;

namespace Athanor.Tokenization;

/// <summary>A tokenizer.json "decoder" step: rewrites the list of token strings (HF's decode_chain).</summary>
internal interface ITokenDecoder
{
    List<string> Decode(List<string> tokens);
}

/// <summary>ByteLevel: alphabet characters back to bytes, then UTF-8 with U+FFFD for invalid sequences.</summary>
internal sealed class ByteLevelDecoder : ITokenDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            bool mapped = true;
            foreach (char c in token)
                if (ByteLevelAlphabet.ToByte(c) < 0) { mapped = false; break; }
            if (mapped)
                foreach (char c in token) bytes.Add((byte)ByteLevelAlphabet.ToByte(c));
            else
                bytes.AddRange(Encoding.UTF8.GetBytes(token)); // e.g. an added token outside the alphabet: as written
        }
        return [Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))];
    }
}

internal sealed class ReplaceDecoder(string pattern, string content) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++) tokens[i] = tokens[i].Replace(pattern, content, StringComparison.Ordinal);
        return tokens;
    }
}

/// <summary>ByteFallback: runs of &lt;0xNN&gt; tokens become their UTF-8 text, or one U+FFFD per byte if invalid.</summary>
internal sealed class ByteFallbackDecoder : ITokenDecoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    public List<string> Decode(List<string> tokens)
    {
        var output = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (string token in tokens)
        {
            if (TryParseByte(token, out byte b))
            {
                pending.Add(b);
                continue;
            }
            Flush(pending, output);
            output.Add(token);
        }
        Flush(pending, output);
        return output;
    }

    private static bool TryParseByte(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out value);
    }

    private static void Flush(List<byte> pending, List<string> output)
    {
        if (pending.Count == 0) return;
        try
        {
            output.Add(StrictUtf8.GetString(pending.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (int i = 0; i < pending.Count; i++) output.Add("\uFFFD");
        }
        pending.Clear();
    }
}

internal sealed class FuseDecoder : ITokenDecoder
{
    public List<string> Decode(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>Strip: removes up to `start` leading and `stop` trailing copies of a character from each token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            int from = 0, to = t.Length;
            while (from < start && from < to && t[from] == content) from++;
            while (t.Length - to < stop && to > from && t[to - 1] == content) to--;
            tokens[i] = t[from..to];
        }
        return tokens;
    }
}

/// <summary>Metaspace: the replacement becomes a space; the first token loses it when a prefix was prepended.</summary>
internal sealed class MetaspaceDecoder(char replacement, bool prefixWasAdded) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < tokens.Count; i++)
        {
            sb.Clear();
            foreach (char c in tokens[i])
            {
                if (c != replacement) sb.Append(c);
                else if (!(i == 0 && prefixWasAdded)) sb.Append(' ');
            }
            tokens[i] = sb.ToString();
        }
        return tokens;
    }
}

internal sealed class SequenceDecoder(IReadOnlyList<ITokenDecoder> steps) : ITokenDecoder
{
    public List<string> Decode(List<string> tokens)
    {
        foreach (var step in steps) tokens = step.Decode(tokens);
        return tokens;
    }
}
