using Athanor.Node.Backend;

namespace Athanor.Cluster.Messages;

/// <summary>What a job entity persists: its history, replayed when it starts again on any node.</summary>
public interface IJobEvent;

/// <summary>TraceParent: the job's span, kept so attempts after a restart of the entity stay in the job's trace.</summary>
public sealed record JobSubmitted(string JobId, string Name, string YamlText, string[] Overrides, string SourceName, string OutputDir,
    int MaxSteps, JobRequirements Requirements, DateTime TimeUtc, string? TraceParent = null) : IJobEvent;
public sealed record AttemptScheduled(int Attempt, RankPlacement[] Placement, DateTime TimeUtc, string? TraceParent = null) : IJobEvent;
public sealed record CheckpointCommitted(int Attempt, int Step, string Folder, DateTime TimeUtc) : IJobEvent;
public sealed record AttemptEnded(int Attempt, AttemptOutcome Outcome, string Reason, DateTime TimeUtc) : IJobEvent;
public sealed record CancelRequested(DateTime TimeUtc) : IJobEvent;
// Phase was an enum JobPhase with the same members in the same order; journals store enums as numbers, so events
// written before keep replaying (JournalCompatibilityTests).
public sealed record JobFinished(JobState Phase, string? Error, DateTime TimeUtc) : IJobEvent;

// What watchers see is journaled too, so a job's event numbers, logs and metrics are the same after its entity restarts anywhere.
public sealed record StepRecorded(int Attempt, int Step, int MaxSteps, double Loss, double LearningRate, double GradNorm, double TokensPerSecond,
    double Epoch, DateTime TimeUtc) : IJobEvent;
public sealed record EvalRecorded(int Attempt, int Step, double EvalLoss, bool IsBest, DateTime TimeUtc) : IJobEvent;
public sealed record LogRecorded(string Text, DateTime TimeUtc) : IJobEvent;
