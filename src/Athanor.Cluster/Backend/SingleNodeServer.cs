using Athanor.Cluster.Hosting;
using Athanor.Node.Hosting;

namespace Athanor.Cluster.Backend;

/// <summary>
/// `cluster serve`: a cluster of one member in this process (coordinator and worker, one CPU slot, Akka remoting on
/// 127.0.0.1 only) with the gRPC services over <see cref="ClusterJobBackend"/>: the same job entities, coordinator and
/// rank runners as `cluster node`. Its SQLite journal lives under the output root (<see cref="StateFolderName"/>), so the
/// same flags start a server that lists and continues the jobs of the last one.
/// </summary>
public sealed class SingleNodeServer : IAsyncDisposable
{
    /// <summary>The folder under the output root that holds the server's journal (jobs may not write there).</summary>
    public const string StateFolderName = ".athanor-serve";

    /// <summary>How long the one-member cluster may take to start before the server gives up (seconds on an idle machine).</summary>
    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(90);

    private SingleNodeServer(ClusterNode node, ClusterJobBackend backend, NodeHost host)
    {
        Node = node;
        Backend = backend;
        Host = host;
    }

    public ClusterNode Node { get; }
    public ClusterJobBackend Backend { get; }
    public NodeHost Host { get; }

    /// <summary>Where the server of <paramref name="options"/> keeps its journal.</summary>
    public static string StateFolder(NodeOptions options) => Path.Combine(Path.GetFullPath(options.OutputRoot), StateFolderName);

    /// <summary>
    /// Checks <paramref name="options"/> (ArgumentException with one line for a bad one, before anything is created), starts
    /// the one-member cluster on the journal under the output root, waits until it can take jobs, then starts the gRPC server.
    /// </summary>
    public static async Task<SingleNodeServer> StartAsync(NodeOptions options, CancellationToken cancel = default)
    {
        options = options with { ReservedOutputFolders = [.. options.ReservedOutputFolders, StateFolderName] };
        NodeHost.Check(options);
        int port = LoopbackPort.Free();
        var node = await ClusterNode.StartAsync(new ClusterNodeOptions
        {
            Host = "127.0.0.1", Port = port, Seeds = [$"127.0.0.1:{port}"], Roles = ["coordinator", "worker"], Devices = "cpu:1",
            DataDir = StateFolder(options), Journal = "sqlite", LogLevel = "WARNING",
        }, cancel);
        var backend = new ClusterJobBackend(node);
        try
        {
            await ClusterReadiness.WaitAsync(node, isWorker: true, ReadyLimit, cancel);
            var host = NodeHost.Build(options, backend);
            try
            {
                await host.StartAsync(cancel);
            }
            catch
            {
                await host.DisposeAsync();
                throw;
            }
            return new SingleNodeServer(node, backend, host);
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops listening (open watches end), then leaves the cluster: a running job checkpoints first.</summary>
    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Node.DisposeAsync();
    }
}
