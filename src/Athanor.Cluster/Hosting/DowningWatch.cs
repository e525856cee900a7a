using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Remote;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// Says why this node stopped being a member, for the line it exits with: downed (by the split-brain resolver,
/// naming the members it could not reach at the time, or by another member) or quarantined (the cluster removed it
/// while it was cut off, and refused it when the link came back). The first such event completes the task.
/// </summary>
public sealed class DowningWatch : ReceiveActor
{
    private readonly HashSet<Address> _unreachable = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public static Props Props(TaskCompletionSource<string> downed) => Akka.Actor.Props.Create(() => new DowningWatch(downed));

    public DowningWatch(TaskCompletionSource<string> downed)
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        var self = cluster.SelfAddress;
        Receive<ClusterEvent.UnreachableMember>(m => _unreachable.Add(m.Member.Address));
        Receive<ClusterEvent.ReachableMember>(m => _unreachable.Remove(m.Member.Address));
        Receive<ClusterEvent.MemberRemoved>(m => _unreachable.Remove(m.Member.Address));
        Receive<ClusterEvent.MemberDowned>(m =>
        {
            if (m.Member.Address == self) Say(downed, Downed(self, cluster));
        });
        Receive<ThisActorSystemQuarantinedEvent>(m =>
            Say(downed, $"this node ({self}) was quarantined by {m.RemoteAddress}: the cluster removed it while it was cut off, " +
                        "so it cannot rejoin as the same incarnation"));
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
    }

    private string Downed(Address self, Akka.Cluster.Cluster cluster)
    {
        int others = cluster.State.Members.Count(m => m.Address != self);
        if (_unreachable.Count == 0) return $"this node ({self}) was downed by another member of the cluster";
        return $"this node ({self}) was downed: it could not reach {_unreachable.Count} of {others} other member(s) " +
               $"({string.Join(", ", _unreachable.Select(a => a.ToString()).Order(StringComparer.Ordinal))}), so the split-brain " +
               "resolver (keep-majority) found it on the side of a network partition that must stop";
    }

    private void Say(TaskCompletionSource<string> downed, string reason)
    {
        if (downed.TrySetResult(reason)) _log.Warning("{0}", reason);
    }

    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
        Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));
    }

    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }
}
