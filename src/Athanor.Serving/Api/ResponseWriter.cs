using System.Text.Json.Nodes;
using Athanor.Inference;
using Athanor.Serving.Engine;

namespace Athanor.Serving.Api;

/// <summary>OpenAI's response objects: chat.completion / text_completion, their stream chunks and usage.</summary>
public sealed record ResponseWriter(string Id, string Model, bool Chat, long Created)
{
    public static string FinishReasonName(FinishReason reason) => reason == FinishReason.Stop ? "stop" : "length";

    private JsonObject Envelope(string objectType, JsonArray choices) => new()
    {
        ["id"] = Id,
        ["object"] = objectType,
        ["created"] = Created,
        ["model"] = Model,
        ["choices"] = choices,
    };

    private static JsonObject Usage(int prompt, int completion) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
    };

    public JsonObject Whole(IReadOnlyList<ChoiceFinished> choices, int promptTokens, int completionTokens)
    {
        var array = new JsonArray();
        foreach (var c in choices)
            array.Add(Chat
                ? new JsonObject
                {
                    ["index"] = c.Choice,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = c.Text },
                    ["logprobs"] = null,
                    ["finish_reason"] = FinishReasonName(c.Reason),
                }
                : new JsonObject { ["index"] = c.Choice, ["text"] = c.Text, ["logprobs"] = null, ["finish_reason"] = FinishReasonName(c.Reason) });
        var o = Envelope(Chat ? "chat.completion" : "text_completion", array);
        o["usage"] = Usage(promptTokens, completionTokens);
        return o;
    }

    /// <summary>One stream chunk: chat's delta ({role} first, then {content}, then {} with the finish reason) or completion's text.</summary>
    public JsonObject Chunk(int choice, string? text, bool role, FinishReason? finish)
    {
        JsonObject c;
        if (Chat)
        {
            var delta = new JsonObject();
            if (role) delta["role"] = "assistant";
            if (text is not null) delta["content"] = text;
            c = new JsonObject { ["index"] = choice, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finish is { } f ? FinishReasonName(f) : null };
        }
        else c = new JsonObject { ["index"] = choice, ["text"] = text ?? "", ["logprobs"] = null, ["finish_reason"] = finish is { } f ? FinishReasonName(f) : null };
        return Envelope(Chat ? "chat.completion.chunk" : "text_completion", [c]);
    }

    /// <summary>stream_options.include_usage: a last chunk with no choices and the usage.</summary>
    public JsonObject UsageChunk(int prompt, int completion)
    {
        var o = Envelope(Chat ? "chat.completion.chunk" : "text_completion", []);
        o["usage"] = Usage(prompt, completion);
        return o;
    }
}
