using Athanor.Cluster.Hosting;

namespace Athanor.Cluster.Tests;

/// <summary>--devices: the slots a worker node offers (one per CPU rank or per GPU).</summary>
public class NodeDevicesTests
{
    private static (string Kind, int Slots, string[] Devices) Parse(string devices) => new ClusterNodeOptions { Devices = devices, DataDir = "/tmp/unused" }.ParseDevices();

    [Fact]
    public void Listed_gpus_become_one_slot_each()
    {
        var (kind, slots, devices) = Parse("cuda:0,1");
        Assert.Equal("cuda", kind);
        Assert.Equal(2, slots);
        Assert.Equal(["cuda:0", "cuda:1"], devices);
        Assert.Equal(["cuda:3"], Parse("cuda:3").Devices);
        Assert.Equal(["cpu:0", "cpu:1", "cpu:2"], Parse("cpu:3").Devices);
    }

    [Theory]
    [InlineData("cuda", "no GPU found")]          // this machine has none
    [InlineData("cuda:0,0", "is not valid")]
    [InlineData("cuda:x", "is not valid")]
    [InlineData("tpu:2", "is not valid")]
    public void Bad_or_unavailable_devices_are_refused_with_what_is_accepted(string devices, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => Parse(devices));
        Assert.Contains(message, ex.Message);
        Assert.Contains("accepted", ex.Message);
    }
}
