using Akka.Actor;
using Akka.Hosting;
using Athanor.Cluster.Workers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// A running cluster member, hosted with Akka.Hosting and wired by its builders: remoting and membership
/// (<see cref="MembershipWiring"/>), the SQL journal (<see cref="JournalWiring"/>), Cluster Bootstrap
/// (<see cref="BootstrapWiring"/>) and the actors (<see cref="ActorWiring"/>: the job shard region or its proxy, the
/// coordinator singleton and its proxy, the NodeAgent), looked up in the ActorRegistry. SIGTERM
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
        var fenceLost = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var downed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(20));
        // Signals belong to the command that hosts this node (it decides: drain and leave, or cancel a job).
        builder.Services.AddSingleton<IHostLifetime, CallerOwnedLifetime>();
        builder.Services.AddAkka(ClusterNodeOptions.SystemName, (akka, _) => akka
            .ConfigureLoggers(loggers => loggers.LogLevel = options.AkkaLogLevel)
            .WithMembership(options)
            .WithJournal(options)
            .WithBootstrap(options)
            .WithNodeActors(options, fenceLost, downed));
        var host = builder.Build();
        await host.StartAsync(cancel);
        var registry = host.Services.GetRequiredService<ActorRegistry>();
        var agent = registry.TryGet<LocalNodeAgent>(out var found) ? found : null;
        // The ranks stop the moment the node learns it was downed, before coordinated shutdown reaches its drain step.
        _ = downed.Task.ContinueWith(t => agent?.Tell(new NodeAgent.Abort(t.Result)), TaskScheduler.Default);
        var system = host.Services.GetRequiredService<ActorSystem>();
        return new ClusterNode(host, system, registry.Get<JobRegion>(), registry.Get<CoordinatorProxy>(), agent, fenceLost.Task, downed.Task);
    }

    private sealed class CallerOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>Leaves the cluster gracefully (drains local ranks first).</summary>
    public async Task StopAsync() => await _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try { await _host.StopAsync(); } catch (OperationCanceledException) { }
        _host.Dispose();
    }
}
