using System.Diagnostics;
using System.Text.Json.Nodes;
using Athanor.Checkpoints;
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
public sealed partial class Trainer
{
    private readonly CausalLM _model;
    private readonly LoraSettings? _lora;
    private readonly TrainingData _data;
    private readonly TrainerSettings _settings;
    private readonly ITrainingObserver _observer;
    private readonly ICollective _group;
    private readonly CheckpointStore _store;
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
        _store = new CheckpointStore(settings.OutputDir);
        _device = model.OutputWeight.device;
        _dropoutRng = LoraModel.DropoutRng(model);
    }

    /// <summary>
    /// ZeRO-3's sharding (and materialization); running out of GPU memory there is the same verdict as in a step:
    /// retrying on the same GPUs cannot help, so it surfaces as <see cref="DeviceOutOfMemoryException"/>.
    /// </summary>
    private ParameterSharding ShardOrExplain(Func<string, TorchSharp.Modules.Parameter, bool> takesDecay, string? resumedFrom)
    {
        try { return Shard(takesDecay, resumedFrom); }
        catch (Exception ex) when (DeviceOutOfMemoryException.Matches(ex))
        {
            throw new DeviceOutOfMemoryException($"out of GPU memory while sharding the model over {_group.WorldSize} rank(s) with ZeRO-3 " +
                $"({Native.DeviceMemory.Describe()})", ex);
        }
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
        if (_leader) Directory.CreateDirectory(_settings.OutputDir);
        var clock = Stopwatch.StartNew();
        long n = _data.Train.Count;
        int totalSteps = _settings.TotalSteps(n);
        var schedule = new LearningRateSchedule(_settings.LearningRate, totalSteps,
            LearningRateSchedule.ResolveWarmup(_settings.WarmupSteps, _settings.WarmupRatio, totalSteps), _settings.Schedule);

        bool onGpu = _device.type == DeviceType.CUDA || Deferred?.Device.type == DeviceType.CUDA;
        _telemetry = new TrainingRecorder(onGpu ? GpuTelemetry(Deferred?.Device ?? _device) : Telemetry, _group.Rank, _group.WorldSize, _settings.ZeroStage, _settings.LoggingSteps, totalSteps,
            _model.Config.ParameterCount(), _model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()), get_num_threads());
        Func<string, TorchSharp.Modules.Parameter, bool> takesDecay = (name, p) => p.dim() >= 2 && !name.EndsWith(".bias", StringComparison.Ordinal);
        var layout = new FlatLayout(_model.named_parameters(), takesDecay);
        var state = new TrainingState
        {
            TotalSteps = totalSteps, GlobalBatch = _settings.GlobalBatch, Seed = _settings.Seed, TrainSamples = n,
            WorldSize = _group.WorldSize, ZeroStage = _settings.ZeroStage,
        };
        var resumedFrom = _store.Resolve(_settings.ResumeFrom, _settings.JobId);
        if (resumedFrom is null && !_settings.OverwriteOutputDir && _store.Complete() is { Count: > 0 } earlier)
            // A fresh start would write checkpoint-N over an earlier run's checkpoint-N: nothing written is lost unasked.
            throw new ArgumentException($"output_dir {_settings.OutputDir} already holds checkpoints of an earlier run " +
                $"({string.Join(", ", earlier.Select(c => Path.GetFileName(c.Folder)))}); accepted: resume_from_checkpoint: auto to continue it, " +
                "overwrite_output_dir: true to start over there, or another output_dir");
        // The weights are loaded into the whole model first: ZeRO-3 then cuts its shares from them.
        var saved = resumedFrom is null ? null : ReadSavedState(resumedFrom);
        if (resumedFrom is not null && !(Deferred is not null && _lora is null)) LoadWeights(resumedFrom);
        using var sharding = _settings.ZeroStage == 3 ? ShardOrExplain(takesDecay, resumedFrom) : null;
        _device = _model.OutputWeight.device; // materialized by now
        using IDataParallelOptimizer optimizer = sharding is null
            ? new ZeroAdamW(layout, _group, _settings.ZeroStage, _settings.WeightDecay, _settings.AdamBeta1, _settings.AdamBeta2, _settings.AdamEpsilon,
                _settings.GradientBucketElements)
            : new Zero3AdamW(sharding, layout, _settings.WeightDecay, _settings.AdamBeta1, _settings.AdamBeta2, _settings.AdamEpsilon,
                offload: _settings.OffloadOptimizer);
        _sharding = sharding;
        _bucketed = optimizer is ZeroAdamW { ReducesDuringBackward: true } zero ? zero : null;
        using var layerHook = _bucketed is null ? null : LayerGradientHook.Install(_model, _bucketed.LayerGradientsFinal);
        if (resumedFrom is not null) state = Restore(resumedFrom, saved!, optimizer, totalSteps);
        else
        {
            _dropoutRng?.manual_seed(_settings.Seed + 1 + _group.Rank);
            optimizer.BroadcastParameters(); // every rank starts from rank 0's initialization
        }
        if (sharding is not null && _leader && ExtraEvaluation is not null)
            _observer.OnMessage("ZeRO-3: the leader-only evaluation extras (benchmarks, sample generations) are skipped; the eval loss runs on every rank");

        using var metrics = _leader ? new MetricsLog(_settings.OutputDir, state.LogHistory, _settings.TensorBoardDir) : null;
        _observer.OnStart(state.Step, totalSteps, resumedFrom);
        _model.train();

        double? firstLoss = state.LogHistory.FirstOrDefault(r => r.ContainsKey("loss"))?["loss"]?.GetValue<double>();
        double? lastLoss = null;
        string? lastCheckpoint = resumedFrom;
        double windowLoss = 0; int windowSteps = 0; long windowTokens = 0; var windowClock = Stopwatch.StartNew();
        int stepsThisRun = 0;
        bool cancelled = false;

        while (state.Step < totalSteps && !state.StoppedEarly)
        {
            if (AgreeToStop(cancel)) { cancelled = true; break; }
            using var stepSpan = _telemetry.BeginStep(state.Step + 1);
            var stepClock = Stopwatch.StartNew();
            double loss, gradNorm, lr = schedule.At(state.Step);
            long tokens;
            try
            {
                using var rngAtStepStart = _dropoutRng?.get_state();
                if (TrainStep(state.Step + 1, state.SamplePosition, cancel) is not { } done)
                {
                    // Stopped between micro-batches: the partial step is dropped whole (its gradients and the dropout draws
                    // it made), so weights, optimizer, data position and RNG are all those of the last completed step.
                    optimizer.ZeroGrad();
                    if (rngAtStepStart is not null) _dropoutRng!.set_state(rngAtStepStart);
                    cancelled = true;
                    _observer.OnMessage($"stopped in step {state.Step + 1}, between micro-batches: its partial gradients are dropped, " +
                        $"the run stays at step {state.Step}");
                    break;
                }
                (loss, tokens) = done;
                Tensor norm;
                using (_telemetry.Phase(_telemetry.GradientSync)) norm = optimizer.SyncAndClipGradientsDeferred(_settings.MaxGradNorm);
                using (norm)
                {
                    using (_telemetry.Phase(TrainingPhase.Optimizer))
                    {
                        optimizer.Step(lr);
                        optimizer.ZeroGrad();
                    }
                    gradNorm = norm.item<double>(); // read once the step is queued, so the GPU never waits for the host
                }
            }
            catch (Exception ex) when (_device.type != DeviceType.CPU && DeviceOutOfMemoryException.Matches(ex))
            {
                throw new DeviceOutOfMemoryException($"out of GPU memory in step {state.Step + 1} on {_device} ({Native.DeviceMemory.Describe()}; " +
                    $"micro-batch {_settings.MicroBatchSize}, {layout.Length / 1e6:F0}M trainable parameters, ZeRO {_settings.ZeroStage} over {_group.WorldSize} rank(s))", ex);
            }
            state.Step++;
            state.SamplePosition += _settings.GlobalBatch;
            stepsThisRun++;
            lastLoss = loss;
            windowLoss += loss; windowSteps++; windowTokens += tokens;

            double epoch = (double)state.SamplePosition / n;
            var elapsed = clock.Elapsed;
            var remaining = TimeSpan.FromSeconds(elapsed.TotalSeconds / stepsThisRun * (totalSteps - state.Step));
            _telemetry.StepDone(state.Step, loss, lr, gradNorm, tokens, stepClock.Elapsed.TotalSeconds);
            StepCompleted?.Invoke(state.Step);
            _observer.OnStep(new StepMetrics(state.Step, totalSteps, epoch, loss, lr, gradNorm,
                tokens / Math.Max(1e-9, stepClock.Elapsed.TotalSeconds), stepClock.Elapsed.TotalSeconds, elapsed, remaining));

            if (state.Step % _settings.LoggingSteps == 0 || state.Step == totalSteps || (state.Step == 1 && _settings.LoggingFirstStep))
            {
                double meanLoss = windowLoss / windowSteps;
                firstLoss ??= meanLoss;
                var row = new JsonObject
                {
                    ["step"] = state.Step, ["epoch"] = Math.Round(epoch, 4), ["loss"] = meanLoss, ["lr"] = lr,
                    ["grad_norm"] = gradNorm, ["tokens_per_s"] = Math.Round(windowTokens / windowClock.Elapsed.TotalSeconds, 1),
                    ["step_s"] = Math.Round(windowClock.Elapsed.TotalSeconds / windowSteps, 4),
                    ["phase_s"] = _telemetry.TakeWindowPhases(windowSteps),
                };
                if (onGpu)
                {
                    // cudaMemGetInfo's "in use": tensors plus the caching allocator's reserve and the context.
                    row["mfu"] = Math.Round(_telemetry.Utilization(windowTokens, windowClock.Elapsed.TotalSeconds), 4);
                    row["gpu_mem_gib"] = Math.Round(Native.DeviceMemory.UsedGib(_device.index), 2);
                }
                state.LogHistory.Add(row);
                metrics?.Append(row);
                windowLoss = 0; windowSteps = 0; windowTokens = 0; windowClock.Restart();
            }

            if (_settings.EvalSteps is int every && _data.Validation.Count > 0 && (state.Step % every == 0 || state.Step == totalSteps))
            {
                var eval = Evaluate();
                _telemetry.EvalDone(eval.Loss);
                bool best = state.BestEvalLoss is not double b || eval.Loss < b;
                if (best) { state.BestEvalLoss = eval.Loss; state.EvalsWithoutImprovement = 0; }
                else state.EvalsWithoutImprovement++;
                var row = new JsonObject { ["step"] = state.Step, ["eval_loss"] = eval.Loss, ["eval_tokens"] = eval.Tokens };
                if (_leader && ExtraEvaluation is not null && _sharding is null)
                {
                    // Only the leader scores (other ranks wait at the next step's collective).
                    var (extra, lines) = ExtraEvaluation(_model);
                    foreach (var (key, value) in extra) row[key] = value;
                    foreach (var line in lines) _observer.OnMessage(line);
                }
                state.LogHistory.Add(row);
                metrics?.Append(row);
                _observer.OnEval(new EvalMetrics(state.Step, eval.Loss, eval.Tokens, best));
                if (_settings.EarlyStoppingPatience is int patience && state.EvalsWithoutImprovement >= patience)
                {
                    state.StoppedEarly = true;
                    _observer.OnMessage($"early stopping: eval loss has not improved on {state.BestEvalLoss:F4} for {patience} evaluations");
                }
            }

            bool last = state.Step == totalSteps || state.StoppedEarly;
            if (_settings.SaveCheckpoints && (state.Step % _settings.SaveSteps == 0 || last))
                lastCheckpoint = Save(state, optimizer);
        }

        if (cancelled && _settings.SaveCheckpoints && state.Step > 0 && lastCheckpoint != _store.FolderFor(state.Step))
            lastCheckpoint = Save(state, optimizer);

        var result = new TrainingResult(state.Step, firstLoss, lastLoss, state.BestEvalLoss, state.StoppedEarly, cancelled, lastCheckpoint, clock.Elapsed);
        _observer.OnEnd(result);
        return result;
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
    private (double Loss, long Tokens)? TrainStep(int step, long position, CancellationToken cancel)
    {
        List<TokenizedSample> global;
        using (_telemetry.Phase(TrainingPhase.Data)) global = SamplesAt(position, _settings.GlobalBatch);
        long targets = Math.Max(1, global.Sum(CausalLmLoss.CountTargets));
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
            MicroBatch built;
            using (_telemetry.Phase(TrainingPhase.Data)) built = MicroBatch.Build(chunk, _data.PadTokenId, _device);
            using var batch = built;
            Tensor loss;
            using (_telemetry.Phase(TrainingPhase.Forward))
                loss = _settings.ChunkedLoss ? CausalLmLoss.Sum(_model, batch.InputIds, batch.Labels) : CausalLmLoss.SumUnchunked(_model, batch.InputIds, batch.Labels);
            using (_telemetry.Phase(TrainingPhase.Backward))
            {
                if (ReferenceEquals(chunk, chunks[^1])) _bucketed?.ArmForLastMicroBatch(); // its gradients are the step's final ones
                try { (loss / targets).backward(); }
                finally { _model.Gradients.Release(); } // backward returned: libtorch holds what it needs of them
                _model.Gradients.ThrowIfFailed();
                lossSum += loss.item<float>();
            }
            tokens += batch.Tokens;
            MicroBatchCompleted?.Invoke(step, index);
        }
        var (totalLoss, totalTokens) = SumAcrossRanks(lossSum, tokens);
        return (totalLoss / targets, (long)totalTokens);
    }

    private (double, double) SumAcrossRanks(double a, double b)
    {
        if (_group.WorldSize == 1) return (a, b);
        using var t = tensor(new[] { a, b });
        _group.AllReduceSum(t);
        var v = t.data<double>().ToArray();
        return (v[0], v[1]);
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

    /// <summary>Mean loss per target token over the validation set; each rank takes every W-th sample.</summary>
    private (double Loss, long Tokens) Evaluate()
    {
        using var phase = _telemetry.Phase(TrainingPhase.Eval);
        _model.eval();
        try
        {
            using var _ = no_grad();
            double sum = 0;
            long targets = 0;
            var mine = _data.Validation.Where((_, i) => i % _group.WorldSize == _group.Rank).ToList();
            var chunks = mine.Chunk(_settings.EvalBatchSize).ToList();
            // ZeRO-3 gathers every layer collectively: all ranks run as many batches as rank 0 (which has the most),
            // the extra ones on a sample whose loss is not counted.
            int rounds = _sharding is null ? chunks.Count : (int)Math.Ceiling((_data.Validation.Count + _group.WorldSize - 1) / _group.WorldSize / (double)_settings.EvalBatchSize);
            for (int k = 0; k < rounds; k++)
            {
                using var scope = NewDisposeScope();
                bool counted = k < chunks.Count;
                var chunk = counted ? chunks[k] : [_data.Validation[0]];
                using var batch = MicroBatch.Build(chunk, _data.PadTokenId, _device);
                float loss = CausalLmLoss.Sum(_model, batch.InputIds, batch.Labels).item<float>();
                if (!counted) continue;
                sum += loss;
                targets += chunk.Sum(CausalLmLoss.CountTargets);
            }
            var (totalSum, totalTargets) = SumAcrossRanks(sum, targets);
            return (totalSum / Math.Max(1, totalTargets), (long)totalTargets);
        }
        finally { _model.train(); }
    }

    private ParameterSharding? _sharding;
    /// <summary>The optimizer, when it reduces gradient buckets during the last micro-batch's backward.</summary>
    private ZeroAdamW? _bucketed;

    private sealed class NullObserver : ITrainingObserver;
}
