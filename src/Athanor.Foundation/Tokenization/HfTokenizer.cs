using System.Collections.Frozen;

namespace Athanor.Tokenization;

/// <summary>
/// A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) run in managed code with the same ids as HF's
/// tokenizers: byte-level BPE (Qwen 2/2.5/3, Llama 3) and SentencePiece-style BPE with byte fallback (Llama 2, Mistral).
/// Encode: split on added tokens, normalize, pre-tokenize, BPE; special tokens from the post_processor only when asked.
/// Thread-safe.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    private readonly TokenizerPipeline pipeline;
    private readonly AddedTokenSplitter rawAddedTokens;        // matched on the original text
    private readonly AddedTokenSplitter normalizedAddedTokens; // matched after the normalizer
    private readonly FrozenDictionary<int, AddedToken> addedById;
    private readonly FrozenDictionary<string, int> addedByContent;
    private readonly string?[] idToToken;
    private readonly FrozenSet<int> specialIds; // what Decode drops with skipSpecialTokens: special added tokens, bos/eos/pad/unk/additional
    private readonly SpecialTokensTemplate template;

    private HfTokenizer(TokenizerPipeline pipeline, TokenizerConfigFile config, string source)
    {
        this.pipeline = pipeline;
        AddedTokens = pipeline.AddedTokens;
        rawAddedTokens = new AddedTokenSplitter(AddedTokens.Where(t => !t.Normalized));
        normalizedAddedTokens = new AddedTokenSplitter(AddedTokens.Where(t => t.Normalized));
        addedById = AddedTokens.GroupBy(t => t.Id).ToFrozenDictionary(g => g.Key, g => g.Last());
        addedByContent = AddedTokens.GroupBy(t => t.Content).ToFrozenDictionary(g => g.Key, g => g.Last().Id, StringComparer.Ordinal);

        int maxId = -1;
        foreach (int id in pipeline.Model.Vocab.Values) maxId = Math.Max(maxId, id);
        foreach (var t in AddedTokens) maxId = Math.Max(maxId, t.Id);
        VocabSize = maxId + 1;
        idToToken = new string?[VocabSize];
        foreach (var (token, id) in pipeline.Model.Vocab) idToToken[id] = token;
        foreach (var t in AddedTokens) idToToken[t.Id] = t.Content;

        BosToken = config.BosToken;
        EosToken = config.EosToken;
        PadToken = config.PadToken;
        BosTokenId = IdOfConfigToken(config.BosToken, "bos_token", source);
        EosTokenId = IdOfConfigToken(config.EosToken, "eos_token", source);
        PadTokenId = IdOfConfigToken(config.PadToken, "pad_token", source);
        ChatTemplate = config.ChatTemplate;
        CleanUpTokenizationSpaces = config.CleanUpTokenizationSpaces;

        var special = new HashSet<int>(AddedTokens.Where(t => t.Special).Select(t => t.Id));
        foreach (string? t in new[] { config.BosToken, config.EosToken, config.PadToken, config.UnkToken }.Concat(config.AdditionalSpecialTokens))
            if (t is not null && TokenToId(t) is int id) special.Add(id);
        specialIds = special.ToFrozenSet();
        template = TemplateFor(config, pipeline.Template, source);
    }

    /// <summary>Loads tokenizer.json, tokenizer_config.json and chat_template.jinja (the last two optional) from a model folder.</summary>
    public static HfTokenizer FromFolder(string folder)
    {
        if (!Directory.Exists(folder))
            throw new TokenizerFormatException($"Tokenizer folder \"{folder}\" does not exist; expected a Hugging Face model folder with tokenizer.json.");
        string json = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(json))
        {
            string hint = File.Exists(Path.Combine(folder, "tokenizer.model"))
                ? " It has tokenizer.model (SentencePiece) only; Athanor reads tokenizer.json, which transformers writes with save_pretrained of a fast tokenizer."
                : "";
            throw new TokenizerFormatException($"Tokenizer folder \"{folder}\" has no tokenizer.json; expected a Hugging Face model folder with tokenizer.json and tokenizer_config.json.{hint}");
        }
        return FromFiles(json, Path.Combine(folder, "tokenizer_config.json"), Path.Combine(folder, "chat_template.jinja"));
    }

    /// <param name="tokenizerJsonPath">tokenizer.json (required).</param>
    /// <param name="tokenizerConfigPath">tokenizer_config.json; skipped when null or missing.</param>
    /// <param name="chatTemplatePath">chat_template.jinja; skipped when null or missing, wins over the config's chat_template.</param>
    public static HfTokenizer FromFiles(string tokenizerJsonPath, string? tokenizerConfigPath = null, string? chatTemplatePath = null)
    {
        if (!File.Exists(tokenizerJsonPath))
            throw new TokenizerFormatException($"Tokenizer file \"{tokenizerJsonPath}\" does not exist.");
        var pipeline = TokenizerJsonLoader.Load(tokenizerJsonPath);
        var config = TokenizerConfigFile.Load(tokenizerConfigPath, chatTemplatePath);
        return new HfTokenizer(pipeline, config, tokenizerConfigPath ?? tokenizerJsonPath);
    }

    public int VocabSize { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }
    public string? PadToken { get; }
    public int? BosTokenId { get; }
    public int? EosTokenId { get; }
    public int? PadTokenId { get; }
    public string? ChatTemplate { get; }

    /// <summary>tokenizer.json's added_tokens, in file order.</summary>
    public IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>tokenizer_config.json's clean_up_tokenization_spaces: Decode then joins " ." " ," " n't" and the like, as transformers does.</summary>
    public bool CleanUpTokenizationSpaces { get; }

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 2 + 4);
        if (addSpecialTokens) ids.AddRange(template.Prefix);
        EncodeText(text, ids);
        if (addSpecialTokens) ids.AddRange(template.Suffix);
        return ids;
    }

    private void EncodeText(string text, List<int> ids)
    {
        var scratch = new EncodeScratch();
        if (rawAddedTokens.IsEmpty)
        {
            EncodeSegment(text, 0, text.Length, ids, scratch);
            return;
        }
        var segments = new List<(int Start, int End, AddedToken? Token)>();
        rawAddedTokens.Split(text, segments);
        foreach (var (start, end, token) in segments)
        {
            if (token is not null) ids.Add(token.Id);
            else EncodeSegment(text, start, end, ids, scratch);
        }
    }

    private sealed class EncodeScratch
    {
        public readonly List<Piece> Input = new(1);
        public readonly List<Piece> Output = new(64);
        public List<(int Start, int End, AddedToken? Token)>? Segments;
    }

    /// <summary>Text between raw added tokens: normalize, then split on normalized added tokens, then pre-tokenize and BPE.</summary>
    private void EncodeSegment(string text, int start, int end, List<int> ids, EncodeScratch scratch)
    {
        bool atOrigin = start == 0;
        string? normalized = pipeline.Normalizer?.Normalize(text.AsSpan(start, end - start));
        var segment = normalized is null ? new Piece(text, start, end, atOrigin) : Piece.Whole(normalized, atOrigin);
        if (normalizedAddedTokens.IsEmpty)
        {
            EncodePlain(segment, ids, scratch);
            return;
        }
        var parts = scratch.Segments ??= new List<(int, int, AddedToken?)>();
        parts.Clear();
        normalizedAddedTokens.Split(segment.Span, parts);
        foreach (var (s, e, token) in parts)
        {
            if (token is not null) ids.Add(token.Id);
            else EncodePlain(new Piece(segment.Text, segment.Start + s, segment.Start + e, segment.AtOrigin && s == 0), ids, scratch);
        }
    }

    private void EncodePlain(Piece segment, List<int> ids, EncodeScratch scratch)
    {
        if (segment.End == segment.Start) return;
        if (pipeline.PreTokenizer is null)
        {
            pipeline.Model.Encode(segment.Span, pipeline.ByteLevel, ids);
            return;
        }
        scratch.Input.Clear();
        scratch.Output.Clear();
        scratch.Input.Add(segment);
        pipeline.PreTokenizer.PreTokenize(scratch.Input, scratch.Output);
        foreach (var piece in scratch.Output) pipeline.Model.Encode(piece.Span, pipeline.ByteLevel, ids);
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && specialIds.Contains(id)) continue;
            string? token = IdToToken(id)
                ?? throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in this tokenizer (ids 0..{VocabSize - 1}, with gaps where the file defines none).");
            tokens.Add(token);
        }
        string text = pipeline.Decoder is null ? string.Join(' ', tokens) : string.Concat(pipeline.Decoder.Decode(tokens));
        return CleanUpTokenizationSpaces ? CleanUp(text) : text;
    }

    /// <summary>transformers' clean_up_tokenization.</summary>
    private static string CleanUp(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal).Replace(" 're", "'re", StringComparison.Ordinal);

    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (addedByContent.TryGetValue(token, out int added)) return added;
        return pipeline.Model.Vocab.TryGetValue(token, out int id) ? id : null;
    }

    public string? IdToToken(int id) => (uint)id < (uint)idToToken.Length ? idToToken[id] : null;

    private int? IdOfConfigToken(string? token, string key, string source)
    {
        if (token is null) return null;
        return TokenToId(token)
            ?? throw new TokenizerFormatException($"{source}: {key} \"{token}\" is neither in tokenizer.json's model.vocab nor in its added_tokens.");
    }

    /// <summary>
    /// transformers' LlamaTokenizerFast and GemmaTokenizerFast rebuild the post_processor from add_bos_token /
    /// add_eos_token (defaults true / false); every other class keeps tokenizer.json's post_processor.
    /// </summary>
    private SpecialTokensTemplate TemplateFor(TokenizerConfigFile config, SpecialTokensTemplate fromJson, string source)
    {
        string? cls = config.TokenizerClass;
        if (cls is null) return fromJson;
        if (cls.EndsWith("Fast", StringComparison.Ordinal)) cls = cls[..^4];
        if (cls is not ("LlamaTokenizer" or "CodeLlamaTokenizer" or "GemmaTokenizer")) return fromJson;
        bool addBos = config.AddBosToken ?? true, addEos = config.AddEosToken ?? false;
        if ((addBos && BosTokenId is null) || (addEos && EosTokenId is null))
            throw new TokenizerFormatException($"{source}: {config.TokenizerClass} with add_bos_token={addBos}, add_eos_token={addEos} needs bos_token/eos_token set.");
        return new SpecialTokensTemplate(addBos ? [BosTokenId!.Value] : [], addEos ? [EosTokenId!.Value] : []);
    }
}
