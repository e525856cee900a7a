using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Athanor.Cluster.Hosting;
using Athanor.Cluster.Messages;
using Athanor.Telemetry;

namespace Athanor.Cluster.Telemetry;

/// <summary>
/// Gauges of the whole cluster: members by status, unreachable members, waiting and running jobs, worker
/// slots busy and free. Only the node that hosts the coordinator singleton (the oldest coordinator-role
/// member) reports them, so summing over all nodes never counts a job twice; it polls the coordinator
/// every few seconds and the gauges read the latest answer.
/// </summary>
public sealed class ClusterMetrics : IDisposable
{
    private readonly ClusterNode _node;
    private readonly Meter _meter = new(TelemetryNames.Cluster);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _poll;
    private volatile ClusterState? _latest;

    public ClusterMetrics(ClusterNode node, TimeSpan? interval = null)
    {
        _node = node;
        _meter.CreateObservableGauge("athanor.cluster.members", Members, null, "cluster members by status");
        _meter.CreateObservableGauge("athanor.cluster.members.unreachable",
            () => One(Reporting() ? Akka.Cluster.Cluster.Get(_node.System).State.Unreachable.Count : null), null, "members the failure detector cannot reach");
        _meter.CreateObservableGauge("athanor.cluster.jobs.waiting", () => One(_latest?.WaitingJobs.Length), null, "jobs waiting for workers (the queue)");
        _meter.CreateObservableGauge("athanor.cluster.jobs.running", () => One(_latest?.Running.Length), null, "jobs with a running attempt");
        _meter.CreateObservableGauge("athanor.cluster.slots", Slots, null, "worker slots, busy and free");
        _poll = Task.Run(() => Poll(interval ?? TimeSpan.FromSeconds(5)));
    }

    /// <summary>Whether this node hosts the coordinator singleton (the oldest Up member with the coordinator role).</summary>
    private bool Reporting()
    {
        var cluster = Akka.Cluster.Cluster.Get(_node.System);
        Member? oldest = null;
        foreach (var m in cluster.State.Members)
            if (m.HasRole("coordinator") && m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting
                && (oldest is null || m.IsOlderThan(oldest)))
                oldest = m;
        return oldest is not null && oldest.Address == cluster.SelfAddress;
    }

    private static IEnumerable<Measurement<int>> One(int? value) => value is int v ? [new Measurement<int>(v)] : [];

    private IEnumerable<Measurement<int>> Members()
    {
        if (!Reporting()) return [];
        return Akka.Cluster.Cluster.Get(_node.System).State.Members.GroupBy(m => m.Status)
            .Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("status", ClusterInstruments.Label(g.Key))));
    }

    private IEnumerable<Measurement<int>> Slots()
    {
        if (_latest is not { } s) return [];
        int total = s.Nodes.Sum(n => n.Slots), busy = s.Nodes.Sum(n => n.BusySlots);
        return [new(busy, new KeyValuePair<string, object?>("state", "busy")), new(total - busy, new KeyValuePair<string, object?>("state", "free"))];
    }

    private async Task Poll(TimeSpan interval)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                _latest = Reporting() ? await _node.Coordinator.Ask<ClusterState>(new GetClusterState(), TimeSpan.FromSeconds(3), _stop.Token) : null;
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException or OperationCanceledException)
            {
                _latest = null; // the coordinator is moving: report nothing rather than something stale
            }
            try { await Task.Delay(interval, _stop.Token); }
            catch (OperationCanceledException) { break; }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _poll.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _meter.Dispose();
        _stop.Dispose();
    }
}
