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
    private readonly Dictionary<string, DateTime> _waitingSince = [];
    /// <summary>Members the failure detector flags and the split-brain resolver has not downed yet: alive perhaps, cut off.</summary>
    private readonly HashSet<string> _unreachable = [];
    /// <summary>
    /// Why the coordinator stopped each job's last attempt, kept until the job's next attempt: the job's entity may not
    /// have heard it (its shard was on the node that was lost), and then learns it when it checks the attempt.
    /// </summary>
    private readonly Dictionary<string, (int Attempt, string Reason)> _stoppedBecause = [];
    private static readonly TimeSpan OwnRanksWait = TimeSpan.FromSeconds(30);
    private readonly TimeSpan _nodeTimeout;
    private readonly DateTime _startedUtc = DateTime.UtcNow;
    private readonly TimeSpan _minRunBeforeRescale;

    public Coordinator(IActorRef jobs, TimeSpan nodeTimeout, TimeSpan minRunBeforeRescale)
    {
        _jobs = jobs;
        _nodeTimeout = nodeTimeout;
        _minRunBeforeRescale = minRunBeforeRescale;
        Receive<RegisterNode>(OnRegister);
        Receive<JobWaiting>(OnWaiting);
        Receive<JobDone>(m => { _waiting.Remove(m.JobId); _waitingSince.Remove(m.JobId); _proposed.Remove(m.JobId); });
        Receive<AttemptApproved>(OnApproved);
        Receive<AttemptDeclined>(m => { _proposed.Remove(m.JobId); ReleaseTentative(m.JobId); });
        Receive<RankReady>(OnRankReady);
        Receive<RankEnded>(OnRankEnded);
        Receive<RankAlive>(OnRankAlive);
        Receive<StopRank>(m => { if (_running.TryGetValue(m.JobId, out var a) && a.Number == m.Attempt) StopAll(a, m.Graceful, m.Reason); });
        Receive<ClusterEvent.UnreachableMember>(m => NodeUnreachable(m.Member.Address.ToString()));
        Receive<ClusterEvent.ReachableMember>(m => { if (_unreachable.Remove(m.Member.Address.ToString())) Schedule(); });
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            var address = m.Member.Address.ToString();
            NodeLost(address, _unreachable.Remove(address) ? "unreachable, downed by the split-brain resolver" : "removed from the cluster");
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.IReachabilityEvent>(_ => { });
        Receive<GetClusterState>(_ => Sender.Tell(State()));
        Receive<CheckAttempt>(m =>
        {
            // Ranks announce themselves every 2 s: a coordinator up for a while that knows nothing of the attempt can say so.
            if (DateTime.UtcNow - _startedUtc < TimeSpan.FromSeconds(10)) return;
            if (_running.TryGetValue(m.JobId, out var a) && a.Number == m.Attempt) return;
            if (_proposed.Contains(m.JobId)) return;
            _jobs.Tell(new AttemptUnknown(m.JobId, m.Attempt,
                _stoppedBecause.TryGetValue(m.JobId, out var stopped) && stopped.Attempt == m.Attempt ? stopped.Reason : null));
        });
        Receive<Tick>(_ => { EvictSilentNodes(); Schedule(); ConsiderGrowing(); });
        Receive<Terminated>(_ => Timers.StartSingleTimer("fence", RestartFence.Instance, TimeSpan.FromSeconds(5)));
        Receive<RestartFence>(_ => StartFence());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef jobs, TimeSpan? nodeTimeout = null, TimeSpan? minRunBeforeRescale = null) =>
        Akka.Actor.Props.Create(() => new Coordinator(jobs, nodeTimeout ?? TimeSpan.FromSeconds(20), minRunBeforeRescale ?? TimeSpan.FromSeconds(5)));

    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.UnreachableMember), typeof(ClusterEvent.ReachableMember));
        Timers.StartPeriodicTimer("tick", Tick.Instance, TimeSpan.FromSeconds(1));
        StartFence();
        _log.Info("coordinator started on {0}", Akka.Cluster.Cluster.Get(Context.System).SelfAddress);
    }

    /// <summary>The journal's fence lives as long as this coordinator; restarted after a pause when a write failed.</summary>
    private void StartFence() => Context.Watch(Context.ActorOf(JournalFence.Props(), "journal-fence-" + Guid.NewGuid().ToString("N")[..8]));

    protected override void PostStop() => Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);

    private sealed record Tick
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
        public DateTime LastSeen = DateTime.UtcNow;
        /// <summary>Set when a group this node was in broke; until the node announces itself again it may be dead.</summary>
        public DateTime? SuspectSince;
        public readonly Dictionary<int, string> Busy = []; // slot -> job id
        public IEnumerable<int> FreeSlots => Enumerable.Range(0, Slots).Where(s => !Busy.ContainsKey(s));
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
        public DateTime StartedUtc = DateTime.UtcNow;
        public readonly HashSet<int> Ended = [];
        public int World => Placement.Length;
    }

    private void OnRegister(RegisterNode m)
    {
        bool isNew = !_nodes.TryGetValue(m.NodeAddress, out var node);
        if (node is null)
        {
            node = new NodeEntry(m.NodeAddress, Sender, m.Slots, m.DeviceKind, m.Devices);
            _nodes[m.NodeAddress] = node;
            _log.Info("node {0} joined with {1} {2} slot(s)", m.NodeAddress, m.Slots, m.DeviceKind);
        }
        node.Agent = Sender;
        node.Slots = m.Slots;
        node.LastSeen = DateTime.UtcNow;
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
        if (!_waiting.ContainsKey(m.JobId)) _waitingSince[m.JobId] = DateTime.UtcNow;
        _waiting[m.JobId] = m;
        Schedule();
    }

    /// <summary>Places waiting jobs, highest priority then oldest first, each on all of its ranks at once or not at all.</summary>
    private void Schedule()
    {
        // Right after a group broke, give its live nodes a moment (they announce every 2 s) so the job
        // re-forms as large as it can at once instead of small and then grown.
        if (_nodes.Values.Any(n => n.SuspectSince is DateTime t && DateTime.UtcNow - t < TimeSpan.FromSeconds(3))) return;
        foreach (var job in _waiting.Values.OrderByDescending(j => j.Requirements.Priority).ThenBy(j => j.SubmittedUtc).ToList())
        {
            if (_proposed.Contains(job.JobId) || _running.ContainsKey(job.JobId)) continue;
            // Ranks of the job on an unreachable node may still be running (cut off, not dead): a second copy of the job
            // must not start until the split-brain resolver has downed that node (it then aborts its ranks and exits).
            if (_unreachable.Any(u => _nodes.TryGetValue(u, out var cut) && cut.Busy.ContainsValue(job.JobId))) continue;
            // Ranks of the job's previous attempt still winding down on live nodes (a graceful stop for a rescale takes a
            // step and a checkpoint): wait for their slots, or the job re-forms as small as before and the growth repeats.
            // A rank that never reports is not waited for beyond OwnRanksWait.
            if (_nodes.Values.Any(n => n.SuspectSince is null && n.Busy.ContainsValue(job.JobId))
                && DateTime.UtcNow - _waitingSince.GetValueOrDefault(job.JobId, DateTime.UtcNow) < OwnRanksWait) continue;
            var nodes = _nodes.Values.Where(n => n.Kind == job.Requirements.DeviceKind && n.SuspectSince is null && !_unreachable.Contains(n.Address))
                .OrderBy(n => n.Address, StringComparer.Ordinal).ToList();
            int free = nodes.Sum(n => n.FreeSlots.Count());
            int world = job.Requirements.ValidWorlds.Where(w => w <= free).DefaultIfEmpty(0).Max();
            if (world == 0)
            {
                var note = WaitingNote(job.Requirements, free, nodes.Sum(n => (long)n.Slots));
                _jobs.Tell(new ReportWaiting(job.JobId, job.Attempts, note)); // every pass: an entity that moved learns it again
                if (!_waitNotes.TryGetValue(job.JobId, out var last) || last != note)
                {
                    _waitNotes[job.JobId] = note;
                    _jobs.Tell(new ReportLog(job.JobId, 0, note));
                }
                continue;
            }
            var placement = new List<RankPlacement>();
            foreach (var n in nodes)
                foreach (var slot in n.FreeSlots.ToList())
                {
                    if (placement.Count == world) break;
                    placement.Add(new RankPlacement(placement.Count, n.Address, slot));
                    n.Busy[slot] = job.JobId; // tentative until the entity approves
                }
            _waitNotes.Remove(job.JobId);
            _proposed.Add(job.JobId);
            _jobs.Tell(new ProposeAttempt(job.JobId, placement.ToArray()));
        }
    }

    /// <summary>Why a job does not fit: the world sizes it can run on, and what the cluster has free.</summary>
    private static string WaitingNote(JobRequirements r, int free, long total)
    {
        int smallest = r.ValidWorlds.Length > 0 ? r.ValidWorlds.Min() : r.MinWorld;
        var sizes = r.ValidWorlds.Length > 1 ? $" (it can run on {string.Join(", ", r.ValidWorlds.Take(12))} workers)" : "";
        return $"waiting for workers: needs at least {smallest} free {r.DeviceKind} slot(s){sizes}, the cluster has {free} free of {total}";
    }

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
        var attempt = new Attempt(m.JobId, m.Attempt, m.Placement, waiting?.Requirements);
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
        foreach (var p in a.Placement)
            if (_nodes.TryGetValue(p.NodeAddress, out var node))
                node.Agent.Tell(new FormGroup(m.JobId, m.Attempt, endpoints));
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
                if (_nodes.TryGetValue(p.NodeAddress, out var n) && p.NodeAddress != m.NodeAddress) n.SuspectSince ??= DateTime.UtcNow;
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
        _running[m.JobId] = new Attempt(m.JobId, m.Attempt, placement, null) { Formed = true, StartedUtc = DateTime.UtcNow };
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
        foreach (var a in _running.Values.Where(a => a.Placement.Any(p => p.NodeAddress == address)).ToList())
        {
            _jobs.Tell(new ReportLog(a.JobId, a.Number, $"node {address} unreachable (cut off or dead): attempt {a.Number} stops; " +
                "the job re-forms on the other nodes from its last checkpoint once the split-brain resolver has downed that node"));
            StopAll(a, graceful: false, $"node {address} unreachable");
        }
    }

    /// <summary>A node is gone: abort the groups it was part of (the survivors fail fast, never hang) and requeue their jobs.</summary>
    private void NodeLost(string address, string why)
    {
        if (!_nodes.Remove(address)) return;
        _log.Warning("node {0} lost ({1})", address, why);
        foreach (var a in _running.Values.Where(a => a.Placement.Any(p => p.NodeAddress == address)).ToList())
        {
            StopAll(a, graceful: false, $"node {address} {why}");
            _stoppedBecause[a.JobId] = (a.Number, $"node {address} {why}");
            _jobs.Tell(new ReportAttemptEnded(a.JobId, a.Number, AttemptOutcome.Failed, $"node {address} {why}"));
            foreach (var p in a.Placement.Where(p => p.NodeAddress == address)) a.Ended.Add(p.Rank);
            if (a.Ended.Count >= a.World) _running.Remove(a.JobId);
        }
        Schedule();
    }

    private void EvictSilentNodes()
    {
        // A group that never formed (a rank's node died before it answered) is given up after a while.
        foreach (var a in _running.Values.Where(a => !a.Formed && !a.Stopping && DateTime.UtcNow - a.StartedUtc > TimeSpan.FromSeconds(45)).ToList())
        {
            _jobs.Tell(new ReportAttemptEnded(a.JobId, a.Number, AttemptOutcome.Failed, "the worker group did not form within 45s"));
            StopAll(a, graceful: false, "the worker group did not form");
            _running.Remove(a.JobId);
            ReleaseTentative(a.JobId);
        }
        foreach (var n in _nodes.Values.Where(n => DateTime.UtcNow - n.LastSeen > _nodeTimeout).ToList())
            NodeLost(n.Address, $"silent for {_nodeTimeout.TotalSeconds:F0}s");
    }

    /// <summary>Jobs below their max world size grow when enough slots are free: stop at a step boundary with a checkpoint, re-form larger.</summary>
    private void ConsiderGrowing()
    {
        if (_waiting.Count > 0 || _proposed.Count > 0) return; // waiting jobs come first
        foreach (var a in _running.Values.Where(a => a is { Formed: true, Stopping: false, Requirements: not null }).ToList())
        {
            if (DateTime.UtcNow - a.StartedUtc < _minRunBeforeRescale) continue;
            int free = _nodes.Values.Where(n => n.Kind == a.Requirements!.DeviceKind && !_unreachable.Contains(n.Address)).Sum(n => n.FreeSlots.Count());
            int bigger = a.Requirements!.ValidWorlds.Where(w => w > a.World && w <= a.World + free).DefaultIfEmpty(0).Max();
            if (bigger == 0) continue;
            _log.Info("job {0}: growing from {1} to {2} workers", a.JobId, a.World, bigger);
            _jobs.Tell(new ReportLog(a.JobId, a.Number, $"rescaling: {a.World} -> {bigger} workers at the next step boundary"));
            StopAll(a, graceful: true, $"rescale to {bigger} workers");
        }
    }

    private ClusterState State() => new(
        _nodes.Values.OrderBy(n => n.Address, StringComparer.Ordinal).Select(n => new NodeState(n.Address, n.Slots, n.Busy.Count, n.Kind, n.Devices)).ToArray(),
        _waiting.Keys.Order(StringComparer.Ordinal).ToArray(),
        _running.Values.Select(a => new RunningAttempt(a.JobId, a.Number, a.World, a.Placement, a.Formed)).ToArray());
}
