using System.Text.RegularExpressions;

namespace Athanor.WebConsole.Api;

/// <summary>The id shape the gRPC service accepts (JobGrpcService.MaxJobIdLength): anything else is refused before a backend sees it.</summary>
public static partial class ConsoleJobId
{
    public static bool IsValid(string? id) => id is { Length: > 0 and <= 64 } && Pattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex Pattern();
}
