using Athanor.Cluster.Messages;
using Athanor.Node.Backend;

namespace Athanor.Cluster.Jobs;

/// <summary>
/// The events a job's watchers see, numbered in journal order: derived from the journaled events only, so the numbers
/// are the same after the entity restarts anywhere. Keeps the newest <see cref="MaxKept"/>; owned by one entity.
/// </summary>
public sealed class JobEventLog
{
    public const int MaxKept = 20_000;
    private readonly List<JobEventRecord> _records = [];

    /// <summary>The sequence number of the newest record (0 before the first).</summary>
    public long LastSequence { get; private set; }

    public JobEventRecord[] From(long sequence) => _records.Where(r => r.Sequence >= sequence).ToArray();

    /// <summary>Adds what a watcher sees of an event; <paramref name="after"/> is the job's state with the event applied.</summary>
    public void Append(IJobEvent e, JobEntityState after)
    {
        foreach (var r in Entries(e, after))
            _records.Add(r with { Sequence = ++LastSequence });
        if (_records.Count > MaxKept) _records.RemoveRange(0, _records.Count - MaxKept);
    }

    /// <summary>The records of one event, numbered 0 (Append numbers them).</summary>
    public static IEnumerable<JobEventRecord> Entries(IJobEvent e, JobEntityState after)
    {
        int step = after.Step, maxSteps = after.MaxSteps;
        JobEventRecord Record(DateTime time, string kind, JobState? phase, string? text, int atStep) =>
            new(0, time, kind, phase, text, atStep, maxSteps, null, null, null, null, null, false, null);
        switch (e)
        {
            case JobSubmitted s:
                yield return Record(s.TimeUtc, "state", JobState.Pending, "submitted", 0);
                break;
            case AttemptScheduled a:
                var placed = $"attempt {a.Attempt}: {a.Placement.Length} workers on " +
                    string.Join(", ", a.Placement.GroupBy(p => p.NodeAddress).Select(n => $"{n.Key} ({n.Count()})"));
                yield return Record(a.TimeUtc, "state", JobState.Running, placed, step);
                yield return Record(a.TimeUtc, "log", null, placed, step); // a state event carries no text to clients
                break;
            case CheckpointCommitted c:
                yield return Record(c.TimeUtc, "checkpoint", null, c.Folder, c.Step) with { Folder = c.Folder };
                break;
            case AttemptEnded end:
                yield return Record(end.TimeUtc, "log", null, $"attempt {end.Attempt} ended: {end.Outcome}{(end.Reason.Length > 0 ? ": " + end.Reason : "")}", step);
                break;
            case StepRecorded m:
                yield return Record(m.TimeUtc, "step", null, null, m.Step) with
                {
                    Loss = m.Loss, LearningRate = m.LearningRate, GradNorm = m.GradNorm, TokensPerSecond = m.TokensPerSecond, Epoch = m.Epoch,
                };
                break;
            case EvalRecorded m:
                yield return Record(m.TimeUtc, "eval", null, $"eval_loss {m.EvalLoss:F4}", m.Step) with { EvalLoss = m.EvalLoss, IsBest = m.IsBest };
                break;
            case LogRecorded m:
                yield return Record(m.TimeUtc, "log", null, m.Text, step);
                break;
            case JobFinished f:
                yield return Record(f.TimeUtc, "state", f.Phase, f.Error ?? f.Phase.ToString().ToLowerInvariant(), step);
                break;
        }
    }
}
