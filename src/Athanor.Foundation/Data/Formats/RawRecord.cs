using System.Text.Json;

namespace Athanor.Data.Formats;

/// <summary>One record as read from a file: its JSON value, or why it could not be read.
/// <see cref="Element"/> is only valid until the enumerator moves on (its document is then disposed).</summary>
public readonly record struct RawRecord(string File, long Line, JsonElement Element, BadRecord? Error)
{
    public bool IsBad => Error is not null;
}
