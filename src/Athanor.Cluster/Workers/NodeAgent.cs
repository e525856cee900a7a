using Akka.Actor;
using Akka.Event;
using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Workers;

/// <summary>
/// One per worker node: announces its slots to the coordinator every few seconds and runs the ranks
/// the coordinator places here, one <see cref="RankRunner"/> each.
/// </summary>
public sealed class NodeAgent : ReceiveActor, IWithTimers
{
    private readonly string _nodeAddress;
    private readonly string _host;
    private readonly int _slots;
    private readonly string _kind;
    private readonly string[] _devices;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _jobs;
    private readonly bool _fusedKernels;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _draining;

    /// <param name="fusedKernels">the node's --fused-kernels: false runs none here, whatever the job says</param>
    public NodeAgent(string nodeAddress, string host, int slots, string kind, string[] devices, IActorRef coordinator, IActorRef jobs, bool fusedKernels = true)
    {
        _fusedKernels = fusedKernels;
        _nodeAddress = nodeAddress;
        _host = host;
        _slots = slots;
        _kind = kind;
        _devices = devices;
        _coordinator = coordinator;
        _jobs = jobs;
        Receive<Announce>(_ => { if (!_draining) _coordinator.Tell(new RegisterNode(_nodeAddress, _slots, _kind, _devices)); });
        Receive<StartRank>(OnStart);
        Receive<FormGroup>(m => Forward(m.JobId, m.Attempt, m));
        Receive<StopRank>(m => Forward(m.JobId, m.Attempt, m));
        Receive<Drain>(_ =>
        {
            // Preemption: every rank here finishes its step and checkpoints; the job goes on elsewhere.
            _draining = true;
            // Offer no slots any more, so the job is not placed here again while this node leaves.
            _coordinator.Tell(new RegisterNode(_nodeAddress, 0, _kind, _devices));
            foreach (var child in Context.GetChildren()) child.Tell(new StopRank("", 0, true, "node is shutting down"));
            Sender.Tell(Context.GetChildren().Count());
        });
        Receive<Abort>(m =>
        {
            // Downed: the peers are on the other side of a partition and the job goes on there. Stop at once, no checkpoint.
            _draining = true;
            foreach (var child in Context.GetChildren()) child.Tell(new StopRank("", 0, false, m.Reason));
            Sender.Tell(Context.GetChildren().Count());
        });
        Receive<CountRanks>(_ => Sender.Tell(Context.GetChildren().Count()));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string nodeAddress, string host, int slots, string kind, string[] devices, IActorRef coordinator, IActorRef jobs,
        bool fusedKernels = true) =>
        Akka.Actor.Props.Create(() => new NodeAgent(nodeAddress, host, slots, kind, devices, coordinator, jobs, fusedKernels));

    /// <summary>Asks every running rank to stop gracefully (SIGTERM); replies with how many ranks were running.</summary>
    public sealed record Drain { public static readonly Drain Instance = new(); }

    /// <summary>Aborts every running rank without a checkpoint (this node was downed); replies with how many were running.</summary>
    public sealed record Abort(string Reason);

    public sealed record CountRanks { public static readonly CountRanks Instance = new(); }

    private sealed record Announce { public static readonly Announce Instance = new(); }

    protected override void PreStart() => Timers.StartPeriodicTimer("announce", Announce.Instance, TimeSpan.Zero, TimeSpan.FromSeconds(2));

    private static string ChildName(string jobId, int attempt, int rank) => $"{Uri.EscapeDataString(jobId)}-a{attempt}-r{rank}";

    private void OnStart(StartRank m)
    {
        if (_draining)
        {
            _coordinator.Tell(new RankEnded(m.JobId, m.Attempt, m.Rank, _nodeAddress, m.Slot, AttemptOutcome.Failed, "node is shutting down"));
            _jobs.Tell(new ReportAttemptEnded(m.JobId, m.Attempt, AttemptOutcome.Failed, $"node {_nodeAddress} is shutting down"));
            return;
        }
        var name = ChildName(m.JobId, m.Attempt, m.Rank);
        if (!Context.Child(name).IsNobody()) return; // a duplicate delivery
        Context.ActorOf(RankRunner.Props(m, _devices[m.Slot], _nodeAddress, _host, _coordinator, _jobs, TimeSpan.FromSeconds(90), _fusedKernels), name);
        _log.Info("starting job {0} attempt {1} rank {2}/{3} on slot {4}", m.JobId, m.Attempt, m.Rank, m.World, m.Slot);
    }

    private void Forward(string jobId, int attempt, object message)
    {
        foreach (var child in Context.GetChildren())
            if (child.Path.Name.StartsWith(Uri.EscapeDataString(jobId) + $"-a{attempt}-r", StringComparison.Ordinal))
                child.Tell(message);
    }
}
