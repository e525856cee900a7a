using Athanor.Cli.Commands;
using Grpc.Core;

namespace Athanor.Cli.Client;

/// <summary>A failed call as one readable line on stderr and an exit code (docs/cli.md).</summary>
public static class RpcErrors
{
    public static int ExitCode(StatusCode code) => code switch
    {
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange or StatusCode.ResourceExhausted => ExitCodes.BadInput,
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => ClientExitCodes.Denied,
        StatusCode.NotFound => ClientExitCodes.NotFound,
        StatusCode.Unavailable or StatusCode.DeadlineExceeded => ClientExitCodes.Unavailable,
        StatusCode.Cancelled => ExitCodes.Interrupted,
        _ => ExitCodes.Failed,
    };

    public static string Describe(RpcException ex, ClientSettings settings)
    {
        var server = settings.Server.ToString().TrimEnd('/');
        var detail = string.IsNullOrWhiteSpace(ex.Status.Detail) ? ex.StatusCode.ToString() : ex.Status.Detail;
        var text = ex.StatusCode switch
        {
            StatusCode.Unavailable => $"cannot reach the server at {server}: {detail}; is `cluster serve` running there? (--server, ATHANOR_SERVER or ~/.athanor/config)",
            StatusCode.DeadlineExceeded => $"the server at {server} did not answer in time: {detail}",
            StatusCode.Unauthenticated when settings.Token is null => $"{detail} (no token was given)",
            StatusCode.Unauthenticated => $"{detail} (token from {settings.TokenSource})",
            _ => detail,
        };
        return $"error: {text} [{ex.StatusCode}]".ReplaceLineEndings(" ");
    }

    public static int Report(RpcException ex, ClientSettings settings)
    {
        Console.Error.WriteLine(Describe(ex, settings));
        return ExitCode(ex.StatusCode);
    }
}
