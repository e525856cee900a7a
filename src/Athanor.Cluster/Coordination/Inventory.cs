using Athanor.Cluster.Messages;

namespace Athanor.Cluster.Coordination;

/// <summary>What the coordinator knows at one moment, as placement reads it: worker nodes, waiting jobs, running attempts.</summary>
public sealed record Inventory(IReadOnlyList<WorkerNode> Nodes, IReadOnlyList<PendingJob> Pending, IReadOnlyList<RunningJob> Running)
{
    public static Inventory Empty { get; } = new([], [], []);
}

/// <summary>
/// A worker node's slots. Busy maps a slot to the job whose rank holds it (or is about to). SuspectSince: a group this
/// node was in broke, and the node has not announced itself since. Unreachable: flagged by the failure detector, not yet downed.
/// </summary>
public sealed record WorkerNode(string Address, string Kind, int Slots, IReadOnlyDictionary<int, string> Busy, DateTimeOffset LastSeen,
    DateTimeOffset? SuspectSince = null, bool Unreachable = false)
{
    public IEnumerable<int> FreeSlots => Enumerable.Range(0, Slots).Where(s => !Busy.ContainsKey(s));
    public int FreeCount => FreeSlots.Count();
    public bool Holds(string jobId) => Busy.Values.Contains(jobId);
}

/// <summary>A job waiting for a worker group. WaitingSince: when this coordinator first heard it wait for its next attempt. Proposed: a placement is out for its approval.</summary>
public sealed record PendingJob(string JobId, JobRequirements Requirements, int Attempts, DateTime SubmittedUtc, DateTimeOffset WaitingSince,
    bool Proposed = false);

/// <summary>A running attempt: its ranks' places, whether all ranks have reported their endpoints, whether it is being stopped.</summary>
public sealed record RunningJob(string JobId, int Attempt, IReadOnlyList<RankPlacement> Placement, DateTimeOffset StartedAt, bool Formed,
    bool Stopping, JobRequirements? Requirements)
{
    public int World => Placement.Count;
}
