namespace Athanor.Node.Backend;

public enum NodeHealthState
{
    Healthy,
    Degraded,
    Unreachable,
}

/// <summary>One compute device of a node.</summary>
/// <param name="Kind">"cpu" or "cuda".</param>
public sealed record DeviceInfo(string Kind, int Index, string Name, long MemoryBytes);

/// <summary>One busy slot of a node: which job's rank holds it, in which attempt.</summary>
public sealed record SlotUse(int Slot, string JobId, int Attempt, int Rank, int WorldSize);

/// <summary>One member of the cluster.</summary>
/// <param name="RunningJobs">How many of its slots are busy.</param>
/// <param name="SlotUses">Which job holds each busy slot (from the coordinator's placements); null where the backend does not know.</param>
public sealed record NodeInfo(string Id, string Address, IReadOnlyList<string> Roles, IReadOnlyList<DeviceInfo> Devices,
    NodeHealthState Health, DateTimeOffset JoinedAt, int RunningJobs, IReadOnlyList<SlotUse>? SlotUses = null);

/// <summary>Counts for GetClusterStatus.</summary>
public sealed record ClusterSummary(int Nodes, int HealthyNodes, IReadOnlyDictionary<JobState, int> JobsByState,
    string Coordinator, string Version, DateTimeOffset StartedAt, string Backend);
