namespace Athanor.Data.Formats;

/// <summary>ChatMessage role names, as LLaMA-Factory's Role enum.</summary>
public static class ChatRoles
{
    public const string User = "user";
    public const string Assistant = "assistant";
    /// <summary>A tool call made by the model (sharegpt "function_call"); trained like assistant output.</summary>
    public const string Function = "function";
    /// <summary>A tool result (sharegpt "observation"); user side, not trained.</summary>
    public const string Observation = "observation";
}
