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

/// <summary>One member of the cluster.</summary>
public sealed record NodeInfo(string Id, string Address, IReadOnlyList<string> Roles, IReadOnlyList<DeviceInfo> Devices,
    NodeHealthState Health, DateTimeOffset JoinedAt, int RunningJobs);

/// <summary>Counts for GetClusterStatus.</summary>
public sealed record ClusterSummary(int Nodes, int HealthyNodes, IReadOnlyDictionary<JobState, int> JobsByState,
    string Coordinator, string Version, DateTimeOffset StartedAt, string Backend);
