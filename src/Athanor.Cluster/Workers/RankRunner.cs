using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Athanor.Checkpoints.Safetensors;
using Athanor.Cluster.Jobs;
using Athanor.Cluster.Messages;
using Athanor.Cluster.Telemetry;
using Athanor.Configuration;
using Athanor.Data.Formats;
using Athanor.Jobs;
using Athanor.Models;
using Athanor.Kernels;
using Athanor.Parallel;
using Athanor.Parallel.Agreement;
using Athanor.Telemetry;
using Athanor.Tokenization;
using Athanor.Training;

namespace Athanor.Cluster.Workers;

/// <summary>
/// One rank of one attempt on one slot. It opens its ring listener, tells the coordinator where it is,
/// and once every rank is known, trains on a dedicated thread (the core Trainer, resuming from the job's
/// newest complete checkpoint). Rank 0 reports steps and checkpoints to the job entity. A graceful stop
/// finishes the step and checkpoints on all ranks; an abort breaks the collective at once, never a hang.
/// </summary>
public sealed class RankRunner : ReceiveActor, IWithTimers
{
    private readonly StartRank _start;
    private readonly string _nodeAddress;
    private readonly string _host;
    private readonly IActorRef _coordinator;
    private readonly IActorRef _jobs;
    private readonly TimeSpan _formTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CancellationTokenSource _stop = new();
    private readonly string _slotDevice;
    /// <summary>The listener and collective: formed and used on the training thread, aborted from the actor's.</summary>
    private RankConnection? _connection;
    private Thread? _thread;
    private volatile string? _spanTraceParent;
    private readonly RankBringUp _bringUp = new();
    private readonly bool _nodeRunsFusedKernels;
    private readonly KernelPlanner _kernels = new(); // this rank's GPU kernel plan, measured once per attempt
    /// <summary>The cluster address of each rank's node (from FormGroup).</summary>
    private string[] _rankNodes = [];

