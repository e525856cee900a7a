using Athanor.Protocol.V1;

namespace Athanor.Node.Tests;

public class ClusterServiceTests
{
    [Fact]
    public async Task ListNodesDescribesThisNode()
    {
        await using var node = await TestNode.StartAsync();
        var nodes = (await node.Cluster().ListNodesAsync(new ListNodesRequest())).Nodes;
        var self = Assert.Single(nodes);
        Assert.Equal(Environment.MachineName, self.Id);
        Assert.Equal(node.Host.Address.ToString().TrimEnd('/'), self.Address);
        Assert.Equal(["coordinator", "worker", "gateway"], self.Roles);
        Assert.Equal(NodeHealth.Healthy, self.Health);
        var cpu = Assert.Single(self.Devices);
        Assert.Equal("cpu", cpu.Kind);
        Assert.True(cpu.MemoryBytes > 0);
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
        Assert.Equal("local", status.Backend);
        Assert.Equal(Environment.MachineName, status.Coordinator);
        Assert.NotEmpty(status.Version);
        Assert.Equal(1, (await node.Cluster().ListNodesAsync(new ListNodesRequest())).Nodes[0].RunningJobs);
    }
}
