using System.Text.Json;
using Athanor.Data;
using Athanor.Data.Formats;

namespace Athanor.Preference;

/// <summary>
/// LLaMA-Factory's converters for ranking and KTO records (data/converter.py): alpaca takes the prompt from its
/// instruction/input/history columns and the responses from the chosen and rejected string columns; sharegpt takes the
/// prompt turns from its messages column (ending on the user side) and each response from a turn object in the chosen
/// and rejected columns. A KTO record is an SFT record (ending with the response) plus a JSON bool in its kto_tag column.
/// Every problem is a <see cref="BadRecordException"/>, so on_bad_record applies.
/// </summary>
internal sealed class PreferenceRecordConverter
{
    private readonly DatasetEntry _entry;
    private readonly SharegptConverter? _sharegpt;
    private readonly AlpacaConverter? _alpaca;

    public PreferenceRecordConverter(DatasetEntry entry)
    {
        _entry = entry;
        if (entry.Formatting == DatasetFormatting.Sharegpt) _sharegpt = new SharegptConverter(entry.Columns, entry.Tags);
        else _alpaca = new AlpacaConverter(entry.Columns);
    }

    public PreferencePair Pair(JsonElement record)
    {
        var columns = _entry.Columns;
        string chosenColumn = columns.Chosen!, rejectedColumn = columns.Rejected!;
        if (_sharegpt is not null)
        {
            var prompt = _sharegpt.ConvertPrompt(record);
            var chosen = _sharegpt.ReadResponseTurn(record, chosenColumn);
            var rejected = _sharegpt.ReadResponseTurn(record, rejectedColumn);
            return new PreferencePair(new PreferencePrompt(prompt.Turns, prompt.System, prompt.Tools),
                new ChatMessage(chosen.Role, chosen.Content), new ChatMessage(rejected.Role, rejected.Content));
        }
        var converted = _alpaca!.Convert(record, requireResponse: false);
        return new PreferencePair(new PreferencePrompt(converted.Turns, converted.System, converted.Tools),
            new ChatMessage(ChatRoles.Assistant, Response(record, chosenColumn, "the chosen response")),
            new ChatMessage(ChatRoles.Assistant, Response(record, rejectedColumn, "the rejected response")));
    }

    public FeedbackExample Feedback(JsonElement record)
    {
        var converted = _sharegpt?.Convert(record, requireResponse: true) ?? _alpaca!.Convert(record, requireResponse: true);
        var column = _entry.Columns.KtoTag!;
        if (!record.TryGetProperty(column, out var tag) || tag.ValueKind == JsonValueKind.Null)
            throw new BadRecordException(BadRecordKind.MissingColumn, $"missing column '{column}' (the KTO tag); expected true (desirable) or false (undesirable).");
        if (tag.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new BadRecordException(BadRecordKind.WrongType, $"column '{column}' (the KTO tag) is a JSON {tag.ValueKind}; expected true or false.");
        var turns = converted.Turns;
        return new FeedbackExample(new PreferencePrompt(turns[..^1], converted.System, converted.Tools), turns[^1], tag.ValueKind == JsonValueKind.True);
    }

    private static string Response(JsonElement record, string column, string role)
    {
        var text = RecordFields.RequiredString(record, column, role);
        if (string.IsNullOrWhiteSpace(text))
            throw new BadRecordException(BadRecordKind.EmptyAssistantTurn, $"column '{column}' ({role}) is empty.");
        return text;
    }
}
