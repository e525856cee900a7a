namespace Athanor.Chart.Tests;

/// <summary>Issue 28, finding 2: a startupProbe sized to the start's waits, so liveness never kills a slow starter.</summary>
public sealed class ProbeTests
{
    private const string C = "spec.template.spec.containers.0.";

    private static int Budget(Manifest sts) =>
        int.Parse(sts.Text(C + "startupProbe.periodSeconds")) * int.Parse(sts.Text(C + "startupProbe.failureThreshold"));

    [Fact]
    public void The_startup_probe_allows_the_start_time_and_liveness_starts_after_it()
    {
        var sts = ChartRenderer.Render(ChartValues.JournalSecret).One("StatefulSet");
        Assert.Equal("/health/live", sts.Text(C + "startupProbe.httpGet.path"));
        Assert.Equal("http", sts.Text(C + "startupProbe.httpGet.port"));
        Assert.InRange(Budget(sts), 120, 124);
        Assert.Equal("0", sts.Text(C + "livenessProbe.initialDelaySeconds"));
    }

    [Theory]
    [InlineData(120, 120)]
    [InlineData(300, 60)]
    [InlineData(7, 3)]
    public void With_dns_discovery_it_also_allows_the_start_scripts_wait_for_pod_zero(int seedWait, int maxStart)
    {
        var sts = ChartRenderer.Render($"{ChartValues.JournalSecret}\ndiscovery:\n  method: dns\nnode:\n  seedWaitSeconds: {seedWait}\nprobes:\n  startup:\n    maxStartSeconds: {maxStart}\n").One("StatefulSet");
        int period = int.Parse(sts.Text(C + "startupProbe.periodSeconds"));
        Assert.InRange(Budget(sts), seedWait + maxStart, seedWait + maxStart + period - 1);
        var env = Yaml.ByName(sts.List(C + "env"));
        Assert.Equal(seedWait.ToString(), Yaml.Scalar(env["ATHANOR_SEED_WAIT_SECONDS"], "value"));
    }

    [Fact]
    public void A_longer_start_on_gpu_nodes_is_one_value()
    {
        var sts = ValueSets.RenderCi("gpu-infiniband-values.yaml").One("StatefulSet");
        Assert.True(Budget(sts) >= 300);
    }
}
