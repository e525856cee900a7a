namespace Athanor.Data.Formats;

/// <summary>A record in LLaMA-Factory's aligned form: all turns (for sft the last one is the response),
/// the system prompt and the tools text (null when empty).</summary>
internal sealed record ConvertedRecord(List<ChatMessage> Turns, string? System, string? Tools);

/// <summary>Turns one raw record into aligned turns, or throws <see cref="BadRecordException"/>.</summary>
internal interface IRecordConverter
{
    /// <param name="requireResponse">sft: the record must end with a non-empty assistant-side turn; pt: prompt only.</param>
    ConvertedRecord Convert(System.Text.Json.JsonElement record, bool requireResponse);
}

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
