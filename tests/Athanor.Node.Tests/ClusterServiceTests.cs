using Athanor.Protocol.V1;

namespace Athanor.Node.Tests;

public class ClusterServiceTests
{
    [Fact]
    public async Task ListNodesDescribesThisNode()
    {
        await using var node = await TestNode.StartAsync();
        var nodes = (await node.Cluster().ListNodesAsync(new ListNodesRequest())).Nodes;
        // `cluster serve` is a cluster of one member: the node is that member, named by its Akka address.
        var self = Assert.Single(nodes);
        Assert.Equal(node.Server.Node.Address, self.Id);
        Assert.Equal(self.Id, self.Address);
        Assert.Equal(["coordinator", "worker"], self.Roles);
        Assert.Equal(NodeHealth.Healthy, self.Health);
        var cpu = Assert.Single(self.Devices);
        Assert.Equal(("cpu", "cpu:0"), (cpu.Kind, cpu.Name));
        Assert.Equal(0, self.RunningJobs);
    }

    [Fact]
    public async Task ClusterStatusCountsJobsByState()
    {
        await using var node = await TestNode.StartAsync();
        var done = await node.SubmitAsync("done", "", "max_steps=2");
        await node.FollowAsync(done.Id);
        var running = await node.SubmitAsync("running", "", "max_steps=100000", "save_steps=100000");
        await node.SubmitAsync("pending");
        await node.WaitForAsync(running.Id, j => j.State == JobState.Running);

        var status = await node.Cluster().GetClusterStatusAsync(new GetClusterStatusRequest());
        Assert.Equal(1, status.Nodes);
        Assert.Equal(1, status.HealthyNodes);
        Assert.Equal((1, 1, 1, 0, 0), (status.SucceededJobs, status.RunningJobs, status.PendingJobs, status.FailedJobs, status.CancelledJobs));
        Assert.Equal("cluster", status.Backend);
        Assert.Equal(node.Server.Node.Address, status.Coordinator);
        Assert.NotEmpty(status.Version);
        Assert.Equal(1, (await node.Cluster().ListNodesAsync(new ListNodesRequest())).Nodes[0].RunningJobs);
    }
}
