using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>
/// The web console in the chart: a ClusterIP Service on the members' http port with client-IP affinity, an optional
/// Ingress routing /console only, over TLS, and the NetworkPolicy's way in for the ingress controller.
/// </summary>
public sealed class ConsoleExposureTests
{
    private const string Ingress = """

        console:
          ingress:
            enabled: true
            className: nginx
            host: athanor.example.com
            tlsSecretName: console-tls
        networkPolicy:
          consoleFrom:
            - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
        """;

    [Fact]
    public void A_console_service_targets_the_http_port_of_the_members_with_client_ip_affinity()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        var console = r.All("Service").Single(s => s.Name == "demo-athanor-console");
        Assert.Equal("ClusterIP", console.Text("spec.type"));
        Assert.Equal("ClientIP", console.Text("spec.sessionAffinity"));
        Assert.Equal(Manifest.Strings(r.One("StatefulSet").Map("spec.selector.matchLabels")), Manifest.Strings(console.Map("spec.selector")));
        var port = (YamlMappingNode)console.List("spec.ports").Single();
        Assert.Equal("console", Yaml.Scalar(port, "name"));
        Assert.Equal("8080", Yaml.Scalar(port, "port"));
        Assert.Equal("http", Yaml.Scalar(port, "targetPort"));
        // The container port it names is the one the node serves the console on (--http-port).
        var container = r.One("StatefulSet").List("spec.template.spec.containers").Cast<YamlMappingNode>().First();
        Assert.Contains(((YamlSequenceNode)container["ports"]).Children, p => Yaml.Scalar(p, "name") == "http");
        Assert.False(r.Has("Ingress"));

        var off = ChartRenderer.Render(ChartValues.JournalSecret + "\nconsole:\n  service:\n    enabled: false\n");
        Assert.DoesNotContain(off.All("Service"), s => s.Name == "demo-athanor-console");
    }

    [Fact]
    public void The_ingress_routes_only_console_paths_over_tls_and_the_network_policy_lets_the_controller_in()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret + Ingress);
        var ingress = r.One("Ingress");
        Assert.Equal("networking.k8s.io/v1", ingress.Text("apiVersion"));
        Assert.Equal("nginx", ingress.Text("spec.ingressClassName"));
        Assert.Equal(["athanor.example.com"], ingress.Texts("spec.tls.0.hosts"));
        Assert.Equal("console-tls", ingress.Text("spec.tls.0.secretName"));
        var path = (YamlMappingNode)ingress.List("spec.rules.0.http.paths").Single(); // not /metrics, not /health
        Assert.Equal("/console", Yaml.Scalar(path, "path"));
        Assert.Equal("Prefix", Yaml.Scalar(path, "pathType"));
        Assert.Equal("demo-athanor-console", Yaml.Scalar(path["backend"]["service"], "name"));
        Assert.Equal("console", Yaml.Scalar(path["backend"]["service"]["port"], "name"));

        var rules = r.One("NetworkPolicy").List("spec.ingress").Cast<YamlMappingNode>().ToList();
        var viewers = rules.Where(rule => rule.Children.ContainsKey(new YamlScalarNode("from")) &&
                                          ((YamlSequenceNode)rule["from"]).Children.Any(p => p.ToString().Contains("ingress-nginx"))).Single();
        Assert.Equal("http", Yaml.Scalar(((YamlSequenceNode)viewers["ports"]).Children.Single(), "port"));
    }

    [Theory]
    [InlineData("console:\n  ingress:\n    enabled: true\n    host: a.example.com\n    tlsSecretName: t\n  service:\n    enabled: false\n", "console.service.enabled")]
    [InlineData("console:\n  ingress:\n    enabled: true\n    host: a.example.com\nnetworkPolicy:\n  consoleFrom: [{ipBlock: {cidr: 10.0.0.0/8}}]\n", "tlsSecretName=\"\"")]
    [InlineData("console:\n  ingress:\n    enabled: true\n    host: a.example.com\n    tlsSecretName: t\n", "networkPolicy.consoleFrom is empty")]
    public void An_ingress_without_its_service_tls_or_a_way_through_the_network_policy_is_refused(string values, string named)
    {
        var ex = Assert.Throws<RenderException>(() => ChartRenderer.Render(ChartValues.JournalSecret + "\n" + values));
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void The_ci_value_set_for_the_console_ingress_renders_with_nginx_affinity_and_unbuffered_streams()
    {
        var ingress = ValueSets.RenderCi("console-ingress-values.yaml").One("Ingress");
        var annotations = Manifest.Strings(ingress.Map("metadata.annotations"));
        Assert.Equal("cookie", annotations["nginx.ingress.kubernetes.io/affinity"]);
        Assert.Equal("off", annotations["nginx.ingress.kubernetes.io/proxy-buffering"]);
    }
}
