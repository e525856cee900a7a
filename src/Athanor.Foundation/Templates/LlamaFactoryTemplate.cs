using System.Text;
using Athanor.Data;
using Athanor.Tokenization;

namespace Athanor.Templates;

/// <summary>
/// A named template that formats turns the way LLaMA-Factory does: prefix + system (+ tools) before the first turn,
/// each user/observation turn as prompt, each assistant/function turn as response (trained, with its end-of-turn
/// text and eos). Every formatter slot is encoded on its own with addSpecialTokens:false; bos/eos slots become ids.
/// </summary>
public sealed class LlamaFactoryTemplate : IChatTemplate, ITemplateMarkers
{
    private readonly LlamaFactorySpec _spec;
    private readonly ITokenizer? _tokenizer;

    internal LlamaFactoryTemplate(LlamaFactorySpec spec, ITokenizer? tokenizer)
    {
        _spec = spec;
        _tokenizer = tokenizer;
    }

    public string Name => _spec.Name;

    public IReadOnlyList<string> SpecialMarkers =>
        _spec.Markers.Concat(_spec.ReplaceEos ? _spec.StopWords.Take(1) : Array.Empty<string>()).Distinct().ToArray();

    private readonly record struct Element(string? Text, TemplateSlot? Special);

    private sealed record Turn(List<Element> Elements, bool IsResponse);

    public string RenderText(Conversation conversation)
    {
        var sb = new StringBuilder();
        foreach (var turn in BuildTurns(conversation, requireResponses: false))
        {
            foreach (var e in turn.Elements)
            {
                if (e.Text != null) sb.Append(e.Text);
                else sb.Append(SpecialText(e.Special!));
            }
        }
        return sb.ToString();
    }

    public TokenizedSample Encode(Conversation conversation, ITokenizer tokenizer, bool trainOnPrompt = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var builder = new SampleBuilder(tokenizer);
        foreach (var turn in BuildTurns(conversation, requireResponses: true))
        {
            bool trained = turn.IsResponse || trainOnPrompt;
            foreach (var e in turn.Elements)
            {
                if (e.Text != null) builder.AddText(e.Text, trained);
                else if (SpecialId(e.Special!, tokenizer) is int id) builder.Add(id, trained);
            }
        }
        return builder.Build();
    }

    private List<Turn> BuildTurns(Conversation conversation, bool requireResponses)
    {
        var messages = conversation.Messages;
        string? system = conversation.System;
        int start = 0;
        if (messages.Count > 0 && ChatRoles.Parse(messages[0].Role, 0) == ChatRole.System)
        {
            system ??= messages[0].Content;
            start = 1;
        }
        int count = messages.Count - start;
        if (count == 0) throw new ConversationFormatException($"template '{Name}': the conversation has no user turn");
        if (requireResponses && count % 2 != 0)
            throw new ConversationFormatException($"template '{Name}': a training conversation must end with an assistant turn (got {count} turns after the system prompt)");

        // Python's `system or default_system`: an empty system prompt falls back to the template's default.
        string systemText = string.IsNullOrEmpty(system) ? _spec.DefaultSystem : system;
        string toolText = string.IsNullOrWhiteSpace(conversation.Tools) ? "" : FormatTools(conversation.Tools!);

        var turns = new List<Turn>(count);
        for (int k = 0; k < count; k++)
        {
            int index = start + k;
            var message = messages[index];
            var role = ChatRoles.Parse(message.Role, index);
            bool isResponse = k % 2 == 1;
            if (role == ChatRole.System)
                throw new ConversationFormatException($"template '{Name}': message {index} is a system message after the first turn; only a leading system prompt is supported");
            if (ChatRoles.IsResponse(role) != isResponse)
                throw new ConversationFormatException($"template '{Name}': message {index} has role '{message.Role}' but turns must alternate prompt (user/tool) and response (assistant/function_call)");

            var elements = new List<Element>();
            string content = message.Content;
            if (k == 0)
            {
                Apply(elements, _spec.Prefix, "");
                if (systemText.Length > 0 || toolText.Length > 0)
                {
                    if (_spec.Kind == TemplateKind.Llama2) content = FormatToString(_spec.System, systemText + toolText) + content;
                    else Apply(elements, _spec.System, systemText + toolText);
                }
            }
            if (isResponse && _spec.Kind == TemplateKind.Reasoning && !content.Contains("<think>") && !content.Contains("</think>"))
                elements.Add(new Element(LlamaFactorySpec.ThoughtOpen + LlamaFactorySpec.ThoughtClose, null));

            switch (role)
            {
                case ChatRole.User: Apply(elements, _spec.User, content); break;
                case ChatRole.Assistant: Apply(elements, _spec.Assistant, content); break;
                case ChatRole.Observation: Apply(elements, _spec.Observation, content); break;
                case ChatRole.Function: Apply(elements, _spec.Function, FormatFunction(content, index)); break;
            }
            turns.Add(new Turn(elements, isResponse));
        }
        return turns;
    }

