namespace Athanor.Node.Backend;

/// <summary>One thing that happened to a job; sequences are 1, 2, 3, ... per job.</summary>
public abstract record JobEvent(string JobId, long Sequence, DateTimeOffset Time);

public sealed record JobStateChanged(string JobId, long Sequence, DateTimeOffset Time, JobState State, string? Error)
    : JobEvent(JobId, Sequence, Time);

/// <summary>Training progress, every logging_steps steps (and the first and last step).</summary>
public sealed record JobStepReported(string JobId, long Sequence, DateTimeOffset Time, int Step, int MaxSteps, JobMetrics Metrics)
    : JobEvent(JobId, Sequence, Time);

public sealed record JobEvalReported(string JobId, long Sequence, DateTimeOffset Time, int Step, double EvalLoss, bool IsBest)
    : JobEvent(JobId, Sequence, Time);

public sealed record JobLogLine(string JobId, long Sequence, DateTimeOffset Time, string Text)
    : JobEvent(JobId, Sequence, Time);

public sealed record JobCheckpointSaved(string JobId, long Sequence, DateTimeOffset Time, int Step, string Path)
    : JobEvent(JobId, Sequence, Time);
