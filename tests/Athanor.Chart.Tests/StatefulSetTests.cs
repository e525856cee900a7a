using System.Text;
using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

public sealed class StatefulSetTests
{
    private static Manifest Node(Rendered r) => r.One("StatefulSet");
    private static string C(string rest) => "spec.template.spec.containers.0." + rest;

    private static Dictionary<string, YamlMappingNode> Env(Manifest sts) =>
        sts.List(C("env")).Cast<YamlMappingNode>().ToDictionary(e => ((YamlScalarNode)e["name"]).Value!);

    [Fact]
    public void Gpu_requests_equal_limits_with_the_pools_selector_and_toleration()
    {
        var sts = Node(ChartRenderer.Render(ChartValues.GpuPool));
        var requests = Manifest.Strings(sts.Map(C("resources.requests")));
        var limits = Manifest.Strings(sts.Map(C("resources.limits")));
        Assert.Equal("8", requests["nvidia.com/gpu"]);
        Assert.Equal(requests["nvidia.com/gpu"], limits["nvidia.com/gpu"]);
        Assert.Equal("8Gi", limits["memory"]);
        Assert.Contains("--devices=cuda", sts.Texts(C("args")));
        var selector = Manifest.Strings(sts.Map("spec.template.spec.nodeSelector"));
        Assert.Equal("true", selector["nvidia.com/gpu.present"]);
        Assert.Equal("nvidia-h100-80gb", selector["cloud.google.com/gke-accelerator"]);
        var toleration = Manifest.Strings((YamlMappingNode)sts.List("spec.template.spec.tolerations").Single());
        Assert.Equal(("nvidia.com/gpu", "Exists", "NoSchedule"), (toleration["key"], toleration["operator"], toleration["effect"]));
    }

    [Fact]
    public void A_cpu_cluster_requests_no_gpu_and_gets_cpu_slots()
    {
        var sts = Node(ChartRenderer.Render(ChartValues.JournalSecret + "\nnode:\n  cpuSlots: 4\n"));
        Assert.DoesNotContain("nvidia.com/gpu", Manifest.Strings(sts.Map(C("resources.requests"))).Keys);
        Assert.DoesNotContain("nvidia.com/gpu", Manifest.Strings(sts.Map(C("resources.limits"))).Keys);
        Assert.Contains("--devices=cpu:4", sts.Texts(C("args")));
        Assert.Null(sts.Find("spec.template.spec.nodeSelector"));
    }

    [Fact]
    public void The_token_secret_is_mounted_read_only_and_named_by_token_file()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        var sts = Node(r);
        var volume = (YamlMappingNode)sts.List("spec.template.spec.volumes").Single(v => ((YamlScalarNode)v["name"]).Value == "token");
        Assert.Equal("demo-athanor-token", ((YamlScalarNode)volume["secret"]["secretName"]).Value);
        var mount = (YamlMappingNode)sts.List(C("volumeMounts")).Single(v => ((YamlScalarNode)v["name"]).Value == "token");
        Assert.Equal("/etc/athanor/token", ((YamlScalarNode)mount["mountPath"]).Value);
        Assert.Equal("true", ((YamlScalarNode)mount["readOnly"]).Value);
        Assert.Contains("--token-file=/etc/athanor/token/token", sts.Texts(C("args")));

