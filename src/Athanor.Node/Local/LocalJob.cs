using Athanor.Node.Backend;

namespace Athanor.Node.Local;

/// <summary>
/// One job of the local backend: its current record and its event log, changed only under one lock so
/// that an event and the record update it implies are published together (a watcher never sees a
/// record newer than the events, or a gap in sequences).
/// </summary>
internal sealed class LocalJob
{
    private readonly object _lock = new();
    private readonly List<JobEvent> _events = [];
    private readonly int _maxEvents;
    private readonly TimeProvider _clock;
    private JobRecord _record;
    private long _firstKept = 1;
    private TaskCompletionSource _changed = NewSignal();

    public LocalJob(int ordinal, JobRecord record, JobSubmission submission, int maxEvents, TimeProvider clock)
    {
        Ordinal = ordinal;
        _record = record;
        Submission = submission;
        _maxEvents = maxEvents;
        _clock = clock;
    }

    /// <summary>Position in submission order (also its index in the backend's list).</summary>
    public int Ordinal { get; }

    public JobSubmission Submission { get; }

    /// <summary>Cancelled by CancelJob while the job runs; the trainer stops after its current step.</summary>
    public CancellationTokenSource Cancellation { get; } = new();

    public JobRecord Record { get { lock (_lock) return _record; } }

    /// <summary>Applies <paramref name="update"/> to the record and, when <paramref name="makeEvent"/> is given, appends the event it implies.</summary>
    public void Publish(Func<JobRecord, JobRecord>? update, Func<string, long, DateTimeOffset, JobEvent>? makeEvent = null)
    {
        TaskCompletionSource wake;
        lock (_lock)
        {
            PublishLocked(update, makeEvent);
            wake = _changed;
            _changed = NewSignal();
        }
        wake.TrySetResult();
    }

    public void Log(string text) =>
        Publish(null, (id, seq, time) => new JobLogLine(id, seq, time, text.ReplaceLineEndings(" ")));

    public void ChangeState(JobState state, string? error = null, Func<JobRecord, JobRecord>? alsoUpdate = null) =>
        Publish(r => (alsoUpdate?.Invoke(r) ?? r) with { State = state, Error = error },
            (id, seq, time) => new JobStateChanged(id, seq, time, state, error));

    /// <summary>Pending -> Running, unless the job was cancelled while queued.</summary>
    public bool TryStart()
    {
        lock (_lock)
        {
            if (_record.State != JobState.Pending) return false;
        }
        ChangeState(JobState.Running, alsoUpdate: r => r with { Attempts = r.Attempts + 1 });
        return true;
    }

    /// <summary>CancelJob: a pending job ends now, a running one is asked to stop; finished jobs refuse.</summary>
    public JobRecord RequestCancel()
    {
        lock (_lock)
        {
            switch (_record.State)
            {
                case JobState.Pending:
                    PublishLocked(r => r with { State = JobState.Cancelled, Error = null },
                        (id, seq, time) => new JobStateChanged(id, seq, time, JobState.Cancelled, null));
                    break;
                case JobState.Running when !Cancellation.IsCancellationRequested:
                    PublishLocked(null, (id, seq, time) => new JobLogLine(id, seq, time, "cancel requested: stopping after the current step, with a checkpoint"));
                    Cancellation.Cancel();
                    break;
                case JobState.Succeeded or JobState.Failed:
                    throw new JobStateConflictException($"job '{_record.Id}' already {_record.State}; only pending and running jobs can be cancelled");
            }
            var wake = _changed;
            _changed = NewSignal();
            wake.TrySetResult();
            return _record;
        }
    }

    /// <summary>The kept events numbered <paramref name="from"/> and above, the signal of the next change, and the record they belong to.</summary>
    public (List<JobEvent> Events, Task Changed, JobRecord Record) Read(long from)
    {
        lock (_lock)
        {
            if (from < _firstKept) throw new EventsExpiredException(_record.Id, from, _firstKept);
            int start = (int)Math.Min(from - _firstKept, _events.Count);
            return (_events.GetRange(start, _events.Count - start), _changed.Task, _record);
        }
    }

    private void PublishLocked(Func<JobRecord, JobRecord>? update, Func<string, long, DateTimeOffset, JobEvent>? makeEvent)
    {
        var now = _clock.GetUtcNow();
        var record = update?.Invoke(_record) ?? _record;
        if (makeEvent is not null)
        {
            long sequence = record.LastSequence + 1;
            _events.Add(makeEvent(record.Id, sequence, now));
            record = record with { LastSequence = sequence };
            if (_events.Count > _maxEvents)
            {
                // Drop the oldest tenth at once so trimming stays amortized O(1) per event.
                int drop = Math.Max(1, _maxEvents / 10);
                _events.RemoveRange(0, drop);
                _firstKept += drop;
            }
        }
        _record = record with { UpdatedAt = now };
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
