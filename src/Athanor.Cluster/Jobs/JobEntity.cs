using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Athanor.Cluster.Messages;
using Athanor.Cluster.Telemetry;
using Athanor.Telemetry;
using Athanor.Configuration;

namespace Athanor.Cluster.Jobs;

/// <summary>
/// One training job, event-sourced and sharded across the cluster: its history (submitted, attempts
/// scheduled with their placement, checkpoints committed, attempts ended, outcome) survives the loss of any
/// node. While it waits for workers it tells the coordinator so every few seconds, so a coordinator that
/// just moved learns it. Step metrics, evaluations and log lines are journaled as well: every event a watcher sees
/// is derived from the journal in its order, so its sequence number is the same after the entity restarts.
/// </summary>
public sealed class JobEntity : ReceivePersistentActor, IWithTimers
{
    private const int MaxEventsKept = 20_000;
    private readonly string _jobId;
    private readonly IActorRef _coordinator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly JobState _state = new();
    private readonly List<JobEventRecord> _events = [];
    private long _sequence;
    private string? _waitingReason;
    private int _unknownAttemptChecks;
    // The job's and the current attempt's spans live while this entity does (ended in PostStop if it moves).
    private Activity? _jobSpan, _attemptSpan;

    public JobEntity(string jobId, IActorRef coordinator)
    {
        _jobId = jobId;
        _coordinator = coordinator;
        Recover<IJobEvent>(e => Apply(e, recovering: true));
        Recover<RecoveryCompleted>(_ => OnRecovered());
        Command<SubmitJob>(OnSubmit);
        Command<GetJob>(_ => { Sender.Tell(View()); ForgetIfUnknown(); });
        Command<GetJobEvents>(m =>
        {
            Sender.Tell(new JobEventsPage(_jobId, _events.Where(e => e.Sequence >= m.FromSequence).ToArray(), _state.IsFinal));
            ForgetIfUnknown();
        });
        Command<CancelJob>(_ => OnCancel());
        Command<ProposeAttempt>(OnPropose);
        Command<ReportStep>(OnStep);
        Command<ReportEval>(m =>
        {
            if (m.Attempt != _state.CurrentAttempt) return;
            PersistAsync(new EvalRecorded(m.Attempt, m.Step, m.EvalLoss, m.IsBest, DateTime.UtcNow), e => Apply(e));
        });
        Command<ReportLog>(m =>
        {
            if (!_state.Submitted || (m.Attempt != _state.CurrentAttempt && m.Attempt != 0)) return;
            PersistAsync(new LogRecorded(m.Text, DateTime.UtcNow), e => Apply(e));
        });
        Command<ReportCheckpoint>(m =>
        {
            // A checkpoint is reported only once committed on disk, so it stays true after its attempt ended: the
            // leader's report can arrive after another rank's end of attempt (different nodes, different paths).
            // Only a report that is not newer than what is recorded, or from an attempt never scheduled, is dropped.
            if (m.Attempt > _state.Attempts || (m.Attempt != _state.CurrentAttempt && _state.LastCheckpointStep is int last && m.Step <= last)) return;
            Persist(new CheckpointCommitted(m.Attempt, m.Step, m.Folder, DateTime.UtcNow), e => Apply(e));
        });
        Command<ReportAttemptEnded>(OnAttemptEnded);
        Command<PokeJob>(_ => AnnounceIfWaiting());
        Command<ReportWaiting>(m =>
        {
            // Only while the job waits for the attempt the coordinator saw it waiting for (kept in memory: it is re-sent every second).
            if (_state is { Submitted: true, IsFinal: false, CurrentAttempt: null } && m.Attempts == _state.Attempts) _waitingReason = m.Reason;
        });
        Command<Tick>(_ =>
        {
            AnnounceIfWaiting();
            if (_state.CurrentAttempt is int attempt && !_state.IsFinal) _coordinator.Tell(new CheckAttempt(_jobId, attempt));
        });
        Command<AttemptUnknown>(m =>
        {
            // Reports can be lost while this entity moves between nodes; the coordinator's word, twice, settles it.
            if (m.Attempt != _state.CurrentAttempt) return;
            if (++_unknownAttemptChecks < 2) return;
            _unknownAttemptChecks = 0;
            OnAttemptEnded(new ReportAttemptEnded(_jobId, m.Attempt, AttemptOutcome.Failed,
                m.Reason ?? "the attempt's workers are gone (their reports were lost)"));
        });
    }

