using Athanor.Cli.Commands;
using Grpc.Core;

namespace Athanor.Cli.Client;

/// <summary>What every client command shares: the connection flags, one connection, gRPC errors as one line and an exit code.</summary>
public static class ClientCommandRunner
{
    public static readonly string[] ConnectionFlags = ["--server", "--token"];

    public const string ConnectionUsage = """
          --server ADDR  the server (host:port, http://... or https://...); else ATHANOR_SERVER,
                         else server in ~/.athanor/config, else 127.0.0.1:50051
          --token T      the bearer token; else ATHANOR_TOKEN, else token/token_file in ~/.athanor/config
        """;

    public static ArgumentReader Read(string command, IReadOnlyList<string> args, string[] valueFlags, string[] switches) =>
        new(command, args, [.. valueFlags, .. ConnectionFlags], switches);

    public static int Run(ArgumentReader reader, CancellationToken cancel, Func<ClusterConnection, Task<int>> body)
    {
        var settings = ClientSettings.Resolve(reader.One("--server"), reader.One("--token"));
        using var connection = new ClusterConnection(settings);
        try
        {
            return body(connection).GetAwaiter().GetResult();
        }
        catch (RpcException ex)
        {
            return RpcErrors.Report(ex, settings);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted");
            return ExitCodes.Interrupted;
        }
    }

    /// <summary>The one JOB positional of status/logs/cancel.</summary>
    public static string JobId(ArgumentReader reader, string command)
    {
        reader.AtMostPositionals(1, "one job id");
        return reader.Positionals.Count == 1 ? reader.Positionals[0] : throw new UsageException($"{command}: which job? give its id (cluster list shows them)");
    }
}
