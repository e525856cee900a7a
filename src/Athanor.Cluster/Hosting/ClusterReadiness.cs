using Akka.Actor;
using Akka.Cluster.Sharding;
using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// Waits until a node can take requests: it is an Up member, the job shard region reaches its coordinator and (on a
/// worker) the coordinator singleton has registered this node's slots. A one-member server (`cluster serve`, `cluster
/// train`) answers only after this, so its first submit or list never races the cluster's own start (a list of nodes
/// answered empty, a first submit waited out its ask on a loaded machine).
/// </summary>
public static class ClusterReadiness
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Completes when ready; TimeoutException naming the step still missing after <paramref name="limit"/>.</summary>
    public static async Task WaitAsync(ClusterNode node, bool isWorker, TimeSpan limit, CancellationToken cancel = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(limit);
        string step = "this node to become an Up member";
        try
        {
            await MemberUp(node, timeout.Token);
            step = "the job shard region to reach its coordinator";
            await Until(async () => (await node.Jobs.Ask<CurrentRegions>(GetCurrentRegions.Instance, ProbeTimeout, timeout.Token)).Regions.Count > 0, timeout.Token);
            if (!isWorker) return;
            step = "the coordinator to register this node's slots";
            var self = node.Address;
            await Until(async () => (await node.Coordinator.Ask<ClusterState>(new GetClusterState(), ProbeTimeout, timeout.Token)).Nodes.Any(n => n.NodeAddress == self), timeout.Token);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"the node was not ready after {limit.TotalSeconds:0} s: still waiting for {step}");
        }
    }

    private static Task MemberUp(ClusterNode node, CancellationToken cancel)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Runs at once when already Up.
        Akka.Cluster.Cluster.Get(node.System).RegisterOnMemberUp(() => up.TrySetResult());
        return up.Task.WaitAsync(cancel);
    }

    private static async Task Until(Func<Task<bool>> probe, CancellationToken cancel)
    {
        while (true)
        {
            try
            {
                if (await probe()) return;
            }
            catch (AskTimeoutException)
            {
                // Not answering yet (a singleton still starting): ask again.
            }
            await Task.Delay(PollInterval, cancel);
        }
    }
}
