namespace Athanor.Data.Formats;

/// <summary>Why a record was rejected. Used as the key of the skip counts in <see cref="DatasetReport"/>.</summary>
public enum BadRecordKind
{
    /// <summary>The line or array element is not valid JSON.</summary>
    MalformedJson,
    /// <summary>The bytes are not valid UTF-8 (detected, never replaced).</summary>
    InvalidUtf8,
    /// <summary>A JSON string holds an escape that is not valid UTF-16 (e.g. a lone surrogate).</summary>
    InvalidText,
    /// <summary>The record is not a JSON object.</summary>
    NotAnObject,
    /// <summary>A required column (or a turn's role/content key) is absent or null.</summary>
    MissingColumn,
    /// <summary>A column holds the wrong JSON type.</summary>
    WrongType,
    /// <summary>Turns do not alternate user/observation then assistant/function, or a role tag is unknown.</summary>
    InvalidTurnOrder,
    /// <summary>The conversation has no turns.</summary>
    EmptyConversation,
    /// <summary>An assistant or function turn has empty content.</summary>
    EmptyAssistantTurn,
    /// <summary>A pretraining record has empty text.</summary>
    EmptyText,
}

/// <summary>One rejected record: where it is and why.</summary>
public sealed record BadRecord(BadRecordKind Kind, string File, long Line, string Reason)
{
    public string Location => $"{File}:{Line}";

    public override string ToString() => $"{Location}: {Reason}";
}

/// <summary>What to do with a bad record (LLaMA-Factory drops them with a warning; we make it explicit).</summary>
public enum OnBadRecord
{
    /// <summary>Throw a <see cref="DatasetException"/> naming file:line and the reason.</summary>
    Error,
    /// <summary>Skip it and count it by reason in the <see cref="DatasetLoadReport"/>.</summary>
    Skip,
}

/// <summary>Thrown inside a converter for a bad record; the loader turns it into a <see cref="BadRecord"/>.</summary>
internal sealed class BadRecordException(BadRecordKind kind, string reason) : Exception(reason)
{
    public BadRecordKind Kind { get; } = kind;
}
