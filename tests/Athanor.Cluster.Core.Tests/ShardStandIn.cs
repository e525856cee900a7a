using Akka.Actor;
using Akka.Cluster.Sharding;

namespace Athanor.Cluster.Core.Tests;

/// <summary>
/// The parent a job entity has in a shard, reduced to what the entity uses: it creates the entity, forwards what it is
/// told to it, and on Passivate stops it and tells the probe (a shard would forget the entity).
/// </summary>
internal sealed class ShardStandIn : ReceiveActor
{
    public ShardStandIn(Props entity, IActorRef probe)
    {
        var child = Context.ActorOf(entity, "entity");
        Receive<Passivate>(m =>
        {
            probe.Tell(m);
            Context.Stop(child);
        });
        ReceiveAny(m => child.Forward(m));
    }

    public static Props Props(Props entity, IActorRef probe) => Akka.Actor.Props.Create(() => new ShardStandIn(entity, probe));
}
