using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Athanor.Cluster.Messages;
using Athanor.Parallel;

namespace Athanor.Cluster.Coordination;

/// <summary>
/// The cluster singleton that places jobs on workers: it keeps the inventory of slots (from each node's
/// agent), the queue of waiting jobs (from the job entities), and the running attempts (from the ranks).
/// All of that is soft state re-announced every few seconds, so a coordinator that moved to another node
/// rebuilds it by listening. It gang-schedules (all ranks or none), hands out ranks and the group's ring
/// endpoints, aborts a group when one of its nodes is lost, and grows a job when nodes join.
/// It is never on the path of a training step.
/// </summary>
public sealed class Coordinator : ReceiveActor, IWithTimers
{
    private readonly IActorRef _jobs;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<string, NodeEntry> _nodes = [];
    private readonly Dictionary<string, JobWaiting> _waiting = [];
    private readonly HashSet<string> _proposed = [];
    private readonly Dictionary<string, Attempt> _running = [];
    private readonly Dictionary<string, string> _waitNotes = [];
    private readonly Dictionary<string, DateTimeOffset> _waitingSince = [];
    /// <summary>Members the failure detector flags and the split-brain resolver has not downed yet: alive perhaps, cut off.</summary>
    private readonly HashSet<string> _unreachable = [];
    /// <summary>
    /// Why the coordinator stopped each job's last attempt, kept until the job's next attempt: the job's entity may not
    /// have heard it (its shard was on the node that was lost), and then learns it when it checks the attempt.
    /// </summary>
    private readonly Dictionary<string, (int Attempt, string Reason)> _stoppedBecause = [];
    private readonly CoordinatorSettings _settings;
    private readonly TimeProvider _clock;
    private readonly DateTimeOffset _started;

    public Coordinator(IActorRef jobs, CoordinatorSettings settings, TimeProvider clock)
    {
        _jobs = jobs;
        _settings = settings;
        _clock = clock;
        _started = clock.GetUtcNow();
        Receive<RegisterNode>(OnRegister);
        Receive<JobWaiting>(OnWaiting);
        Receive<JobDone>(m => { _waiting.Remove(m.JobId); _waitingSince.Remove(m.JobId); _proposed.Remove(m.JobId); });
        Receive<AttemptApproved>(OnApproved);
        Receive<AttemptDeclined>(m => { _proposed.Remove(m.JobId); ReleaseTentative(m.JobId); });
        Receive<RankReady>(OnRankReady);
        Receive<RankEnded>(OnRankEnded);
        Receive<RankAlive>(OnRankAlive);
        Receive<StopRank>(m => { if (_running.TryGetValue(m.JobId, out var a) && a.Number == m.Attempt) StopAll(a, m.Graceful, m.Reason); });
        // Membership: Akka.Cluster's events, read as addresses (the protocol tests send the Member* records directly).
        Receive<ClusterEvent.UnreachableMember>(m => NodeUnreachable(m.Member.Address.ToString()));
        Receive<ClusterEvent.ReachableMember>(m => NodeReachable(m.Member.Address.ToString()));
        Receive<ClusterEvent.MemberRemoved>(m => NodeRemoved(m.Member.Address.ToString()));
        Receive<MemberUnreachable>(m => NodeUnreachable(m.Address));
        Receive<MemberReachable>(m => NodeReachable(m.Address));
        Receive<MemberRemoved>(m => NodeRemoved(m.Address));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
        Receive<GetClusterState>(_ => Sender.Tell(State()));
        Receive<CheckAttempt>(m =>
        {
            // Ranks announce themselves every 2 s: a coordinator up for a while that knows nothing of the attempt can say so.
            if (Now - _started < _settings.AnswerUnknownAfter) return;
            if (_running.TryGetValue(m.JobId, out var a) && a.Number == m.Attempt) return;
            if (_proposed.Contains(m.JobId)) return;
            _jobs.Tell(new AttemptUnknown(m.JobId, m.Attempt,
                _stoppedBecause.TryGetValue(m.JobId, out var stopped) && stopped.Attempt == m.Attempt ? stopped.Reason : null));
        });
        Receive<Tick>(_ => { EvictSilentNodes(); Schedule(); ConsiderGrowing(); });
        Receive<Terminated>(_ => Timers.StartSingleTimer("fence", RestartFence.Instance, _settings.FenceRestartDelay));
        Receive<RestartFence>(_ => StartFence());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="jobs">The job entities' shard region (or anything that routes <see cref="IJobMessage"/>s).</param>
    /// <param name="settings">Thresholds; defaults to <see cref="CoordinatorSettings.Default"/>.</param>
    /// <param name="clock">The coordinator's time; the system clock unless a test drives it.</param>
    public static Props Props(IActorRef jobs, CoordinatorSettings? settings = null, TimeProvider? clock = null)
    {
        var valid = (settings ?? CoordinatorSettings.Default).Validated();
        var time = clock ?? TimeProvider.System;
        return Akka.Actor.Props.Create(() => new Coordinator(jobs, valid, time));
    }

    private DateTimeOffset Now => _clock.GetUtcNow();

    /// <summary>In a cluster it follows membership and keeps the journal's fence; in a plain actor system (the protocol tests) there is neither.</summary>
    private bool InCluster => Context.System is ExtendedActorSystem { Provider: IClusterActorRefProvider };

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer("tick", Tick.Instance, _settings.TickInterval);
        if (!InCluster) return;
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
        StartFence();
        _log.Info("coordinator started on {0}", Akka.Cluster.Cluster.Get(Context.System).SelfAddress);
    }

