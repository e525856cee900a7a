using System.Text.Json.Nodes;
using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Parallel;
using Athanor.Tests.Data;
using Athanor.Training;

namespace Athanor.Tests.Preference;

/// <summary>DPO with LoRA over several ranks and ZeRO stages follows the one-rank curve (the rewards too).</summary>
public sealed class PreferenceParallelTests
{
    private static JobConfig Job(string folder)
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
            dataset: dpo_en_demo
            dataset_dir: {DemoData.Dir}
            template: default
            cutoff_len: 192
            max_samples: 32
            on_bad_record: skip
            output_dir: {Path.Combine(folder, "out")}
            logging_steps: 1
            save_steps: 100
            per_device_train_batch_size: 2
            gradient_accumulation_steps: 2
            learning_rate: 2.0e-2
            max_steps: 6
            seed: 3
            """;
        return JobConfigLoader.Parse(yaml, "job.yaml", [], folder).Config;
    }

    /// <summary>One thread per rank over a loopback ring; rank 0's metric rows.</summary>
    private static List<JsonObject> Train(JobConfig config, JobPreparation.SharedInputs inputs, string output, int world, int stage)
    {
        var job = config with { ZeroStage = stage, OutputDir = output };
        var group = new LocalGroup(world);
        var ranks = Enumerable.Range(0, world).Select(rank => Task.Factory.StartNew(() =>
        {
            using var collective = group.Join(rank);
            var (model, lora, deferred) = JobPreparation.BuildModel(job, inputs.ModelConfig, null, rank);
            using (model)
            {
                var settings = JobPreparation.MapSettings(job, inputs.Data.Train.Count, world, stage);
                new Trainer(model, lora, inputs.Data, settings, null, collective) { Deferred = deferred }.Run();
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(ranks, TimeSpan.FromMinutes(3)), "data-parallel run hung");
        return File.ReadAllLines(Path.Combine(output, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    [Theory]
    [InlineData(2, 1, 0)]
    [InlineData(2, 2, 0)]
    [InlineData(2, 3, 3)] // ZeRO-3 draws its random base on the meta device: compared with one ZeRO-3 rank
    public void TwoRanksFollowTheOneRankCurve(int world, int stage, int baselineStage)
    {
        using var temp = new TestPaths.TempFolder();
        var config = Job(temp.Path);
        var inputs = JobPreparation.PrepareInputs(config, _ => { });
        var one = Train(config, inputs, temp.Sub("one"), 1, baselineStage);
        var many = Train(config, inputs, temp.Sub("many"), world, stage);
        Assert.Equal(one.Count, many.Count);
        for (int i = 0; i < one.Count; i++)
            foreach (var key in new[] { "loss", "rewards/accuracies", "rewards/margins", "logps/chosen" })
            {
                double a = many[i][key]!.GetValue<double>(), b = one[i][key]!.GetValue<double>();
                Assert.True(Math.Abs(a - b) <= 1e-5 * Math.Max(1, Math.Abs(b)), $"row {i} {key}: {a:R} on {world} ranks (ZeRO {stage}) vs {b:R} on one");
            }
        Assert.Equal(Math.Log(2), one[0]["loss"]!.GetValue<double>(), 1e-5);
    }
}
