using System.Text;
using Athanor.Tokenization;

namespace Athanor.Tests.Templates;

/// <summary>
/// A real, tiny tokenizer for template tests: every UTF-16 code unit is one token (id 1000 + code), and the given
/// special tokens are matched first (longest first) as single ids 1..n, as Hugging Face tokenizers split on added tokens.
/// </summary>
internal sealed class CharTokenizer : ITokenizer
{
    private const int CharBase = 1000;
    private readonly string[] _special;
    private readonly Dictionary<string, int> _specialIds;

    public CharTokenizer(IEnumerable<string> specialTokens, string? bos, string? eos, string? chatTemplate = null)
    {
        _special = specialTokens.Distinct().ToArray();
        _specialIds = _special.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i + 1);
        BosToken = bos;
        EosToken = eos;
        ChatTemplate = chatTemplate;
    }

    public static CharTokenizer Qwen(string? chatTemplate = null) =>
        new(new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>", "</tool_call>" }, null, "<|im_end|>", chatTemplate);

    public static CharTokenizer Llama3(string? chatTemplate = null) =>
        new(new[] { "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>" }, "<|begin_of_text|>", "<|eot_id|>", chatTemplate);

    public static CharTokenizer Llama2(string? chatTemplate = null) => new(new[] { "<s>", "</s>", "<unk>" }, "<s>", "</s>", chatTemplate);

    public int VocabSize => CharBase + 65536;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        var ids = new List<int>(text.Length + 1);
        if (addSpecialTokens && BosTokenId is int bos) ids.Add(bos);
        int i = 0;
        while (i < text.Length)
        {
            string? match = null;
            foreach (var s in _special)
                if ((match == null || s.Length > match.Length) && string.CompareOrdinal(text, i, s, 0, s.Length) == 0) match = s;
            if (match != null)
            {
                ids.Add(_specialIds[match]);
                i += match.Length;
            }
            else ids.Add(CharBase + text[i++]);
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var sb = new StringBuilder();
        foreach (int id in ids)
        {
            if (id >= CharBase) sb.Append((char)(id - CharBase));
            else if (!skipSpecialTokens) sb.Append(_special[id - 1]);
        }
        return sb.ToString();
    }

    public int? TokenToId(string token) => _specialIds.TryGetValue(token, out int id) ? id : token.Length == 1 ? CharBase + token[0] : null;

    public string? IdToToken(int id) => id >= CharBase ? ((char)(id - CharBase)).ToString() : id >= 1 && id <= _special.Length ? _special[id - 1] : null;

    public string? BosToken { get; }
    public string? EosToken { get; }
    public string? PadToken => null;
    public int? BosTokenId => BosToken == null ? null : TokenToId(BosToken);
    public int? EosTokenId => EosToken == null ? null : TokenToId(EosToken);
    public int? PadTokenId => null;
    public string? ChatTemplate { get; }
}
