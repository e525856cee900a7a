using System.Diagnostics;
using System.Text.Json.Nodes;
using Athanor.Data;
using Athanor.Data.Sampling;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using Athanor.Telemetry;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// The training loop of one rank: sample order from (seed, epoch, position), gradient accumulation
/// normalized by the target tokens of the whole global step, clipping, AdamW (data-parallel with ZeRO
/// 0-2 through the group), schedule, evaluation, early stopping, metrics and atomic checkpoints.
/// With one rank it is the plain single-process trainer. Resuming continues bit for bit at the same
/// world size, and continues the same sample order at any other.
/// </summary>
public sealed class Trainer
{
    private readonly CausalLM _model;
    private readonly LoraSettings? _lora;
    private readonly TrainingData _data;
    private readonly TrainerSettings _settings;
    private readonly ITrainingObserver _observer;
    private readonly ICollective _group;
    private readonly Checkpointer _checkpointer;
    private Device _device;
    private readonly bool _leader;

    /// <summary>Extra evaluation the leader runs after the eval loss (benchmarks, sample generations): metrics for the eval row, and lines to log.</summary>
    public Func<CausalLM, (IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<string> Lines)>? ExtraEvaluation { get; init; }

    /// <summary>
    /// ZeRO-3 with a model built on the meta device: where its values come from (a resumed run takes a full
    /// fine-tune's from the checkpoint instead) and where its shards live.
    /// </summary>
    public DeferredWeights? Deferred { get; init; }

    /// <summary>Labels and peak FLOP/s for the run's spans and metrics (docs/observability.md).</summary>
    public TrainingTelemetry Telemetry { get; init; } = TrainingTelemetry.Default;

    /// <summary>Called with the step number after every step, on every rank (the observer hears only the leader).</summary>
    public Action<int>? StepCompleted { get; init; }

    /// <summary>Called on every rank after each micro-batch with (the step it belongs to, its index in the step from 0).</summary>
    public Action<int, int>? MicroBatchCompleted { get; init; }

    private TrainingRecorder _telemetry = null!;

    /// <summary>Stages dpo and kto: the preference loss of the pair rows, with its reference; null for sft and pt.</summary>
    private Preference.PreferenceObjective? _preference;
    private readonly Fp8.Fp8OverflowGuard _fp8Overflow = new(); // fp8: true (issue 25): inf/NaN amax skips the step

    public Trainer(CausalLM model, LoraSettings? lora, TrainingData data, TrainerSettings settings,
        ITrainingObserver? observer = null, ICollective? group = null)
    {
        if (data.Train.Count == 0) throw new ArgumentException("the training set is empty: nothing to train on");
        _group = group ?? new SingleRankCollective();
        if (_group.WorldSize != settings.WorldSize)
            throw new ArgumentException($"the group has {_group.WorldSize} ranks but the settings say world size {settings.WorldSize}");
        _model = model;
        _lora = lora;
        _data = data;
        _settings = settings;
        _leader = _group.Rank == 0;
        _observer = _leader ? observer ?? new NullObserver() : new NullObserver();
        _device = model.OutputWeight.device;
        _dropoutRng = LoraModel.DropoutRng(model);
        _checkpointer = new Checkpointer(model, lora, settings, _group, _observer, _dropoutRng, data.Train.Count);
    }

    /// <summary>The run's telemetry settings with the GPU's dense bf16 peak for MFU, unless one was given (or the GPU is unknown).</summary>
    private TrainingTelemetry GpuTelemetry(Device device)
    {
        if (Telemetry.PeakFlopsPerRank is not null || Environment.GetEnvironmentVariable(ModelFlops.PeakVariable) is { Length: > 0 }) return Telemetry;
        var properties = Native.Cuda.CudaRuntime.Properties(Math.Max(0, device.index));
        var gpu = Estimation.GpuType.FromComputeCapability(properties.ComputeCapabilityMajor, properties.ComputeCapabilityMinor);
        return gpu is null ? Telemetry : Telemetry with { PeakFlopsPerRank = gpu.PeakBf16Tflops * 1e12 };
    }

