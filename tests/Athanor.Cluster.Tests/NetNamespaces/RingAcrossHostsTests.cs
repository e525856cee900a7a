using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Athanor.Native;
using Athanor.Parallel;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Athanor.Cluster.Tests.NetNamespaces;

/// <summary>The TCP ring of CPU ranks between two hosts: a peer whose link goes down mid-collective fails the step within the collective timeout.</summary>
public sealed class RingAcrossHostsTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CollectiveTimeout = TimeSpan.FromSeconds(5);

    [NetNamespaceFact]
    public async Task APeerCutOffMidCollectiveFailsTheStepWithinTheTimeoutNeverAHang()
    {
        TorchRuntime.Initialize();
        using var lab = new NetworkLab();
        var hosts = new[] { lab.AddHost("r0", 21), lab.AddHost("r1", 22) };
        var listeners = await Task.WhenAll(hosts.Select(h => NamespaceThread.Run(h, () =>
        {
            var l = new TcpListener(IPAddress.Parse(h.Address), 0);
            l.Start();
            return l;
        })));
        var endpoints = listeners.Select(l => (IPEndPoint)l.LocalEndpoint).ToArray();
        var group = RingCredentials.NewAttempt();
        using var warmedUp = new CountdownEvent(2);
        using var cut = new ManualResetEventSlim();
        var ranks = hosts.Select((h, r) => NamespaceThread.Run<(string Outcome, TimeSpan Took)>(h, () =>
        {
            using var ring = TcpRingCollective.Connect(r, endpoints, listeners[r], group, CollectiveTimeout);
            using (var warm = ones(1000)) ring.AllReduceSum(warm); // the ring works across the hosts
            warmedUp.Signal();
            cut.Wait(); // `ip` must run from the root namespace, not from this thread's
            if (r == 1) return ("cut off", TimeSpan.Zero);
            var clock = Stopwatch.StartNew();
            try
            {
                using var t = ones(1_000_000);
                ring.AllReduceSum(t);
                return ("completed", clock.Elapsed);
            }
            catch (CollectiveException ex) { return ("failed: " + ex.Message, clock.Elapsed); }
        })).ToArray();
        Assert.True(warmedUp.Wait(TimeSpan.FromSeconds(30)), "the ring did not form across the hosts");
        lab.Cut(hosts[1]); // rank 1 is alive but unreachable
        cut.Set();

        var finished = await Task.WhenAll(ranks).WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"rank 0: {finished[0].Outcome} after {finished[0].Took.TotalSeconds:F1} s (collective timeout {CollectiveTimeout.TotalSeconds:F0} s)");
        Assert.StartsWith("failed", finished[0].Outcome);
        Assert.True(finished[0].Took < CollectiveTimeout + TimeSpan.FromSeconds(5), $"took {finished[0].Took}");
    }
}
