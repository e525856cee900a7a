using Athanor.Node.Backend;

namespace Athanor.Cluster.Messages;

// Where a job is in its life is Athanor.Node.Backend.JobState, and a job as clients see it is JobRecord (the types the gRPC
// mapping reads): the entity answers with them directly, so there is one of each.

/// <summary>How one attempt (one formation of the job's worker group) ended.</summary>
public enum AttemptOutcome
{
    /// <summary>Training reached its last step.</summary>
    Completed,
    /// <summary>Stopped at a step boundary with a checkpoint, to be re-formed (rescale, preemption).</summary>
    Stopped,
    /// <summary>A rank failed (peer lost, error); the job goes on from its last checkpoint.</summary>
    Failed,
    /// <summary>The job's configuration cannot run; the job fails.</summary>
    Fatal,
    /// <summary>The user cancelled the job.</summary>
    Cancelled,
}

/// <summary>What the coordinator needs to place a job: the world sizes that split its global batch, and its range.</summary>
public sealed record JobRequirements(int MinWorld, int MaxWorld, int[] ValidWorlds, int Priority, string DeviceKind);

/// <summary>One rank's place: the node (its NodeAgent path) and the slot on it.</summary>
public sealed record RankPlacement(int Rank, string NodeAddress, int Slot);

/// <summary>A job entity's messages. Every one names its job, so the shard region can route it.</summary>
public interface IJobMessage
{
    string JobId { get; }
}

// ---- commands from clients ----

/// <summary>TraceParent (W3C traceparent, optional everywhere): the caller's span, so the job's trace continues it.</summary>
public sealed record SubmitJob(string JobId, string Name, string YamlText, string[] Overrides, string SourceName, string? TraceParent = null) : IJobMessage;
public sealed record GetJob(string JobId) : IJobMessage;
public sealed record CancelJob(string JobId) : IJobMessage;
public sealed record GetJobEvents(string JobId, long FromSequence) : IJobMessage;

// ---- commands from the coordinator and the workers ----

public sealed record ProposeAttempt(string JobId, RankPlacement[] Placement) : IJobMessage;
public sealed record ReportStep(string JobId, int Attempt, int Step, int MaxSteps, double Loss, double LearningRate, double GradNorm,
    double TokensPerSecond, double Epoch) : IJobMessage;
public sealed record ReportEval(string JobId, int Attempt, int Step, double EvalLoss, bool IsBest) : IJobMessage;
public sealed record ReportCheckpoint(string JobId, int Attempt, int Step, string Folder) : IJobMessage;
public sealed record ReportLog(string JobId, int Attempt, string Text) : IJobMessage;
/// <summary>TraceParent: the reporting rank's span, when a rank reports.</summary>
public sealed record ReportAttemptEnded(string JobId, int Attempt, AttemptOutcome Outcome, string Reason, string? TraceParent = null) : IJobMessage;
/// <summary>Why the coordinator cannot place a waiting job now (re-sent while it holds), for `cluster status`.</summary>
public sealed record ReportWaiting(string JobId, int Attempts, string Reason) : IJobMessage;
/// <summary>Sent to a job by the coordinator when it lost track of it (it was restarted): the entity answers with JobWaiting if it needs placing.</summary>
public sealed record PokeJob(string JobId) : IJobMessage;

// ---- replies ----

public sealed record SubmitRejected(string JobId, string Reason);

/// <summary>The answer to GetJob or CancelJob for a job id that was never submitted (a submitted job answers with its JobRecord).</summary>
public sealed record JobUnknown(string JobId);

/// <summary>TraceParent: the attempt's span, the parent of its ranks' spans.</summary>
public sealed record AttemptApproved(string JobId, int Attempt, RankPlacement[] Placement, string YamlText, string[] Overrides, string SourceName,
    string? TraceParent = null);
public sealed record AttemptDeclined(string JobId, string Reason);

/// <summary>One entry of a job's event stream. Kind: state, step, eval, checkpoint, log.</summary>
public sealed record JobEventRecord(long Sequence, DateTime TimeUtc, string Kind, JobState? Phase, string? Text, int Step, int MaxSteps,
    double? Loss, double? LearningRate, double? GradNorm, double? TokensPerSecond, double? EvalLoss, bool IsBest, string? Folder,
    double? Epoch = null);

public sealed record JobEventsPage(string JobId, JobEventRecord[] Events, bool Final);
