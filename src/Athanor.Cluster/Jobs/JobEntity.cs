using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using Athanor.Cluster.Messages;
using Athanor.Cluster.Telemetry;
using Athanor.Telemetry;
using Athanor.Configuration;
using Athanor.Node.Backend;

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
    private readonly string _jobId;
    private readonly IActorRef _coordinator;
    private readonly TimeProvider _clock;
    private readonly JobEntitySettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private JobEntityState _state = JobEntityState.Empty;
    private readonly JobEventLog _history = new();
    // Not journaled: the coordinator re-sends why the job waits every second, and the count of "unknown" answers restarts with the entity.
    private string? _waitingReason;
    private int _unknownAttemptChecks;
    // The job's and the current attempt's spans live while this entity does (ended in PostStop if it moves).
    private Activity? _jobSpan, _attemptSpan;

    public JobEntity(string jobId, IActorRef coordinator, JobEntitySettings settings, TimeProvider clock)
    {
        _jobId = jobId;
        _coordinator = coordinator;
        _settings = settings;
        _clock = clock;
        Recover<IJobEvent>(e => Apply(e, recovering: true));
        Recover<RecoveryCompleted>(_ => OnRecovered());
        Command<SubmitJob>(OnSubmit);
        Command<GetJob>(_ => { Sender.Tell(View()); ForgetIfUnknown(); });
        Command<GetJobEvents>(m =>
        {
            Sender.Tell(new JobEventsPage(_jobId, _history.From(m.FromSequence), _state.IsFinal));
            ForgetIfUnknown();
        });
        Command<CancelJob>(_ => OnCancel());
        Command<ProposeAttempt>(OnPropose);
        Command<ReportStep>(OnStep);
        Command<ReportEval>(m =>
        {
            if (m.Attempt != _state.CurrentAttempt) return;
            PersistAsync(new EvalRecorded(m.Attempt, m.Step, m.EvalLoss, m.IsBest, Now), e => Apply(e));
        });
        Command<ReportLog>(m =>
        {
            if (!_state.Submitted || (m.Attempt != _state.CurrentAttempt && m.Attempt != 0)) return;
            PersistAsync(new LogRecorded(m.Text, Now), e => Apply(e));
        });
        Command<ReportCheckpoint>(m =>
        {
            // A checkpoint is reported only once committed on disk, so it stays true after its attempt ended: the
            // leader's report can arrive after another rank's end of attempt (different nodes, different paths).
            // Only a report that is not newer than what is recorded, or from an attempt never scheduled, is dropped.
            if (m.Attempt > _state.Attempts || (m.Attempt != _state.CurrentAttempt && _state.LastCheckpointStep is int last && m.Step <= last)) return;
            Persist(new CheckpointCommitted(m.Attempt, m.Step, m.Folder, Now), e => Apply(e));
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
            if (++_unknownAttemptChecks < _settings.UnknownAnswersToGiveUp) return;
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

    /// <param name="settings">How often it announces itself; defaults to <see cref="JobEntitySettings.Default"/>.</param>
    /// <param name="clock">The time its events carry; the system clock unless a test fixes it.</param>
    public static Props Props(string jobId, IActorRef coordinator, JobEntitySettings? settings = null, TimeProvider? clock = null)
    {
        var valid = (settings ?? JobEntitySettings.Default).Validated();
        var time = clock ?? TimeProvider.System;
        return Akka.Actor.Props.Create(() => new JobEntity(jobId, coordinator, valid, time));
    }

    private DateTime Now => _clock.GetUtcNow().UtcDateTime;

    internal sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    private void OnRecovered()
    {
        Timers.StartPeriodicTimer("announce", Tick.Instance, _settings.FirstAnnounceDelay, _settings.AnnounceInterval);
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
            config.MaxSteps > 0 ? config.MaxSteps : 0, requirements, Now, TraceParent.Of(_jobSpan) ?? m.TraceParent);
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
            Persist(new CancelRequested(Now), e =>
            {
                Apply(e);
                _coordinator.Tell(new StopRank(_jobId, attempt, Graceful: true, "cancelled by the user"));
                replyTo.Tell(View());
            });
        }
        else
        {
            PersistAll(new IJobEvent[] { new CancelRequested(Now), new JobFinished(JobState.Cancelled, null, Now) }, e =>
            {
                Apply(e);
                if (e is JobFinished) { _coordinator.Tell(new JobDone(_jobId)); replyTo.Tell(View()); }
            });
        }
    }

    private void OnPropose(ProposeAttempt m)
    {
        if (!_state.IsWaiting)
        {
            Sender.Tell(new AttemptDeclined(_jobId, _state.IsFinal ? "job is finished" : "job is not waiting"));
            return;
        }
        var replyTo = Sender;
        int number = _state.Attempts + 1;
        _attemptSpan = TraceParent.StartDetached(ClusterInstruments.Source, "attempt", _state.Submission!.TraceParent, ActivityKind.Internal,
            [new(TelemetryNames.JobIdTag, _jobId), new(TelemetryNames.AttemptTag, number), new(TelemetryNames.WorldSizeTag, m.Placement.Length)]);
        Persist(new AttemptScheduled(number, m.Placement, Now, TraceParent.Of(_attemptSpan) ?? _state.Submission.TraceParent), e =>
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
        PersistAsync(new StepRecorded(m.Attempt, m.Step, m.MaxSteps, m.Loss, m.LearningRate, m.GradNorm, m.TokensPerSecond, m.Epoch, Now),
            e => Apply(e));
    }

    private void OnAttemptEnded(ReportAttemptEnded m)
    {
        // Every rank (and the coordinator, for lost nodes) may report; the first report of the current attempt counts.
        if (m.Attempt != _state.CurrentAttempt) return;
        var events = new List<IJobEvent> { new AttemptEnded(m.Attempt, m.Outcome, m.Reason, Now) };
        var final = _state.FinishAfter(m.Attempt, m.Outcome, m.Reason, Now);
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
        if (_state.IsWaiting)
            _coordinator.Tell(new JobWaiting(_jobId, _state.Submission!.Requirements, _state.Attempts, _state.Submission.TimeUtc));
    }

    private void Apply(IJobEvent e, bool recovering = false)
    {
        _state = _state.Apply(e);
        _history.Append(e, _state);
        if (e is AttemptScheduled or JobFinished) _waitingReason = null;
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
                if (f.Phase == JobState.Failed) _jobSpan?.SetStatus(ActivityStatusCode.Error, f.Error);
                TraceParent.StopDetached(_jobSpan);
                _jobSpan = null;
                break;
        }
    }

    /// <summary>The job's record, or JobUnknown for an id never submitted.</summary>
    private object View() => (object?)_state.ToRecord(_jobId, _history.LastSequence, _waitingReason) ?? new JobUnknown(_jobId);
}
