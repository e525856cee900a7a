using System.Text.RegularExpressions;
using Athanor.Data;
using Athanor.Templates.Jinja;
using Athanor.Tokenization;

namespace Athanor.Templates;

/// <summary>
/// The model folder's own chat_template, rendered as transformers' apply_chat_template does (messages, tools,
/// bos_token, eos_token, add_generation_prompt=false).
///
/// Loss mask: if the template marks assistant text with {% generation %} blocks, those spans are used (as
/// transformers' return_assistant_tokens_mask). Otherwise the mask comes from prefix renderings: for assistant
/// message j, its span starts where render(messages[:j], add_generation_prompt=true) ends and ends where
/// render(messages[:j+1]) ends, both checked to be prefixes of the full rendering. Templates that render a message
/// differently once later messages exist (Qwen3 drops the empty &lt;think&gt; block of earlier turns) fail that check for
/// the end; then the end is found by rendering messages[:j+1] plus a probe user message and cutting before the probe's
/// header. Limits: one render per prefix (quadratic in the number of turns); a template that rewrites earlier
/// turns in other ways raises <see cref="TemplateSpanException"/> rather than guessing.
/// </summary>
public sealed class ModelChatTemplate : IChatTemplate, ITemplateMarkers
{
    private const string Probe = "\u2063athanor-probe\u2063";
    private static readonly Regex MarkerPattern = new(@"<\|[A-Za-z0-9_]+\|>|<(?:start|end)_of_turn>", RegexOptions.Compiled);

    private readonly JinjaTemplate _template;
    private readonly string? _bosToken;
    private readonly string? _eosToken;

    public ModelChatTemplate(string chatTemplate, string? bosToken, string? eosToken)
    {
        ArgumentNullException.ThrowIfNull(chatTemplate);
        _template = new JinjaTemplate(chatTemplate);
        _bosToken = bosToken;
        _eosToken = eosToken;
        SpecialMarkers = MarkerPattern.Matches(chatTemplate).Select(m => m.Value).Distinct().ToArray();
    }

    /// <summary>The tokenizer's chat_template with its bos/eos tokens.</summary>
    public ModelChatTemplate(ITokenizer tokenizer)
        : this(tokenizer.ChatTemplate ?? throw new TemplateMismatchException("the tokenizer has no chat_template (tokenizer_config.json or chat_template.jinja); name a template instead of \"model\""),
               tokenizer.BosToken, tokenizer.EosToken)
    {
    }

    public string Name => "model";

    /// <summary>"&lt;|...|&gt;"-style markers found in the template's text.</summary>
    public IReadOnlyList<string> SpecialMarkers { get; }

    /// <summary>Clock behind strftime_now() (Llama 3.2 dates its system prompt).</summary>
    public Func<DateTime> Now { get; init; } = () => DateTime.Now;

    public string RenderText(Conversation conversation) => Render(ConversationMessages.ToJinja(conversation), Tools(conversation), addGenerationPrompt: false).Text;

    /// <summary>Renders explicit template variables (messages as parsed JSON, plus anything else such as tools).</summary>
    public string RenderVariables(Dictionary<string, object?> variables)
    {
        var vars = new Dictionary<string, object?>(variables, StringComparer.Ordinal);
        AddSpecialTokens(vars);
        vars.TryAdd("add_generation_prompt", false);
        return _template.RenderWithSpans(vars, Now).Text;
    }

    public TokenizedSample Encode(Conversation conversation, ITokenizer tokenizer, bool trainOnPrompt = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var messages = ConversationMessages.ToJinja(conversation);
        var tools = Tools(conversation);
        var full = Render(messages, tools, addGenerationPrompt: false);
        var spans = full.GenerationSpans.Count > 0 ? full.GenerationSpans : AssistantSpans(messages, tools, full.Text);

        var builder = new SampleBuilder(tokenizer);
        int pos = 0;
        foreach (var (start, end) in spans)
        {
            builder.AddText(full.Text[pos..start], trainOnPrompt);
            builder.AddText(full.Text[start..end], trained: true);
            pos = end;
        }
        builder.AddText(full.Text[pos..], trainOnPrompt);
        return builder.Build();
    }

