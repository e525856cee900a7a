using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// The Grafana dashboards' own queries, evaluated by a real Prometheus that scraped real `cluster node` processes
/// while they trained a job: every training and cluster panel has data. (Grafana itself cannot be installed here;
/// what it would draw is exactly what these queries return.) The GPU dashboard needs NVML and a GPU, so it is not
/// evaluated on CPU nodes.
/// </summary>
public sealed class DashboardQueryTests(ITestOutputHelper output) : IDisposable
{
    private readonly ClusterFolders _folders = new();
    private readonly List<NodeProcess> _nodes = [];

    private NodeProcess StartNode(string name, NodeProcess? seed, string journal)
    {
        int akka = NodeProcess.FreePort();
        var node = new NodeProcess(name, akka, NodeProcess.FreePort(), seed is null ? [$"127.0.0.1:{akka}"] : [seed.Seed], journal, _folders,
            httpPort: NodeProcess.FreePort());
        _nodes.Add(node);
        return node;
    }

    /// <summary>(dashboard title, panel title, PromQL) of every query of the dashboards Prometheus can answer for CPU nodes.</summary>
    private static IEnumerable<(string Dashboard, string Panel, string Type, string Expr)> Queries()
    {
        foreach (var file in new[] { "athanor-training.json", "athanor-cluster.json" })
        {
            var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(TestJobs.RepoRoot, "deploy", "grafana", "dashboards", file)))!;
            foreach (var panel in dashboard["panels"]!.AsArray())
                foreach (var target in panel!["targets"]?.AsArray() ?? [])
                    if ((string?)target!["expr"] is string expr)
                        yield return ((string)dashboard["title"]!, (string)panel["title"]!, (string)panel["type"]!, expr);
        }
    }

    [Fact]
    public void EveryTrainingAndClusterPanelHasDataFromARealRun()
    {
        var journal = "sqlite:" + Path.Combine(_folders.Root, "journal.db");
        var a = StartNode("a", null, journal);
        a.WaitUntilServing(TimeSpan.FromSeconds(60));
        var b = StartNode("b", a, journal);
        b.WaitUntilServing(TimeSpan.FromSeconds(60));
        using var prometheus = new PrometheusServer("athanor", _nodes.Select(n => $"127.0.0.1:{n.HttpPort}"));
        var start = DateTimeOffset.UtcNow;

        var client = new ClusterClient(_folders);
        var job = _folders.WriteJob("watched", maxSteps: 40, saveSteps: 20, worldSize: 2, extra: "val_size: 6\neval_steps: 10");
        var id = client.Submit(a.Server, job);
        var clock = Stopwatch.StartNew();
        client.WaitFor([a.Server], id, s => (string?)s["state"] == "Succeeded", TimeSpan.FromMinutes(4), "the job to finish");
        output.WriteLine($"job {id} trained 40 steps in {clock.Elapsed.TotalSeconds:F1} s");
        Thread.Sleep(3000); // the last values scraped
        var end = DateTimeOffset.UtcNow;

        var empty = new List<string>();
        var drawn = new Dictionary<string, List<DashboardImage.Panel>>();
        foreach (var (dashboard, panel, type, expr) in Queries())
        {
            // Grafana's variables: the job picked in the dashboard, and a rate window of a few scrape intervals.
            string query = expr.Replace("$job_id", id).Replace("$__rate_interval", "5s");
            var series = prometheus.QueryRange(query, start, end, TimeSpan.FromSeconds(1));
            int points = series.Sum(s => s.Points.Count(p => double.IsFinite(p.Value)));
            output.WriteLine($"{dashboard} / {panel}: {series.Count} series, {points} points: {query}");
            if (points == 0) empty.Add($"{dashboard} / {panel}: {query}");
            var panels = drawn.TryGetValue(dashboard, out var list) ? list : drawn[dashboard] = [];
            var named = series.Select(s => new DashboardImage.Series(Legend(s.Labels, expr), s.Points)).ToList();
            if (panels.Count > 0 && panels[^1].Title == panel) panels[^1] = panels[^1] with { Series = [.. panels[^1].Series, .. named] };
            else panels.Add(new DashboardImage.Panel(panel, named, Stat: type == "stat"));
        }
        Assert.True(empty.Count == 0, "panels without data:\n" + string.Join("\n", empty));

        // deploy/render-dashboard-images.sh sets this to redraw docs/images from a run.
        if (Environment.GetEnvironmentVariable("ATHANOR_DASHBOARD_IMAGES") is string folder)
        {
            Directory.CreateDirectory(folder);
            foreach (var (dashboard, panels) in drawn)
            {
                var file = Path.Combine(folder, "dashboard-" + dashboard.Split('/').Last().Trim().ToLowerInvariant() + ".png");
                File.WriteAllBytes(file, DashboardImage.Png($"{dashboard} (job {id}, 2 CPU ranks)", panels, start.ToUnixTimeMilliseconds() / 1000.0));
                output.WriteLine("wrote " + file);
            }
        }

        // The values are the run's: the loss panel ends at the loss the job reports, for this job only.
        var loss = prometheus.QueryRange($"max by (job_id) (athanor_train_loss{{job_id=~\"{id}\"}})", start, end, TimeSpan.FromSeconds(1));
        var only = Assert.Single(loss);
        Assert.Equal(id, (string?)only.Labels["job_id"]);
        var status = client.Status(a.Server, id);
        Assert.Equal(status["metrics"]!["loss"]!.GetValue<double>(), only.Points[^1].Value, 1e-6);
    }

    /// <summary>A series' legend: the labels that tell series apart (phase, instance), else the query's metric.</summary>
    private static string Legend(JsonObject labels, string expr)
    {
        var quantile = System.Text.RegularExpressions.Regex.Match(expr, @"histogram_quantile\(0\.(\d+)");
        if (quantile.Success) return "p" + quantile.Groups[1].Value.PadRight(2, '0');
        foreach (var key in new[] { "phase", "instance" })
            if ((string?)labels[key] is string value) return value;
        var metric = System.Text.RegularExpressions.Regex.Match(expr, @"athanor_[a-z_]+|up").Value;
        return metric.Length > 0 ? metric : expr;
    }

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        _folders.Dispose();
    }
}