    /// <summary>The journal's fence lives as long as this coordinator; restarted after a pause when a write failed.</summary>
    private void StartFence() => Context.Watch(Context.ActorOf(JournalFence.Props(), "journal-fence-" + Guid.NewGuid().ToString("N")[..8]));

    protected override void PostStop()
    {
        if (InCluster) Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
    }

    internal sealed record MemberUnreachable(string Address);
    internal sealed record MemberReachable(string Address);
    internal sealed record MemberRemoved(string Address);

    internal sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed record RestartFence
    {
        public static readonly RestartFence Instance = new();
    }

    private sealed class NodeEntry(string address, IActorRef agent, int slots, string kind, string[] devices)
    {
        public string Address = address;
        public IActorRef Agent = agent;
        public int Slots = slots;
        public string Kind = kind;
        public string[] Devices = devices;
        public DateTimeOffset LastSeen;
        /// <summary>Set when a group this node was in broke; until the node announces itself again it may be dead.</summary>
        public DateTimeOffset? SuspectSince;
        public readonly Dictionary<int, string> Busy = []; // slot -> job id
    }

    private sealed class Attempt(string jobId, int number, RankPlacement[] placement, JobRequirements? requirements)
    {
        public string JobId = jobId;
        public int Number = number;
        public RankPlacement[] Placement = placement;
        public JobRequirements? Requirements = requirements;
        public string?[] Endpoints = new string?[placement.Length];
        public bool Formed;
        public bool Stopping;
        public DateTimeOffset Started;
        public readonly HashSet<int> Ended = [];
        public int World => Placement.Length;
    }

    private void OnRegister(RegisterNode m)
    {
        bool isNew = !_nodes.TryGetValue(m.NodeAddress, out var node);
        if (node is null)
        {
            node = new NodeEntry(m.NodeAddress, Sender, m.Slots, m.DeviceKind, m.Devices) { LastSeen = Now };
            _nodes[m.NodeAddress] = node;
            _log.Info("node {0} joined with {1} {2} slot(s)", m.NodeAddress, m.Slots, m.DeviceKind);
        }
        node.Agent = Sender;
        node.Slots = m.Slots;
        node.LastSeen = Now;
        bool cleared = node.SuspectSince is not null;
        node.SuspectSince = null; // it is alive
        if (cleared) Schedule();
        if (isNew) { Schedule(); ConsiderGrowing(); }
    }