    private List<(int Start, int End)> AssistantSpans(List<object?> messages, object? tools, string full)
    {
        var spans = new List<(int, int)>();
        for (int j = 0; j < messages.Count; j++)
        {
            if (!IsAssistant(messages[j])) continue;
            string before = Render(messages.GetRange(0, j), tools, addGenerationPrompt: true).Text;
            if (!full.StartsWith(before, StringComparison.Ordinal))
                throw new TemplateSpanException($"chat template: rendering messages before assistant message {j} (with the generation prompt) is not a prefix of the full rendering, so its loss span cannot be found; use a named template");
            int start = before.Length;
            int end = TurnEnd(messages, tools, full, j);
            if (end < start) throw new TemplateSpanException($"chat template: assistant message {j} ends before it starts in the rendering");
            spans.Add((start, end));
        }
        return spans;
    }

    private int TurnEnd(List<object?> messages, object? tools, string full, int j)
    {
        string upTo = Render(messages.GetRange(0, j + 1), tools, addGenerationPrompt: false).Text;
        if (full.StartsWith(upTo, StringComparison.Ordinal)) return upTo.Length;

        // The template renders the last message differently (e.g. Qwen3's empty think block). Render it followed by a
        // probe user turn, which puts it in the same position as in the full conversation, and cut before the probe's header.
        var probeTurn = new Dictionary<string, object?> { ["role"] = "user", ["content"] = Probe };
        var withProbe = messages.GetRange(0, j + 1);
        withProbe.Add(probeTurn);
        string probed = Render(withProbe, tools, addGenerationPrompt: false).Text;
        string alone = Render(new List<object?> { probeTurn }, tools, addGenerationPrompt: false).Text;
        int at = probed.IndexOf(Probe, StringComparison.Ordinal);
        int aloneAt = alone.IndexOf(Probe, StringComparison.Ordinal);
        if (at >= 0 && aloneAt >= 0)
        {
            int header = CommonSuffixLength(probed.AsSpan(0, at), alone.AsSpan(0, aloneAt));
            int end = at - header;
            if (full.StartsWith(probed.AsSpan(0, end), StringComparison.Ordinal)) return end;
        }
        throw new TemplateSpanException($"chat template: the rendering of assistant message {j} changes when later messages follow, so its loss span cannot be found; use a named template");
    }

    private static int CommonSuffixLength(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        int n = 0;
        while (n < a.Length && n < b.Length && a[a.Length - 1 - n] == b[b.Length - 1 - n]) n++;
        return n;
    }

    private static bool IsAssistant(object? message) =>
        message is Dictionary<string, object?> d && d.TryGetValue("role", out var r) && r is "assistant";

    private static object? Tools(Conversation conversation)
    {
        if (string.IsNullOrWhiteSpace(conversation.Tools)) return null;
        try
        {
            return JinjaJson.Parse(conversation.Tools);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ConversationFormatException($"tools: not valid JSON ({e.Message}); expected a JSON list of function schemas");
        }
    }

    private JinjaRenderResult Render(List<object?> messages, object? tools, bool addGenerationPrompt)
    {
        var vars = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        if (tools != null) vars["tools"] = tools;
        AddSpecialTokens(vars);
        return _template.RenderWithSpans(vars, Now);
    }

    // transformers passes the tokenizer's special tokens that are set; unset ones stay undefined.
    private void AddSpecialTokens(Dictionary<string, object?> vars)
    {
        if (_bosToken != null) vars.TryAdd("bos_token", _bosToken);
        if (_eosToken != null) vars.TryAdd("eos_token", _eosToken);
    }
}
