using Athanor.Cluster.Messages;
using Athanor.Configuration;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Jobs;

/// <summary>
/// What a job's journal says about it, folded event by event: <c>state.Apply(event)</c> returns the next state and
/// never changes this one, so recovery and live updates go through the same code and tests can fold events directly.
/// </summary>
public sealed record JobEntityState
{
    public static JobEntityState Empty { get; } = new();

    /// <summary>The submission (null until submitted): the job file, its requirements, the job's trace.</summary>
    public JobSubmitted? Submission { get; init; }
    public JobState Phase { get; init; } = JobState.Pending;
    /// <summary>Attempts scheduled so far; the next one is Attempts + 1.</summary>
    public int Attempts { get; init; }
    /// <summary>The attempt running now (scheduled, not yet ended).</summary>
    public int? CurrentAttempt { get; init; }
    public int FailedAttempts { get; init; }
    public int MaxRestarts { get; init; } = 10;
    public string? LastFailureReason { get; init; }
    public int StepAtLastFailure { get; init; }
    public int Step { get; init; }
    public int MaxSteps { get; init; }
    public int WorldSize { get; init; }
    public int? LastCheckpointStep { get; init; }
    public bool CancelRequested { get; init; }
    public JobMetrics Metrics { get; init; } = JobMetrics.None;
    public string? Error { get; init; }
    public DateTime UpdatedUtc { get; init; }

    public bool Submitted => Submission is not null;
    public bool IsFinal => Phase.IsFinal();
    /// <summary>Submitted, not finished, no attempt running and no cancel asked: the coordinator should place it.</summary>
    public bool IsWaiting => Submitted && !IsFinal && CurrentAttempt is null && !CancelRequested;

    public JobEntityState Apply(IJobEvent e) => e switch
    {
        JobSubmitted s => this with
        {
            Submission = s, MaxSteps = s.MaxSteps, MaxRestarts = MaxRestartsOf(s), Phase = JobState.Pending, UpdatedUtc = s.TimeUtc,
        },
        AttemptScheduled a => this with
        {
            Attempts = a.Attempt, CurrentAttempt = a.Attempt, WorldSize = a.Placement.Length, Phase = JobState.Running, UpdatedUtc = a.TimeUtc,
        },
        CheckpointCommitted c => this with { LastCheckpointStep = c.Step, Step = Math.Max(Step, c.Step) },
        AttemptEnded { Outcome: AttemptOutcome.Failed } end => this with
        {
            CurrentAttempt = null, FailedAttempts = FailedAttempts + 1, LastFailureReason = end.Reason, StepAtLastFailure = Step,
            Phase = JobState.Pending, UpdatedUtc = end.TimeUtc,
        },
        AttemptEnded end => this with { CurrentAttempt = null, Phase = JobState.Pending, UpdatedUtc = end.TimeUtc },
        StepRecorded m => this with
        {
            Step = m.Step, MaxSteps = m.MaxSteps, UpdatedUtc = m.TimeUtc,
            Metrics = Metrics with { Loss = m.Loss, LearningRate = m.LearningRate, GradNorm = m.GradNorm, TokensPerSecond = m.TokensPerSecond, Epoch = m.Epoch },
        },
        EvalRecorded m => this with { Metrics = Metrics with { EvalLoss = m.EvalLoss } },
        CancelRequested c => this with { CancelRequested = true, UpdatedUtc = c.TimeUtc },
        JobFinished f => this with { Phase = f.Phase, Error = f.Error, UpdatedUtc = f.TimeUtc },
        _ => this, // LogRecorded and anything newer: history only
    };

    /// <summary>
    /// How the job ends when its current attempt ends so, or null when it goes back to waiting: completed, fatal or
    /// cancelled end it; a failure ends it when it repeats the last one with no step in between, or when restarts run out.
    /// </summary>
    public JobFinished? FinishAfter(int attempt, AttemptOutcome outcome, string reason, DateTime now) => (outcome, CancelRequested) switch
    {
        (AttemptOutcome.Completed, _) => new JobFinished(JobState.Succeeded, null, now),
        (AttemptOutcome.Fatal, _) => new JobFinished(JobState.Failed, reason, now),
        (_, true) => new JobFinished(JobState.Cancelled, null, now),
        (AttemptOutcome.Cancelled, _) => new JobFinished(JobState.Cancelled, null, now),
        (AttemptOutcome.Failed, _) when RepeatedFailure.IsRepeat(reason, LastFailureReason, Step, StepAtLastFailure) =>
            new JobFinished(JobState.Failed, $"the same error ended attempts {attempt - 1} and {attempt} with no step in between, " +
                $"so retrying will not help: {reason}", now),
        (AttemptOutcome.Failed, _) when FailedAttempts + 1 > MaxRestarts =>
            new JobFinished(JobState.Failed, $"gave up after {FailedAttempts + 1} failed attempts; last: {reason}", now),
        _ => null,
    };

    /// <summary>The job as clients see it; null before it was submitted.</summary>
    public JobRecord? ToRecord(string jobId, long lastSequence, string? waitingReason) => Submission is not { } s ? null : new JobRecord(
        jobId, s.Name, Phase, Step, MaxSteps, WorldSize, Attempts, LastCheckpointStep, Metrics, Utc(s.TimeUtc), Utc(UpdatedUtc), Error, s.OutputDir,
        lastSequence, Phase == JobState.Pending ? waitingReason : null);

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));

    /// <summary>The job file was validated at submission; a journal from an older version whose file no longer parses keeps the default.</summary>
    private static int MaxRestartsOf(JobSubmitted s)
    {
        try { return JobSpec.Parse(s.YamlText, s.Overrides, s.SourceName).MaxRestarts; }
        catch (ConfigException) { return 10; }
    }
}