    private string FormatTools(string toolsJson) => _spec.Tools switch
    {
        ToolFormat.Qwen => QwenToolFormat.FormatTools(toolsJson),
        _ => throw new ConversationFormatException($"template '{Name}': tool schemas are not supported by this template yet (supported for: qwen, qwen3, qwen3_nothink)"),
    };

    private string FormatFunction(string content, int index) => _spec.Tools switch
    {
        ToolFormat.Qwen => QwenToolFormat.FormatFunction(content, index),
        _ => throw new ConversationFormatException($"template '{Name}': message {index}: function calls are not supported by this template yet (supported for: qwen, qwen3, qwen3_nothink)"),
    };

    private static void Apply(List<Element> elements, TemplateSlot[] slots, string content)
    {
        foreach (var slot in slots)
        {
            if (slot is TemplateSlot.Text t) elements.Add(new Element(t.Value.Replace(TemplateSlot.ContentPlaceholder, content, StringComparison.Ordinal), null));
            else elements.Add(new Element(null, slot));
        }
    }

    // Llama2Template takes the system formatter's first slot as text (it only has text slots).
    private static string FormatToString(TemplateSlot[] slots, string content) =>
        slots.Length > 0 && slots[0] is TemplateSlot.Text t ? t.Value.Replace(TemplateSlot.ContentPlaceholder, content, StringComparison.Ordinal) : "";

    private string EosText(ITokenizer? tokenizer)
    {
        if (_spec.ReplaceEos) return _spec.StopWords[0];
        return tokenizer?.EosToken ?? throw new TemplateMismatchException($"template '{Name}' needs the tokenizer's eos token, but {(tokenizer == null ? "no tokenizer was given" : "the tokenizer has none")}");
    }

    private string SpecialText(TemplateSlot slot) => slot switch
    {
        TemplateSlot.Bos => _tokenizer is null
            ? throw new TemplateMismatchException($"template '{Name}' needs the tokenizer's bos token to render text; pass a tokenizer to ChatTemplates.Get")
            : _tokenizer.BosToken ?? "",
        TemplateSlot.Eos => EosText(_tokenizer),
        TemplateSlot.Token tok => tok.Value,
        _ => "",
    };

    private int? SpecialId(TemplateSlot slot, ITokenizer tokenizer)
    {
        switch (slot)
        {
            case TemplateSlot.Bos:
                return tokenizer.BosTokenId; // LLaMA-Factory skips bos when the tokenizer has none
            case TemplateSlot.Eos:
            {
                string eos = EosText(tokenizer);
                return (_spec.ReplaceEos ? tokenizer.TokenToId(eos) : tokenizer.EosTokenId)
                    ?? throw new TemplateMismatchException($"template '{Name}': the tokenizer has no token '{eos}' to end a turn with");
            }
            case TemplateSlot.Token tok:
                return tokenizer.TokenToId(tok.Value) ?? throw new TemplateMismatchException($"template '{Name}': the tokenizer has no token '{tok.Value}'");
            default:
                return null;
        }
    }
}