    public override string PersistenceId => "job-" + _jobId;

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PostStop()
    {
        // A shard moving to another node: end the spans here so the trace keeps them; the entity there
        // continues the same trace from the persisted traceparents.
        _attemptSpan?.SetTag("ended_early", "the job's entity stopped on this node");
        _jobSpan?.SetTag("ended_early", "the job's entity stopped on this node");
        TraceParent.StopDetached(_attemptSpan);
        TraceParent.StopDetached(_jobSpan);
        _attemptSpan = _jobSpan = null;
        base.PostStop();
    }

    public static Props Props(string jobId, IActorRef coordinator) => Akka.Actor.Props.Create(() => new JobEntity(jobId, coordinator));

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private void OnRecovered()
    {
        Timers.StartPeriodicTimer("announce", Tick.Instance, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        // An attempt that was running when this entity's node died is gone: its ranks report or are aborted
        // by the coordinator; if none does, the coordinator's view (RankAlive) decides. Announce if idle.
        AnnounceIfWaiting();
    }

    private void OnSubmit(SubmitJob m)
    {
        if (_state.Submitted) { Sender.Tell(View()); return; }
        JobConfig config;
        JobRequirements requirements;
        try
        {
            config = JobSpec.Parse(m.YamlText, m.Overrides, m.SourceName);
            requirements = JobSpec.Requirements(config);
        }
        catch (Exception ex) when (ex is ConfigException or ArgumentException or ArithmeticException)
        {
            // Always an answer: a caller must never wait out its ask for a job that cannot be taken.
            Sender.Tell(new SubmitRejected(_jobId, ex.Message));
            ForgetIfUnknown();
            return;
        }
        _jobSpan = TraceParent.StartDetached(ClusterInstruments.Source, "job", m.TraceParent, ActivityKind.Internal,
            [new(TelemetryNames.JobIdTag, _jobId), new("job_name", m.Name)]);
        var evt = new JobSubmitted(_jobId, m.Name, m.YamlText, m.Overrides, m.SourceName, config.OutputDir,
            config.MaxSteps > 0 ? config.MaxSteps : 0, requirements, DateTime.UtcNow, TraceParent.Of(_jobSpan) ?? m.TraceParent);
        var replyTo = Sender;
        Persist(evt, e =>
        {
            Apply(e);
            replyTo.Tell(View());
            AnnounceIfWaiting();
        });
    }

    private void OnCancel()
    {
        if (!_state.Submitted) { Sender.Tell(View()); ForgetIfUnknown(); return; }
        if (_state.IsFinal || _state.CancelRequested) { Sender.Tell(View()); return; }
        var replyTo = Sender;
        if (_state.CurrentAttempt is int attempt)
        {
            Persist(new CancelRequested(DateTime.UtcNow), e =>
            {
                Apply(e);
                _coordinator.Tell(new StopRank(_jobId, attempt, Graceful: true, "cancelled by the user"));
                replyTo.Tell(View());
            });
        }
        else
        {
            PersistAll(new IJobEvent[] { new CancelRequested(DateTime.UtcNow), new JobFinished(JobPhase.Cancelled, null, DateTime.UtcNow) }, e =>
            {
                Apply(e);
                if (e is JobFinished) { _coordinator.Tell(new JobDone(_jobId)); replyTo.Tell(View()); }
            });
        }
    }

    private void OnPropose(ProposeAttempt m)
    {
        if (!_state.Submitted || _state.IsFinal || _state.CurrentAttempt is not null || _state.CancelRequested)
        {
            Sender.Tell(new AttemptDeclined(_jobId, _state.IsFinal ? "job is finished" : "job is not waiting"));
            return;
        }
        var replyTo = Sender;
        int number = _state.Attempts + 1;
        _attemptSpan = TraceParent.StartDetached(ClusterInstruments.Source, "attempt", _state.Submission!.TraceParent, ActivityKind.Internal,
            [new(TelemetryNames.JobIdTag, _jobId), new(TelemetryNames.AttemptTag, number), new(TelemetryNames.WorldSizeTag, m.Placement.Length)]);
        Persist(new AttemptScheduled(number, m.Placement, DateTime.UtcNow, TraceParent.Of(_attemptSpan) ?? _state.Submission.TraceParent), e =>
        {
            Apply(e);
            var s = _state.Submission!;
            replyTo.Tell(new AttemptApproved(_jobId, e.Attempt, e.Placement, s.YamlText, s.Overrides, s.SourceName, e.TraceParent));
        });
    }

    private void OnStep(ReportStep m)
    {
        if (m.Attempt != _state.CurrentAttempt) return;
        _unknownAttemptChecks = 0;
        PersistAsync(new StepRecorded(m.Attempt, m.Step, m.MaxSteps, m.Loss, m.LearningRate, m.GradNorm, m.TokensPerSecond, m.Epoch, DateTime.UtcNow),
            e => Apply(e));
    }

    private void OnAttemptEnded(ReportAttemptEnded m)
    {
        // Every rank (and the coordinator, for lost nodes) may report; the first report of the current attempt counts.
        if (m.Attempt != _state.CurrentAttempt) return;
        var events = new List<IJobEvent> { new AttemptEnded(m.Attempt, m.Outcome, m.Reason, DateTime.UtcNow) };
        var final = (m.Outcome, _state.CancelRequested) switch
        {
            (AttemptOutcome.Completed, _) => new JobFinished(JobPhase.Succeeded, null, DateTime.UtcNow),
            (AttemptOutcome.Fatal, _) => new JobFinished(JobPhase.Failed, m.Reason, DateTime.UtcNow),
            (_, true) => new JobFinished(JobPhase.Cancelled, null, DateTime.UtcNow),
            (AttemptOutcome.Cancelled, _) => new JobFinished(JobPhase.Cancelled, null, DateTime.UtcNow),
            (AttemptOutcome.Failed, _) when RepeatedFailure.IsRepeat(m.Reason, _state.LastFailureReason, _state.Step, _state.StepAtLastFailure) =>
                new JobFinished(JobPhase.Failed, $"the same error ended attempts {m.Attempt - 1} and {m.Attempt} with no step in between, " +
                    $"so retrying will not help: {m.Reason}", DateTime.UtcNow),
            (AttemptOutcome.Failed, _) when _state.FailedAttempts + 1 > _state.MaxRestarts =>
                new JobFinished(JobPhase.Failed, $"gave up after {_state.FailedAttempts + 1} failed attempts; last: {m.Reason}", DateTime.UtcNow),
            _ => null,
        };
        if (final is not null) events.Add(final);
        _attemptSpan?.SetTag("ended_by", m.TraceParent ?? "the coordinator");
        PersistAll(events, e =>
        {
            Apply(e);
            if (e is JobFinished) _coordinator.Tell(new JobDone(_jobId));
        });
        DeferAsync(m, _ => AnnounceIfWaiting());
    }

    /// <summary>A question about a job that was never submitted must not leave a remembered entity behind.</summary>
    private void ForgetIfUnknown()
    {
        if (!_state.Submitted) Context.Parent.Tell(new Akka.Cluster.Sharding.Passivate(PoisonPill.Instance));
    }

    private void AnnounceIfWaiting()
    {
        if (_state is { Submitted: true, IsFinal: false, CurrentAttempt: null, CancelRequested: false })
            _coordinator.Tell(new JobWaiting(_jobId, _state.Submission!.Requirements, _state.Attempts, _state.Submission.TimeUtc));
    }

    private void Apply(IJobEvent e, bool recovering = false)
    {
        switch (e)
        {
            case JobSubmitted s:
                _state.Submission = s;
                _state.Submitted = true;
                _state.MaxSteps = s.MaxSteps;
                _state.MaxRestarts = TryMaxRestarts(s);
                _state.Phase = JobPhase.Pending;
                _state.UpdatedUtc = s.TimeUtc;
                Add("state", JobPhase.Pending, "submitted", 0, time: s.TimeUtc);
                break;
            case AttemptScheduled a:
                _waitingReason = null;
                _state.Attempts = a.Attempt;
                _state.CurrentAttempt = a.Attempt;
                _state.WorldSize = a.Placement.Length;
                _state.Phase = JobPhase.Running;
                _state.UpdatedUtc = a.TimeUtc;
                var placed = $"attempt {a.Attempt}: {a.Placement.Length} workers on " +
                    string.Join(", ", a.Placement.GroupBy(p => p.NodeAddress).Select(n => $"{n.Key} ({n.Count()})"));
                Add("state", JobPhase.Running, placed, _state.Step, time: a.TimeUtc);
                Add("log", null, placed, _state.Step, time: a.TimeUtc); // a state event carries no text to clients
                break;
            case CheckpointCommitted c:
                _state.LastCheckpointStep = c.Step;
                _state.Step = Math.Max(_state.Step, c.Step);
                Add("checkpoint", null, c.Folder, c.Step, folder: c.Folder, time: c.TimeUtc);
                break;
            case AttemptEnded end:
                _state.CurrentAttempt = null;
                if (end.Outcome == AttemptOutcome.Failed)
                {
                    _state.FailedAttempts++;
                    _state.LastFailureReason = end.Reason;
                    _state.StepAtLastFailure = _state.Step;
                }
                _state.Phase = JobPhase.Pending;
                _state.UpdatedUtc = end.TimeUtc;
                Add("log", null, $"attempt {end.Attempt} ended: {end.Outcome}{(end.Reason.Length > 0 ? ": " + end.Reason : "")}", _state.Step, time: end.TimeUtc);
                break;
            case StepRecorded m:
                _state.Step = m.Step;
                _state.MaxSteps = m.MaxSteps;
                _state.Loss = m.Loss;
                _state.LearningRate = m.LearningRate;
                _state.GradNorm = m.GradNorm;
                _state.TokensPerSecond = m.TokensPerSecond;
                _state.Epoch = m.Epoch;
                _state.UpdatedUtc = m.TimeUtc;
                Add("step", null, null, m.Step, loss: m.Loss, lr: m.LearningRate, gradNorm: m.GradNorm, tps: m.TokensPerSecond, epoch: m.Epoch, time: m.TimeUtc);
                break;
            case EvalRecorded m:
                _state.EvalLoss = m.EvalLoss;
                Add("eval", null, $"eval_loss {m.EvalLoss:F4}", m.Step, evalLoss: m.EvalLoss, isBest: m.IsBest, time: m.TimeUtc);
                break;
            case LogRecorded m:
                Add("log", null, m.Text, _state.Step, time: m.TimeUtc);
                break;
            case CancelRequested c:
                _state.CancelRequested = true;
                _state.UpdatedUtc = c.TimeUtc;
                break;
            case JobFinished f:
                _waitingReason = null;
                _state.Phase = f.Phase;
                _state.Error = f.Error;
                _state.UpdatedUtc = f.TimeUtc;
                Add("state", f.Phase, f.Error ?? f.Phase.ToString().ToLowerInvariant(), _state.Step, time: f.TimeUtc);
                break;
        }
        if (!recovering && e is JobFinished or AttemptEnded or AttemptScheduled)
            _log.Info("job {0}: {1}", _jobId, e.GetType().Name);
        if (!recovering) Observe(e);
    }

    /// <summary>Spans and counters for what just happened (never for replayed history).</summary>
    private void Observe(IJobEvent e)
    {
        var job = new KeyValuePair<string, object?>(TelemetryNames.JobIdTag, _jobId);
        switch (e)
        {
            case JobSubmitted:
                ClusterInstruments.JobsSubmitted.Add(1, job);
                break;
            case AttemptEnded end:
                ClusterInstruments.AttemptsEnded.Add(1, job, new(TelemetryNames.OutcomeTag, ClusterInstruments.Label(end.Outcome)));
                _attemptSpan?.SetTag(TelemetryNames.OutcomeTag, ClusterInstruments.Label(end.Outcome));
                if (end.Outcome is AttemptOutcome.Failed or AttemptOutcome.Fatal) _attemptSpan?.SetStatus(ActivityStatusCode.Error, end.Reason);
                TraceParent.StopDetached(_attemptSpan);
                _attemptSpan = null;
                break;
            case JobFinished f:
                ClusterInstruments.JobsFinished.Add(1, job, new("state", ClusterInstruments.Label(f.Phase)));
                _jobSpan?.SetTag("state", ClusterInstruments.Label(f.Phase));
                if (f.Phase == JobPhase.Failed) _jobSpan?.SetStatus(ActivityStatusCode.Error, f.Error);
                TraceParent.StopDetached(_jobSpan);
                _jobSpan = null;
                break;
        }
    }

    private static int TryMaxRestarts(JobSubmitted s)
    {
        try { return JobSpec.Parse(s.YamlText, s.Overrides, s.SourceName).MaxRestarts; }
        catch (ConfigException) { return 10; }
    }

    private void Add(string kind, JobPhase? phase, string? text, int step, double? loss = null, double? lr = null, double? gradNorm = null,
        double? tps = null, double? evalLoss = null, bool isBest = false, string? folder = null, DateTime? time = null, double? epoch = null)
    {
        _events.Add(new JobEventRecord(++_sequence, time ?? DateTime.UtcNow, kind, phase, text, step, _state.MaxSteps,
            loss, lr, gradNorm, tps, evalLoss, isBest, folder, epoch));
        if (_events.Count > MaxEventsKept) _events.RemoveRange(0, _events.Count - MaxEventsKept);
    }

    private JobView View()
    {
        var s = _state;
        if (!s.Submitted)
            return new JobView(_jobId, "", JobPhase.Pending, 0, 0, 0, 0, null, null, null, null, null, null, null,
                DateTime.MinValue, DateTime.MinValue, null, "", 0, Exists: false);
        return new JobView(_jobId, s.Submission!.Name, s.Phase, s.Step, s.MaxSteps, s.WorldSize, s.Attempts, s.LastCheckpointStep,
            s.Loss, s.LearningRate, s.GradNorm, s.TokensPerSecond, s.EvalLoss, s.Epoch, s.Submission.TimeUtc, s.UpdatedUtc, s.Error,
            s.Submission.OutputDir, _sequence, Exists: true, s.Phase == JobPhase.Pending ? _waitingReason : null);
    }

    private sealed class JobState
    {
        public bool Submitted;
        public JobSubmitted? Submission;
        public JobPhase Phase;
        public int Attempts, FailedAttempts, MaxRestarts = 10, Step, MaxSteps, WorldSize, StepAtLastFailure;
        public string? LastFailureReason;
        public int? CurrentAttempt, LastCheckpointStep;
        public bool CancelRequested;
        public double? Loss, LearningRate, GradNorm, TokensPerSecond, EvalLoss, Epoch;
        public string? Error;
        public DateTime UpdatedUtc;
        public bool IsFinal => Phase is JobPhase.Succeeded or JobPhase.Failed or JobPhase.Cancelled;
    }
}
