namespace Athanor.Cluster.Hosting;

// ActorRegistry keys of the actors every part of a node looks up (Akka.Hosting registers and hands them out).

/// <summary>The job shard region (coordinator-role nodes) or its proxy (worker-only nodes).</summary>
public sealed class JobRegion;

/// <summary>The proxy of the coordinator singleton.</summary>
public sealed class CoordinatorProxy;

/// <summary>This node's <see cref="Workers.NodeAgent"/> (worker-role nodes only).</summary>
public sealed class LocalNodeAgent;
