using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Tools.Singleton;
using Akka.Configuration;
using Akka.Hosting;
using Athanor.Cluster.Coordination;
using Athanor.Cluster.Jobs;
using Athanor.Cluster.Workers;
using Athanor.Native;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// A running cluster member, hosted with Akka.Hosting: the job shard region (or its proxy), the coordinator
/// singleton (on coordinator-role nodes) and its proxy, and the NodeAgent (on worker-role nodes). SIGTERM
/// runs coordinated shutdown, whose first step asks the local ranks to checkpoint and stop. A node the cluster
/// downed (a partition's losing side) aborts its ranks instead: its peers are gone, and a checkpoint written now
/// could race the job's new attempt on the other side.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterNode(IHost host, ActorSystem system, IActorRef jobs, IActorRef coordinator, IActorRef? agent, Task<string> fenceLost, Task<string> downed)
    {
        _host = host;
        FenceLost = fenceLost;
        Terminated = system.WhenTerminated.ContinueWith(_ => downed.IsCompleted ? downed.Result
            : $"this node's actor system stopped ({CoordinatedShutdown.Get(system).ShutdownReason?.GetType().Name ?? "no reason given"})",
            TaskScheduler.Default);
        System = system;
        Jobs = jobs;
        Coordinator = coordinator;
        Agent = agent;
    }

    public ActorSystem System { get; }
    /// <summary>The job shard region (or proxy): send <see cref="Messages.IJobMessage"/>s here.</summary>
    public IActorRef Jobs { get; }
    /// <summary>The coordinator singleton's proxy.</summary>
    public IActorRef Coordinator { get; }
    public IActorRef? Agent { get; }
    public string Address => Akka.Cluster.Cluster.Get(System).SelfAddress.ToString();
    /// <summary>Completes (with the reason) when another cluster turns out to write this node's journal: stop the node.</summary>
    public Task<string> FenceLost { get; }
    /// <summary>
    /// Completes (with the reason) when the actor system has terminated: after <see cref="StopAsync"/>, or on its own when
    /// the cluster downed this node. A node without its actor system cannot serve or train: its host must exit.
    /// </summary>
    public Task<string> Terminated { get; }

    public static async Task<ClusterNode> StartAsync(ClusterNodeOptions options, CancellationToken cancel = default)
    {
        options = options.Validated();
        IActorRef? jobs = null, coordinator = null, agent = null;
        var fenceLost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var downed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(20));
        // Signals belong to the command that hosts this node (it decides: drain and leave, or cancel a job).
        builder.Services.AddSingleton<IHostLifetime, CallerOwnedLifetime>();
        builder.Services.AddAkka(ClusterNodeOptions.SystemName, (akka, _) =>
        {
            akka.AddHocon(ConfigurationFactory.ParseString(ClusterConfig.Hocon(options)), HoconAddMode.Prepend);
            // The SQL journal's defaults (its plugin class and table mappings) are not loaded on their own.
            akka.AddHocon(SqlJournalDefaults(), HoconAddMode.Append);
            akka.WithActors((system, registry) =>
            {
                system.ActorOf(FenceWatcher.Props(fenceLost), "fence-watcher");
                system.ActorOf(DowningWatch.Props(downed), "downing-watch");
                coordinator = system.ActorOf(ClusterSingletonProxy.Props("/user/coordinator",
                    ClusterSingletonProxySettings.Create(system).WithRole("coordinator")), "coordinator-proxy");
                var sharding = ClusterSharding.Get(system);
                var coordinatorRef = coordinator;
                jobs = options.IsCoordinator
                    ? sharding.Start("jobs", id => JobEntity.Props(id, coordinatorRef),
                        ClusterShardingSettings.Create(system).WithRole("coordinator").WithRememberEntities(true), new JobMessageExtractor())
                    : sharding.StartProxy("jobs", "coordinator", new JobMessageExtractor());
                if (options.IsCoordinator)
                    system.ActorOf(ClusterSingletonManager.Props(Coordination.Coordinator.Props(jobs),
                        PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system).WithRole("coordinator")), "coordinator");
                if (options.IsWorker)
                {
                    var (kind, slots, devices) = options.ParseDevices();
                    // Ranks share this machine's cores: each gets its slice for intra-op parallelism. A GPU node
                    // brings up CUDA libtorch before anything touches a tensor (the CPU build cannot be swapped later).
                    int threads = Math.Max(1, Environment.ProcessorCount / slots);
                    if (kind == "cuda") TorchRuntime.InitializeCuda(threads);
                    else TorchRuntime.Initialize(threads);
                    var self = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
                    agent = system.ActorOf(NodeAgent.Props(self, options.Host, slots, kind, devices, coordinatorRef, jobs, options.FusedKernels), "node-agent");
                    var drainAgent = agent;
                    CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "drain-training", async () =>
                    {
                        // Downed: no checkpoint (see the class comment); otherwise (SIGTERM, a stop) drain gracefully.
                        object stop = downed.Task.IsCompleted || CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason
                            ? new NodeAgent.Abort(downed.Task.IsCompleted ? downed.Task.Result : "this node was downed")
                            : NodeAgent.Drain.Instance;
                        int running = await drainAgent.Ask<int>(stop, TimeSpan.FromSeconds(5));
                        var deadline = DateTime.UtcNow + options.DrainTimeout;
                        while (running > 0 && DateTime.UtcNow < deadline)
                        {
                            await Task.Delay(250);
                            running = await drainAgent.Ask<int>(NodeAgent.CountRanks.Instance, TimeSpan.FromSeconds(5));
                        }
                        return Akka.Done.Instance;
                    });
                }
            });
        });
        var host = builder.Build();
        await host.StartAsync(cancel);
        // The ranks stop the moment the node learns it was downed, before coordinated shutdown reaches its drain step.
        var downedAgent = agent;
        _ = downed.Task.ContinueWith(t => downedAgent?.Tell(new NodeAgent.Abort(t.Result)), TaskScheduler.Default);
        var system = host.Services.GetRequiredService<ActorSystem>();
        return new ClusterNode(host, system, jobs!, coordinator!, agent, fenceLost.Task, downed.Task);
    }

    private sealed class CallerOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static Akka.Configuration.Config SqlJournalDefaults()
    {
        var assembly = typeof(Akka.Persistence.Sql.SqlPersistence).Assembly;
        var config = Akka.Configuration.Config.Empty;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".conf", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            config = config.WithFallback(ConfigurationFactory.ParseString(reader.ReadToEnd()));
        }
        return config;
    }

    /// <summary>Leaves the cluster gracefully (drains local ranks first).</summary>
    public async Task StopAsync() => await _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try { await _host.StopAsync(); } catch (OperationCanceledException) { }
        _host.Dispose();
    }
}