        var secret = r.All("Secret").Single(s => s.Name == "demo-athanor-token");
        string token = Encoding.UTF8.GetString(Convert.FromBase64String(secret.Text("data.token")));
        Assert.Matches("^[A-Za-z0-9]{48}$", token);
    }

    [Fact]
    public void A_given_token_or_an_existing_secret_replaces_the_generated_one()
    {
        var given = ChartRenderer.Render(ChartValues.JournalSecret + "\ntoken:\n  value: correct-horse-battery-staple\n");
        Assert.Equal("correct-horse-battery-staple",
            Encoding.UTF8.GetString(Convert.FromBase64String(given.All("Secret").Single(s => s.Name == "demo-athanor-token").Text("data.token"))));

        var existing = ChartRenderer.Render(ChartValues.JournalSecret + "\ntoken:\n  existingSecret: team-token\n  key: bearer\n");
        Assert.DoesNotContain(existing.All("Secret"), s => s.Name.EndsWith("-token", StringComparison.Ordinal));
        var sts = Node(existing);
        var volume = (YamlMappingNode)sts.List("spec.template.spec.volumes").Single(v => ((YamlScalarNode)v["name"]).Value == "token");
        Assert.Equal("team-token", ((YamlScalarNode)volume["secret"]["secretName"]).Value);
        Assert.Equal("bearer", ((YamlScalarNode)((YamlSequenceNode)volume["secret"]["items"])[0]["key"]).Value);
        Assert.Contains("--token-file=/etc/athanor/token/bearer", sts.Texts(C("args")));
    }

    [Fact]
    public void The_journal_connection_comes_from_a_secret_and_never_appears_in_the_pod_spec()
    {
        var sts = Node(ChartRenderer.Render(ChartValues.GpuPool));
        var env = Env(sts);
        var source = env["ATHANOR_POSTGRES"]["valueFrom"]["secretKeyRef"];
        Assert.Equal("pg", ((YamlScalarNode)source["name"]).Value);
        Assert.Equal("dsn", ((YamlScalarNode)source["key"]).Value);
        Assert.Equal("postgres:$(ATHANOR_POSTGRES)", ((YamlScalarNode)env["ATHANOR_NODE_JOURNAL"]["value"]).Value);
        // Kubernetes expands $(VAR) only from variables defined earlier in the list.
        var names = env.Keys.ToList();
        Assert.True(names.IndexOf("ATHANOR_POSTGRES") < names.IndexOf("ATHANOR_NODE_JOURNAL"));

        const string conn = "Host=pg.db;Username=athanor;Password=s3cret-pw;Database=athanor";
        var r = ChartRenderer.Render($"journal:\n  connectionString: \"{conn}\"\n");
        var secret = r.All("Secret").Single(s => s.Name == "demo-athanor-journal");
        Assert.Equal(conn, Encoding.UTF8.GetString(Convert.FromBase64String(secret.Text("data.connection-string"))));
        Assert.Equal("demo-athanor-journal", ((YamlScalarNode)Env(Node(r))["ATHANOR_POSTGRES"]["valueFrom"]["secretKeyRef"]["name"]).Value);
        Assert.DoesNotContain("s3cret-pw", r.Sources["athanor/templates/statefulset.yaml"]);
    }

    [Fact]
    public void Without_a_journal_the_install_fails_saying_what_to_set()
    {
        var ex = Assert.Throws<RenderException>(() => ChartRenderer.Render("{}"));
        Assert.Contains("journal.existingSecret", ex.Message);
        Assert.Contains("journal.connectionString", ex.Message);
    }

    [Fact]
    public void Probes_hit_the_health_paths_on_the_nodes_http_port()
    {
        var sts = Node(ChartRenderer.Render(ChartValues.JournalSecret + "\nnode:\n  httpPort: 9090\n"));
        Assert.Equal("/health/ready", sts.Text(C("readinessProbe.httpGet.path")));
        Assert.Equal("/health/live", sts.Text(C("livenessProbe.httpGet.path")));
        Assert.Equal("http", sts.Text(C("readinessProbe.httpGet.port")));
        Assert.Equal("http", sts.Text(C("livenessProbe.httpGet.port")));
        var http = (YamlMappingNode)sts.List(C("ports")).Single(p => ((YamlScalarNode)p["name"]).Value == "http");
        Assert.Equal("9090", ((YamlScalarNode)http["containerPort"]).Value);
        Assert.Contains("--http-port=9090", sts.Texts(C("args")));
        Assert.Equal("9090", Manifest.Strings(sts.Map("spec.template.metadata.annotations"))["prometheus.io/port"]);
    }

    [Fact]
    public void Termination_grace_leaves_room_for_the_drain_and_a_checkpoint()
    {
        var sts = Node(ChartRenderer.Render(ChartValues.JournalSecret));
        // The node waits up to 60 s for its ranks to checkpoint, then leaves the cluster.
        Assert.True(int.Parse(sts.Text("spec.template.spec.terminationGracePeriodSeconds")) >= 90);
        var longer = Node(ChartRenderer.Render(ChartValues.JournalSecret + "\nterminationGracePeriodSeconds: 900\n"));
        Assert.Equal("900", longer.Text("spec.template.spec.terminationGracePeriodSeconds"));
    }

    [Fact]
    public void The_node_runs_as_the_images_non_root_user_with_writable_state_folders()
    {
        var sts = Node(ChartRenderer.Render(ChartValues.JournalSecret));
        Assert.Equal("true", sts.Text("spec.template.spec.securityContext.runAsNonRoot"));
        Assert.Equal("10001", sts.Text("spec.template.spec.securityContext.runAsUser"));
        Assert.Equal("true", sts.Text(C("securityContext.readOnlyRootFilesystem")));
        var mounts = sts.List(C("volumeMounts")).Select(m => ((YamlScalarNode)m["mountPath"]).Value).ToList();
        Assert.Contains("/tmp", mounts);
        Assert.Contains("/var/lib/athanor", mounts);
        Assert.Contains("/shared", mounts);
        Assert.Contains("--data-dir=/var/lib/athanor", sts.Texts(C("args")));
        Assert.Contains("--data-root=/shared/data", sts.Texts(C("args")));
        Assert.Contains("--output-root=/shared/runs", sts.Texts(C("args")));
    }

    [Fact]
    public void The_start_script_in_the_config_map_is_the_charts_file_verbatim()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        var map = r.All("ConfigMap").Single(m => m.Name == "demo-athanor-scripts");
        string file = File.ReadAllText(Path.Combine(ChartRenderer.ChartDir, "files", "start-node.sh"));
        Assert.Equal(file.TrimEnd('\n'), Manifest.Strings(map.Map("data"))["start-node.sh"].TrimEnd('\n'));
        var volume = (YamlMappingNode)Node(r).List("spec.template.spec.volumes").Single(v => ((YamlScalarNode)v["name"]).Value == "scripts");
        Assert.Equal("demo-athanor-scripts", ((YamlScalarNode)volume["configMap"]["name"]).Value);
    }

    [Fact]
    public void Kubernetes_discovery_is_the_default_and_selects_exactly_the_releases_pods_through_the_role()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret + "\nreplicaCount: 4\n", release: "prod", ns: "train");
        var sts = Node(r);
        Assert.Equal(["/opt/athanor/cluster", "node"], sts.Texts(C("command")));
        var args = sts.Texts(C("args"));
        Assert.Contains("--discovery=kubernetes", args);
        Assert.Contains("--host=$(POD_IP)", args); // expanded by Kubernetes from the POD_IP variable (the downward API)
        Assert.Equal("status.podIP", ((YamlScalarNode)Env(sts)["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"]).Value);
        Assert.Contains("--required-contact-points=2", args);
        Assert.DoesNotContain(args, a => a.StartsWith("--seed", StringComparison.Ordinal));

        // The selector is the pod template's own labels (and the StatefulSet's selector), nothing more or less.
        string selector = args.Single(a => a.StartsWith("--k8s-label-selector=", StringComparison.Ordinal))["--k8s-label-selector=".Length..];
        var wanted = selector.Split(',').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        Assert.Equal(Manifest.Strings(sts.Map("spec.selector.matchLabels")), wanted);
        var podLabels = Manifest.Strings(sts.Map("spec.template.metadata.labels"));
        Assert.All(wanted, kv => Assert.Equal(kv.Value, podLabels[kv.Key]));
        Assert.Equal("prod", wanted["app.kubernetes.io/instance"]);

        // The contact point is the container port the node looks for by name, and the pods may list pods.
        Assert.Contains("--k8s-port-name=http", args);
        var http = sts.List(C("ports")).Cast<YamlMappingNode>().Single(p => ((YamlScalarNode)p["name"]).Value == "http");
        Assert.Contains($"--http-port={((YamlScalarNode)http["containerPort"]).Value}", args);
        var role = r.One("Role");
        var rule = (YamlMappingNode)role.List("rules").Single();
        Assert.Equal(["pods"], ((YamlSequenceNode)rule["resources"]).Children.Select(c => ((YamlScalarNode)c).Value));
        Assert.Contains("list", ((YamlSequenceNode)rule["verbs"]).Children.Select(c => ((YamlScalarNode)c).Value));
        var binding = r.One("RoleBinding");
        Assert.Equal(sts.Text("spec.template.spec.serviceAccountName"), ((YamlScalarNode)((YamlMappingNode)binding.List("subjects").Single())["name"]).Value);
    }

    [Theory]
    [InlineData("replicaCount: 1\n", "1")]
    [InlineData("replicaCount: 5\n", "2")]
    [InlineData("replicaCount: 5\ndiscovery:\n  requiredContactPoints: 5\n", "5")]
    public void The_contact_points_needed_to_found_a_cluster_follow_the_replica_count_unless_set(string values, string expected)
    {
        var args = Node(ChartRenderer.Render(ChartValues.JournalSecret + "\n" + values)).Texts(C("args"));
        Assert.Contains("--required-contact-points=" + expected, args);
    }
}
