using Athanor.Cluster.Backend;
using Athanor.Node.Hosting;

namespace Athanor.Cli.Commands;

/// <summary>
/// `cluster serve`: the single-machine job server: a cluster of one member in this process (the same job entities,
/// coordinator and workers as `cluster node`, one CPU slot) with the gRPC JobService and ClusterService; its journal
/// under the output root keeps jobs across restarts (<see cref="SingleNodeServer"/>).
/// </summary>
public sealed class ServeCommand : ICommand
{
    public string Name => "serve";
    public string Summary => "run the single-node job server that submit/status/logs/... talk to";
    public string Usage => """
        usage: cluster serve --token-file FILE --data-root DIR [--data-root DIR]... --output-root DIR
                             [--grpc-port P] [--listen IP] [--tls-cert PEM --tls-key PEM [--client-ca PEM]]

          --token-file F    file holding the bearer token clients must send (16+ characters,
                            e.g. `openssl rand -hex 32 > token`)
          --data-root DIR   jobs may read models, datasets, adapters only under these folders;
                            relative job paths resolve against the first (repeatable)
          --output-root DIR jobs write output_dir only under this folder
          --grpc-port P     port to listen on (default 50051; 0 = any free port, printed)
          --listen IP       address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
          --tls-cert PEM    serve TLS with this certificate chain ...
          --tls-key PEM     ... and its private key
          --client-ca PEM   require client certificates issued by this CA (mutual TLS)

        Jobs run in this process one at a time (one CPU slot; a job that needs more ranks waits), through the
        same job records, coordinator and workers as `cluster node`. Jobs and their events are journaled in
        OUTPUT_ROOT/.athanor-serve/journal.db: started again with the same --output-root, the server lists
        them, and a job that was running continues from its last checkpoint. Ctrl-C or SIGTERM stops the
        server; a running job saves a checkpoint first.
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster serve", args,
            ["--grpc-port", "--listen", "--token-file", "--data-root", "--output-root", "--tls-cert", "--tls-key", "--client-ca"], []);
        reader.AtMostPositionals(0, "no arguments besides flags");
        var port = reader.One("--grpc-port") is string p
            ? int.TryParse(p, out var n) && n is >= 0 and <= 65535 ? n : throw new UsageException($"cluster serve: --grpc-port '{p}' is not a port; accepted: 0 to 65535")
            : 50051;
        var options = new NodeOptions
        {
            GrpcPort = port,
            ListenAddress = reader.One("--listen") ?? "127.0.0.1",
            TokenFile = reader.One("--token-file") ?? throw new UsageException("cluster serve: --token-file FILE is required (clients must send its token)"),
            DataRoots = reader.All("--data-root") is { Count: > 0 } roots ? roots : throw new UsageException("cluster serve: --data-root DIR is required (jobs read models and data only under it)"),
            OutputRoot = reader.One("--output-root") ?? throw new UsageException("cluster serve: --output-root DIR is required (jobs write only under it)"),
            TlsCertificateFile = reader.One("--tls-cert"),
            TlsKeyFile = reader.One("--tls-key"),
            TlsClientCaFile = reader.One("--client-ca"),
        };
        return Serve(options, cancel).GetAwaiter().GetResult();
    }

    private static async Task<int> Serve(NodeOptions options, CancellationToken cancel)
    {
        SingleNodeServer server;
        try
        {
            server = await SingleNodeServer.StartAsync(options, cancel);
        }
        catch (IOException ex)
        {
            throw new UsageException($"cluster serve: cannot listen on {options.ListenAddress}:{options.GrpcPort}: {ex.Message}");
        }
        await using (server)
        {
            var address = server.Host.Address.ToString().TrimEnd('/');
            Console.WriteLine($"cluster serve: listening on {address} (jobs run here one at a time)");
            Console.WriteLine($"data roots: {string.Join(", ", options.DataRoots.Select(Path.GetFullPath))}; output root: {Path.GetFullPath(options.OutputRoot)}; " +
                              $"jobs journaled in {SingleNodeServer.StateFolder(options)}");
            Console.WriteLine($"clients: cluster submit JOB.yaml --server {address} --token $(cat {options.TokenFile}); Ctrl-C stops");
            var stopped = Task.Delay(Timeout.Infinite, cancel);
            var first = await Task.WhenAny(stopped, server.Node.FenceLost, server.Node.Terminated);
            if (first == server.Node.FenceLost)
            {
                // Another server journals under the same output root: both would run the same jobs.
                Console.Error.WriteLine("cluster serve: error: " + server.Node.FenceLost.Result);
                return ExitCodes.Failed;
            }
            if (first == server.Node.Terminated)
            {
                Console.Error.WriteLine($"cluster serve: error: {server.Node.Terminated.Result}");
                return ExitCodes.Failed;
            }
            Console.WriteLine("cluster serve: stopping (a running job saves a checkpoint)");
        }
        Console.WriteLine("cluster serve: stopped");
        return ExitCodes.Ok;
    }
}
