using System.Text.Json.Nodes;
using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Tests.Data;
using Athanor.Tests.Training;
using Athanor.Training;

namespace Athanor.Tests.Preference;

/// <summary>
/// Stages dpo and kto end to end on the CPU: a tiny random Llama-style model, LLaMA-Factory's dpo_en_demo / kto_en_demo
/// byte by byte, through the same job preparation and trainer as `cluster train`.
/// </summary>
public sealed class PreferenceTrainingTests
{
    private static readonly string[] TrlMetrics =
        ["rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected"];

    private static JobConfig Job(string folder, string extra, int maxSteps = 24)
    {
        var modelDir = Path.Combine(folder, "model");
        Directory.CreateDirectory(modelDir);
        File.WriteAllText(Path.Combine(modelDir, "config.json"), """
            {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 262, "rope_theta": 10000.0,
             "tie_word_embeddings": true, "eos_token_id": 257, "pad_token_id": 258}
            """);
        var yaml = $"""
            model_name_or_path: {modelDir}
            init: random
            tokenizer: byte
            stage: dpo
            finetuning_type: lora
            lora_rank: 8
            lora_dropout: 0.1
            dataset: dpo_en_demo
            dataset_dir: {DemoData.Dir}
            template: default
            cutoff_len: 192
            max_samples: 32
            on_bad_record: skip
            output_dir: {Path.Combine(folder, "out")}
            logging_steps: 1
            logging_first_step: true
            save_steps: 8
            per_device_train_batch_size: 2
            gradient_accumulation_steps: 2
            learning_rate: 2.0e-2
            lr_scheduler_type: constant
            max_steps: {maxSteps}
            seed: 3
            {extra}
            """;
        return JobConfigLoader.Parse(yaml, "job.yaml", [], folder).Config;
    }

