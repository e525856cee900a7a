using System.Text.Json;
using static Athanor.Tokenization.JsonReading;

namespace Athanor.Tokenization;

/// <summary>What Athanor reads from a model folder's tokenizer_config.json (and chat_template.jinja).</summary>
internal sealed record TokenizerConfigFile(
    string? BosToken,
    string? EosToken,
    string? PadToken,
    string? UnkToken,
    IReadOnlyList<string> AdditionalSpecialTokens,
    string? ChatTemplate,
    bool CleanUpTokenizationSpaces,
    string? TokenizerClass,
    bool? AddBosToken,
    bool? AddEosToken)
{
    public static readonly TokenizerConfigFile Empty = new(null, null, null, null, [], null, false, null, null, null);

    /// <param name="path">tokenizer_config.json; null or missing gives the empty config.</param>
    /// <param name="chatTemplatePath">chat_template.jinja; when present it wins over the config's chat_template, as in transformers.</param>
    public static TokenizerConfigFile Load(string? path, string? chatTemplatePath)
    {
        var config = Empty;
        if (path is not null && File.Exists(path)) config = Parse(path);
        if (chatTemplatePath is not null && File.Exists(chatTemplatePath))
            config = config with { ChatTemplate = File.ReadAllText(chatTemplatePath) };
        return config;
    }

    private static TokenizerConfigFile Parse(string file)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(file));
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{file}: not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new TokenizerFormatException($"{file}: expected a JSON object at the top level, found {root.ValueKind}.");
            var additional = new List<string>();
            if (Optional(root, "additional_special_tokens") is { } list)
            {
                if (list.ValueKind != JsonValueKind.Array)
                    throw new TokenizerFormatException($"{file}: $.additional_special_tokens is {Show(list)}; expected an array.");
                int i = 0;
                foreach (var t in list.EnumerateArray())
                    additional.Add(TokenText(t, file, $"$.additional_special_tokens[{i++}]") ?? throw new TokenizerFormatException($"{file}: $.additional_special_tokens[{i - 1}] is null."));
            }
            return new TokenizerConfigFile(
                TokenText(Optional(root, "bos_token"), file, "$.bos_token"),
                TokenText(Optional(root, "eos_token"), file, "$.eos_token"),
                TokenText(Optional(root, "pad_token"), file, "$.pad_token"),
                TokenText(Optional(root, "unk_token"), file, "$.unk_token"),
                additional,
                ChatTemplateOf(Optional(root, "chat_template"), file),
                OptionalBool(root, "clean_up_tokenization_spaces", false, file, "$"),
                OptionalString(root, "tokenizer_class", file, "$"),
                Optional(root, "add_bos_token") is null ? null : OptionalBool(root, "add_bos_token", false, file, "$"),
                Optional(root, "add_eos_token") is null ? null : OptionalBool(root, "add_eos_token", false, file, "$"));
        }
    }

    /// <summary>A special token is written as "text" or as {"content": "text", ...} (a serialized AddedToken).</summary>
    private static string? TokenText(JsonElement? value, string file, string at)
    {
        if (value is null) return null;
        var v = value.Value;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind == JsonValueKind.Object) return RequiredString(v, "content", file, at);
        throw new TokenizerFormatException($"{file}: {at} is {Show(v)}; expected a string, an object with \"content\", or null.");
    }

    /// <summary>chat_template is a string, or a list of {"name", "template"} of which Athanor takes "default".</summary>
    private static string? ChatTemplateOf(JsonElement? value, string file)
    {
        if (value is null) return null;
        var v = value.Value;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        if (v.ValueKind != JsonValueKind.Array)
            throw new TokenizerFormatException($"{file}: $.chat_template is {Show(v)}; expected a string or a list of {{\"name\", \"template\"}}.");
        var names = new List<string>();
        int i = 0;
        foreach (var entry in v.EnumerateArray())
        {
            string at = $"$.chat_template[{i++}]";
            string name = RequiredString(entry, "name", file, at);
            if (name == "default") return RequiredString(entry, "template", file, at);
            names.Add(name);
        }
        throw new TokenizerFormatException($"{file}: $.chat_template lists templates [{string.Join(", ", names)}] but none named \"default\", which Athanor uses.");
    }
}
