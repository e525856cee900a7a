using System.Buffers.Text;
using System.Text;
using Athanor.Node.Backend;

namespace Athanor.Node.Local;

/// <summary>Opaque ListJobs page tokens of the local backend: the submission index to continue from, newest first.</summary>
internal static class PageToken
{
    private const string Prefix = "local-jobs:";

    public static string Format(int index) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(Prefix + index));

    public static int Parse(string token, int jobCount)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(token));
            if (text.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(text.AsSpan(Prefix.Length), out int index)
                && index >= 0 && index < jobCount)
                return index;
        }
        catch (FormatException) { }
        throw new InvalidPageTokenException(token);
    }
}
