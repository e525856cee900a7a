using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Athanor.Cluster.Jobs;
using Athanor.Cluster.Workers;
using Athanor.Native;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// The actors of one node, started in this order and registered in the <see cref="ActorRegistry"/>: the watchers of a
/// lost journal fence and of this node being downed, the coordinator singleton's proxy, the job shard region (its proxy on
/// worker-only nodes), the coordinator singleton (coordinator role) and the NodeAgent (worker role).
/// </summary>
public static class ActorWiring
{
    public const string JobsTypeName = "jobs";
    public const string CoordinatorName = "coordinator";

    public static AkkaConfigurationBuilder WithNodeActors(this AkkaConfigurationBuilder akka, ClusterNodeOptions o,
        TaskCompletionSource<string> fenceLost, TaskCompletionSource<string> downed)
    {
        var coordinatorRole = new ClusterSingletonOptions { Role = "coordinator", BufferSize = 10_000, TerminationMessage = PoisonPill.Instance };
        akka.WithActors((system, _) =>
            {
                system.ActorOf(FenceWatcher.Props(fenceLost), "fence-watcher");
                system.ActorOf(DowningWatch.Props(downed), "downing-watch");
            })
            .WithSingletonProxy<CoordinatorProxy>(CoordinatorName, coordinatorRole);
        if (o.IsCoordinator)
            akka.WithShardRegion<JobRegion>(JobsTypeName, (_, registry, _) => id => JobEntity.Props(id, registry.Get<CoordinatorProxy>()),
                    new JobMessageExtractor(), new ShardOptions
                    {
                        Role = "coordinator",
                        RememberEntities = true,
                        RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
                        ShouldPassivateIdleEntities = false,
                    })
                .WithSingleton<CoordinatorSingleton>(CoordinatorName, (_, registry, _) => Coordination.Coordinator.Props(registry.Get<JobRegion>()),
                    coordinatorRole, createProxyToo: false);
        else
            akka.WithShardRegionProxy<JobRegion>(JobsTypeName, "coordinator", new JobMessageExtractor());
        if (o.IsWorker) akka.WithActors((system, registry) => StartWorker(system, registry, o, downed.Task));
        return akka;
    }

    /// <summary>Key of the singleton manager (nothing looks it up: the proxy is how every node talks to the coordinator).</summary>
    private sealed class CoordinatorSingleton;

    private static void StartWorker(ActorSystem system, IActorRegistry registry, ClusterNodeOptions o, Task<string> downed)
    {
        var (kind, slots, devices) = o.ParseDevices();
        // Ranks share this machine's cores: each gets its slice for intra-op parallelism. A GPU node brings up CUDA
        // libtorch before anything touches a tensor (the CPU build cannot be swapped later).
        int threads = Math.Max(1, Environment.ProcessorCount / slots);
        if (kind == "cuda") TorchRuntime.InitializeCuda(threads);
        else TorchRuntime.Initialize(threads);
        var self = Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();
        var agent = system.ActorOf(NodeAgent.Props(self, o.Host, slots, kind, devices, registry.Get<CoordinatorProxy>(), registry.Get<JobRegion>(), o.FusedKernels), "node-agent");
        registry.Register<LocalNodeAgent>(agent);
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeClusterShutdown, "drain-training", async () =>
        {
            // Downed: no checkpoint (see ClusterNode); otherwise (SIGTERM, a stop) drain gracefully.
            object stop = downed.IsCompleted || CoordinatedShutdown.Get(system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason
                ? new NodeAgent.Abort(downed.IsCompleted ? downed.Result : "this node was downed")
                : NodeAgent.Drain.Instance;
            int running = await agent.Ask<int>(stop, TimeSpan.FromSeconds(5));
            var deadline = DateTime.UtcNow + o.DrainTimeout;
            while (running > 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
                running = await agent.Ask<int>(NodeAgent.CountRanks.Instance, TimeSpan.FromSeconds(5));
            }
            return Akka.Done.Instance;
        });
    }
}
