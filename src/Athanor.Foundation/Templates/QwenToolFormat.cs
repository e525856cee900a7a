using System.Text;
using Athanor.Templates.Jinja;

namespace Athanor.Templates;

/// <summary>LLaMA-Factory's "qwen" tool format: the tools block appended to the system prompt and &lt;tool_call&gt; bodies.</summary>
internal static class QwenToolFormat
{
    private const string PromptHead =
        "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
        "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";

    private const string PromptTail =
        "\n</tools>\n\nFor each function call, return a json object with function name and arguments within " +
        "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";

    /// <summary>The system-prompt suffix for a JSON list of tool schemas; "" for an empty list.</summary>
    public static string FormatTools(string toolsJson)
    {
        object? parsed;
        try
        {
            parsed = JinjaJson.Parse(toolsJson);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ConversationFormatException($"tools: not valid JSON ({e.Message}); expected a JSON list of function schemas");
        }
        if (parsed is not List<object?> tools)
            throw new ConversationFormatException("tools: expected a JSON list of function schemas");
        if (tools.Count == 0) return "";
        var sb = new StringBuilder(PromptHead);
        foreach (var tool in tools)
        {
            object? wrapped = tool is Dictionary<string, object?> d && d.TryGetValue("type", out var t) && t is "function"
                ? tool
                : new Dictionary<string, object?> { ["type"] = "function", ["function"] = tool };
            sb.Append('\n').Append(JinjaJson.Serialize(wrapped));
        }
        return sb.Append(PromptTail).ToString();
    }

    /// <summary>A function_call message's content ({"name", "arguments"} or a list of them) as &lt;tool_call&gt; blocks.</summary>
    public static string FormatFunction(string content, int index)
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
        var calls = parsed as List<object?> ?? new List<object?> { parsed };
        var blocks = new List<string>();
        foreach (var call in calls)
        {
            if (call is not Dictionary<string, object?> c || !c.TryGetValue("name", out var name) || !c.TryGetValue("arguments", out var args))
                throw new ConversationFormatException($"message {index}: each function call needs \"name\" and \"arguments\"");
            var body = new Dictionary<string, object?> { ["name"] = name, ["arguments"] = args };
            blocks.Add("<tool_call>\n" + JinjaJson.Serialize(body) + "\n</tool_call>");
        }
        return string.Join("\n", blocks);
    }
}
