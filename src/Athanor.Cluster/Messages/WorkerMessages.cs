using Athanor.Parallel;

namespace Athanor.Cluster.Messages;

/// <summary>
/// Start one rank of a job's attempt on a given slot of this node. Ring: the attempt's group id and ring secret
/// (the ranks prove it to each other when they connect). TraceParent: the attempt's span.
/// </summary>
public sealed record StartRank(string JobId, int Attempt, int Rank, int World, int Slot, RingCredentials Ring,
    string YamlText, string[] Overrides, string SourceName, string? TraceParent = null);

/// <summary>
/// Every rank's ring endpoint, in rank order: the ranks connect and training starts. RankNodes: the cluster address of
/// each rank's node, in rank order, so a rank can abort its group the moment a peer's node leaves the cluster.
/// </summary>
public sealed record FormGroup(string JobId, int Attempt, string[] Endpoints, string[]? RankNodes = null);

/// <summary>Stop a rank: Graceful finishes the step and checkpoints (all ranks agree); otherwise abort the collective now.</summary>
public sealed record StopRank(string JobId, int Attempt, bool Graceful, string Reason);