    public RankRunner(StartRank start, string slotDevice, string nodeAddress, string host, IActorRef coordinator, IActorRef jobs, TimeSpan formTimeout,
        bool nodeRunsFusedKernels = true)
    {
        _nodeRunsFusedKernels = nodeRunsFusedKernels;
        _start = start;
        _slotDevice = slotDevice;
        _nodeAddress = nodeAddress;
        _host = host;
        _coordinator = coordinator;
        _jobs = jobs;
        _formTimeout = formTimeout;
        Receive<FormGroup>(OnForm);
        Receive<ClusterEvent.MemberRemoved>(OnMemberRemoved);
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<StopRank>(OnStop);
        Receive<Finished>(OnFinished);
        Receive<Heartbeat>(_ =>
        {
            _coordinator.Tell(new RankAlive(_start.JobId, _start.Attempt, _start.Rank, _start.World, _nodeAddress, _start.Slot));
            if (_bringUp.Overdue() is string late) ReportBringUp(late);
        });
        Receive<FormTimeout>(_ =>
        {
            if (_thread is null) Finish(AttemptOutcome.Failed, $"the group did not form within {_formTimeout.TotalSeconds:F0}s");
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="slotDevice">the device of the slot this rank runs on ("cpu:0", "cuda:1")</param>
    /// <param name="nodeRunsFusedKernels">the node's --fused-kernels (false: none here, and the group fingerprint says so)</param>
    public static Props Props(StartRank start, string slotDevice, string nodeAddress, string host, IActorRef coordinator, IActorRef jobs, TimeSpan formTimeout,
        bool nodeRunsFusedKernels = true) =>
        Akka.Actor.Props.Create(() => new RankRunner(start, slotDevice, nodeAddress, host, coordinator, jobs, formTimeout, nodeRunsFusedKernels));

    private sealed record Finished(AttemptOutcome Outcome, string Reason);
    private sealed record Heartbeat { public static readonly Heartbeat Instance = new(); }
    private sealed record FormTimeout { public static readonly FormTimeout Instance = new(); }

    protected override void PreStart()
    {
        var listener = new TcpListener(IPAddress.Parse(_host), 0);
        listener.Start();
        _connection = new RankConnection(listener);
        var endpoint = (IPEndPoint)listener.LocalEndpoint;
        _coordinator.Tell(new RankReady(_start.JobId, _start.Attempt, _start.Rank, $"{_host}:{endpoint.Port}"));
        Timers.StartPeriodicTimer("alive", Heartbeat.Instance, TimeSpan.FromSeconds(2));
        Timers.StartSingleTimer("form", FormTimeout.Instance, _formTimeout);
        _bringUp.Begin("waiting for every rank to be placed");
    }

    protected override void PostStop()
    {
        if (_rankNodes.Length > 0 && Context.System is ExtendedActorSystem { Provider: IClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        _stop.Cancel();
        _connection?.Abort("rank stopped");
        // Not started: nobody else will close it. Started: the training thread disposes it when it ends.
        if (_thread is null) _connection?.Dispose();
    }

    /// <summary>This rank in the job's log: which rank, where, on what device.</summary>
    private string Who => $"rank {_start.Rank}/{_start.World} on {_nodeAddress} ({_slotDevice})";

    private void ReportBringUp(string text)
    {
        _log.Info("job {0}: {1}: {2}", _start.JobId, Who, text);
        _jobs.Tell(new ReportLog(_start.JobId, _start.Attempt, $"{Who}: {text}"));
    }

    private void OnForm(FormGroup m)
    {
        if (m.Attempt != _start.Attempt || _thread is not null) return;
        _rankNodes = m.RankNodes ?? [];
        // A peer's node removed from the cluster (downed by the split-brain resolver, or gone) takes its ranks with it:
        // abort the group now instead of waiting out the collective's timeout, and say which node it was.
        if (_rankNodes.Length > 0 && Context.System is ExtendedActorSystem { Provider: IClusterActorRefProvider })
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, typeof(ClusterEvent.MemberRemoved));
        var endpoints = m.Endpoints.Select(IPEndPoint.Parse).ToArray();
        var self = Self;
        var connection = _connection!;
        _thread = new Thread(() =>
        {
            var (outcome, reason) = TracedTrain(endpoints, connection);
            self.Tell(new Finished(outcome, reason));
        }) { Name = $"train-{_start.JobId}-a{_start.Attempt}-r{_start.Rank}", IsBackground = true };
        _thread.Start();
    }

    private void OnMemberRemoved(ClusterEvent.MemberRemoved m)
    {
        var address = m.Member.Address.ToString();
        if (address == _nodeAddress) return;
        var ranks = Enumerable.Range(0, _rankNodes.Length).Where(r => _rankNodes[r] == address).ToList();
        if (ranks.Count == 0) return;
        var how = m.PreviousStatus == MemberStatus.Down ? "was downed and removed from the cluster" : "left the cluster";
        var reason = $"node {address} (rank {string.Join(", ", ranks)}) {how}";
        _log.Warning("job {0} rank {1}: aborting the group: {2}", _start.JobId, _start.Rank, reason);
        _connection?.Abort(reason);
        _stop.Cancel();
    }

    private void OnStop(StopRank m)
    {
        if (m.JobId.Length > 0 && m.Attempt != _start.Attempt) return; // an empty job id addresses every rank (node drain)
        _log.Info("job {0} rank {1}: {2} stop: {3}", _start.JobId, _start.Rank, m.Graceful ? "graceful" : "abort", m.Reason);
        if (m.Graceful) _stop.Cancel();
        else
        {
            _connection?.Abort(m.Reason);
            _stop.Cancel();
            if (_thread is null) Finish(AttemptOutcome.Failed, m.Reason);
        }
    }

    private void OnFinished(Finished m) => Finish(m.Outcome, m.Reason);

    private void Finish(AttemptOutcome outcome, string reason)
    {
        _jobs.Tell(new ReportAttemptEnded(_start.JobId, _start.Attempt, outcome, reason, _spanTraceParent));
        _coordinator.Tell(new RankEnded(_start.JobId, _start.Attempt, _start.Rank, _nodeAddress, _start.Slot, outcome, reason));
        Context.Stop(Self);
    }

    /// <summary>The rank's span, current on the training thread so the trainer's step spans hang under it, in the attempt's trace.</summary>
    private (AttemptOutcome, string) TracedTrain(IPEndPoint[] endpoints, RankConnection connection)
    {
        Activity.Current = null; // the thread inherited the actor thread's context; the parent is the attempt
        using var span = ClusterInstruments.Source.StartActivity("rank", ActivityKind.Internal, TraceParent.Parse(_start.TraceParent),
            [new(TelemetryNames.JobIdTag, _start.JobId), new(TelemetryNames.AttemptTag, _start.Attempt), new(TelemetryNames.RankTag, _start.Rank),
             new(TelemetryNames.WorldSizeTag, _start.World), new("node", _nodeAddress), new("slot", _start.Slot)]);
        _spanTraceParent = TraceParent.Of(span);
        var (outcome, reason) = Train(endpoints, connection);
        span?.SetTag(TelemetryNames.OutcomeTag, ClusterInstruments.Label(outcome));
        if (outcome is AttemptOutcome.Failed or AttemptOutcome.Fatal) span?.SetStatus(ActivityStatusCode.Error, reason);
        return (outcome, reason);
    }

    /// <summary>One bring-up stage: a span of its own, and the stage the rank reports if it is overdue.</summary>
    private T Stage<T>(string span, string stage, Func<T> work)
    {
        _bringUp.Begin(stage);
        using var activity = ClusterInstruments.Source.StartActivity(span);
        return work();
    }

    /// <summary>
    /// The last-resort limit of one NCCL operation. A peer may legitimately keep the others waiting for a long
    /// checkpoint write or evaluation; a dead peer is found sooner by the cluster, which aborts the collective.
    /// </summary>
    private static readonly TimeSpan NcclOperationTimeout = TimeSpan.FromMinutes(10);

    /// <summary>How long a rank whose collective broke waits for the reason to arrive as an abort before reporting its own error.</summary>
    private static readonly TimeSpan ReasonGrace = TimeSpan.FromSeconds(3);

    /// <summary>Runs on the training thread; returns how the attempt ended for this rank.</summary>
    private (AttemptOutcome, string) Train(IPEndPoint[] endpoints, RankConnection connection)
    {
        ICollective collective;
        var jobId = _start.JobId;
        try
        {
            // Every attempt continues from the job's own newest complete checkpoint (or the one the job names).
            var config = JobSpec.Parse(_start.YamlText, _start.Overrides, _start.SourceName);
            config = config with { ResumeFromCheckpoint = AttemptResume.Choose(config, jobId) };
            // A job on "cuda" runs each rank on its slot's GPU.
            if (config.Device == "cuda" && _slotDevice.StartsWith("cuda:", StringComparison.Ordinal)) config = config with { Device = _slotDevice };
            var log = _start.Rank == 0 ? (Action<string>)(text => _jobs.Tell(new ReportLog(jobId, _start.Attempt, text))) : _ => { };
            if (_start.Rank == 0) JobOutputs.WriteEffectiveConfig(config);
            config = JobPreparation.PinResume(config, jobId); // the folder now, so the model is built knowing it and the trainer loads that one
            var inputs = Stage("prepare_data", "preparing data", () => JobPreparation.PrepareInputs(config, log, _start.World));
            var fingerprint = JobFingerprint.For(config, inputs.DataKey, _nodeAddress, _start.Rank, _nodeRunsFusedKernels);
            config = config with { FusedKernels = config.FusedKernels && _nodeRunsFusedKernels };
            var settings = JobPreparation.MapSettings(config, inputs.Data.Train.Count, _start.World, config.ZeroStage, jobId);
            if (_start.World == 1)
            {
                // One rank has no peers: no ring, and no host round trip of GPU tensors.
                connection.CloseListener();
                collective = connection.Publish(new SingleRankCollective());
            }
            else
            {
                var listener = connection.TakeListener();
                var ring = connection.Publish(Stage("connect", "connecting to the other ranks",
                    () => TcpRingCollective.Connect(_start.Rank, endpoints, listener, _start.Ring, TimeSpan.FromSeconds(60))));
                collective = ring;
                // Before any other collective: a group whose ranks differ in settings, build, model or data fails here, naming them.
                Stage("agree", "comparing the ranks' settings", () => GroupAgreement.Check(ring, fingerprint));
                // GPU ranks move tensors over NCCL; the ring stays for host values and carries NCCL's unique id.
                if (config.Device != "cpu")
                {
                    int gpu = JobDevice.For(config, _start.Rank).index;
                    collective = connection.Publish(Stage("nccl_init", $"forming the NCCL communicator on cuda:{gpu}", () => GpuGroup.Form(ring, gpu, NcclOperationTimeout, _stop.Token)));
                }
            }
            if (connection.AbortReason is string early) throw new CollectiveException(early); // before the model is built
            var (model, lora, deferred) = Stage("load_model", "building the model", () => JobPreparation.BuildModel(config, inputs.ModelConfig, _start.Rank == 0 ? log : null, _start.Rank, _kernels));
            using (model)
            {
                var observer = new EntityReporter(_jobs, jobId, _start.Attempt);
                var trainer = new Trainer(model, lora, inputs.Data, settings, observer, collective)
                {
                    Deferred = deferred,
                    ExtraEvaluation = _start.Rank == 0 ? TrainingEvalHook.Create(config, inputs.Tokenizer) : null,
                    Telemetry = new TrainingTelemetry { JobId = jobId },
                    StepCompleted = _ => { if (_bringUp.Complete()) ReportBringUp(_bringUp.Summary()); },
                };
                _bringUp.Begin("setting up training and taking the first step");
                TrainingResult result;
                try { result = trainer.Run(_stop.Token); }
                catch (DeviceOutOfMemoryException oom) { throw new JobException(OutOfMemoryAdvice.Explain(config, _start.World, oom)); }
                if (result.Cancelled) return (AttemptOutcome.Stopped, "stopped at step " + result.Steps);
                if (_start.Rank == 0)
                {
                    JobOutputs.WriteFinal(config, model, lora, result.LastCheckpoint);
                    if (config.PlotLoss) JobOutputs.WriteLossPlot(config.OutputDir, $"training loss: {Path.GetFileName(config.OutputDir)}");
                }
                return (AttemptOutcome.Completed, $"finished {result.Steps} steps");
            }
        }
        catch (CollectiveException ex) { return (AttemptOutcome.Failed, connection.AbortReasonWithin(ReasonGrace) ?? ex.Message); }
        // Not fatal: the job is fine, this group is not; the next attempt may be placed on nodes that agree.
        catch (GroupMismatchException ex) { return (AttemptOutcome.Failed, ex.Message); }
        catch (Exception ex) when (ex is ConfigException or JobException or ModelFormatException or DatasetException
            or TokenizerFormatException or SafetensorsFormatException or FileNotFoundException or DirectoryNotFoundException
            or TelemetryConfigurationException)
        {
            return (AttemptOutcome.Fatal, ex.Message);
        }
        catch (Exception ex) { return (AttemptOutcome.Failed, connection.AbortReason ?? RepeatedFailure.TrainingError(ex)); }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>Turns the trainer's progress into messages to the job entity (rank 0 only: other ranks' observers are silent).</summary>
    private sealed class EntityReporter(IActorRef jobs, string jobId, int attempt) : ITrainingObserver
    {
        private int _lastReported;

        public void OnStep(StepMetrics m)
        {
            // At most every step; the entity keeps the newest. Enough for watchers without flooding.
            if (m.Step == _lastReported) return;
            _lastReported = m.Step;
            jobs.Tell(new ReportStep(jobId, attempt, m.Step, m.TotalSteps, m.Loss, m.LearningRate, m.GradNorm, m.TokensPerSecond, m.Epoch));
        }

        public void OnEval(EvalMetrics m) => jobs.Tell(new ReportEval(jobId, attempt, m.Step, m.EvalLoss, m.IsBest));
        public void OnCheckpoint(int step, string folder) => jobs.Tell(new ReportCheckpoint(jobId, attempt, step, folder));
        public void OnMessage(string message) => jobs.Tell(new ReportLog(jobId, attempt, message));
    }
}
