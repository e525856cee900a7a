using Athanor.Configuration;
using Athanor.Jobs;
using Athanor.Tests.Training;
using Athanor.Training;

namespace Athanor.Tests.Jobs;

/// <summary>
/// A resumed full fine-tune is built without reading (or drawing) its base weights, since its checkpoint replaces
/// every one of them; the trainer then loads exactly the folder the model was built for.
/// </summary>
public class ResumedJobBuildTests
{
    /// <summary>A 2-layer model on the demo's identity data, checkpoints every 5 steps: seconds per run.</summary>
    private static JobConfig Job(string folder, string output, bool lora, string extra = "", int maxSteps = 10)
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
            stage: sft
            finetuning_type: {(lora ? "lora" : "full")}
            {(lora ? "lora_rank: 4" : "")}
            dataset: identity
            dataset_dir: {Path.Combine(TestPaths.RepoRoot(), "examples", "demo", "data")}
            template: default
            cutoff_len: 96
            max_samples: 40
            output_dir: {output}
            logging_steps: 1
            save_steps: 5
            per_device_train_batch_size: 4
            learning_rate: 1.0e-2
            max_steps: {maxSteps}
            seed: 1
            {extra}
            """;
        return JobConfigLoader.Parse(yaml, "job.yaml", [], folder).Config;
    }

    private static void Train(JobConfig config, List<string> log)
    {
        using var prepared = JobPreparation.Prepare(config, log.Add);
        new Trainer(prepared.Model, prepared.Lora, prepared.Data, prepared.Settings) { Deferred = prepared.Deferred }.Run();
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AResumedRunContinuesTheCurveExactlyAndOnlyAFullFineTuneSkipsTheBaseWeights(bool lora)
    {
        using var temp = new TestPaths.TempFolder();
        var straight = temp.Sub("straight");
        var log = new List<string>();
        Train(Job(temp.Path, straight, lora), log);
        var expected = TrainingCurves.StepLosses(straight);
        Assert.Equal(10, expected.Count);
        Assert.DoesNotContain(log, l => l.StartsWith("weights: all from", StringComparison.Ordinal));

        // A crash after step 10's save was lost: auto resumes from checkpoint-5.
        var resumed = temp.Sub("resumed");
        CopyFolder(straight, resumed);
        Directory.Delete(Path.Combine(resumed, "checkpoint-10"), recursive: true);
        var resumedLog = new List<string>();
        Train(Job(temp.Path, resumed, lora, "resume_from_checkpoint: auto"), resumedLog);

        Assert.Equal(expected, TrainingCurves.StepLosses(resumed));
        var skipped = resumedLog.Where(l => l.StartsWith("weights: all from", StringComparison.Ordinal)).ToList();
        if (lora) Assert.Empty(skipped); // the adapters are in the checkpoint, the base weights are not
        else Assert.Equal($"weights: all from {Path.Combine(resumed, "checkpoint-5")} (the base weights are not read)", Assert.Single(skipped));
    }

    [Fact]
    public void ACheckpointThatVanishesAfterTheModelWasBuiltForItIsAnErrorNotAnUnreadModel()
    {
        using var temp = new TestPaths.TempFolder();
        var output = temp.Sub("run");
        Train(Job(temp.Path, output, lora: false, maxSteps: 5), []);

        var log = new List<string>();
        using var prepared = JobPreparation.Prepare(Job(temp.Path, output, lora: false, "resume_from_checkpoint: auto"), log.Add);
        Assert.Contains(log, l => l.StartsWith("weights: all from", StringComparison.Ordinal));
        Directory.Delete(Path.Combine(output, "checkpoint-5"), recursive: true);

        var trainer = new Trainer(prepared.Model, prepared.Lora, prepared.Data, prepared.Settings);
        var ex = Assert.Throws<ArgumentException>(() => trainer.Run());
        Assert.Contains("checkpoint-5' does not exist", ex.Message);
    }
}
