using System.Text.Json;

namespace Athanor.Data.Formats;

/// <summary>LLaMA-Factory's sharegpt mapping: roles by tags; a first system turn becomes the system prompt
/// (else the system column); the rest must alternate user/observation then assistant/function and end on the
/// assistant side. function_call turns become role "function", observation turns role "observation".</summary>
internal sealed class SharegptConverter : IRecordConverter
{
    private readonly DatasetColumns _columns;
    private readonly SharegptTags _tags;
    private readonly string _userSide;
    private readonly string _assistantSide;

    public SharegptConverter(DatasetColumns columns, SharegptTags tags)
    {
        _columns = columns;
        _tags = tags;
        _userSide = Accepted(tags.UserTag, tags.ObservationTag);
        _assistantSide = Accepted(tags.AssistantTag, tags.FunctionTag);
    }

    /// <remarks>sft and pt validate alike: LLaMA-Factory's pt stage also reads the aligned turns (the first one).</remarks>
    public ConvertedRecord Convert(JsonElement record, bool requireResponse) => Read(record, endsWithUser: false);

    /// <summary>
    /// The turns as <see cref="Convert(JsonElement, bool)"/> reads them, but ending on the user side: a ranking record's
    /// prompt, whose responses are in the chosen and rejected columns.
    /// </summary>
    public ConvertedRecord ConvertPrompt(JsonElement record) => Read(record, endsWithUser: true);

    /// <summary>A turn object outside the messages column (a ranking record's chosen or rejected): its role and content.</summary>
    public (string Role, string Content) ReadResponseTurn(JsonElement record, string column)
    {
        if (!record.TryGetProperty(column, out var turn) || turn.ValueKind == JsonValueKind.Null)
            throw new BadRecordException(BadRecordKind.MissingColumn, $"missing column '{column}'; expected a turn object with '{_tags.RoleTag}' and '{_tags.ContentTag}'.");
        var tag = Field(turn, _tags.RoleTag, $"column '{column}'");
        var role = MapRole(tag, userSide: false)
            ?? throw new BadRecordException(BadRecordKind.InvalidTurnOrder, $"column '{column}' has {_tags.RoleTag} '{tag}'; expected {_assistantSide}.");
        var content = Field(turn, _tags.ContentTag, $"column '{column}'");
        if (string.IsNullOrWhiteSpace(content))
            throw new BadRecordException(BadRecordKind.EmptyAssistantTurn, $"column '{column}' has empty {_tags.ContentTag}.");
        return (role, content);
    }

    private ConvertedRecord Read(JsonElement record, bool endsWithUser)
    {
        RecordFields.RequireObject(record);
        if (_columns.Messages is null)
            throw new BadRecordException(BadRecordKind.MissingColumn, "no messages column: this entry's \"columns\" names no \"messages\".");
        if (!record.TryGetProperty(_columns.Messages, out var messages) || messages.ValueKind == JsonValueKind.Null)
            throw new BadRecordException(BadRecordKind.MissingColumn, $"missing column '{_columns.Messages}' (the messages); expected an array of turns.");
        if (messages.ValueKind != JsonValueKind.Array)
            throw new BadRecordException(BadRecordKind.WrongType, $"column '{_columns.Messages}' is a JSON {messages.ValueKind}; expected an array of turns.");

        // Enumerate rather than index: JsonElement's array indexer walks complex arrays, which would be quadratic.
        var turns = new List<ChatMessage>(messages.GetArrayLength());
        string? system = null;
        var first = 0;
        var number = 0;
        foreach (var turn in messages.EnumerateArray())
        {
            number++;
            var tag = Role(turn, number);
            if (number == 1 && _tags.SystemTag is not null && tag == _tags.SystemTag)
            {
                system = Content(turn, number);
                first = 1;
                continue;
            }
            var userSide = (number - 1 - first) % 2 == 0;
            var role = MapRole(tag, userSide)
                ?? throw new BadRecordException(BadRecordKind.InvalidTurnOrder,
                    $"turn {number} has {_tags.RoleTag} '{tag}' where a {(userSide ? "user-side" : "assistant-side")} turn is expected " +
                    $"({(userSide ? _userSide : _assistantSide)}); turns must alternate {_userSide} then {_assistantSide}.");
            var content = Content(turn, number);
            if (!userSide && string.IsNullOrWhiteSpace(content))
                throw new BadRecordException(BadRecordKind.EmptyAssistantTurn, $"turn {number} ({tag}) has empty {_tags.ContentTag}.");
            turns.Add(new ChatMessage(role, content));
        }
        system ??= RecordFields.OptionalString(record, _columns.System);

        if (turns.Count == 0)
            throw new BadRecordException(BadRecordKind.EmptyConversation, $"column '{_columns.Messages}' has no turns{(first == 1 ? " besides the system turn" : "")}.");
        if (endsWithUser && turns.Count % 2 != 1)
            throw new BadRecordException(BadRecordKind.InvalidTurnOrder,
                $"{turns.Count} turns: the last turn ({turns[^1].Role}) is assistant-side; a ranking record's prompt must end with {_userSide} (the responses are in the chosen and rejected columns).");
        if (!endsWithUser && turns.Count % 2 != 0)
            throw new BadRecordException(BadRecordKind.InvalidTurnOrder,
                $"{turns.Count} turns: the last turn ({turns[^1].Role}) is user-side; a conversation must end with {_assistantSide}.");

        return new ConvertedRecord(
            turns,
            RecordFields.NullIfEmpty(system),
            RecordFields.NullIfEmpty(RecordFields.OptionalJsonText(record, _columns.Tools)));
    }

    private string? MapRole(string tag, bool userSide)
    {
        if (userSide)
        {
            if (tag == _tags.UserTag) return ChatRoles.User;
            if (tag == _tags.ObservationTag) return ChatRoles.Observation;
        }
        else
        {
            if (tag == _tags.AssistantTag) return ChatRoles.Assistant;
            if (tag == _tags.FunctionTag) return ChatRoles.Function;
        }
        return null;
    }

    private string Role(JsonElement turn, int number) => Field(turn, _tags.RoleTag, $"turn {number}");

    private string Content(JsonElement turn, int number) => Field(turn, _tags.ContentTag, $"turn {number}");

    private string Field(JsonElement turn, string key, string what)
    {
        if (turn.ValueKind != JsonValueKind.Object)
            throw new BadRecordException(BadRecordKind.WrongType, $"{what} is a JSON {turn.ValueKind}; expected an object with '{_tags.RoleTag}' and '{_tags.ContentTag}'.");
        if (!turn.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
            throw new BadRecordException(BadRecordKind.MissingColumn, $"{what} has no '{key}'; expected '{_tags.RoleTag}' and '{_tags.ContentTag}' strings.");
        return RecordFields.AsString(value, $"{what} '{key}'");
    }

    private static string Accepted(string? a, string? b)
    {
        var names = new[] { a, b }.Where(n => n is not null).Select(n => $"'{n}'").ToArray();
        return names.Length == 0 ? "(no tag configured)" : string.Join(" or ", names);
    }
}
