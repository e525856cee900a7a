using Akka.Actor;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// Says so when a node is not in a cluster a while after it started: a wrong --seed or an unanswered discovery
/// otherwise shows only as Akka's join retries among the logs. Also says when it finally joins.
/// </summary>
public static class MembershipWatch
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    public static void Start(ActorSystem system, ClusterNodeOptions options, Action<string> say, TimeSpan? patience = null)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var joined = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(() => joined.TrySetResult());
        var wait = patience ?? Patience;
        _ = Task.Run(async () =>
        {
            if (await Task.WhenAny(joined.Task, Task.Delay(wait)) == joined.Task) return;
            say($"cluster node: not in a cluster after {wait.TotalSeconds:F0} s: {Why(options)}; still trying");
            await joined.Task;
            say($"cluster node: joined the cluster ({cluster.State.Members.Count} members)");
        });
    }

    private static string Why(ClusterNodeOptions o) => o.Discovery switch
    {
        "seeds" => $"no seed answered ({string.Join(", ", o.Seeds)}); each --seed must be the --host:--port of a running member " +
                   "(or this node's own, listed first, to start a cluster), reachable from here",
        "config" => $"no cluster was found or formed through the contact points ({string.Join(", ", o.ContactPoints)}); " +
                    $"{o.EffectiveRequiredContactPoints} of them must answer on {ClusterBootstrapping.SeedNodesPath} before the lowest founds one",
        _ => $"no cluster was found or formed through Kubernetes discovery (pods matching {o.KubernetesLabelSelector}); " +
             $"{o.EffectiveRequiredContactPoints} of them must be running and answer on port '{o.KubernetesPortName}' before the lowest founds one",
    };
}
