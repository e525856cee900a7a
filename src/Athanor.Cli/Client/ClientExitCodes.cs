namespace Athanor.Cli.Client;

/// <summary>Exit codes of the client commands beyond the shared ones (0 ok, 1 failed, 2 bad input, 130 interrupted); docs/cli.md lists them.</summary>
public static class ClientExitCodes
{
    /// <summary>No token, a wrong token, or a path outside the server's roots.</summary>
    public const int Denied = 3;

    /// <summary>No such job.</summary>
    public const int NotFound = 4;

    /// <summary>The server cannot be reached, or did not answer in time.</summary>
    public const int Unavailable = 5;
}
