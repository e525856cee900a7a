namespace Athanor.Cluster.Hosting;

/// <summary>
/// What /health/live and /health/ready answer. Live fails once the actor system is gone (the node was downed and is
/// about to exit; a liveness probe must not keep such a process); ready fails while this node is not an Up member.
/// </summary>
public static class NodeHealth
{
    public static (bool Ok, string Text) Live(ClusterNode node) => node.Terminated.IsCompleted
        ? (false, $"not alive: {node.Terminated.Result}\n")
        : (true, "alive\n");

    public static (bool Ok, string Text) Ready(ClusterNode node)
    {
        if (node.Terminated.IsCompleted) return (false, $"not ready: {node.Terminated.Result}\n");
        var self = Akka.Cluster.Cluster.Get(node.System).SelfMember;
        return self.Status == Akka.Cluster.MemberStatus.Up
            ? (true, $"ready: {self.Address} is Up\n")
            : (false, $"not ready: {self.Address} is {self.Status}\n");
    }
}