    /// <summary>The only randomness in a step (LoRA dropout); saved per rank so a resumed run draws the same masks.</summary>
    private readonly Generator? _dropoutRng;

    public TrainingResult Run(CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var run = Prepare();
        using var parallel = run.Parallel;
        var state = run.State;
        using var metrics = _leader ? new MetricsLog(_settings.OutputDir, state.LogHistory, _settings.TensorBoardDir) : null;
        void Record(JsonObject row) { state.LogHistory.Add(row); metrics?.Append(row); }
        var window = new MetricsWindow(_settings, _telemetry, run.OnGpu ? _device : null,
            state.LogHistory.FirstOrDefault(r => r.ContainsKey("loss"))?["loss"]?.GetValue<double>());
        var evaluator = new Evaluator(_model, _device, _data, _settings, _group, parallel.Sharding is not null, _telemetry, _observer, ExtraEvaluation, _preference);
        _observer.OnStart(state.Step, state.TotalSteps, run.ResumedFrom);
        _model.train();
        double? lastLoss = null;
        string? lastCheckpoint = run.ResumedFrom;
        int stepsThisRun = 0;
        bool cancelled = false;
        while (state.Step < state.TotalSteps && !state.StoppedEarly)
        {
            if (AgreeToStop(cancel)) { cancelled = true; break; }
            using var stepSpan = _telemetry.BeginStep(state.Step + 1);
            var stepClock = Stopwatch.StartNew();
            double lr = run.Schedule.At(state.Step);
            if (Step(state, parallel, lr, cancel) is not { } done) { cancelled = true; break; }
            state.Step++;
            state.SamplePosition += _settings.GlobalBatch;
            lastLoss = done.Loss;
            window.Add(done.Loss, done.Tokens);
            if (_preference is not null) window.AddExtras(_preference.Metrics.Take(_group));
            double epoch = (double)state.SamplePosition / _data.Train.Count;
            Report(state, done, lr, epoch, stepClock.Elapsed, clock.Elapsed, ++stepsThisRun);
            if (window.Due(state.Step, state.TotalSteps)) Record(window.Close(state.Step, epoch, lr, done.GradNorm));
            if (evaluator.Due(state.Step, state.TotalSteps)) evaluator.Run(state, Record);
            if (_checkpointer.Due(state)) lastCheckpoint = _checkpointer.Save(state, parallel.Optimizer);
        }
        if (cancelled && _checkpointer.DueOnStop(state, lastCheckpoint)) lastCheckpoint = _checkpointer.Save(state, parallel.Optimizer);
        var result = new TrainingResult(state.Step, window.FirstLoss, lastLoss, state.BestEvalLoss, state.StoppedEarly, cancelled, lastCheckpoint, clock.Elapsed);
        _observer.OnEnd(result);
        return result;
    }

    /// <summary>What the loop runs with: its state (fresh or resumed), schedule and the parallelized model.</summary>
    private sealed record RunSetup(TrainingState State, LearningRateSchedule Schedule, ParallelModel Parallel, string? ResumedFrom, bool OnGpu);

