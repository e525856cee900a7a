using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>The objects around the StatefulSet: services, RBAC, the PDB, storage, the ServiceMonitor, NOTES.</summary>
public sealed class ClusterResourceTests
{
    private static Dictionary<string, string> PodLabels(Rendered r) =>
        Manifest.Strings(r.One("StatefulSet").Map("spec.template.metadata.labels"));

    private static void AssertSelects(Dictionary<string, string> selector, Dictionary<string, string> podLabels)
    {
        Assert.NotEmpty(selector);
        foreach (var (k, v) in selector) Assert.Equal(v, podLabels.GetValueOrDefault(k));
    }

    [Fact]
    public void The_headless_service_publishes_not_ready_pods_and_selects_the_members()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        var headless = r.All("Service").Single(s => s.Name == "demo-athanor-peers");
        Assert.Equal("None", headless.Text("spec.clusterIP"));
        Assert.Equal("true", headless.Text("spec.publishNotReadyAddresses"));
        AssertSelects(Manifest.Strings(headless.Map("spec.selector")), PodLabels(r));
        var ports = headless.List("spec.ports").Cast<YamlMappingNode>().ToDictionary(p => ((YamlScalarNode)p["name"]).Value!, p => ((YamlScalarNode)p["port"]).Value);
        Assert.Equal("4053", ports["akka"]);
        Assert.Equal("8080", ports["http"]);
    }

    [Fact]
    public void The_grpc_service_routes_to_the_job_service_port()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret + "\nservice:\n  type: LoadBalancer\n  port: 443\nnode:\n  grpcPort: 50052\ntls:\n  grpc:\n    enabled: true\n    existingSecret: grpc-cert\n");
        var grpc = r.All("Service").Single(s => s.Name == "demo-athanor");
        Assert.Equal("LoadBalancer", grpc.Text("spec.type"));
        var port = (YamlMappingNode)grpc.List("spec.ports").Single();
        Assert.Equal("443", ((YamlScalarNode)port["port"]).Value);
        Assert.Equal("grpc", ((YamlScalarNode)port["targetPort"]).Value);
        var containerPort = (YamlMappingNode)r.One("StatefulSet").List("spec.template.spec.containers.0.ports").Single(p => ((YamlScalarNode)p["name"]).Value == "grpc");
        Assert.Equal("50052", ((YamlScalarNode)containerPort["containerPort"]).Value);
        Assert.Contains("--grpc-port=50052", r.One("StatefulSet").Texts("spec.template.spec.containers.0.args"));
        AssertSelects(Manifest.Strings(grpc.Map("spec.selector")), PodLabels(r));
    }

    [Fact]
    public void The_role_lets_the_pods_service_account_list_pods()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        var rule = (YamlMappingNode)r.One("Role").List("rules").Single();
        Assert.Equal([""], ((YamlSequenceNode)rule["apiGroups"]).Children.Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal(["pods"], ((YamlSequenceNode)rule["resources"]).Children.Select(n => ((YamlScalarNode)n).Value));
        Assert.Equal(["list"], ((YamlSequenceNode)rule["verbs"]).Children.Select(n => ((YamlScalarNode)n).Value!));

        var binding = r.One("RoleBinding");
        Assert.Equal(r.One("Role").Name, binding.Text("roleRef.name"));
        Assert.Equal("Role", binding.Text("roleRef.kind"));
        string account = r.One("ServiceAccount").Name;
        Assert.Equal(account, binding.Text("subjects.0.name"));
        Assert.Equal("ml", binding.Text("subjects.0.namespace"));
        Assert.Equal(account, r.One("StatefulSet").Text("spec.template.spec.serviceAccountName"));

        var none = ChartRenderer.Render(ChartValues.JournalSecret + "\nrbac:\n  create: false\n");
        Assert.False(none.Has("Role") || none.Has("RoleBinding"));
        // Kubernetes discovery still lists pods, with whatever RBAC an admin gave the account: the token stays.
        Assert.Equal("true", none.One("StatefulSet").Text("spec.template.spec.automountServiceAccountToken"));
    }

    [Fact]
    public void The_disruption_budget_allows_one_eviction_at_a_time_over_the_members()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        var pdb = r.One("PodDisruptionBudget");
        Assert.Equal("policy/v1", pdb.Text("apiVersion"));
        Assert.Equal("1", pdb.Text("spec.maxUnavailable"));
        AssertSelects(Manifest.Strings(pdb.Map("spec.selector.matchLabels")), PodLabels(r));
        Assert.False(ChartRenderer.Render(ChartValues.JournalSecret + "\npodDisruptionBudget:\n  enabled: false\n").Has("PodDisruptionBudget"));
    }

    [Fact]
    public void Checkpoints_live_on_one_read_write_many_claim_kept_after_uninstall()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret + "\nstorage:\n  storageClassName: filestore\n  size: 2Ti\n");
        var pvc = r.One("PersistentVolumeClaim");
        Assert.Equal(["ReadWriteMany"], pvc.Texts("spec.accessModes"));
        Assert.Equal("2Ti", pvc.Text("spec.resources.requests.storage"));
        Assert.Equal("filestore", pvc.Text("spec.storageClassName"));
        Assert.Equal("keep", Manifest.Strings(pvc.Map("metadata.annotations"))["helm.sh/resource-policy"]);
        var volume = (YamlMappingNode)r.One("StatefulSet").List("spec.template.spec.volumes").Single(v => ((YamlScalarNode)v["name"]).Value == "shared");
        Assert.Equal(pvc.Name, ((YamlScalarNode)volume["persistentVolumeClaim"]["claimName"]).Value);

        var existing = ChartRenderer.Render(ChartValues.JournalSecret + "\nstorage:\n  existingClaim: lab-nfs\n");
        Assert.False(existing.Has("PersistentVolumeClaim"));
        var claim = (YamlMappingNode)existing.One("StatefulSet").List("spec.template.spec.volumes").Single(v => ((YamlScalarNode)v["name"]).Value == "shared");
        Assert.Equal("lab-nfs", ((YamlScalarNode)claim["persistentVolumeClaim"]["claimName"]).Value);
    }

    [Fact]
    public void Several_members_on_a_read_write_once_claim_is_refused()
    {
        var ex = Assert.Throws<RenderException>(() => ChartRenderer.Render(ChartValues.JournalSecret + "\nstorage:\n  accessModes: [ReadWriteOnce]\n"));
        Assert.Contains("ReadWriteMany", ex.Message);
        var single = ChartRenderer.Render(ChartValues.JournalSecret + "\nreplicaCount: 1\nstorage:\n  accessModes: [ReadWriteOnce]\n");
        Assert.Equal(["ReadWriteOnce"], single.One("PersistentVolumeClaim").Texts("spec.accessModes"));
    }

    [Fact]
    public void The_service_monitor_is_optional_and_scrapes_metrics_through_the_headless_service_only()
    {
        Assert.False(ChartRenderer.Render(ChartValues.JournalSecret).Has("ServiceMonitor"));
        var r = ChartRenderer.Render(ChartValues.GpuPool);
        var monitor = r.One("ServiceMonitor");
        Assert.Equal("monitoring.coreos.com/v1", monitor.Text("apiVersion"));
        Assert.Equal("prometheus", Manifest.Strings(monitor.Map("metadata.labels"))["release"]);
        Assert.Equal("http", monitor.Text("spec.endpoints.0.port"));
        Assert.Equal("/metrics", monitor.Text("spec.endpoints.0.path"));
        var selector = Manifest.Strings(monitor.Map("spec.selector.matchLabels"));
        var selected = r.All("Service").Where(s => selector.All(kv => Manifest.Strings(s.Map("metadata.labels")).GetValueOrDefault(kv.Key) == kv.Value)).ToList();
        Assert.Equal(["demo-athanor-peers"], selected.Select(s => s.Name));
    }

    [Fact]
    public void Every_object_is_in_the_release_namespace_with_the_common_labels()
    {
        var r = ChartRenderer.Render(ChartValues.GpuPool, release: "team-a", ns: "llm");
        // ConfigMap, NetworkPolicy, PVC, PDB, Role, RoleBinding, token and remoting certificate Secrets, three Services (gRPC, peers, console),
        // ServiceAccount, ServiceMonitor, StatefulSet.
        Assert.Equal(14, r.Manifests.Count);
        foreach (var m in r.Manifests)
        {
            Assert.Equal("llm", m.Text("metadata.namespace"));
            var labels = Manifest.Strings(m.Map("metadata.labels"));
            Assert.Equal("team-a", labels["app.kubernetes.io/instance"]);
            Assert.Equal("Helm", labels["app.kubernetes.io/managed-by"]);
            Assert.Equal("athanor-0.3.0", labels["helm.sh/chart"]);
            Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", m.Name);
        }
    }

    [Fact]
    public void Notes_tell_how_to_get_the_token_and_submit_through_the_grpc_service()
    {
        var r = ChartRenderer.Render(ChartValues.GpuPool, notes: true);
        string notes = r.Sources["athanor/templates/NOTES.txt"];
        Assert.Contains("get secret demo-athanor-token", notes);
        Assert.Contains("port-forward svc/demo-athanor 50051:50051", notes);
        Assert.Contains("cluster submit job.yaml --server http://127.0.0.1:50051", notes);
        Assert.Contains("devices cuda, 8 GPU(s) each", notes);
        Assert.Contains("ServiceMonitor demo-athanor", notes);
    }
}