    private void OnWaiting(JobWaiting m)
    {
        if (_running.TryGetValue(m.JobId, out var current))
        {
            if (current.Number > m.Attempts) return; // a stale announcement from before the current attempt
            // The job has recorded the end of this attempt: stop tracking it (slots of ranks still winding
            // down are freed as they report; a dead node's stay busy until it is removed).
            _running.Remove(m.JobId);
        }
        if (!_waiting.ContainsKey(m.JobId)) _waitingSince[m.JobId] = Now;
        _waiting[m.JobId] = m;
        Schedule();
    }

    /// <summary>Asks placement what fits now, proposes it to the jobs (their slots held until they answer) and tells the others why they wait.</summary>
    private void Schedule()
    {
        var round = Placement.Place(Snapshot(), Now, _settings);
        foreach (var wait in round.Waiting)
        {
            _jobs.Tell(new ReportWaiting(wait.JobId, wait.Attempts, wait.Note)); // every pass: an entity that moved learns it again
            if (_waitNotes.TryGetValue(wait.JobId, out var last) && last == wait.Note) continue;
            _waitNotes[wait.JobId] = wait.Note;
            _jobs.Tell(new ReportLog(wait.JobId, 0, wait.Note));
        }
        foreach (var proposal in round.Proposals)
        {
            foreach (var p in proposal.Placement) _nodes[p.NodeAddress].Busy[p.Slot] = proposal.JobId; // tentative until the entity approves
            _waitNotes.Remove(proposal.JobId);
            _proposed.Add(proposal.JobId);
            _jobs.Tell(new ProposeAttempt(proposal.JobId, proposal.Placement));
        }
    }

    /// <summary>What placement reads: a copy, so nothing it decides changes the coordinator's state behind its back.</summary>
    private Inventory Snapshot() => new(
        _nodes.Values.Select(n => new WorkerNode(n.Address, n.Kind, n.Slots, new Dictionary<int, string>(n.Busy), n.LastSeen, n.SuspectSince,
            _unreachable.Contains(n.Address))).ToList(),
        _waiting.Values.Select(j => new PendingJob(j.JobId, j.Requirements, j.Attempts, j.SubmittedUtc, _waitingSince.GetValueOrDefault(j.JobId, Now),
            _proposed.Contains(j.JobId))).ToList(),
        _running.Values.Select(a => new RunningJob(a.JobId, a.Number, a.Placement, a.Started, a.Formed, a.Stopping, a.Requirements)).ToList());

    private void ReleaseTentative(string jobId)
    {
        foreach (var n in _nodes.Values)
            foreach (var slot in n.Busy.Where(b => b.Value == jobId).Select(b => b.Key).ToList())
                n.Busy.Remove(slot);
    }

    private void OnApproved(AttemptApproved m)
    {
        _proposed.Remove(m.JobId);
        _waiting.Remove(m.JobId, out var waiting);
        _waitingSince.Remove(m.JobId);
        var attempt = new Attempt(m.JobId, m.Attempt, m.Placement, waiting?.Requirements) { Started = Now };
        _running[m.JobId] = attempt;
        _stoppedBecause.Remove(m.JobId);
        var ring = RingCredentials.NewAttempt(); // only this attempt's ranks learn its secret
        _log.Info("job {0} attempt {1}: {2} ranks on {3}", m.JobId, m.Attempt, m.Placement.Length, string.Join(", ", m.Placement.Select(p => $"{p.NodeAddress}#{p.Slot}")));
        foreach (var p in m.Placement)
        {
            if (!_nodes.TryGetValue(p.NodeAddress, out var node))
            {
                // The node vanished between proposal and approval: the attempt cannot form.
                _jobs.Tell(new ReportAttemptEnded(m.JobId, m.Attempt, AttemptOutcome.Failed, $"node {p.NodeAddress} left before the group formed"));
                StopAll(attempt, graceful: false, "node left before the group formed");
                return;
            }
            node.Agent.Tell(new StartRank(m.JobId, m.Attempt, p.Rank, m.Placement.Length, p.Slot, ring, m.YamlText, m.Overrides, m.SourceName, m.TraceParent));
        }
    }

