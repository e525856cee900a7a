using System.Text.Json;

namespace Athanor.Data.Formats;

internal static class JsonErrors
{
    /// <summary>System.Text.Json's message without its 0-based " LineNumber: .. | BytePositionInLine: .." tail
    /// (we print 1-based file:line ourselves), plus the 1-based column.</summary>
    public static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
            message = message[..cut].TrimEnd();
        return ex.BytePositionInLine is { } column ? $"{message} (byte {column + 1} of the line)" : message;
    }
}
