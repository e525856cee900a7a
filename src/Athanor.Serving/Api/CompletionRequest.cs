using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.Data;

namespace Athanor.Serving.Api;

/// <summary>
/// The fields of a /v1/chat/completions or /v1/completions body that this server honours, each checked with a message
/// naming the value and what is accepted. Fields it does not use (user, logit_bias, ...) are ignored, as clients send them.
/// </summary>
public sealed record CompletionRequest
{
    public const int MaxChoices = 16;
    public const int MaxStops = 4;

    public required string Model { get; init; }
    public IReadOnlyList<ChatMessage>? Messages { get; init; }
    public IReadOnlyList<string>? Prompts { get; init; }
    public int? MaxTokens { get; init; }
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 1.0;
    public int TopK { get; init; }
    public int? Seed { get; init; }
    public int N { get; init; } = 1;
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }

    /// <summary>vLLM's extension: decode max_tokens tokens, past eos and the template's stop tokens (for benchmarks).</summary>
    public bool IgnoreEos { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];

    public static JsonObject ParseBody(string body)
    {
        try
        {
            return JsonNode.Parse(body) as JsonObject ?? throw new OpenAiException(400, "the request body is not a JSON object", code: "invalid_json");
        }
        catch (JsonException ex)
        {
            throw new OpenAiException(400, $"the request body is not valid JSON: {ex.Message}", code: "invalid_json");
        }
    }

    public static CompletionRequest Parse(JsonObject o, bool chat)
    {
        var request = new CompletionRequest
        {
            Model = String(o, "model") ?? throw Missing("model", "a model id from GET /v1/models"),
            MaxTokens = Int(o, chat && o["max_completion_tokens"] is not null ? "max_completion_tokens" : "max_tokens", 1, int.MaxValue, "an integer >= 1"),
            Temperature = Number(o, "temperature", 0, 2, "a number from 0 to 2") ?? 1.0,
            TopP = Number(o, "top_p", double.Epsilon, 1, "a number in (0, 1]") ?? 1.0,
            TopK = Int(o, "top_k", 0, int.MaxValue, "0 (off) or a positive integer") ?? 0,
            Seed = Int(o, "seed", int.MinValue, int.MaxValue, "an integer"),
            N = Int(o, "n", 1, MaxChoices, $"an integer from 1 to {MaxChoices}") ?? 1,
            Stream = Bool(o, "stream") ?? false,
            IncludeUsage = o["stream_options"] is JsonObject so && Bool(so, "include_usage") == true,
            IgnoreEos = Bool(o, "ignore_eos") ?? false,
            Stop = Stops(o),
        };
        return chat ? request with { Messages = ParseMessages(o) } : request with { Prompts = ParsePrompts(o) };
    }

    private static OpenAiException Missing(string param, string accepted) => OpenAiException.BadParameter(param, $"'{param}' is required: {accepted}");

    private static OpenAiException Bad(string param, JsonNode? value, string accepted) =>
        OpenAiException.BadParameter(param, $"'{param}' is {value?.ToJsonString() ?? "null"}; accepted: {accepted}");

    private static string? String(JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        var other => throw Bad(key, other, "a string"),
    };

    private static bool? Bool(JsonObject o, string key) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out bool b) => b,
        var other => throw Bad(key, other, "true or false"),
    };

    private static double? Number(JsonObject o, string key, double min, double max, string accepted) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double d) && d >= min && d <= max => d,
        var other => throw Bad(key, other, accepted),
    };

    private static int? Int(JsonObject o, string key, int min, int max, string accepted) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double d) && d == Math.Floor(d) && d >= min && d <= max => (int)d,
        var other => throw Bad(key, other, accepted),
    };

    private static IReadOnlyList<string> Stops(JsonObject o)
    {
        const string accepted = "a non-empty string or an array of up to 4 of them";
        var stops = o["stop"] switch
        {
            null => [],
            JsonValue v when v.TryGetValue(out string? s) => [s],
            JsonArray a when a.Count <= MaxStops => a.Select(n => n is JsonValue v && v.TryGetValue(out string? s) ? s : throw Bad("stop", o["stop"], accepted)).ToList(),
            var other => throw Bad("stop", other, accepted),
        };
        if (stops.Any(s => s.Length == 0)) throw Bad("stop", o["stop"], accepted);
        return stops;
    }

    private static List<string> ParsePrompts(JsonObject o)
    {
        const string accepted = "a string or an array of strings";
        return o["prompt"] switch
        {
            null => throw Missing("prompt", accepted),
            JsonValue v when v.TryGetValue(out string? s) => [s],
            JsonArray a when a.Count > 0 => a.Select(n => n is JsonValue v && v.TryGetValue(out string? s) ? s : throw Bad("prompt", n, accepted)).ToList(),
            var other => throw Bad("prompt", other, accepted),
        };
    }

    private static List<ChatMessage> ParseMessages(JsonObject o)
    {
        if (o["messages"] is not JsonArray { Count: > 0 } array)
            throw o["messages"] is null ? Missing("messages", "a non-empty array of {role, content}") : Bad("messages", o["messages"], "a non-empty array of {role, content}");
        var messages = new List<ChatMessage>();
        for (int i = 0; i < array.Count; i++)
        {
            string param = $"messages[{i}]";
            if (array[i] is not JsonObject m) throw Bad(param, array[i], "an object {role, content}");
            var role = String(m, "role");
            if (role is not ("system" or "developer" or "user" or "assistant"))
                throw Bad(param + ".role", m["role"], "system, developer, user or assistant");
            messages.Add(new ChatMessage(role == "developer" ? "system" : role, Content(m["content"], param + ".content")));
        }
        return messages;
    }

    /// <summary>A string, or an array of {type: "text", text} parts joined (images and audio are not served).</summary>
    private static string Content(JsonNode? content, string param) => content switch
    {
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonArray parts => string.Concat(parts.Select(p =>
            p is JsonObject part && part["type"]?.GetValue<string>() == "text" && part["text"] is JsonValue t && t.TryGetValue(out string? s) ? s
                : throw Bad(param, p, "text parts {\"type\": \"text\", \"text\": ...}; this server reads no images or audio"))),
        _ => throw Bad(param, content, "a string or an array of text parts"),
    };
}