    private void OnRankReady(RankReady m)
    {
        if (!_running.TryGetValue(m.JobId, out var a) || a.Number != m.Attempt || m.Rank >= a.World) return;
        a.Endpoints[m.Rank] = m.Endpoint;
        if (a.Formed || a.Endpoints.Any(e => e is null)) return;
        a.Formed = true;
        var endpoints = a.Endpoints.Select(e => e!).ToArray();
        var rankNodes = a.Placement.OrderBy(p => p.Rank).Select(p => p.NodeAddress).ToArray();
        foreach (var p in a.Placement)
            if (_nodes.TryGetValue(p.NodeAddress, out var node))
                node.Agent.Tell(new FormGroup(m.JobId, m.Attempt, endpoints, rankNodes));
    }

    private void OnRankEnded(RankEnded m)
    {
        if (_nodes.TryGetValue(m.NodeAddress, out var node) && node.Busy.TryGetValue(m.Slot, out var job) && job == m.JobId)
            node.Busy.Remove(m.Slot);
        if (!_running.TryGetValue(m.JobId, out var a) || a.Number != m.Attempt) { Schedule(); return; }
        a.Ended.Add(m.Rank);
        if (m.Outcome is AttemptOutcome.Failed or AttemptOutcome.Fatal && !a.Stopping)
        {
            // A broken group may mean a dead peer the failure detector has not flagged yet: do not place
            // work on the group's nodes until each shows it is alive by announcing itself again.
            foreach (var p in a.Placement)
                if (_nodes.TryGetValue(p.NodeAddress, out var n) && p.NodeAddress != m.NodeAddress) n.SuspectSince ??= Now;
            StopAll(a, graceful: false, $"rank {m.Rank} failed: {m.Reason}");
        }
        if (a.Ended.Count >= a.World) _running.Remove(m.JobId);
        Schedule();
    }

    private void OnRankAlive(RankAlive m)
    {
        if (!_nodes.TryGetValue(m.NodeAddress, out var node)) return;
        node.Busy[m.Slot] = m.JobId; // busy until it ends, whichever attempt it belongs to
        if (_running.ContainsKey(m.JobId)) return;
        // A rank of an attempt the job has already recorded as ended (it waits for the next one) is winding down:
        // it must not pass for the job's running attempt, or the job would leave the queue until it re-announces.
        if (_waiting.TryGetValue(m.JobId, out var waiting) && m.Attempt <= waiting.Attempts) return;
        // A coordinator that just started learns running attempts from their ranks.
        var placement = Enumerable.Range(0, m.World).Select(r => new RankPlacement(r, r == m.Rank ? m.NodeAddress : "", r == m.Rank ? m.Slot : -1)).ToArray();
        _running[m.JobId] = new Attempt(m.JobId, m.Attempt, placement, null) { Formed = true, Started = Now };
        _waiting.Remove(m.JobId);
        _waitingSince.Remove(m.JobId);
    }

    private void StopAll(Attempt a, bool graceful, string reason)
    {
        if (!graceful && !a.Stopping) _stoppedBecause[a.JobId] = (a.Number, reason);
        a.Stopping = true;
        foreach (var p in a.Placement)
            if (_nodes.TryGetValue(p.NodeAddress, out var node))
                node.Agent.Tell(new StopRank(a.JobId, a.Number, graceful, reason));
    }

