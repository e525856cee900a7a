using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Athanor.Cluster.Tests.NetNamespaces;

/// <summary>
/// A cluster of <see cref="LabNode"/>s, one per lab host at 192.168.77.11, .12, ..., sharing one SQLite journal (the hosts
/// share this machine's disk, as pods share a volume), plus a client host at .100 that runs the `cluster` CLI over the
/// bridge. Every node lists every node as a seed, the first one first (the chart's start script does the same).
/// </summary>
public sealed class LabCluster : IDisposable
{
    public static readonly TimeSpan Start = TimeSpan.FromSeconds(120);
    private readonly List<LabNode> _nodes = [];

    public LabCluster(int nodes)
    {
        Folders = new ClusterFolders();
        Lab = new NetworkLab();
        try
        {
            var hosts = Enumerable.Range(0, nodes).Select(i => Lab.AddHost($"n{i + 1}", 11 + i)).ToList();
            ClientHost = Lab.AddHost("client", 100);
            var seeds = hosts.Select(h => $"{h.Address}:{LabNode.AkkaPort}").ToList();
            var journal = "sqlite:" + Path.Combine(Folders.Root, "journal.db");
            foreach (var host in hosts)
            {
                _nodes.Add(new LabNode(host, seeds, journal, Folders));
                if (_nodes.Count == 1) _nodes[0].WaitUntilServing(Start); // the first seed founds the cluster
            }
            foreach (var n in _nodes) n.WaitUntilServing(Start);
            Client = new ClusterClient(Folders, ["ip", "netns", "exec", ClientHost.Namespace]);
            var clock = Stopwatch.StartNew();
            while (!_nodes.All(n => Ready(n) == HttpStatusCode.OK))
            {
                if (clock.Elapsed > Start) throw new TimeoutException("the lab cluster did not form:\n" + string.Join("\n", _nodes.Select(n => n.Tail(20))));
                Thread.Sleep(250);
            }
        }
        catch { Dispose(); throw; }
    }

    public NetworkLab Lab { get; }
    public ClusterFolders Folders { get; }
    public LabHost ClientHost { get; }
    public ClusterClient Client { get; } = null!;
    public IReadOnlyList<LabNode> Nodes => _nodes;
    public LabNode this[int i] => _nodes[i];

    /// <summary>The node's /health/ready, asked from inside its own namespace (so it answers even while its link is cut).</summary>
    public static HttpStatusCode? Ready(LabNode node) => HealthFromInside(node, "ready");

    public static HttpStatusCode? HealthFromInside(LabNode node, string what)
    {
        var info = NetworkLab.Exec(node.Host, "curl", ["-s", "-o", "/dev/null", "-m", "2", "-w", "%{http_code}", $"http://{node.Host.Address}:{LabNode.HttpPort}/health/{what}"]);
        using var p = Process.Start(info)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return int.TryParse(text.Trim(), out int code) && code > 0 ? (HttpStatusCode)code : null;
    }

    /// <summary>
    /// The largest value of a metric on the node's /metrics (the Prometheus text the dashboards are fed from), asked from
    /// inside its namespace; null when the node does not report it (only the coordinator's node reports cluster gauges).
    /// </summary>
    public static double? MetricFromInside(LabNode node, string name)
    {
        var info = NetworkLab.Exec(node.Host, "curl", ["-s", "-m", "2", $"http://{node.Host.Address}:{LabNode.HttpPort}/metrics"]);
        using var p = Process.Start(info)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var values = text.Split('\n').Where(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
            .Select(l => double.TryParse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : (double?)null)
            .Where(v => v is not null).ToList();
        return values.Count == 0 ? null : values.Max();
    }

    public static int Int(JsonObject o, string key) => o[key] is JsonNode n ? n.GetValue<int>() : 0;

    /// <summary>When the node said it was downed (its DowningWatch line's timestamp, UTC).</summary>
    public static DateTime? DownedAtUtc(LabNode node)
    {
        var m = Regex.Match(node.Output, @"\]\[(\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\.\d+)Z\]\[[^\]]*\]\[[^\]]*downing-watch\] this node");
        return m.Success ? DateTime.SpecifyKind(DateTime.ParseExact(m.Groups[1].Value, "MM/dd/yyyy HH:mm:ss.fff", null), DateTimeKind.Utc) : null;
    }

    /// <summary>Files under the job's output folder written at or after the time.</summary>
    public IReadOnlyList<string> WrittenSince(string job, DateTime utc, Func<string, bool> which) =>
        Directory.EnumerateFiles(Path.Combine(Folders.OutputRoot, job), "*", SearchOption.AllDirectories)
            .Where(which).Where(f => File.GetLastWriteTimeUtc(f) >= utc).ToList();

    public string Tails(int lines = 30) => string.Join("\n", _nodes.Select(n => $"--- {n.Name} ---\n{n.Tail(lines)}"));

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        Lab.Dispose();
        Folders.Dispose();
    }
}
