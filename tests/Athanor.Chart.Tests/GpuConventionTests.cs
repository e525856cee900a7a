namespace Athanor.Chart.Tests;

/// <summary>Issue 28, finding 7: the GPU conventions a platform team expects, as in ci/gpu-infiniband-values.yaml.</summary>
public sealed class GpuConventionTests
{
    private const string Pod = "spec.template.spec.";
    private const string C = "spec.template.spec.containers.0.";
    private static Manifest Sts() => ValueSets.RenderCi("gpu-infiniband-values.yaml").One("StatefulSet");

    [Fact]
    public void Runtime_class_extra_volumes_and_mounts_are_passed_through()
    {
        var sts = Sts();
        Assert.Equal("nvidia", sts.Text(Pod + "runtimeClassName"));
        var volume = Yaml.Named(sts.List(Pod + "volumes"), "datasets");
        Assert.Equal("team-datasets", Yaml.Scalar(volume["persistentVolumeClaim"], "claimName"));
        var mount = Yaml.Named(sts.List(C + "volumeMounts"), "datasets");
        Assert.Equal("/datasets", Yaml.Scalar(mount, "mountPath"));
        Assert.Contains("--data-root=/datasets", sts.Texts(C + "args"));
        // The chart's own volumes stay.
        Assert.Superset(new HashSet<string> { "scripts", "token", "shared", "state", "tmp", "shm", "datasets" },
            Yaml.ByName(sts.List(Pod + "volumes")).Keys.ToHashSet());
        Assert.Null(ChartRenderer.Render(ChartValues.JournalSecret).One("StatefulSet").Find(Pod + "runtimeClassName"));
    }

    [Fact]
    public void Nccl_and_infiniband_settings_come_through_extra_env()
    {
        var env = Yaml.ByName(Sts().List(C + "env"));
        Assert.Equal("eth0", Yaml.Scalar(env["NCCL_SOCKET_IFNAME"], "value"));
        Assert.Equal("mlx5_0,mlx5_1,mlx5_2,mlx5_3", Yaml.Scalar(env["NCCL_IB_HCA"], "value"));
        Assert.Equal("3", Yaml.Scalar(env["NCCL_IB_GID_INDEX"], "value"));
        Assert.Contains("ATHANOR_NODE_JOURNAL", env.Keys); // the chart's own variables stay
    }

    [Fact]
    public void Ipc_lock_is_added_without_replacing_the_rest_of_the_security_context()
    {
        var sts = Sts();
        Assert.Equal(["IPC_LOCK"], sts.Texts(C + "securityContext.capabilities.add"));
        Assert.Equal(["ALL"], sts.Texts(C + "securityContext.capabilities.drop"));
        Assert.Equal("false", sts.Text(C + "securityContext.allowPrivilegeEscalation"));
        Assert.Equal("true", sts.Text(C + "securityContext.readOnlyRootFilesystem"));
        Assert.Equal("RuntimeDefault", sts.Text(Pod + "securityContext.seccompProfile.type"));
    }

    [Fact]
    public void Shared_memory_is_sized_by_a_value_and_the_rdma_device_comes_from_resources()
    {
        var sts = Sts();
        var shm = Yaml.Named(sts.List(Pod + "volumes"), "shm");
        Assert.Equal("Memory", Yaml.Scalar(shm["emptyDir"], "medium"));
        Assert.Equal("64Gi", Yaml.Scalar(shm["emptyDir"], "sizeLimit"));
        var limits = Manifest.Strings(sts.Map(C + "resources.limits"));
        Assert.Equal("8", limits["nvidia.com/gpu"]);
        Assert.Equal("1", limits["rdma/rdma_shared_device_a"]);
        Assert.Equal("600Gi", limits["memory"]);
    }

    [Fact]
    public void The_600Gi_example_in_the_docs_sizes_shared_memory()
    {
        var block = ValueSets.DocBlocks().Single(b => b.Yaml.Contains("600Gi"));
        var shm = Yaml.Named(ValueSets.RenderDocBlock(block.Yaml).One("StatefulSet").List(Pod + "volumes"), "shm");
        Assert.NotEqual("2Gi", Yaml.Scalar(shm["emptyDir"], "sizeLimit"));
    }
}