    /// <summary>
    /// Everything before the first step: the schedule and telemetry, the checkpoint to resume from and its weights, the
    /// model parallelized by the plan (<see cref="Parallelize.Apply"/>), then the optimizer and RNG restored, or every
    /// rank started from rank 0's initialization.
    /// </summary>
    private RunSetup Prepare()
    {
        if (_leader) Directory.CreateDirectory(_settings.OutputDir);
        long n = _data.Train.Count;
        int totalSteps = _settings.TotalSteps(n);
        var schedule = new LearningRateSchedule(_settings.LearningRate, totalSteps,
            LearningRateSchedule.ResolveWarmup(_settings.WarmupSteps, _settings.WarmupRatio, totalSteps), _settings.Schedule);
        bool onGpu = _device.type == DeviceType.CUDA || Deferred?.Device.type == DeviceType.CUDA;
        _telemetry = new TrainingRecorder(onGpu ? GpuTelemetry(Deferred?.Device ?? _device) : Telemetry, _group.Rank, _group.WorldSize, _settings.ZeroStage, _settings.LoggingSteps, totalSteps,
            _model.Config.ParameterCount(), _model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()), get_num_threads());
        _checkpointer.Telemetry = _telemetry;
        var state = new TrainingState
        {
            TotalSteps = totalSteps, GlobalBatch = _settings.GlobalBatch, Seed = _settings.Seed, TrainSamples = n,
            WorldSize = _group.WorldSize, ZeroStage = _settings.ZeroStage,
        };
        var resumedFrom = _checkpointer.ResumeFolder();
        // The weights are loaded into the whole model first: ZeRO-3 then cuts its shares from them.
        var saved = resumedFrom is null ? null : _checkpointer.ReadSavedState(resumedFrom);
        bool fullFromMeta = Deferred is not null && _lora is null; // takes its weights from the checkpoint while sharding
        if (resumedFrom is not null && !fullFromMeta) _checkpointer.LoadWeights(resumedFrom);
        var parallel = Parallelize.Apply(_model, ParallelPlan.From(_settings), _group, Deferred, fullFromMeta ? resumedFrom : null);
        _checkpointer.Sharding = parallel.Sharding;
        _device = _model.OutputWeight.device; // materialized by now
        try
        {
            if (resumedFrom is not null) state = _checkpointer.Restore(resumedFrom, saved!, parallel.Optimizer, totalSteps);
            else
            {
                _dropoutRng?.manual_seed(_settings.Seed + 1 + _group.Rank);
                parallel.Optimizer.BroadcastParameters(); // every rank starts from rank 0's initialization
            }
        }
        catch
        {
            parallel.Dispose();
            throw;
        }
        try { _preference = PreferenceFor(resumedFrom); }
        catch
        {
            parallel.Dispose();
            throw;
        }
        if (parallel.Sharding is not null && _leader && ExtraEvaluation is not null)
            _observer.OnMessage("ZeRO-3: the leader-only evaluation extras (benchmarks, sample generations) are skipped; the eval loss runs on every rank");
        return new RunSetup(state, schedule, parallel, resumedFrom, onGpu);
    }

    /// <summary>
    /// The preference objective of a dpo or kto run and its reference model (issue 23): none for ORPO and SimPO; for LoRA
    /// the same model with its adapters switched off; for full fine-tuning the log-probabilities of every training row
    /// under the starting weights, computed here before step 1 (a resumed run reads the table the first run saved).
    /// </summary>
    private Preference.PreferenceObjective? PreferenceFor(string? resumedFrom)
    {
        if (_settings.Preference is not { } preference) return null;
        Preference.IReferenceModel? reference = null;
        if (preference.UsesReference && _lora is not null) reference = new Preference.AdaptersOffReference(_model);
        else if (preference.UsesReference)
        {
            var table = resumedFrom is null ? null : Preference.PrecomputedReference.Load(_settings.OutputDir);
            if (resumedFrom is not null && table is null)
                throw new InvalidOperationException($"resuming a full fine-tune with a reference model needs {Path.Combine(_settings.OutputDir, Preference.PrecomputedReference.FileName)} " +
                    "(the reference log-probabilities the first run computed from the starting weights); it is missing");
            if (table is null)
            {
                _model.eval();
                try { table = Preference.PrecomputedReference.Compute(_model, _data.Train, _data.PadTokenId, _settings.MicroBatchSize, _device); }
                finally { _model.train(); }
                if (_leader) table.Save(_settings.OutputDir);
                _observer.OnMessage($"reference: log-probabilities of {table.Count} training rows computed once from the starting weights ({Preference.PrecomputedReference.FileName})");
            }
            reference = table;
        }
        return new Preference.PreferenceObjective(_model, preference, reference);
    }

    /// <summary>One optimizer step's numbers.</summary>
    private sealed record StepDone(double Loss, long Tokens, double GradNorm);

    /// <summary>
    /// One optimizer step: this rank's micro-batches, then the gradients synced and clipped and the optimizer stepped.
    /// Null when a stop was agreed between micro-batches: the partial step is dropped whole (its gradients and the
    /// dropout draws it made), so weights, optimizer, data position and RNG are all those of the last completed step.
    /// </summary>
    private StepDone? Step(TrainingState state, ParallelModel parallel, double lr, CancellationToken cancel)
    {
        var optimizer = parallel.Optimizer;
        try
        {
            using var rngAtStepStart = _dropoutRng?.get_state();
            _model.Fp8?.Monitor.Reset();
            if (TrainStep(state.Step + 1, state.SamplePosition, parallel, cancel) is not { } done)
            {
                optimizer.ZeroGrad();
                _preference?.Metrics.Clear();
                if (rngAtStepStart is not null) _dropoutRng!.set_state(rngAtStepStart);
                _observer.OnMessage($"stopped in step {state.Step + 1}, between micro-batches: its partial gradients are dropped, " +
                    $"the run stays at step {state.Step}");
                return null;
            }
            var fp8Skip = _fp8Overflow.Check(_model.Fp8?.Monitor, _group, state.Step + 1);
            Tensor norm;
            using (_telemetry.Phase(_telemetry.GradientSync)) norm = optimizer.SyncAndClipGradientsDeferred(_settings.MaxGradNorm);
            using (norm)
            {
                if (fp8Skip is not null)
                {
                    // Every rank skips this same step (the guard agreed on it), after the same collectives.
                    optimizer.ZeroGrad();
                    _observer.OnMessage(fp8Skip);
                    return new StepDone(done.Loss, done.Tokens, norm.item<double>());
                }
                using (_telemetry.Phase(TrainingPhase.Optimizer))
                {
                    optimizer.Step(lr);
                    optimizer.ZeroGrad();
                }
                return new StepDone(done.Loss, done.Tokens, norm.item<double>()); // read once the step is queued, so the GPU never waits for the host
            }
        }
        catch (Exception ex) when (_device.type != DeviceType.CPU && DeviceOutOfMemoryException.Matches(ex))
        {
            throw new DeviceOutOfMemoryException($"out of GPU memory in step {state.Step + 1} on {_device} ({Native.DeviceMemory.Describe()}; " +
                $"micro-batch {_settings.MicroBatchSize}, {parallel.Layout.Length / 1e6:F0}M trainable parameters, ZeRO {_settings.ZeroStage} over {_group.WorldSize} rank(s))", ex);
        }
    }

    /// <summary>A completed step to its listeners: telemetry, <see cref="StepCompleted"/> and the observer.</summary>
    private void Report(TrainingState state, StepDone done, double lr, double epoch, TimeSpan stepTime, TimeSpan elapsed, int stepsThisRun)
    {
        var remaining = TimeSpan.FromSeconds(elapsed.TotalSeconds / stepsThisRun * (state.TotalSteps - state.Step));
        _telemetry.StepDone(state.Step, done.Loss, lr, done.GradNorm, done.Tokens, stepTime.TotalSeconds);
        StepCompleted?.Invoke(state.Step);
        _observer.OnStep(new StepMetrics(state.Step, state.TotalSteps, epoch, done.Loss, lr, done.GradNorm,
            done.Tokens / Math.Max(1e-9, stepTime.TotalSeconds), stepTime.TotalSeconds, elapsed, remaining));
    }

    /// <summary>All ranks stop at the same point (a step boundary, or between micro-batches) if any of them was asked to.</summary>
    private bool AgreeToStop(CancellationToken cancel)
    {
        if (_group.WorldSize == 1)
        {
            _group.Barrier(); // an aborted group of one fails here: an abort stops without the checkpoint a stop makes
            return cancel.IsCancellationRequested;
        }
        using var flag = tensor(new[] { cancel.IsCancellationRequested ? 1.0f : 0.0f });
        _group.AllReduceSum(flag);
        return flag.item<float>() > 0;
    }

    /// <summary>
    /// This rank's share of one optimizer step. The global batch at a position is the same whatever the world
    /// size; rank r takes its contiguous part and splits it into micro-batches. Every micro-batch's summed loss
    /// is divided by the targets of the WHOLE global batch, so after the gradient sum across ranks the update
    /// equals that of one big batch (not a mean of per-micro-batch means).
    /// </summary>
    /// <returns>null when a stop was agreed between two micro-batches (the caller drops the partial step)</returns>
    private (double Loss, long Tokens)? TrainStep(int step, long position, ParallelModel parallel, CancellationToken cancel)
    {
        List<TokenizedSample> global;
        using (_telemetry.Phase(TrainingPhase.Data)) global = SamplesAt(position, _settings.GlobalBatch);
        // A preference loss is a mean over the step's pairs; the SFT loss a mean over its target tokens.
        long targets = _preference is not null ? global.Count : Math.Max(1, global.Sum(CausalLmLoss.CountTargets));
        int perRank = _settings.GlobalBatch / _group.WorldSize;
        var mine = global.GetRange(_group.Rank * perRank, perRank);
        double lossSum = 0;
        long tokens = 0;
        var chunks = mine.Chunk(_settings.MicroBatchSize).ToList();
        for (int index = 0; index < chunks.Count; index++)
        {
            // A step has no upper bound on its micro-batches, so a stop is agreed between them too (every rank has as
            // many, so they all take part; one tiny all-reduce of a flag each, next to a micro-batch's forward and backward).
            if (index > 0 && AgreeToStop(cancel)) return null;
            var chunk = chunks[index];
            using var scope = NewDisposeScope();
            MicroBatch? built = null;
            if (_preference is null)
                using (_telemetry.Phase(TrainingPhase.Data)) built = MicroBatch.Build(chunk, _data.PadTokenId, _device);
            using var batch = built;
            Tensor loss;
            using (_telemetry.Phase(TrainingPhase.Forward))
                loss = _preference is not null ? _preference.LossSum(chunk, _data.PadTokenId, _device)
                    : _settings.ChunkedLoss ? CausalLmLoss.Sum(_model, batch!.InputIds, batch.Labels) : CausalLmLoss.SumUnchunked(_model, batch!.InputIds, batch.Labels);
            using (_telemetry.Phase(TrainingPhase.Backward))
            {
                if (ReferenceEquals(chunk, chunks[^1])) parallel.BeforeLastBackward(); // its gradients are the step's final ones
                try { (loss / targets).backward(); }
                finally { _model.Gradients.Release(); } // backward returned: libtorch holds what it needs of them
                _model.Gradients.ThrowIfFailed();
                lossSum += loss.item<float>();
            }
            tokens += batch?.Tokens ?? chunk.Sum(s => (long)s.Length);
            MicroBatchCompleted?.Invoke(step, index);
        }
        var (totalLoss, totalTokens) = RankSums.Of(_group, lossSum, tokens);
        return (totalLoss / targets, (long)totalTokens);
    }

    /// <summary>The global batch at a position of the endless sample stream: epoch e visits a permutation keyed by (seed, e).</summary>
    private List<TokenizedSample> SamplesAt(long position, int count)
    {
        long n = _data.Train.Count;
        var list = new List<TokenizedSample>(count);
        for (long p = position; p < position + count; p++)
        {
            int epoch = (int)(p / n);
            list.Add(_data.Train[(int)SampleOrder.IndexAt(_settings.Seed, epoch, p % n, n)]);
        }
        return list;
    }

    private sealed class NullObserver : ITrainingObserver;
}
