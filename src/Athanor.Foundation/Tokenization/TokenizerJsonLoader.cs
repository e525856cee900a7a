using System.Text.Json;
using System.Text.RegularExpressions;
using static Athanor.Tokenization.JsonReading;

namespace Athanor.Tokenization;

/// <summary>The parts of a tokenizer.json that Athanor runs, built from the file.</summary>
internal sealed record TokenizerPipeline(
    BpeModel Model,
    IReadOnlyList<AddedToken> AddedTokens,
    INormalizer? Normalizer,
    IPreTokenizer? PreTokenizer,
    bool ByteLevel,
    ITokenDecoder? Decoder,
    SpecialTokensTemplate Template);

/// <summary>Reads tokenizer.json (the Hugging Face tokenizers format) into a TokenizerPipeline.</summary>
internal static class TokenizerJsonLoader
{
    public const string SupportedNormalizers = "NFC, NFD, Lowercase, Prepend, Replace, Sequence";
    public const string SupportedPreTokenizers = "Split, ByteLevel, Metaspace, Sequence";
    public const string SupportedDecoders = "ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence";
    public const string SupportedPostProcessors = "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence";

    public static TokenizerPipeline Load(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{path}: not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new TokenizerFormatException($"{path}: expected a JSON object at the top level, found {root.ValueKind}.");

            var model = LoadModel(Required(root, "model", path, "$"), path);
            var added = LoadAddedTokens(root, path);
            var normalizer = LoadNormalizer(Optional(root, "normalizer"), path, "$.normalizer");
            bool byteLevel = false;
            var preTokenizer = LoadPreTokenizer(Optional(root, "pre_tokenizer"), path, "$.pre_tokenizer", isLast: true, ref byteLevel);
            var decoder = LoadDecoder(Optional(root, "decoder"), path, "$.decoder");
            var template = LoadPostProcessor(Optional(root, "post_processor"), path, "$.post_processor");
            return new TokenizerPipeline(model, added, normalizer, preTokenizer, byteLevel, decoder, template);
        }
    }

    private static BpeModel LoadModel(JsonElement m, string file)
    {
        const string at = "$.model";
        string type = OptionalString(m, "type", file, at) ?? (Optional(m, "merges") is null ? "(none)" : "BPE");
        if (type != "BPE")
            throw new TokenizerFormatException($"{file}: {at}.type is \"{type}\"; Athanor supports BPE models only (byte-level BPE as in Qwen/Llama 3, SentencePiece-style BPE as in Llama 2/Mistral).");
        var dropout = Optional(m, "dropout");
        if (dropout is { ValueKind: JsonValueKind.Number } d && d.GetDouble() != 0)
            throw new TokenizerFormatException($"{file}: {at}.dropout is {Show(d)}; only null or 0 is supported (dropout makes encoding random).");
        foreach (string key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
        {
            string? affix = OptionalString(m, key, file, at);
            if (!string.IsNullOrEmpty(affix))
                throw new TokenizerFormatException($"{file}: {at}.{key} is \"{affix}\"; only null or \"\" is supported.");
        }

        var vocabJson = Required(m, "vocab", file, at);
        if (vocabJson.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException($"{file}: {at}.vocab is {Show(vocabJson)}; expected an object of token: id.");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabJson.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                throw new TokenizerFormatException($"{file}: {at}.vocab[\"{p.Name}\"] is {Show(p.Value)}; expected a non-negative integer id.");
            vocab[p.Name] = id;
        }

        var merges = new List<(string, string)>();
        var mergesJson = RequiredArray(m, "merges", file, at);
        int index = 0;
        foreach (var e in mergesJson.EnumerateArray())
        {
            merges.Add(ParseMerge(e, file, $"{at}.merges[{index}]"));
            index++;
        }

        return new BpeModel(vocab, merges,
            OptionalString(m, "unk_token", file, at),
            OptionalBool(m, "fuse_unk", false, file, at),
            OptionalBool(m, "byte_fallback", false, file, at),
            OptionalBool(m, "ignore_merges", false, file, at),
            file);
    }

    private static (string, string) ParseMerge(JsonElement e, string file, string at)
    {
        if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2
            && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
            return (e[0].GetString()!, e[1].GetString()!);
        if (e.ValueKind == JsonValueKind.String)
        {
            string s = e.GetString()!;
            int space = s.IndexOf(' ', 1); // a pair is "left right"; the left token is never empty
            if (space > 0 && space < s.Length - 1 && s.IndexOf(' ', space + 1) < 0) return (s[..space], s[(space + 1)..]);
        }
        throw new TokenizerFormatException($"{file}: {at} is {Show(e)}; expected \"left right\" or [\"left\", \"right\"].");
    }

    private static List<AddedToken> LoadAddedTokens(JsonElement root, string file)
    {
        var result = new List<AddedToken>();
        var list = Optional(root, "added_tokens");
        if (list is null) return result;
        if (list.Value.ValueKind != JsonValueKind.Array)
            throw new TokenizerFormatException($"{file}: $.added_tokens is {Show(list.Value)}; expected an array.");
        int i = 0;
        foreach (var t in list.Value.EnumerateArray())
        {
            string at = $"$.added_tokens[{i++}]";
            int id = OptionalInt(t, "id", -1, file, at);
            if (id < 0) throw new TokenizerFormatException($"{file}: {at}.id is missing or negative; expected the token's id.");
            result.Add(new AddedToken(id,
                RequiredString(t, "content", file, at),
                OptionalBool(t, "special", false, file, at),
                OptionalBool(t, "single_word", false, file, at),
                OptionalBool(t, "lstrip", false, file, at),
                OptionalBool(t, "rstrip", false, file, at),
                OptionalBool(t, "normalized", true, file, at)));
        }
        return result;
    }

    private static INormalizer? LoadNormalizer(JsonElement? json, string file, string at)
    {
        if (json is null) return null;
        var n = json.Value;
        string type = RequiredString(n, "type", file, at);
        switch (type)
        {
            case "NFC": return new NfcNormalizer();
            case "NFD": return new NfdNormalizer();
            case "Lowercase": return new LowercaseNormalizer();
            case "Prepend": return new PrependNormalizer(RequiredString(n, "prepend", file, at));
            case "Replace":
            {
                var (literal, regex) = LoadPattern(Required(n, "pattern", file, at), file, at + ".pattern");
                return new ReplaceNormalizer(literal, regex, RequiredString(n, "content", file, at));
            }
            case "Sequence":
            {
                var steps = new List<INormalizer>();
                int i = 0;
                foreach (var s in RequiredArray(n, "normalizers", file, at).EnumerateArray())
                {
                    var step = LoadNormalizer(s, file, $"{at}.normalizers[{i++}]");
                    if (step is not null) steps.Add(step);
                }
                return new SequenceNormalizer(steps);
            }
            default:
                throw new TokenizerFormatException($"{file}: {at}.type is \"{type}\"; supported normalizers: {SupportedNormalizers}.");
        }
    }

    private static IPreTokenizer? LoadPreTokenizer(JsonElement? json, string file, string at, bool isLast, ref bool byteLevel)
    {
        if (json is null) return null;
        var p = json.Value;
        string type = RequiredString(p, "type", file, at);
        switch (type)
        {
            case "Split":
            {
                var (literal, regex) = LoadPattern(Required(p, "pattern", file, at), file, at + ".pattern", compile: true);
                string behavior = RequiredString(p, "behavior", file, at);
                var parsed = behavior switch
                {
                    "Isolated" => SplitBehavior.Isolated,
                    "Removed" => SplitBehavior.Removed,
                    _ => throw new TokenizerFormatException($"{file}: {at}.behavior is \"{behavior}\"; supported: Isolated, Removed."),
                };
                ISplitPattern pattern = literal is not null
                    ? new RegexSplitPattern(new Regex(Regex.Escape(literal), RegexOptions.CultureInvariant))
                    : (ISplitPattern?)KnownSplitPattern.TryCreate(regex!.ToString()) ?? new RegexSplitPattern(regex!);
                return new SplitPreTokenizer(pattern, parsed, OptionalBool(p, "invert", false, file, at));
            }
            case "ByteLevel":
                if (!isLast)
                    throw new TokenizerFormatException($"{file}: {at} is a ByteLevel pre-tokenizer followed by others; Athanor supports ByteLevel only as the last pre-tokenizer.");
                byteLevel = true;
                return new ByteLevelPreTokenizer(OptionalBool(p, "add_prefix_space", false, file, at), OptionalBool(p, "use_regex", true, file, at));
            case "Metaspace":
                return new MetaspacePreTokenizer(Replacement(p, file, at), LoadPrependScheme(p, file, at), OptionalBool(p, "split", true, file, at));
            case "Sequence":
            {
                var list = RequiredArray(p, "pretokenizers", file, at);
                var steps = new List<IPreTokenizer>();
                int count = list.GetArrayLength();
                for (int i = 0; i < count; i++)
                {
                    var step = LoadPreTokenizer(list[i], file, $"{at}.pretokenizers[{i}]", isLast && i == count - 1, ref byteLevel);
                    if (step is not null) steps.Add(step);
                }
                return new SequencePreTokenizer(steps);
            }
            default:
                throw new TokenizerFormatException($"{file}: {at}.type is \"{type}\"; supported pre-tokenizers: {SupportedPreTokenizers}.");
        }
    }

    private static char Replacement(JsonElement p, string file, string at)
    {
        string r = OptionalString(p, "replacement", file, at) ?? "\u2581";
        return r.Length == 1 ? r[0] : throw new TokenizerFormatException($"{file}: {at}.replacement is \"{r}\"; expected a single character.");
    }

    private static PrependScheme LoadPrependScheme(JsonElement p, string file, string at)
    {
        string? scheme = OptionalString(p, "prepend_scheme", file, at);
        if (scheme is null) return OptionalBool(p, "add_prefix_space", true, file, at) ? PrependScheme.Always : PrependScheme.Never;
        return scheme switch
        {
            "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            _ => throw new TokenizerFormatException($"{file}: {at}.prepend_scheme is \"{scheme}\"; expected always, first or never."),
        };
    }

    /// <summary>{"String": literal} or {"Regex": pattern}.</summary>
    private static (string? Literal, Regex? Regex) LoadPattern(JsonElement pattern, string file, string at, bool compile = false)
    {
        string? literal = OptionalString(pattern, "String", file, at);
        if (literal is not null) return (literal, null);
        string? source = OptionalString(pattern, "Regex", file, at);
        if (source is not null && KnownSplitPattern.TryCreate(source) is not null)
            return (null, new Regex(source, RegexOptions.CultureInvariant)); // a hand-written matcher runs it: no need to compile
        if (source is null)
            throw new TokenizerFormatException($"{file}: {at} is {Show(pattern)}; expected {{\"String\": ...}} or {{\"Regex\": ...}}.");
        try
        {
            return (null, new Regex(source, RegexOptions.CultureInvariant | (compile ? RegexOptions.Compiled : RegexOptions.None)));
        }
        catch (ArgumentException e)
        {
            throw new TokenizerFormatException($"{file}: {at}.Regex \"{source}\" is not a regex .NET can run: {e.Message}", e);
        }
    }

    private static ITokenDecoder? LoadDecoder(JsonElement? json, string file, string at)
    {
        if (json is null) return null;
        var d = json.Value;
        string type = RequiredString(d, "type", file, at);
        switch (type)
        {
            case "ByteLevel": return new ByteLevelDecoder();
            case "ByteFallback": return new ByteFallbackDecoder();
            case "Fuse": return new FuseDecoder();
            case "Replace":
            {
                var (literal, _) = LoadPattern(Required(d, "pattern", file, at), file, at + ".pattern");
                if (literal is null)
                    throw new TokenizerFormatException($"{file}: {at}.pattern is a Regex; the Replace decoder supports {{\"String\": ...}} patterns only.");
                return new ReplaceDecoder(literal, RequiredString(d, "content", file, at));
            }
            case "Strip":
            {
                string content = RequiredString(d, "content", file, at);
                if (content.Length != 1)
                    throw new TokenizerFormatException($"{file}: {at}.content is \"{content}\"; expected a single character.");
                return new StripDecoder(content[0], OptionalInt(d, "start", 0, file, at), OptionalInt(d, "stop", 0, file, at));
            }
            case "Metaspace":
                return new MetaspaceDecoder(Replacement(d, file, at), LoadPrependScheme(d, file, at) != PrependScheme.Never);
            case "Sequence":
            {
                var steps = new List<ITokenDecoder>();
                int i = 0;
                foreach (var s in RequiredArray(d, "decoders", file, at).EnumerateArray())
                {
                    var step = LoadDecoder(s, file, $"{at}.decoders[{i++}]");
                    if (step is not null) steps.Add(step);
                }
                return new SequenceDecoder(steps);
            }
            default:
                throw new TokenizerFormatException($"{file}: {at}.type is \"{type}\"; supported decoders: {SupportedDecoders}.");
        }
    }

    private static SpecialTokensTemplate LoadPostProcessor(JsonElement? json, string file, string at)
    {
        if (json is null) return SpecialTokensTemplate.None;
        var p = json.Value;
        string type = RequiredString(p, "type", file, at);
        switch (type)
        {
            case "ByteLevel": return SpecialTokensTemplate.None; // offsets only
            case "TemplateProcessing": return LoadTemplate(p, file, at);
            case "RobertaProcessing":
            case "BertProcessing":
                return new SpecialTokensTemplate([TokenPairId(p, "cls", file, at)], [TokenPairId(p, "sep", file, at)]);
            case "Sequence":
            {
                var combined = SpecialTokensTemplate.None;
                int i = 0;
                foreach (var s in RequiredArray(p, "processors", file, at).EnumerateArray())
                    combined = combined.Then(LoadPostProcessor(s, file, $"{at}.processors[{i++}]"));
                return combined;
            }
            default:
                throw new TokenizerFormatException($"{file}: {at}.type is \"{type}\"; supported post-processors: {SupportedPostProcessors}.");
        }
    }

    private static int TokenPairId(JsonElement p, string key, string file, string at)
    {
        var pair = RequiredArray(p, key, file, at);
        if (pair.GetArrayLength() == 2 && pair[1].TryGetInt32(out int id)) return id;
        throw new TokenizerFormatException($"{file}: {at}.{key} is {Show(pair)}; expected [\"token\", id].");
    }

    private static SpecialTokensTemplate LoadTemplate(JsonElement p, string file, string at)
    {
        var specials = Required(p, "special_tokens", file, at);
        var prefix = new List<int>();
        var suffix = new List<int>();
        bool seenSequence = false;
        int i = 0;
        foreach (var item in RequiredArray(p, "single", file, at).EnumerateArray())
        {
            string itemAt = $"{at}.single[{i++}]";
            if (Optional(item, "Sequence") is not null)
            {
                seenSequence = true;
                continue;
            }
            var special = Optional(item, "SpecialToken")
                ?? throw new TokenizerFormatException($"{file}: {itemAt} is {Show(item)}; expected {{\"SpecialToken\": ...}} or {{\"Sequence\": ...}}.");
            string name = RequiredString(special, "id", file, itemAt + ".SpecialToken");
            var entry = Optional(specials, name)
                ?? throw new TokenizerFormatException($"{file}: {itemAt} names \"{name}\", which {at}.special_tokens does not define.");
            foreach (var id in RequiredArray(entry, "ids", file, $"{at}.special_tokens[\"{name}\"]").EnumerateArray())
            {
                if (!id.TryGetInt32(out int value))
                    throw new TokenizerFormatException($"{file}: {at}.special_tokens[\"{name}\"].ids holds {Show(id)}; expected integer ids.");
                (seenSequence ? suffix : prefix).Add(value);
            }
        }
        return new SpecialTokensTemplate(prefix.ToArray(), suffix.ToArray());
    }
}
