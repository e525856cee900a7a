using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>
/// deploy/ cannot be run here (no Docker), so these tests check that its pieces agree with each other, with
/// the repository and with docs/operations.md: the dashboards query only the documented metrics through the
/// provisioned data sources, the compose members' seeds and ports match Prometheus' targets, and every
/// path the Dockerfile copies exists.
/// </summary>
public sealed partial class DeployTests
{
    private static string Deploy(string path) => Path.Combine(ChartRenderer.RepoRoot, "deploy", path);

    private static YamlMappingNode LoadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    /// <summary>A key of a mapping, following YAML merge keys (`<<: *anchor`) as Compose does.</summary>
    private static YamlNode Merged(YamlNode map, string key)
    {
        var m = (YamlMappingNode)map;
        if (m.Children.TryGetValue(new YamlScalarNode(key), out var value)) return value;
        if (m.Children.TryGetValue(new YamlScalarNode("<<"), out var parent)) return Merged(parent, key);
        throw new KeyNotFoundException($"no '{key}' in the mapping or the mappings it merges");
    }

    /// <summary>The metric names in docs/operations.md's table (rows that start with | `athanor_...` |).</summary>
    private static HashSet<string> DocumentedMetrics()
    {
        var text = File.ReadAllText(Path.Combine(ChartRenderer.RepoRoot, "docs", "operations.md"));
        return MetricRow().Matches(text).Select(m => m.Groups[1].Value).ToHashSet();
    }