    /// <summary>
    /// A node the failure detector flags: its groups are aborted (the ranks on reachable nodes fail fast and report), but
    /// its jobs re-form only once it is removed (downed), since it may be alive on the other side of a partition.
    /// </summary>
    private void NodeUnreachable(string address)
    {
        if (!_unreachable.Add(address) || !_nodes.ContainsKey(address)) return;
        _log.Warning("node {0} unreachable: its jobs re-form once the split-brain resolver has downed it", address);
        foreach (var a in AttemptsOn(address))
        {
            _jobs.Tell(new ReportLog(a.JobId, a.Number, $"node {address} unreachable (cut off or dead): attempt {a.Number} stops; " +
                "the job re-forms on the other nodes from its last checkpoint once the split-brain resolver has downed that node"));
            StopAll(a, graceful: false, $"node {address} unreachable");
        }
    }

    private void NodeReachable(string address)
    {
        if (_unreachable.Remove(address)) Schedule();
    }

    private void NodeRemoved(string address) =>
        NodeLost(address, _unreachable.Remove(address) ? "unreachable, downed by the split-brain resolver" : "removed from the cluster");

    /// <summary>A node is gone: abort the groups it was part of (the survivors fail fast, never hang) and requeue their jobs.</summary>
    private void NodeLost(string address, string why)
    {
        if (!_nodes.Remove(address)) return;
        _log.Warning("node {0} lost ({1})", address, why);
        foreach (var a in AttemptsOn(address))
        {
            StopAll(a, graceful: false, $"node {address} {why}");
            _stoppedBecause[a.JobId] = (a.Number, $"node {address} {why}");
            _jobs.Tell(new ReportAttemptEnded(a.JobId, a.Number, AttemptOutcome.Failed, $"node {address} {why}"));
            foreach (var p in a.Placement.Where(p => p.NodeAddress == address)) a.Ended.Add(p.Rank);
            if (a.Ended.Count >= a.World) _running.Remove(a.JobId);
        }
        Schedule();
    }

    private List<Attempt> AttemptsOn(string address) => Placement.AttemptsOn(Snapshot(), address).Select(r => _running[r.JobId]).ToList();

    private void EvictSilentNodes()
    {
        var overdue = Placement.FindOverdue(Snapshot(), Now, _settings);
        // A group that never formed (a rank's node died before it answered) is given up after a while.
        foreach (var a in overdue.UnformedGroups.Select(g => _running[g.JobId]))
        {
            _jobs.Tell(new ReportAttemptEnded(a.JobId, a.Number, AttemptOutcome.Failed,
                $"the worker group did not form within {_settings.GroupFormTimeout.TotalSeconds:0.#}s"));
            StopAll(a, graceful: false, "the worker group did not form");
            _running.Remove(a.JobId);
            ReleaseTentative(a.JobId);
        }
        foreach (var n in overdue.SilentNodes)
            NodeLost(n.Address, $"silent for {_settings.NodeTimeout.TotalSeconds:F0}s");
    }

    /// <summary>Jobs below their max world size grow when enough slots are free: stop at a step boundary with a checkpoint, re-form larger.</summary>
    private void ConsiderGrowing()
    {
        foreach (var g in Placement.Grow(Snapshot(), Now, _settings))
        {
            _log.Info("job {0}: growing from {1} to {2} workers", g.JobId, g.From, g.To);
            _jobs.Tell(new ReportLog(g.JobId, g.Attempt, $"rescaling: {g.From} -> {g.To} workers at the next step boundary"));
            StopAll(_running[g.JobId], graceful: true, $"rescale to {g.To} workers");
        }
    }

    private ClusterState State() => new(
        _nodes.Values.OrderBy(n => n.Address, StringComparer.Ordinal).Select(n => new NodeState(n.Address, n.Slots, n.Busy.Count, n.Kind, n.Devices)).ToArray(),
        _waiting.Keys.Order(StringComparer.Ordinal).ToArray(),
        _running.Values.Select(a => new RunningAttempt(a.JobId, a.Number, a.World, a.Placement, a.Formed)).ToArray());
}
