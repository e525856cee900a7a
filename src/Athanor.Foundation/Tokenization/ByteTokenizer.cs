using System.Text;

namespace Athanor.Tokenization;

/// <summary>
/// Athanor's built-in tokenizer for the tiny demo model: ids 0-255 are UTF-8 bytes, then six special tokens.
/// Special-token strings inside the text become their ids; Decode is lossless for any text.
/// </summary>
public sealed class ByteTokenizer : ITokenizer
{
    public const int BosId = 256, EosId = 257, PadId = 258, UserId = 259, AssistantId = 260, SystemId = 261;

    private static readonly string[] SpecialTokens = ["<|bos|>", "<|eos|>", "<|pad|>", "<|user|>", "<|assistant|>", "<|system|>"];

    public int VocabSize => 262;
    public string? BosToken => SpecialTokens[0];
    public string? EosToken => SpecialTokens[1];
    public string? PadToken => SpecialTokens[2];
    public int? BosTokenId => BosId;
    public int? EosTokenId => EosId;
    public int? PadTokenId => PadId;

    /// <summary>A minimal template using the chat markers, ending each turn with &lt;|eos|&gt;.</summary>
    public string? ChatTemplate =>
        "{% for message in messages %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|eos|>' }}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}";

    /// <summary>With addSpecialTokens, the ids are wrapped in &lt;|bos|&gt; ... &lt;|eos|&gt;.</summary>
    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length + 2);
        if (addSpecialTokens) ids.Add(BosId);
        int plainStart = 0;
        for (int i = text.IndexOf("<|", StringComparison.Ordinal); i >= 0; i = text.IndexOf("<|", i, StringComparison.Ordinal))
        {
            int special = SpecialAt(text, i);
            if (special < 0)
            {
                i += 2;
                continue;
            }
            AddBytes(text.AsSpan(plainStart, i - plainStart), ids);
            ids.Add(256 + special);
            i += SpecialTokens[special].Length;
            plainStart = i;
        }
        AddBytes(text.AsSpan(plainStart), ids);
        if (addSpecialTokens) ids.Add(EosId);
        return ids;
    }

    private static int SpecialAt(string text, int index)
    {
        for (int s = 0; s < SpecialTokens.Length; s++)
            if (text.AsSpan(index).StartsWith(SpecialTokens[s], StringComparison.Ordinal)) return s;
        return -1;
    }

    private static void AddBytes(ReadOnlySpan<char> text, List<int> ids)
    {
        if (text.IsEmpty) return;
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToArray());
        foreach (byte b in bytes) ids.Add(b);
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sb = new StringBuilder();
        var pending = new List<byte>();
        foreach (int id in ids)
        {
            if ((uint)id < 256)
            {
                pending.Add((byte)id);
                continue;
            }
            if (id >= VocabSize || id < 0)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in ByteTokenizer (ids 0..{VocabSize - 1}).");
            sb.Append(Encoding.UTF8.GetString(pending.ToArray()));
            pending.Clear();
            if (!skipSpecialTokens) sb.Append(SpecialTokens[id - 256]);
        }
        sb.Append(Encoding.UTF8.GetString(pending.ToArray()));
        return sb.ToString();
    }

    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        int special = Array.IndexOf(SpecialTokens, token);
        if (special >= 0) return 256 + special;
        // The inverse of IdToToken: ASCII bytes are their character, the others <0xNN>.
        if (token.Length == 1 && token[0] < 128) return token[0];
        if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), global::System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b) && b >= 128)
            return b;
        return null;
    }

    public string? IdToToken(int id) => id switch
    {
        >= 0 and < 128 => ((char)id).ToString(),
        >= 128 and < 256 => $"<0x{id:X2}>",
        >= 256 and < 262 => SpecialTokens[id - 256],
        _ => null,
    };
}
