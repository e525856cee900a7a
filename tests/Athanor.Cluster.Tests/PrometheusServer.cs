using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Athanor.Cluster.Tests;

/// <summary>A real Prometheus server on loopback (Debian's package), scraping the given targets every second.</summary>
public sealed class PrometheusServer : IDisposable
{
    private readonly Process _process;
    private readonly TempFolder _temp = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public PrometheusServer(string jobName, IEnumerable<string> targets)
    {
        var binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("the prometheus binary was not found; install it: apt-get install -y --no-install-recommends prometheus");
        Port = NodeProcess.FreePort();
        var config = Path.Combine(_temp.Path, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: {jobName}
                metrics_path: /metrics
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]
            """);
        var info = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--config.file=" + config, "--storage.tsdb.path=" + _temp.Sub("data"), $"--web.listen-address=127.0.0.1:{Port}" })
            info.ArgumentList.Add(a);
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try { if (Http.GetAsync($"{Url}/-/ready").GetAwaiter().GetResult().IsSuccessStatusCode) break; }
            catch (HttpRequestException) { }
            if (_process.HasExited) throw new InvalidOperationException($"prometheus exited with {_process.ExitCode}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("prometheus did not become ready in 30 s");
            Thread.Sleep(200);
        }
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>A range query through the HTTP API: each series' labels and its (unix seconds, value) points.</summary>
    public List<(JsonObject Labels, List<(double Time, double Value)> Points)> QueryRange(string promql, DateTimeOffset from, DateTimeOffset to, TimeSpan step)
    {
        string F(DateTimeOffset t) => (t.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
        var uri = $"{Url}/api/v1/query_range?query={Uri.EscapeDataString(promql)}&start={F(from)}&end={F(to)}&step={step.TotalSeconds.ToString(CultureInfo.InvariantCulture)}";
        var response = Http.GetAsync(uri).GetAwaiter().GetResult();
        var json = JsonNode.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult())!;
        if ((string?)json["status"] != "success") throw new InvalidOperationException($"query failed: {promql}\n{json.ToJsonString()}");
        return json["data"]!["result"]!.AsArray().Select(r => (
            r!["metric"]!.AsObject(),
            r["values"]!.AsArray().Select(v => (v![0]!.GetValue<double>(), double.Parse((string)v[1]!, CultureInfo.InvariantCulture))).ToList())).ToList();
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
        _temp.Dispose();
    }
}
