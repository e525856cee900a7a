using System.Diagnostics;
using System.Text.Json.Nodes;
using Athanor.Checkpoints;
using Athanor.Checkpoints.Safetensors;
using Athanor.Data;
using Athanor.Data.Sampling;
using Athanor.Lora;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// The single-process training loop: sample order from (seed, epoch, position), gradient accumulation
/// normalized by the target tokens of the whole step, clipping, AdamW, schedule, evaluation, early
/// stopping, metrics and atomic checkpoints. Resuming from a checkpoint continues bit for bit.
/// </summary>
public sealed class Trainer
{
    public const string OptimizerFile = "optimizer.safetensors";

    private readonly CausalLM _model;
    private readonly LoraSettings? _lora;
    private readonly TrainingData _data;
    private readonly TrainerSettings _settings;
    private readonly ITrainingObserver _observer;
    private readonly CheckpointStore _store;
    private readonly Device _device;

    public Trainer(CausalLM model, LoraSettings? lora, TrainingData data, TrainerSettings settings, ITrainingObserver? observer = null)
    {
        if (data.Train.Count == 0) throw new ArgumentException("the training set is empty: nothing to train on");
        _model = model;
        _lora = lora;
        _data = data;
        _settings = settings;
        _observer = observer ?? new NullObserver();
        _store = new CheckpointStore(settings.OutputDir);
        _device = model.OutputWeight.device;
    }

    public TrainingResult Run(CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_settings.OutputDir);
        var clock = Stopwatch.StartNew();
        long n = _data.Train.Count;
        int totalSteps = _settings.TotalSteps(n);
        var schedule = new LearningRateSchedule(_settings.LearningRate, totalSteps,
            LearningRateSchedule.ResolveWarmup(_settings.WarmupSteps, _settings.WarmupRatio, totalSteps), _settings.Schedule);

        using var optimizer = new AdamW(_model.named_parameters(), _settings.WeightDecay, _settings.AdamBeta1, _settings.AdamBeta2, _settings.AdamEpsilon);
        var state = new TrainingState { TotalSteps = totalSteps, GlobalBatch = _settings.GlobalBatch, Seed = _settings.Seed, TrainSamples = n };
        var resumedFrom = _store.Resolve(_settings.ResumeFrom);
        if (resumedFrom is not null) state = Restore(resumedFrom, optimizer, totalSteps);
        else manual_seed(_settings.Seed);

        using var metrics = new MetricsLog(_settings.OutputDir, state.LogHistory);
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
            if (cancel.IsCancellationRequested) { cancelled = true; break; }
            var stepClock = Stopwatch.StartNew();
            var (loss, tokens) = TrainStep(state.SamplePosition);
            double gradNorm = GradientClipping.ClipByGlobalNorm(optimizer.Parameters, _settings.MaxGradNorm);
            double lr = schedule.At(state.Step);
            optimizer.Step(lr);
            optimizer.ZeroGrad();
            state.Step++;
            state.SamplePosition += _settings.GlobalBatch;
            stepsThisRun++;
            lastLoss = loss;
            windowLoss += loss; windowSteps++; windowTokens += tokens;

