using System.Diagnostics;
using System.Net.Http;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Athanor.Cluster.Tests;

/// <summary>
/// Akka remoting over mutually authenticated TLS, with real `cluster node` processes on 127.0.0.1: members holding a
/// certificate of the cluster's CA form the cluster; a node with a certificate of another CA, or with no TLS at all,
/// cannot join it (or send it anything).
/// </summary>
public sealed class RemotingTlsTests(ITestOutputHelper output) : IDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly ClusterFolders _folders = new();
    private readonly List<NodeProcess> _nodes = [];

    private NodeProcess Start(string name, NodeProcess? seed, IReadOnlyList<string> tls)
    {
        int akka = NodeProcess.FreePort();
        var node = new NodeProcess(name, akka, NodeProcess.FreePort(), seed is null ? [$"127.0.0.1:{akka}"] : [seed.Seed],
            "sqlite:" + Path.Combine(_folders.Root, "journal.db"), _folders, httpPort: NodeProcess.FreePort(), extraArgs: tls);
        _nodes.Add(node);
        return node;
    }

    private static string[] Tls(TestCertificates ca, string member)
    {
        var (cert, key) = ca.Issue(member);
        return ["--remoting-tls-cert", cert, "--remoting-tls-key", key, "--remoting-tls-ca", ca.CaFile];
    }

    /// <summary>The Up members the node's contact point lists (its own view of the cluster).</summary>
    private static List<string> UpMembers(NodeProcess node)
    {
        try
        {
            var json = JsonNode.Parse(Http.GetStringAsync($"http://127.0.0.1:{node.HttpPort}/bootstrap/seed-nodes").GetAwaiter().GetResult())!;
            return json["Nodes"]!.AsArray().Where(m => m!["Status"]!.GetValue<int>() == 1)
                .Select(m => $"{m!["Node"]!["Host"]}:{m["Node"]!["Port"]}").Order().ToList();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException) { return []; }
    }

    private static void WaitForMembers(NodeProcess node, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (UpMembers(node).Count != count)
        {
            if (clock.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"{node.Name} does not see {count} Up members: [{string.Join(", ", UpMembers(node))}]\n{node.Output}");
            Thread.Sleep(500);
        }
    }

    /// <summary>
    /// A node whose certificate the cluster refuses either serves outside the cluster or, when its failed TLS handshake
    /// comes first (a loaded machine), Akka's remoting shuts it down: then its exit must be that refusal, nothing else.
    /// </summary>
    private static void WaitUntilServingOrRefused(NodeProcess node, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!node.Output.Contains("cluster node: gRPC on"))
        {
            if (node.HasExited)
            {
                node.WaitForExit(TimeSpan.FromSeconds(10));
                Assert.Contains("TLS handshake failed", node.Output);
                return;
            }
            if (clock.Elapsed > timeout) throw new TimeoutException($"node {node.Name} neither served nor was refused in {timeout}:\n{node.Tail()}");
            Thread.Sleep(100);
        }
    }

    [Fact]
    public void MembersWithTheClustersCertificatesJoinAndNodesWithoutThemCannot()
    {
        var cluster = new TestCertificates(Path.Combine(_folders.Root, "pki"), "athanor");
        var stranger = new TestCertificates(Path.Combine(_folders.Root, "pki-other"), "other");
        var a = Start("a", null, Tls(cluster, "a"));
        a.WaitUntilServing(TimeSpan.FromSeconds(60));
        var b = Start("b", a, Tls(cluster, "b"));
        b.WaitUntilServing(TimeSpan.FromSeconds(60));
        WaitForMembers(a, 2, TimeSpan.FromSeconds(60));
        Assert.Contains("remoting over mutual TLS", a.Output);

        // Another CA's certificate, and no TLS at all: both keep knocking on a's remoting port and stay outside.
        var c = Start("c", a, Tls(stranger, "c"));
        var d = Start("d", a, []);
        WaitUntilServingOrRefused(c, TimeSpan.FromSeconds(60));
        d.WaitUntilServing(TimeSpan.FromSeconds(60));
        Thread.Sleep(TimeSpan.FromSeconds(15)); // several join attempts of each (a join is retried every few seconds)
        Assert.Equal(2, UpMembers(a).Count);
        Assert.DoesNotContain($"127.0.0.1:{c.AkkaPort}", UpMembers(a));
        Assert.DoesNotContain($"127.0.0.1:{d.AkkaPort}", UpMembers(a));
        Assert.Empty(UpMembers(c).Intersect(UpMembers(a)));
        Assert.Contains("does not chain to the cluster's CA", a.Output + c.Output);
        output.WriteLine($"members of a after 15 s of c and d trying: [{string.Join(", ", UpMembers(a))}]");
    }

    [Fact]
    public void HalfConfiguredTlsIsRefusedNamingWhatIsMissing()
    {
        var cluster = new TestCertificates(Path.Combine(_folders.Root, "pki"), "athanor");
        var (cert, _) = cluster.Issue("a");
        var node = Start("a", null, ["--remoting-tls-cert", cert]);
        Assert.True(node.WaitForExit(TimeSpan.FromSeconds(60)), node.Output);
        Assert.NotEqual(0, node.ExitCode);
        Assert.Contains("remoting TLS needs all three of --remoting-tls-cert, --remoting-tls-key and --remoting-tls-ca", node.Output);
    }

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        _folders.Dispose();
    }
}
