using System.Text;

namespace Athanor.Node.Services;

/// <summary>
/// Text for response trailers and status messages. Kestrel refuses a header value with a non-ASCII or control
/// character (the call then ends as HTTP 500), and a client refuses headers above its limit (64 KB in .NET):
/// trailers carry printable ASCII only, other bytes percent-encoded as UTF-8, bounded in length; messages are
/// bounded too (gRPC percent-encodes them itself).
/// </summary>
public static class HeaderSafeText
{
    /// <summary>The longest trailer value sent; a field path is a key name and an index or two.</summary>
    public const int MaxTrailerLength = 256;

    /// <summary>The longest status message sent, in characters (quoted inputs are already cut to 200).</summary>
    public const int MaxMessageLength = 2000;

    /// <summary>"fields.%E4%B8%AD": printable ASCII except '%' as is, everything else %XX per UTF-8 byte; at most <see cref="MaxTrailerLength"/>.</summary>
    public static string Trailer(string text)
    {
        var b = new StringBuilder(Math.Min(text.Length, MaxTrailerLength));
        Span<byte> bytes = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.IsAscii && rune.Value is > 0x20 and < 0x7f && rune.Value != '%')
                b.Append((char)rune.Value);
            else
            {
                int n = rune.EncodeToUtf8(bytes);
                foreach (var x in bytes[..n]) b.Append('%').Append(x.ToString("X2"));
            }
            if (b.Length >= MaxTrailerLength) return b.ToString(0, MaxTrailerLength);
        }
        return b.ToString();
    }

    /// <summary>The message, one line, cut to <see cref="MaxMessageLength"/> characters with the full length said.</summary>
    public static string Message(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= MaxMessageLength ? line : $"{line[..MaxMessageLength]}... (message cut, {line.Length} characters)";
    }
}
