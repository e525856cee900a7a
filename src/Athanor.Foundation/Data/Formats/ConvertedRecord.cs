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
