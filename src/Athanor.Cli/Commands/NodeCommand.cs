using Athanor.Cluster.Backend;
using Athanor.Cluster.Hosting;
using Athanor.Cluster.Telemetry;
using Athanor.Node.Hosting;
using Athanor.Telemetry;
using Athanor.WebConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Athanor.Cli.Commands;

/// <summary>
/// `cluster node`: one member of an Athanor cluster: Akka.NET membership, the job entities and the
/// coordinator (coordinator role), training workers (worker role), the gRPC job service and health endpoints.
/// </summary>
public sealed class NodeCommand : ICommand
{
    public string Name => "node";
    public string Summary => "run a cluster member (coordinator and/or worker) with the gRPC job service";
    public string Usage => """
        usage: cluster node --data-dir DIR --token-file FILE --data-root DIR [--data-root DIR]... --output-root DIR
                            [--host IP] [--port P] [--seed HOST:PORT]... [--roles coordinator,worker]
                            [--devices cpu:N|cuda|cuda:0,1] [--journal sqlite|sqlite:PATH|postgres:CONN]
                            [--grpc-port P] [--http-port P] [--listen IP] [--config FILE]
                            [--discovery seeds|config|kubernetes] [--contact-point HOST:HTTP-PORT]...
                            [--required-contact-points N] [--k8s-label-selector SEL] [--k8s-namespace NS]
                            [--remoting-tls-cert PEM --remoting-tls-key PEM --remoting-tls-ca PEM]
                            [--tls-cert PEM --tls-key PEM [--client-ca PEM]]

          --host IP         address other members and training peers reach this node at (default 127.0.0.1)
          --port P          Akka remoting port (default 4053)
          --seed HOST:PORT  a member to join (repeatable); a node that lists itself first starts the cluster,
                            and so does a node given no --seed
          --roles R         coordinator (job records, placement), worker (training slots), or both (default)
          --devices D       the worker's slots: cpu:N (N CPU ranks sharing this machine's cores), cuda (one
                            per visible GPU) or cuda:0,1 (the listed GPUs)
          --data-dir DIR    the node's own state; the journal lives here unless --journal says otherwise
          --journal J       sqlite (DATA_DIR/journal.db), sqlite:PATH (shared by nodes on one machine), or
                            postgres:CONNECTION-STRING (Kubernetes); every coordinator must use the same one
          --grpc-port P     the job service (default 50051; 0 = any free port, printed)
          --http-port P     health endpoints /health/live and /health/ready, Prometheus metrics /metrics and the
                            web console /console (log in with the --token-file token; docs/console.md) (default: off)
          --discovery D     how members find each other: seeds (the --seed list, default), or Cluster Bootstrap
                            (Akka.Management) over config (the --contact-point list) or kubernetes (the API
                            server's pods matching --k8s-label-selector). Bootstrap needs --http-port: each
                            node's contact point is /bootstrap/seed-nodes there. Nodes probe each other, join
                            a cluster one of them is in, or, when none is and the contact points are stable,
                            the lowest one founds it.
          --contact-point HOST:HTTP-PORT  a member's contact point (repeatable; list every member, this one too)
          --required-contact-points N  contact points that must answer before a new cluster is founded (default:
                            all listed for config, 2 for kubernetes)
          --k8s-label-selector SEL, --k8s-namespace NS (default: the pod's own), --k8s-port-name NAME (the container
                            port of the contact point, default http), --k8s-api-ca-path, --k8s-api-token-path
                            (default: the service account's files in the pod)
          --fused-kernels B true (default) or false: false runs no fused CUDA kernels on this node, whatever
                            the job says (a node whose NVRTC or driver misbehaves). Ranks compare this in their
                            group fingerprint: a job with fused_kernels: true fails its attempt on a group that
                            mixes such a node with others, naming the nodes (docs/architecture.md)
          --remoting-tls-cert PEM, --remoting-tls-key PEM, --remoting-tls-ca PEM  Akka remoting over mutual TLS:
                            this member's certificate and key, and the cluster's CA; members accept only peers
                            whose certificate chains to that CA (all three, on every member; docs/cluster.md)
          --tls-cert PEM, --tls-key PEM  serve gRPC over TLS (clients use https://); --client-ca PEM: mutual TLS,
                            clients must present a certificate of this CA
          --token-file F    the bearer token clients must send
          --data-root DIR   jobs may read only under these folders (repeatable)
          --output-root DIR jobs write only under this folder
          --config FILE     a YAML file with the same keys (host, port, seeds, roles, ...); environment
                            variables ATHANOR_NODE_<KEY> (e.g. ATHANOR_NODE_DATA_DIR) override it, flags override both

        Traces and metrics go over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set (the standard OTEL_* variables;
        docs/observability.md); ATHANOR_PEAK_FLOPS sets one device's peak FLOP/s for the MFU metric.

        SIGTERM (spot reclaim, pod eviction) asks the training ranks here to finish their step and checkpoint,
        then the node leaves the cluster; their jobs continue on the remaining nodes. A node the cluster downs (the
        losing side of a network partition) aborts its ranks without a checkpoint and exits with code 1, the reason
        on stderr: start it again (a pod restarts) and it joins as a new member.
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster node", args, NodeSettings.ValueKeys.Select(k => "--" + k).ToList(), []);
        reader.AtMostPositionals(0, "no arguments besides flags");
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value);
        var settings = NodeSettings.From(reader, env);
        var clusterOptions = settings.ToClusterOptions();
        if (clusterOptions.Seeds.Count == 0 && !clusterOptions.UsesBootstrap)
        {
            // Without a seed a node would wait for a manual join forever: alone, it starts its own cluster.
            if (clusterOptions.Port == 0) throw new UsageException("cluster node: --port 0 needs --seed HOST:PORT (a node starting its own cluster must know its port)");
            clusterOptions = clusterOptions with { Seeds = [$"{clusterOptions.Host}:{clusterOptions.Port}"] };
            Console.WriteLine($"cluster node: no --seed given: starting a new cluster at {clusterOptions.Seeds[0]} (other nodes join with --seed {clusterOptions.Seeds[0]})");
        }
        var nodeOptions = new NodeOptions
        {
            GrpcPort = settings.Int("grpc-port", 50051, 0, 65535),
            ListenAddress = settings.One("listen") ?? clusterOptions.Host,
            TokenFile = settings.One("token-file") ?? throw new UsageException("cluster node: --token-file FILE is required (clients must send its token)"),
            DataRoots = settings.All("data-root") is { Count: > 0 } roots ? roots : throw new UsageException("cluster node: --data-root DIR is required"),
            OutputRoot = settings.One("output-root") ?? throw new UsageException("cluster node: --output-root DIR is required"),
            TlsCertificateFile = settings.One("tls-cert"),
            TlsKeyFile = settings.One("tls-key"),
            TlsClientCaFile = settings.One("client-ca"),
        };
        int httpPort = settings.Int("http-port", -1, 0, 65535);
        NodeTelemetry telemetry;
        try
        {
            ModelFlops.PeakPerRank(env, 1); // a bad ATHANOR_PEAK_FLOPS stops the node here, not each training attempt
            telemetry = NodeTelemetry.Start($"{clusterOptions.Host}:{clusterOptions.Port}", prometheus: httpPort >= 0, env);
        }
        catch (TelemetryConfigurationException ex) { throw new UsageException("cluster node: " + ex.Message); }
        using (telemetry) return RunAsync(clusterOptions, nodeOptions, httpPort, telemetry, cancel).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(ClusterNodeOptions clusterOptions, NodeOptions nodeOptions, int httpPort, NodeTelemetry telemetry,
        CancellationToken cancel)
    {
        await using var node = await ClusterNode.StartAsync(clusterOptions, cancel);
        using var clusterMetrics = telemetry.Meters is null ? null : new ClusterMetrics(node);
        using var gpuMetrics = telemetry.Meters is null || clusterOptions.Devices.StartsWith("cpu", StringComparison.Ordinal) ? null : new Athanor.Telemetry.GpuMetrics();
        var backend = new ClusterJobBackend(node);
        await using var grpc = NodeHost.Build(nodeOptions, backend);
        try { await grpc.StartAsync(cancel); }
        catch (IOException ex) { throw new UsageException($"cluster node: cannot listen on {nodeOptions.ListenAddress}:{nodeOptions.GrpcPort}: {ex.Message}"); }
        await using var health = httpPort >= 0 ? await StartHealth(node, telemetry, clusterOptions.Host, httpPort, nodeOptions, backend, cancel) : null;
        if (clusterOptions.UsesBootstrap)
        {
            // The contact point is serving: now bootstrap may probe the others (and they this one).
            await ClusterBootstrapping.StartAsync(node.System, clusterOptions);
            Console.WriteLine($"cluster node: bootstrapping through {clusterOptions.Discovery} discovery (contact point http://{clusterOptions.Host}:{httpPort}{ClusterBootstrapping.SeedNodesPath})");
        }
        Console.WriteLine($"cluster node: member {node.Address} (roles {string.Join(",", clusterOptions.Roles)}, devices {clusterOptions.Devices}; " +
            (clusterOptions.RemotingTls is null ? "remoting in plaintext" : "remoting over mutual TLS") + ")");
        MembershipWatch.Start(node.System, clusterOptions, Console.WriteLine);
        Console.WriteLine($"cluster node: gRPC on {grpc.Address.ToString().TrimEnd('/')}" +
                          (health is null ? "" : $"; health on {health.Urls.First()}; web console on {health.Urls.First().TrimEnd('/')}{ConsoleSetup.Root}"));
        Console.WriteLine($"cluster node: telemetry: {telemetry.Summary()}");
        var stopped = Task.Delay(Timeout.Infinite, cancel);
        var first = await Task.WhenAny(stopped, node.FenceLost, node.Terminated);
        if (first == node.Terminated)
        {
            // Downed (a partition's losing side) or otherwise without its actor system: a process left running would
            // look alive and serve nothing. Exit, so the supervisor (Kubernetes, systemd, a script) starts a new incarnation.
            Console.Error.WriteLine($"cluster node: error: {node.Terminated.Result}; the actor system has stopped, so the node exits " +
                                    "(start it again to rejoin the cluster as a new member)");
            await node.StopAsync();
            return ExitCodes.Failed;
        }
        if (first == node.FenceLost)
        {
            // Another cluster shares this journal: staying would run its jobs twice. Leave and say why.
            Console.Error.WriteLine("cluster node: error: " + node.FenceLost.Result);
            Console.WriteLine("cluster node: leaving");
            await node.StopAsync();
            return ExitCodes.Failed;
        }
        Console.WriteLine("cluster node: leaving (running ranks checkpoint first)");
        await node.StopAsync();
        Console.WriteLine("cluster node: stopped");
        return ExitCodes.Ok;
    }

    private static IResult Answer((bool Ok, string Text) health) => Results.Text(health.Text, statusCode: health.Ok ? 200 : 503);

    private static async Task<WebApplication> StartHealth(ClusterNode node, NodeTelemetry telemetry, string host, int port, NodeOptions nodeOptions,
        ClusterJobBackend backend, CancellationToken cancel)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{host}:{port}");
        builder.Services.AddAthanorConsole(nodeOptions, backend); // the web console (docs/console.md): same token, roots and backend as gRPC
        var app = builder.Build();
        app.MapAthanorConsole();
        app.MapGet("/health/live", () => Answer(NodeHealth.Live(node)));
        app.MapGet("/health/ready", () => Answer(NodeHealth.Ready(node)));
        app.MapGet(ClusterBootstrapping.SeedNodesPath, () => ClusterBootstrapping.SeedNodesJson(node.System) is string json
            ? Results.Text(json, "application/json")
            : Results.Text("leaving the cluster\n", statusCode: 503));
        if (telemetry.ServesPrometheus) telemetry.MapScrapeEndpoint(app); // off with OTEL_SDK_DISABLED=true
        await app.StartAsync(cancel);
        return app;
    }
}
