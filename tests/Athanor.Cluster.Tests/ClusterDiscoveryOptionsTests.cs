using Athanor.Cluster.Hosting;

namespace Athanor.Cluster.Tests;

/// <summary>The discovery flags of `cluster node`: bad combinations are refused with the flag and what is accepted.</summary>
public sealed class ClusterDiscoveryOptionsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private ClusterNodeOptions Options(string discovery, int? httpPort = 9464, IReadOnlyList<string>? contactPoints = null, IReadOnlyList<string>? seeds = null,
        int? required = null, string? selector = null) => new()
    {
        DataDir = _temp.Path,
        Discovery = discovery,
        HttpPort = httpPort,
        ContactPoints = contactPoints ?? [],
        Seeds = seeds ?? [],
        RequiredContactPoints = required,
        KubernetesLabelSelector = selector,
    };

    [Theory]
    [InlineData("dns", "--discovery 'dns' is not valid; accepted: seeds, config, kubernetes")]
    [InlineData("config", "--discovery config needs --contact-point HOST:HTTP-PORT")]
    [InlineData("kubernetes", "--discovery kubernetes needs --k8s-label-selector")]
    public void AMissingOrUnknownDiscoverySettingIsNamed(string discovery, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => Options(discovery).Validated());
        Assert.StartsWith(message, ex.Message);
    }

    [Fact]
    public void BootstrapNeedsTheHttpPortAndExcludesSeeds()
    {
        Assert.Contains("needs --http-port", Assert.Throws<ArgumentException>(() => Options("kubernetes", httpPort: null, selector: "a=b").Validated()).Message);
        Assert.Contains("--seed and --discovery kubernetes exclude each other",
            Assert.Throws<ArgumentException>(() => Options("kubernetes", seeds: ["127.0.0.1:4053"], selector: "a=b").Validated()).Message);
        Assert.Contains("--contact-point needs --discovery config",
            Assert.Throws<ArgumentException>(() => Options("seeds", contactPoints: ["127.0.0.1:9464"]).Validated()).Message);
    }

    [Fact]
    public void TheContactPointListMustHoldThisNodeAndEnoughPoints()
    {
        Assert.Contains("must include this node's own 127.0.0.1:9464",
            Assert.Throws<ArgumentException>(() => Options("config", contactPoints: ["127.0.0.1:9465"]).Validated()).Message);
        Assert.Contains("--contact-point 'somewhere' is not HOST:HTTP-PORT",
            Assert.Throws<ArgumentException>(() => Options("config", contactPoints: ["127.0.0.1:9464", "somewhere"]).Validated()).Message);
        Assert.Contains("--required-contact-points 3 is more than the 2 contact point(s) listed; accepted: 1 to 2",
            Assert.Throws<ArgumentException>(() => Options("config", contactPoints: ["127.0.0.1:9464", "127.0.0.1:9465"], required: 3).Validated()).Message);
        var valid = Options("config", contactPoints: ["127.0.0.1:9464", "127.0.0.1:9465"]).Validated();
        Assert.Equal(2, valid.EffectiveRequiredContactPoints); // every listed member must answer before one founds the cluster
        Assert.Equal(2, Options("kubernetes", selector: "a=b").Validated().EffectiveRequiredContactPoints);
    }

    [Fact]
    public void AnApiCredentialPathThatDoesNotExistIsNamed()
    {
        var options = Options("kubernetes", selector: "a=b") with { KubernetesApiTokenPath = Path.Combine(_temp.Path, "no-token") };
        var ex = Assert.Throws<ArgumentException>(() => options.Validated());
        Assert.StartsWith($"--k8s-api-token-path '{Path.Combine(_temp.Path, "no-token")}' does not exist", ex.Message);
    }

    [Fact]
    public void PodListsYieldRunningPodsWithTheirContactPort()
    {
        const string list = """
            {"kind":"PodList","items":[
              {"metadata":{"name":"a"},"spec":{"containers":[{"name":"node","ports":[{"name":"akka","containerPort":4053},{"name":"http","containerPort":9464}]}]},"status":{"phase":"Running","podIP":"10.1.0.7"}},
              {"metadata":{"name":"b"},"spec":{"containers":[{"name":"node","ports":[{"name":"http","containerPort":9464}]}]},"status":{"phase":"Pending","podIP":"10.1.0.8"}},
              {"metadata":{"name":"c","deletionTimestamp":"2026-11-28T00:00:00Z"},"spec":{"containers":[{"name":"node","ports":[{"name":"http","containerPort":9464}]}]},"status":{"phase":"Running","podIP":"10.1.0.9"}},
              {"metadata":{"name":"d"},"spec":{"containers":[{"name":"node","ports":[{"name":"http","containerPort":9464}]}]},"status":{"phase":"Running"}},
              {"metadata":{"name":"e"},"spec":{"containers":[{"name":"node","ports":[{"name":"akka","containerPort":4053}]}]},"status":{"phase":"Running","podIP":"10.1.0.10"}}
            ]}
            """;
        var targets = KubernetesPodDiscovery.PodTargets(list, "http");
        var only = Assert.Single(targets);
        Assert.Equal(("10.1.0.7", 9464), (only.Host, only.Port!.Value));
    }

    public void Dispose() => _temp.Dispose();
}