    private static IEnumerable<(string Dashboard, string Expr, string Uid)> Queries()
    {
        foreach (var file in Directory.GetFiles(Deploy("grafana/dashboards"), "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var panel in doc.RootElement.GetProperty("panels").EnumerateArray())
                foreach (var target in panel.GetProperty("targets").EnumerateArray())
                    yield return (Path.GetFileName(file), target.GetProperty("expr").GetString()!, target.GetProperty("datasource").GetProperty("uid").GetString()!);
        }
    }

    [Fact]
    public void Dashboards_query_only_documented_metrics_and_show_every_one_of_them()
    {
        var documented = DocumentedMetrics();
        Assert.Equal(16, documented.Count);
        var used = new HashSet<string>();
        foreach (var (dashboard, expr, _) in Queries())
            foreach (Match m in MetricName().Matches(expr))
            {
                string name = Regex.Replace(m.Value, "_(bucket|sum|count)$", "");
                Assert.True(documented.Contains(name), $"{dashboard}: '{expr}' uses {m.Value}, which docs/operations.md does not list");
                used.Add(name);
            }
        Assert.Empty(documented.Except(used));
    }

    [Fact]
    public void Dashboards_use_the_provisioned_data_source_uids()
    {
        var sources = LoadYaml(Deploy("grafana/provisioning/datasources/datasources.yaml"));
        var uids = ((YamlSequenceNode)sources["datasources"]).Children.Select(d => ((YamlScalarNode)d["uid"]).Value).ToHashSet();
        Assert.Contains("prometheus", uids);
        Assert.Contains("tempo", uids);
        foreach (var (dashboard, _, uid) in Queries()) Assert.True(uids.Contains(uid), $"{dashboard} uses data source uid '{uid}'");
        var provider = (YamlMappingNode)((YamlSequenceNode)LoadYaml(Deploy("grafana/provisioning/dashboards/dashboards.yaml"))["providers"]).Children[0];
        var compose = File.ReadAllText(Deploy("compose.yaml"));
        Assert.Contains($"./grafana/dashboards:{((YamlScalarNode)provider["options"]["path"]).Value}:ro", compose);
    }

    [Fact]
    public void Compose_members_seed_each_other_by_address_and_prometheus_scrapes_them()
    {
        var services = (YamlMappingNode)LoadYaml(Deploy("compose.yaml"))["services"];
        var nodes = new[] { "node1", "node2", "node3" };
        var addresses = nodes.ToDictionary(n => n, n => ((YamlScalarNode)services[n]["networks"]["athanor"]["ipv4_address"]).Value!);
        foreach (var n in nodes)
        {
            var command = ((YamlSequenceNode)services[n]["command"]).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();
            Assert.Equal("node", command[0]);
            Assert.Equal(addresses[n], command[command.IndexOf("--host") + 1]);
            var seeds = command.Select((c, i) => (c, i)).Where(p => p.c == "--seed").Select(p => command[p.i + 1]).ToList();
            Assert.Equal($"{addresses["node1"]}:4053", seeds[0]); // node1 is the first seed everywhere
            Assert.All(seeds, s => Assert.Contains(s[..s.IndexOf(':')], addresses.Values));
        }
        var prometheus = LoadYaml(Deploy("prometheus.yml"));
        var athanorJob = ((YamlSequenceNode)prometheus["scrape_configs"]).Children.Cast<YamlMappingNode>().Single(j => ((YamlScalarNode)j["job_name"]).Value == "athanor");
        var targets = ((YamlSequenceNode)athanorJob["static_configs"][0]["targets"]).Children.Select(t => ((YamlScalarNode)t).Value).ToList();
        string httpPort = ((YamlScalarNode)Merged(Merged(services["node1"], "environment"), "ATHANOR_NODE_HTTP_PORT")).Value!;
        Assert.Equal(nodes.Select(n => $"{n}:{httpPort}"), targets);
        Assert.Equal("/metrics", ((YamlScalarNode)athanorJob["metrics_path"]).Value);
    }

    [Fact]
    public void Compose_wires_the_token_the_journal_and_the_collector()
    {
        var root = LoadYaml(Deploy("compose.yaml"));
        var env = Merged(root["services"]["node2"], "environment");
        string Env(string key) => ((YamlScalarNode)Merged(env, key)).Value!;
        Assert.StartsWith("postgres:Host=postgres;", Env("ATHANOR_NODE_JOURNAL"));
        Assert.Equal("./local/token", ((YamlScalarNode)root["secrets"]["token"]["file"]).Value); // what make-token.sh writes
        Assert.Equal("/run/secrets/token", Env("ATHANOR_NODE_TOKEN_FILE"));
        Assert.Equal("http://otel-collector:4317", Env("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var collector = LoadYaml(Deploy("otel-collector.yaml"));
        Assert.Equal("0.0.0.0:4317", ((YamlScalarNode)collector["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]).Value);
        Assert.Equal("tempo:4317", ((YamlScalarNode)collector["exporters"]["otlp/tempo"]["endpoint"]).Value);
        var tempo = LoadYaml(Deploy("tempo.yaml"));
        Assert.Equal("0.0.0.0:4317", ((YamlScalarNode)tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]).Value);
        // The job file the docs submit uses only folders the members may read and write.
        var job = LoadYaml(Deploy("local/demo-job.yaml"));
        Assert.StartsWith("/data/", ((YamlScalarNode)job["dataset_dir"]).Value);
        Assert.StartsWith("/shared/runs/", ((YamlScalarNode)job["output_dir"]).Value);
        Assert.True(Directory.Exists(Path.Combine(ChartRenderer.RepoRoot, "examples", "demo", "data")));
    }

    [Fact]
    public void The_local_token_is_made_on_the_machine_kept_once_made_and_never_committed()
    {
        string folder = Path.Combine(Path.GetTempPath(), "athanor-token-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        try
        {
            string file = Path.Combine(folder, "token");
            var (code, stdout, stderr) = ChartRenderer.Exec("/bin/sh", [Deploy("local/make-token.sh"), file]);
            Assert.True(code == 0, stderr);
            Assert.Contains("token written", stdout);
            string token = File.ReadAllText(file);
            Assert.Matches("^[0-9a-f]{64}$", token);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

            // A second run keeps the token clients already use.
            (code, stdout, stderr) = ChartRenderer.Exec("/bin/sh", [Deploy("local/make-token.sh"), file]);
            Assert.True(code == 0, stderr);
            Assert.Contains("token kept", stdout);
            Assert.Equal(token, File.ReadAllText(file));
        }
        finally { Directory.Delete(folder, recursive: true); }

        Assert.Contains("/deploy/local/token", File.ReadAllLines(Path.Combine(ChartRenderer.RepoRoot, ".gitignore")));
    }

    [Fact]
    public void The_dockerfile_publishes_self_contained_runs_as_the_charts_user_and_copies_only_existing_paths()
    {
        var lines = File.ReadAllLines(Deploy("Dockerfile"));
        string text = string.Join('\n', lines);
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", StringComparison.Ordinal));
        Assert.Matches(@"dotnet publish src/Athanor.Cli/Athanor.Cli.csproj -c Release -r linux-x64 --self-contained", text);
        Assert.Contains("ATHANOR_LIBTORCH=/opt/libtorch", text);
        Assert.Contains("ENTRYPOINT [\"/opt/athanor/cluster\"]", text);
        var user = lines.Single(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.Equal("USER 10001:10001", user);
        var values = ChartRenderer.CoalescedValues("{}");
        Assert.Equal(10001, values["podSecurityContext"]!["runAsUser"]!.GetValue<int>());
        foreach (var line in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=")))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            foreach (var source in parts)
                Assert.True(File.Exists(Path.Combine(ChartRenderer.RepoRoot, source)) || Directory.Exists(Path.Combine(ChartRenderer.RepoRoot, source)),
                    $"deploy/Dockerfile copies '{source}', which the repository does not have");
        }
        // Every project the CLI references is restored before the sources are copied.
        var projects = Directory.GetFiles(Path.Combine(ChartRenderer.RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(ChartRenderer.RepoRoot, p).Replace('\\', '/'));
        foreach (var project in projects) Assert.Contains($"COPY {project} ", text);
    }

    [GeneratedRegex(@"^\| `(athanor_[a-z_]+)` \|", RegexOptions.Multiline)]
    private static partial Regex MetricRow();

    [GeneratedRegex(@"\bathanor_[a-z_]+\b")]
    private static partial Regex MetricName();
}
