namespace Athanor.Cluster.Messages;

/// <summary>A node's workers, re-sent every few seconds so a coordinator that just started learns them.</summary>
public sealed record RegisterNode(string NodeAddress, int Slots, string DeviceKind, string[] Devices);

/// <summary>A job that needs a worker group (re-sent while it waits, so a new coordinator learns it).</summary>
public sealed record JobWaiting(string JobId, JobRequirements Requirements, int Attempts, DateTime SubmittedUtc);

/// <summary>A job that no longer needs placing (finished or cancelled).</summary>
public sealed record JobDone(string JobId);

/// <summary>A rank is up and listening for its ring neighbour at Endpoint.</summary>
public sealed record RankReady(string JobId, int Attempt, int Rank, string Endpoint);

/// <summary>A rank's training ended (the coordinator frees its slot and, for a failure, stops the others).</summary>
public sealed record RankEnded(string JobId, int Attempt, int Rank, string NodeAddress, int Slot, AttemptOutcome Outcome, string Reason);

/// <summary>A rank still running (periodic), so a new coordinator learns which slots are busy.</summary>
public sealed record RankAlive(string JobId, int Attempt, int Rank, int World, string NodeAddress, int Slot);

/// <summary>A job entity asking whether its current attempt still has workers (it may have missed their reports).</summary>
public sealed record CheckAttempt(string JobId, int Attempt);

/// <summary>
/// The coordinator knows of no running ranks for that attempt (after it has had time to hear from them); Reason is why
/// it stopped the attempt, when it did (a lost node), for a job whose entity missed that report.
/// </summary>
public sealed record AttemptUnknown(string JobId, int Attempt, string? Reason = null) : IJobMessage;

/// <summary>Ask the coordinator what it knows (tests, `cluster nodes`).</summary>
public sealed record GetClusterState;

public sealed record NodeState(string NodeAddress, int Slots, int BusySlots, string DeviceKind, string[] Devices);
public sealed record RunningAttempt(string JobId, int Attempt, int World, RankPlacement[] Placement, bool Formed);
public sealed record ClusterState(NodeState[] Nodes, string[] WaitingJobs, RunningAttempt[] Running);

/// <summary>The journal's fence, written every few seconds by the one coordinator of the cluster that owns the journal.</summary>
public sealed record FenceWritten(string CoordinatorAddress, DateTime TimeUtc);

/// <summary>Published on the event stream when a fence write collided with someone else's (a second cluster, or rarely a singleton hand-over).</summary>
public sealed record JournalFenceConflict(string Reason);