            double epoch = (double)state.SamplePosition / n;
            var elapsed = clock.Elapsed;
            var remaining = TimeSpan.FromSeconds(elapsed.TotalSeconds / stepsThisRun * (totalSteps - state.Step));
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
                };
                state.LogHistory.Add(row);
                metrics.Append(row);
                windowLoss = 0; windowSteps = 0; windowTokens = 0; windowClock.Restart();
            }

            if (_settings.EvalSteps is int every && _data.Validation.Count > 0 && (state.Step % every == 0 || state.Step == totalSteps))
            {
                var eval = Evaluate();
                bool best = state.BestEvalLoss is not double b || eval.Loss < b;
                if (best) { state.BestEvalLoss = eval.Loss; state.EvalsWithoutImprovement = 0; }
                else state.EvalsWithoutImprovement++;
                var row = new JsonObject { ["step"] = state.Step, ["eval_loss"] = eval.Loss, ["eval_tokens"] = eval.Tokens };
                state.LogHistory.Add(row);
                metrics.Append(row);
                _observer.OnEval(new EvalMetrics(state.Step, eval.Loss, eval.Tokens, best));
                if (_settings.EarlyStoppingPatience is int patience && state.EvalsWithoutImprovement >= patience)
                {
                    state.StoppedEarly = true;
                    _observer.OnMessage($"early stopping: eval loss has not improved on {state.BestEvalLoss:F4} for {patience} evaluations");
                }
            }

            bool last = state.Step == totalSteps || state.StoppedEarly;
            if (state.Step % _settings.SaveSteps == 0 || last)
                lastCheckpoint = Save(state, optimizer);
        }

        if (cancelled && state.Step > 0 && lastCheckpoint != _store.FolderFor(state.Step))
            lastCheckpoint = Save(state, optimizer);

        var result = new TrainingResult(state.Step, firstLoss, lastLoss, state.BestEvalLoss, state.StoppedEarly, cancelled, lastCheckpoint, clock.Elapsed);
        _observer.OnEnd(result);
        return result;
    }

    /// <summary>One optimizer step's forward and backward over the global batch starting at a sample position.</summary>
    private (double Loss, long Tokens) TrainStep(long position)
    {
        var samples = SamplesAt(position, _settings.GlobalBatch);
        // Every micro-batch's summed loss is divided by the targets of the WHOLE step, so the gradient
        // equals that of one big batch (not a mean of per-micro-batch means).
        long targets = Math.Max(1, samples.Sum(CausalLmLoss.CountTargets));
        double lossSum = 0;
        long tokens = 0;
        foreach (var chunk in samples.Chunk(_settings.MicroBatchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = MicroBatch.Build(chunk, _data.PadTokenId, _device);
            var loss = CausalLmLoss.Sum(_model, batch.InputIds, batch.Labels);
            (loss / targets).backward();
            lossSum += loss.item<float>();
            tokens += batch.Tokens;
        }
        return (lossSum / targets, tokens);
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

    private (double Loss, long Tokens) Evaluate()
    {
        _model.eval();
        try
        {
            using var _ = no_grad();
            double sum = 0;
            long targets = 0;
            foreach (var chunk in _data.Validation.Chunk(_settings.EvalBatchSize))
            {
                using var scope = NewDisposeScope();
                using var batch = MicroBatch.Build(chunk, _data.PadTokenId, _device);
                sum += CausalLmLoss.Sum(_model, batch.InputIds, batch.Labels).item<float>();
                targets += chunk.Sum(CausalLmLoss.CountTargets);
            }
            return (sum / Math.Max(1, targets), targets);
        }
        finally { _model.train(); }
    }

    private string Save(TrainingState state, AdamW optimizer)
    {
        using var rng = get_rng_state();
        state.TorchRngState = Convert.ToBase64String(rng.bytes);
        var folder = _store.Save(state.Step, _lora is null ? "full" : "lora", dir =>
        {
            if (_lora is null) ModelWeights.Save(_model, dir);
            else PeftAdapter.Save(_model, _lora, dir, _settings.BaseModelNameOrPath);
            SafetensorsWriter.Write(Path.Combine(dir, OptimizerFile), optimizer.StateTensors());
            IO.DurableFile.WriteAllText(Path.Combine(dir, TrainingState.FileName), state.ToJson());
        });
        _observer.OnCheckpoint(state.Step, folder);
        if (_settings.SaveTotalLimit is int keep)
            foreach (var removed in _store.Prune(keep))
                _observer.OnMessage($"removed {removed} (save_total_limit {keep})");
        return folder;
    }

    private TrainingState Restore(string folder, AdamW optimizer, int totalSteps)
    {
        var state = TrainingState.Read(Path.Combine(folder, TrainingState.FileName));
        if (state.GlobalBatch != _settings.GlobalBatch)
            throw new ArgumentException($"{folder}: saved with a global batch of {state.GlobalBatch}, this run has {_settings.GlobalBatch} " +
                "(per_device_train_batch_size x gradient_accumulation_steps x world size); keep the global batch to resume");
        if (state.TrainSamples != _data.Train.Count)
            throw new ArgumentException($"{folder}: saved with {state.TrainSamples} training samples, this run has {_data.Train.Count}; resume with the same data");
        if (_lora is null) ModelWeights.Load(_model, folder);
        else PeftAdapter.LoadWeights(_model, folder);
        using (var file = SafetensorsFile.Open(Path.Combine(folder, OptimizerFile)))
            optimizer.LoadState(key => file.Contains(key) ? file.Load(key) : null, state.Step);
        using (var rng = tensor(Convert.FromBase64String(state.TorchRngState), dtype: ScalarType.Byte))
            set_rng_state(rng);
        state.TotalSteps = totalSteps;
        _observer.OnMessage($"resumed from {folder} at step {state.Step}");
        return state;
    }

    private sealed class NullObserver : ITrainingObserver;
}
