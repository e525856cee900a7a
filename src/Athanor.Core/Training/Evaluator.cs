using System.Text.Json.Nodes;
using Athanor.Models;
using Athanor.Parallel;
using Athanor.Telemetry;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// The loop's evaluations: the mean eval loss over the validation set (each rank takes every W-th sample), the
/// leader's extras (benchmarks, sample generations), the best-loss and early-stopping bookkeeping, and the eval row.
/// </summary>
internal sealed class Evaluator(CausalLM model, Device device, TrainingData data, TrainerSettings settings, ICollective group, bool sharded,
    TrainingRecorder telemetry, ITrainingObserver observer, Func<CausalLM, (IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<string> Lines)>? extra,
    Preference.PreferenceObjective? preference = null)
{
    /// <summary>The last evaluation's preference metrics (eval_rewards/accuracies, ...), empty for sft and pt.</summary>
    private Dictionary<string, double> _preferenceMetrics = [];

    private bool Leader => group.Rank == 0;

    /// <summary>Whether the loop evaluates after <paramref name="step"/>: every eval_steps and after the last step, if there is validation data.</summary>
    public bool Due(int step, int totalSteps) =>
        settings.EvalSteps is int every && data.Validation.Count > 0 && (step % every == 0 || step == totalSteps);

    /// <summary>Evaluates, updates the state's best loss and early stopping, and hands the eval row to <paramref name="record"/>.</summary>
    public void Run(TrainingState state, Action<JsonObject> record)
    {
        var eval = Loss();
        telemetry.EvalDone(eval.Loss);
        bool best = state.BestEvalLoss is not double b || eval.Loss < b;
        if (best) { state.BestEvalLoss = eval.Loss; state.EvalsWithoutImprovement = 0; }
        else state.EvalsWithoutImprovement++;
        var row = new JsonObject { ["step"] = state.Step, ["eval_loss"] = eval.Loss, ["eval_tokens"] = eval.Tokens };
        foreach (var (name, value) in _preferenceMetrics) row["eval_" + name] = value;
        if (Leader && extra is not null && !sharded)
        {
            // Only the leader scores (other ranks wait at the next step's collective).
            var (metrics, lines) = extra(model);
            foreach (var (key, value) in metrics) row[key] = value;
            foreach (var line in lines) observer.OnMessage(line);
        }
        record(row);
        observer.OnEval(new EvalMetrics(state.Step, eval.Loss, eval.Tokens, best));
        if (settings.EarlyStoppingPatience is int patience && state.EvalsWithoutImprovement >= patience)
        {
            state.StoppedEarly = true;
            observer.OnMessage($"early stopping: eval loss has not improved on {state.BestEvalLoss:F4} for {patience} evaluations");
        }
    }

    /// <summary>Mean loss per target token over the validation set; each rank takes every W-th sample.</summary>
    private (double Loss, long Tokens) Loss()
    {
        using var phase = telemetry.Phase(TrainingPhase.Eval);
        model.eval();
        try
        {
            using var _ = no_grad();
            double sum = 0;
            long targets = 0;
            var mine = data.Validation.Where((_, i) => i % group.WorldSize == group.Rank).ToList();
            var metrics = new Preference.PreferenceMetrics();
            var chunks = mine.Chunk(settings.EvalBatchSize).ToList();
            // ZeRO-3 gathers every layer collectively: all ranks run as many batches as rank 0 (which has the most),
            // the extra ones on a sample whose loss is not counted.
            int rounds = !sharded ? chunks.Count : (int)Math.Ceiling((data.Validation.Count + group.WorldSize - 1) / group.WorldSize / (double)settings.EvalBatchSize);
            for (int k = 0; k < rounds; k++)
            {
                using var scope = NewDisposeScope();
                bool counted = k < chunks.Count;
                var chunk = counted ? chunks[k] : [data.Validation[0]];
                float loss;
                if (preference is not null)
                {
                    // A pair's preference loss, counted once per pair (an uncounted round's metrics go nowhere).
                    loss = preference.LossSum(chunk, data.PadTokenId, device, counted ? metrics : new Preference.PreferenceMetrics()).item<float>();
                    if (!counted) continue;
                    sum += loss;
                    targets += chunk.Length;
                    continue;
                }
                using var batch = MicroBatch.Build(chunk, data.PadTokenId, device);
                loss = CausalLmLoss.Sum(model, batch.InputIds, batch.Labels).item<float>();
                if (!counted) continue;
                sum += loss;
                targets += chunk.Sum(CausalLmLoss.CountTargets);
            }
            if (preference is not null) _preferenceMetrics = metrics.Take(group);
            var (totalSum, totalTargets) = RankSums.Of(group, sum, targets);
            return (totalSum / Math.Max(1, totalTargets), (long)totalTargets);
        }
        finally { model.train(); }
    }
}
