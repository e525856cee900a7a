using System.Text.Json;

namespace Athanor.Data.Formats;

/// <summary>LLaMA-Factory's alpaca mapping: history pairs first, then user = prompt + "\n" + query
/// (each only when non-empty), then assistant = response; system and tools from their columns.</summary>
internal sealed class AlpacaConverter(DatasetColumns columns) : IRecordConverter
{
    public ConvertedRecord Convert(JsonElement record, bool requireResponse)
    {
        RecordFields.RequireObject(record);
        var turns = new List<ChatMessage>(4);
        AddHistory(record, turns);

        var prompt = columns.Prompt is null ? null : RecordFields.RequiredString(record, columns.Prompt, "the instruction");
        var query = RecordFields.OptionalString(record, columns.Query);
        var user = string.IsNullOrEmpty(query) ? prompt ?? ""
            : string.IsNullOrEmpty(prompt) ? query
            : prompt + "\n" + query;
        turns.Add(new ChatMessage(ChatRoles.User, user));

        if (requireResponse)
        {
            if (columns.Response is null)
                throw new BadRecordException(BadRecordKind.MissingColumn,
                    "no response column: this entry's \"columns\" names no \"response\", so it has no assistant turn to train on (pretraining data?).");
            var response = RecordFields.RequiredString(record, columns.Response, "the assistant response");
            if (string.IsNullOrWhiteSpace(response))
                throw new BadRecordException(BadRecordKind.EmptyAssistantTurn, $"column '{columns.Response}' (the assistant response) is empty.");
            turns.Add(new ChatMessage(ChatRoles.Assistant, response));
        }

        return new ConvertedRecord(
            turns,
            RecordFields.NullIfEmpty(RecordFields.OptionalString(record, columns.System)),
            RecordFields.NullIfEmpty(RecordFields.OptionalJsonText(record, columns.Tools)));
    }

    private void AddHistory(JsonElement record, List<ChatMessage> turns)
    {
        if (columns.History is null || !record.TryGetProperty(columns.History, out var history) || history.ValueKind == JsonValueKind.Null)
            return;
        if (history.ValueKind != JsonValueKind.Array)
            throw new BadRecordException(BadRecordKind.WrongType, $"column '{columns.History}' is a JSON {history.ValueKind}; expected an array of [user, assistant] pairs.");
        var index = 0;
        foreach (var pair in history.EnumerateArray())
        {
            index++;
            if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2)
                throw new BadRecordException(BadRecordKind.WrongType,
                    $"column '{columns.History}' item {index} is {Describe(pair)}; expected a [user, assistant] pair of strings.");
            var user = RecordFields.AsString(pair[0], $"column '{columns.History}' item {index} user");
            var assistant = RecordFields.AsString(pair[1], $"column '{columns.History}' item {index} assistant");
            if (string.IsNullOrWhiteSpace(assistant))
                throw new BadRecordException(BadRecordKind.EmptyAssistantTurn, $"column '{columns.History}' item {index} has an empty assistant turn.");
            turns.Add(new ChatMessage(ChatRoles.User, user));
            turns.Add(new ChatMessage(ChatRoles.Assistant, assistant));
        }
    }

    private static string Describe(JsonElement value) => value.ValueKind == JsonValueKind.Array
        ? $"an array of {value.GetArrayLength()}"
        : $"a JSON {value.ValueKind}";
}
