using Athanor.Data;
using Athanor.Templates.Jinja;

namespace Athanor.Templates;

/// <summary>Turns a <see cref="Conversation"/> into the `messages` list Hugging Face chat templates expect.</summary>
internal static class ConversationMessages
{
    /// <summary>
    /// Roles become system/user/assistant/tool; a function_call turn becomes an assistant message with empty content
    /// and tool_calls [{type: "function", function: {name, arguments}}] parsed from its JSON content.
    /// Conversation.System, when set, is prepended as a system message.
    /// </summary>
    public static List<object?> ToJinja(Conversation conversation)
    {
        var list = new List<object?>(conversation.Messages.Count + 1);
        if (conversation.System != null) list.Add(Message("system", conversation.System));
        for (int i = 0; i < conversation.Messages.Count; i++)
        {
            var m = conversation.Messages[i];
            switch (ChatRoles.Parse(m.Role, i))
            {
                case ChatRole.System: list.Add(Message("system", m.Content)); break;
                case ChatRole.User: list.Add(Message("user", m.Content)); break;
                case ChatRole.Assistant: list.Add(Message("assistant", m.Content)); break;
                case ChatRole.Observation: list.Add(Message("tool", m.Content)); break;
                case ChatRole.Function: list.Add(FunctionCall(m.Content, i)); break;
            }
        }
        return list;
    }

    private static Dictionary<string, object?> Message(string role, string content) =>
        new(StringComparer.Ordinal) { ["role"] = role, ["content"] = content };

    private static Dictionary<string, object?> FunctionCall(string content, int index)
    {
        object? parsed;
        try
        {
            parsed = JinjaJson.Parse(content);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ConversationFormatException($"message {index}: function call is not valid JSON ({e.Message}); expected {{\"name\": ..., \"arguments\": ...}}");
        }
        var calls = new List<object?>();
        foreach (var call in parsed as List<object?> ?? new List<object?> { parsed })
        {
            if (call is not Dictionary<string, object?> c || !c.ContainsKey("name"))
                throw new ConversationFormatException($"message {index}: each function call needs \"name\" and \"arguments\"");
            calls.Add(new Dictionary<string, object?>(StringComparer.Ordinal) { ["type"] = "function", ["function"] = c });
        }
        var message = Message("assistant", "");
        message["tool_calls"] = calls;
        return message;
    }
}
