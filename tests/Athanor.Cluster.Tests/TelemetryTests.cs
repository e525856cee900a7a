using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Two real `cluster node` processes run a 2-rank job (one rank each) and export to a real OTLP/HTTP endpoint
/// in the test: the job is one trace tree across both nodes (job, attempt, ranks, steps, phases), and each
/// node's /metrics serves the training series in Prometheus' format.
/// </summary>
public sealed class TelemetryTests(ITestOutputHelper output) : IDisposable
{
    private readonly ClusterFolders _folders = new();
    private readonly List<NodeProcess> _nodes = [];
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private NodeProcess StartNode(string name, NodeProcess? seed, string journal, TelemetryOtlpReceiver otlp)
    {
        int akka = NodeProcess.FreePort();
        var environment = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "1000",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        };
        var node = new NodeProcess(name, akka, NodeProcess.FreePort(), seed is null ? [$"127.0.0.1:{akka}"] : [seed.Seed], journal, _folders,
            httpPort: NodeProcess.FreePort(), environment: environment);
        _nodes.Add(node);
        return node;
    }

    private static string Scrape(NodeProcess node) => Http.GetStringAsync($"http://127.0.0.1:{node.HttpPort}/metrics").GetAwaiter().GetResult();

    /// <summary>The value of a series with these labels in a Prometheus text exposition, or null.</summary>
    private static double? Series(string exposition, string name, params string[] labels)
    {
        foreach (var line in exposition.Split('\n'))
        {
            var m = Regex.Match(line, $@"^{Regex.Escape(name)}\{{([^}}]*)\}} (\S+)");
            if (m.Success && labels.All(l => m.Groups[1].Value.Contains(l, StringComparison.Ordinal)))
                return double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return null;
    }

    [Fact]
    public void AJobIsOneTraceAcrossItsNodesAndItsLossIsServedAtMetrics()
    {
        var clock = Stopwatch.StartNew();
        using var otlp = new TelemetryOtlpReceiver();
        var journal = "sqlite:" + Path.Combine(_folders.Root, "journal.db");
        var a = StartNode("a", null, journal, otlp);
        a.WaitUntilServing(TimeSpan.FromSeconds(60));
        var b = StartNode("b", a, journal, otlp);
        b.WaitUntilServing(TimeSpan.FromSeconds(60));
        Assert.Contains("telemetry: OTLP to " + otlp.Endpoint + ", Prometheus metrics at /metrics", a.Output);

        var client = new ClusterClient(_folders);
        var id = client.Submit(a.Server, _folders.WriteJob("traced", maxSteps: 6, saveSteps: 3, worldSize: 2));
        var done = client.WaitFor([a.Server], id, s => (string?)s["state"] == "Succeeded", TimeSpan.FromSeconds(90), "the job to finish");
        output.WriteLine($"job {id} done after {clock.Elapsed.TotalSeconds:F1}s");

        // /metrics: rank 0's node serves the job's loss (the last step's, as status reports it); both serve their rank's phases.
        var scrapes = _nodes.Select(Scrape).ToList();
        var lossSeries = scrapes.Select(s => Series(s, "athanor_train_loss", $"job_id=\"{id}\"")).Where(v => v is not null).ToList();
        Assert.True(lossSeries.Count == 1, "athanor_train_loss for the job on exactly one node:\n" + string.Join("\n----\n", scrapes));
        Assert.Equal(done["metrics"]!["loss"]!.GetValue<double>(), lossSeries[0]!.Value, 1e-6);
        string all = string.Join("\n", scrapes);
        foreach (var rank in new[] { "0", "1" })
        {
            Assert.Equal(6, Series(all, "athanor_train_step_duration_seconds_count", $"job_id=\"{id}\"", $"rank=\"{rank}\""));
            Assert.Equal(6, Series(all, "athanor_train_phase_duration_seconds_count", $"job_id=\"{id}\"", $"rank=\"{rank}\"", "phase=\"forward\""));
            Assert.Equal(2, Series(all, "athanor_checkpoint_duration_seconds_count", $"job_id=\"{id}\"", $"rank=\"{rank}\""));
        }
        Assert.NotNull(Series(all, "athanor_train_mfu", $"job_id=\"{id}\""));
        Assert.True(Series(all, "athanor_checkpoint_size_bytes", $"job_id=\"{id}\"") > 0);
        Assert.Equal(1, Series(all, "athanor_cluster_jobs_finished_total", $"job_id=\"{id}\"", "state=\"succeeded\""));
        Assert.Equal(2, Series(all, "athanor_cluster_members", "status=\"up\""));

        // OTLP: one trace, job -> attempt -> rank (one per node) -> step -> phases.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!otlp.Spans.Any(s => s.Name == "job" && Equals(s.Attributes.GetValueOrDefault("job_id"), id)) && DateTime.UtcNow < deadline) Thread.Sleep(200);
        output.WriteLine($"{otlp.Spans.Count} spans: " + string.Join(", ", otlp.Spans.GroupBy(s => s.Name).Select(g => $"{g.Key} x{g.Count()} [{string.Join(" ", g.First().Attributes.Select(kv => kv.Key + "=" + kv.Value))}]")));
        var job = Assert.Single(otlp.Spans, s => s.Name == "job" && Equals(s.Attributes.GetValueOrDefault("job_id"), id));
        var trace = otlp.Spans.Where(s => s.TraceId == job.TraceId).ToList();
        var attempt = Assert.Single(trace, s => s.Name == "attempt");
        Assert.Equal(job.SpanId, attempt.ParentSpanId);
        Assert.Equal("Athanor.Cluster", attempt.Scope);
        var ranks = trace.Where(s => s.Name == "rank").ToList();
        Assert.Equal(2, ranks.Count);
        Assert.All(ranks, r => Assert.Equal(attempt.SpanId, r.ParentSpanId));
        Assert.Equal(new[] { $"127.0.0.1:{a.AkkaPort}", $"127.0.0.1:{b.AkkaPort}" }.Order(), ranks.Select(r => r.Service).Order());
        foreach (var rank in ranks)
        {
            var steps = trace.Where(s => s.Name == "step" && s.ParentSpanId == rank.SpanId).ToList();
            Assert.Equal(6, steps.Count); // logging_steps 1: every step sampled
            Assert.All(steps, s => Assert.Equal("Athanor.Training", s.Scope));
            var phases = trace.Where(s => steps.Any(step => step.SpanId == s.ParentSpanId)).Select(s => s.Name).ToHashSet();
            Assert.Superset(new HashSet<string> { "data", "forward", "backward", "all_reduce", "optimizer", "checkpoint" }, phases);
            Assert.Contains(trace, s => s.Name == "connect" && s.ParentSpanId == rank.SpanId);
        }
        Assert.Contains(otlp.MetricPayloads, p => Encoding.UTF8.GetString(p).Contains("athanor.train.loss", StringComparison.Ordinal));
        Assert.All(trace, s => Assert.True(s.EndNanos >= s.StartNanos && s.StartNanos > 0, $"span {s.Name} has no time"));
        Assert.All(trace.Where(s => s.Name == "step"), s => Assert.True(ById(trace, s.ParentSpanId) is { } rank && rank.StartNanos <= s.StartNanos && s.EndNanos <= rank.EndNanos,
            "a step span lies outside its rank's"));

        // deploy/render-dashboard-images.sh sets this to redraw docs/images/trace-job.png from this run.
        if (Environment.GetEnvironmentVariable("ATHANOR_DASHBOARD_IMAGES") is string folder)
        {
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, "trace-job.png");
            // Every span of the attempt, and of the steps only the first two of each rank (the rest look the same).
            File.WriteAllBytes(file, TraceImage.Png($"trace of job {id}: 2 nodes, one rank each, 6 steps (steps 1-2 shown)", trace,
                s => StepOf(trace, s) is not { } step || Convert.ToInt64(step.Attributes.GetValueOrDefault("step", 0L)) <= 2));
            output.WriteLine("wrote " + file);
        }
        output.WriteLine($"{trace.Count} spans in the job's trace; test took {clock.Elapsed.TotalSeconds:F1}s");
    }

    private static TelemetryOtlpReceiver.OtlpSpan? ById(List<TelemetryOtlpReceiver.OtlpSpan> trace, string id) => trace.FirstOrDefault(s => s.SpanId == id);

    /// <summary>The step span a span belongs to (itself or its parent), or null.</summary>
    private static TelemetryOtlpReceiver.OtlpSpan? StepOf(List<TelemetryOtlpReceiver.OtlpSpan> trace, TelemetryOtlpReceiver.OtlpSpan span) =>
        span.Name == "step" ? span : ById(trace, span.ParentSpanId) is { Name: "step" } parent ? parent : null;

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        _folders.Dispose();
    }
}
