namespace Athanor.Templates;

/// <summary>The four roles LLaMA-Factory formats, and the spellings datasets use for them.</summary>
internal enum ChatRole { System, User, Assistant, Observation, Function }

internal static class ChatRoles
{
    public const string Accepted = "system, user/human, assistant/gpt, tool/observation, function_call/function";

    public static ChatRole Parse(string role, int index) => role switch
    {
        "system" => ChatRole.System,
        "user" or "human" => ChatRole.User,
        "assistant" or "gpt" or "model" => ChatRole.Assistant,
        "tool" or "observation" or "ipython" => ChatRole.Observation,
        "function_call" or "function" => ChatRole.Function,
        _ => throw new ConversationFormatException($"message {index}: unknown role '{role}' (accepted: {Accepted})"),
    };

    public static bool IsResponse(ChatRole r) => r is ChatRole.Assistant or ChatRole.Function;
}
