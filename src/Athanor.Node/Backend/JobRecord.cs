namespace Athanor.Node.Backend;

/// <summary>The life of a job: Pending -> Running -> Succeeded | Failed | Cancelled (Pending -> Cancelled too).</summary>
public enum JobState
{
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

public static class JobStates
{
    public static bool IsFinal(this JobState state) => state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}

/// <summary>The latest metrics a job reported; null until first reported.</summary>
public sealed record JobMetrics(double? Loss = null, double? LearningRate = null, double? GradNorm = null,
    double? TokensPerSecond = null, double? EvalLoss = null, double? Epoch = null)
{
    public static JobMetrics None { get; } = new();
}

/// <summary>A snapshot of one job. Immutable: backends publish a new record on every change.</summary>
/// <param name="Id">Backend-assigned id.</param>
/// <param name="Name">The submitter's name for it (may be empty).</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="MaxSteps">Total steps of the run; 0 until known.</param>
/// <param name="WorldSize">Data-parallel workers.</param>
/// <param name="Attempts">How many times its worker group was formed.</param>
/// <param name="LastCheckpointStep">Step of the newest complete checkpoint, if any.</param>
/// <param name="Metrics">Latest metrics.</param>
/// <param name="CreatedAt">When it was submitted.</param>
/// <param name="UpdatedAt">When this snapshot changed last.</param>
/// <param name="Error">Why it failed (one line), for Failed jobs.</param>
/// <param name="OutputDir">Where it writes, resolved on the server.</param>
/// <param name="LastSequence">Sequence of its newest event (0 before the first).</param>
/// <param name="WaitingReason">Why a pending job does not run yet (e.g. too few free slots); null when it is not waiting.</param>
public sealed record JobRecord(
    string Id,
    string Name,
    JobState State,
    int Step,
    int MaxSteps,
    int WorldSize,
    int Attempts,
    int? LastCheckpointStep,
    JobMetrics Metrics,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? Error,
    string OutputDir,
    long LastSequence,
    string? WaitingReason = null);