    private static (TrainingResult Result, List<JsonObject> Rows) Train(JobConfig config, ITrainingObserver? observer = null, CancellationToken cancel = default)
    {
        using var prepared = JobPreparation.Prepare(config, _ => { });
        var result = new Trainer(prepared.Model, prepared.Lora, prepared.Data, prepared.Settings, observer) { Deferred = prepared.Deferred }.Run(cancel);
        var rows = File.ReadAllLines(Path.Combine(config.OutputDir, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        return (result, rows);
    }

    private static double[] Series(List<JsonObject> rows, string key) =>
        rows.Where(r => r.ContainsKey(key)).Select(r => r[key]!.GetValue<double>()).ToArray();

    [Fact]
    public void LoraDpoStartsAtLnTwoThenLossFallsAndRewardAccuracyRises()
    {
        using var temp = new TestPaths.TempFolder();
        var (result, rows) = Train(Job(temp.Path, ""));
        var loss = Series(rows, "loss");
        // Step 1 is scored before any update: the policy is the reference (adapters off, B = 0), every margin is 0.
        Assert.Equal(Math.Log(2), loss[0], 1e-5);
        Assert.Equal(0, Series(rows, "rewards/chosen")[0], 1e-6);
        Assert.Equal(0, Series(rows, "rewards/margins")[0], 1e-6);
        foreach (var key in TrlMetrics) Assert.True(rows[0].ContainsKey(key), $"{key} missing in {rows[0].ToJsonString()}");
        double lastLoss = loss[^4..].Average();
        Assert.True(lastLoss < 0.75 * Math.Log(2), $"loss {string.Join(" ", loss)} acc {string.Join(" ", Series(rows, "rewards/accuracies"))}");
        double lastAccuracy = Series(rows, "rewards/accuracies")[^4..].Average();
        Assert.True(lastAccuracy > 0.8, $"reward accuracy of the last four steps is {lastAccuracy}");
        Assert.True(Series(rows, "rewards/margins")[^1] > 0);
        Assert.Equal(24, result.Steps);
    }

    [Fact]
    public void AResumedDpoRunContinuesTheCurveExactly()
    {
        using var temp = new TestPaths.TempFolder();
        var (_, whole) = Train(Job(temp.Sub("whole"), "", maxSteps: 16));

        var stopped = Job(temp.Sub("stopped"), "", maxSteps: 16);
        using (var cancel = new CancellationTokenSource())
            Train(stopped, new StopAfter(8, cancel), cancel.Token);
        Assert.True(Directory.Exists(Path.Combine(stopped.OutputDir, "checkpoint-8")));
        var (resumed, rows) = Train(stopped with { ResumeFromCheckpoint = "auto" });

        Assert.Equal(16, resumed.Steps);
        Assert.Equal(Series(whole, "loss"), Series(rows, "loss"));
        Assert.Equal(Series(whole, "rewards/accuracies"), Series(rows, "rewards/accuracies"));
    }

    [Fact]
    public void GradientCheckpointingLeavesTheDpoCurveUnchanged()
    {
        // The reference forward (no grad, adapters off) and the policy's both pass the recomputing layers.
        using var temp = new TestPaths.TempFolder();
        var (_, plain) = Train(Job(temp.Sub("plain"), "", maxSteps: 6));
        var (_, recomputed) = Train(Job(temp.Sub("recomputed"), "gradient_checkpointing: true", maxSteps: 6));
        var a = Series(plain, "loss");
        var b = Series(recomputed, "loss");
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5, $"step {i + 1}: {a[i]:R} vs {b[i]:R}");
    }

    [Fact]
    public void FullFineTuningPrecomputesTheReferenceAndResumesWithIt()
    {
        using var temp = new TestPaths.TempFolder();
        var job = Job(temp.Path, "", maxSteps: 8) with { FinetuningType = FinetuningType.Full, LearningRate = 2e-3 };
        var (_, rows) = Train(job);
        Assert.Equal(Math.Log(2), Series(rows, "loss")[0], 1e-5);
        Assert.True(File.Exists(Path.Combine(job.OutputDir, "reference_logps.bin")));
        Assert.True(Series(rows, "loss")[^1] < Math.Log(2));

        // A resumed run takes the saved reference (its weights are no longer the starting ones) and goes on.
        var (resumed, _) = Train(job with { MaxSteps = 10, ResumeFromCheckpoint = "auto" });
        Assert.Equal(10, resumed.Steps);
        File.Delete(Path.Combine(job.OutputDir, "reference_logps.bin"));
        var ex = Assert.Throws<InvalidOperationException>(() => Train(job with { MaxSteps = 12, ResumeFromCheckpoint = "auto" }));
        Assert.Contains("reference_logps.bin", ex.Message);
    }

    [Theory]
    [InlineData("orpo")]
    [InlineData("simpo")]
    [InlineData("ipo")]
    [InlineData("hinge")]
    public void EveryLossTrainsAndLowersItsLoss(string loss)
    {
        using var temp = new TestPaths.TempFolder();
        var (result, rows) = Train(Job(temp.Path, $"pref_loss: {loss}\npref_ftx: 0.5", maxSteps: 12));
        var series = Series(rows, "loss");
        Assert.All(series, v => Assert.True(double.IsFinite(v)));
        Assert.True(series[^3..].Average() < series[0], $"{loss}: loss went from {series[0]} to {series[^3..].Average()}");
        Assert.True(rows[0].ContainsKey("sft_loss"));
        Assert.Equal(12, result.Steps);
    }

    [Fact]
    public void KtoStartsAtOneHalfAndLearnsTheTags()
    {
        using var temp = new TestPaths.TempFolder();
        // The undesirable records of kto_en_demo have long prompts: a longer cutoff keeps some of them. Micro-batches of
        // 4 give the KL reference point (estimated per micro-batch, as TRL does per batch) four mismatched completions.
        var config = Job(temp.Path, "", maxSteps: 24) with
        {
            Stage = TrainingStage.Kto, Dataset = "kto_en_demo", CutoffLen = 640, MaxSamples = 64,
            PerDeviceTrainBatchSize = 4, GradientAccumulationSteps = 1, LearningRate = 5e-3,
        };
        var (_, rows) = Train(config);
        var loss = Series(rows, "loss");
        // Before any update every log-ratio and the KL estimate are 0: each loss is 1 - sigmoid(0).
        Assert.Equal(0.5, loss[0], 1e-6);
        Assert.Equal(0, Series(rows, "kl")[0], 1e-6);
        var margin = rows.Where(r => r.ContainsKey("rewards/rejected") && r.ContainsKey("rewards/chosen"))
            .Select(r => r["rewards/chosen"]!.GetValue<double>() - r["rewards/rejected"]!.GetValue<double>()).ToArray();
        Assert.True(loss[^8..].Average() < 0.5 && margin[^6..].Average() > 0,
            $"loss {string.Join(" ", loss)} margins {string.Join(" ", margin)} kl {string.Join(" ", Series(rows, "kl"))}");
    }

    [Fact]
    public void EvaluationReportsThePreferenceLossAndRewardAccuracyOnHeldOutPairs()
    {
        using var temp = new TestPaths.TempFolder();
        var (_, rows) = Train(Job(temp.Path, "val_size: 6\neval_strategy: steps\neval_steps: 6", maxSteps: 6));
        var eval = Assert.Single(rows, r => r.ContainsKey("eval_loss"));
        Assert.True(eval.ContainsKey("eval_rewards/accuracies"), eval.ToJsonString());
        Assert.True(eval["eval_loss"]!.GetValue<double>() is > 0 and < 5);
    }
}
