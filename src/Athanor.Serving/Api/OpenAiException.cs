using System.Text.Json.Nodes;

namespace Athanor.Serving.Api;

/// <summary>An error answered in OpenAI's shape: {"error": {"message", "type", "param", "code"}} with an HTTP status.</summary>
public sealed class OpenAiException(int status, string message, string? param = null, string? code = null, string type = "invalid_request_error")
    : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type { get; } = type;

    public JsonObject ToJson() => Body(Message, Type, Param, Code);

    public static JsonObject Body(string message, string type, string? param, string? code) => new()
    {
        ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code },
    };

    public static OpenAiException BadParameter(string param, string message) => new(400, message, param, "invalid_value");
}
