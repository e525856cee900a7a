using System.Text;
using System.Text.Json;
using Athanor.Data;
using Athanor.Templates.Jinja;
using Athanor.Tokenization;

namespace Athanor.Templates;

/// <summary>The core of `cluster data render`: each {"messages": [...]} line of a JSONL file rendered to text.</summary>
public static class TemplateRendering
{
    /// <summary>
    /// Renders every non-blank line of <paramref name="inputPath"/>. Each line is {"messages": [{"role", "content"}, ...]}
    /// with optional "system" and "tools"; the result is one JSON string literal per input line.
    /// With "model", the tokenizer's chat_template gets the messages as given (extra fields such as tool_calls kept).
    /// A malformed line raises <see cref="TemplateInputException"/> naming file:line.
    /// </summary>
    public static IEnumerable<string> RenderJsonl(string templateName, ITokenizer? tokenizer, string inputPath)
    {
        var template = ChatTemplates.Get(templateName, tokenizer);
        int lineNo = 0;
        foreach (var line in File.ReadLines(inputPath))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string text;
            try
            {
                text = RenderLine(template, line);
            }
            catch (Exception e) when (e is JsonException or ConversationFormatException or JinjaException or TemplateSpanException or TemplateMismatchException)
            {
                throw new TemplateInputException($"{inputPath}:{lineNo}: {e.Message}", e);
            }
            var sb = new StringBuilder(text.Length + 2);
            JinjaJson.WriteString(sb, text);
            yield return sb.ToString();
        }
    }

    private static string RenderLine(IChatTemplate template, string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            throw new ConversationFormatException("expected an object with a \"messages\" array, e.g. {\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");

        string? tools = null;
        if (root.TryGetProperty("tools", out var t) && t.ValueKind != JsonValueKind.Null)
            tools = t.ValueKind == JsonValueKind.String ? t.GetString() : t.GetRawText();
        string? system = root.TryGetProperty("system", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

        if (template is ModelChatTemplate model)
        {
            var vars = new Dictionary<string, object?>(StringComparer.Ordinal) { ["messages"] = JinjaJson.FromJson(messages) };
            var list = (List<object?>)vars["messages"]!;
            if (system != null) list.Insert(0, new Dictionary<string, object?> { ["role"] = "system", ["content"] = system });
            if (tools != null) vars["tools"] = JinjaJson.Parse(tools);
            return model.RenderVariables(vars);
        }

        var turns = new List<ChatMessage>();
        int i = 0;
        foreach (var m in messages.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object
                || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                throw new ConversationFormatException($"message {i}: expected {{\"role\": string, \"content\": string}}, got {Truncate(m.GetRawText())}");
            turns.Add(new ChatMessage(role.GetString()!, content.GetString()!));
            i++;
        }
        return template.RenderText(new Conversation(turns, system, tools));
    }

    private static string Truncate(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
