using Athanor.Configuration;
using Athanor.Data;
using Athanor.Models;
using Athanor.Native;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Training;

/// <summary>A tiny random model and synthetic samples: enough to exercise the loop in well under a second a run.</summary>
internal static class TinySetup
{
    public const string ConfigJson = """
        {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 64, "rms_norm_eps": 1e-6,
         "rope_theta": 10000.0, "tie_word_embeddings": false}
        """;

    public static CausalLM Model(long seed = 1, bool tied = false)
    {
        TorchRuntime.Initialize();
        var json = tied ? ConfigJson.Replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true") : ConfigJson;
        return new CausalLM(ModelConfig.Parse(json, "tiny config.json"), seed);
    }

    /// <summary>Samples whose first few tokens are a prompt (no loss) and the rest a learnable pattern.</summary>
    public static TrainingData Data(int trainCount = 24, int validationCount = 6, int seed = 3)
    {
        var random = new Random(seed);
        TokenizedSample Make()
        {
            int length = random.Next(6, 14);
            int start = random.Next(1, 60);
            var ids = Enumerable.Range(0, length).Select(i => i < 3 ? random.Next(1, 64) : (start + i) % 63 + 1).ToArray();
            var labels = ids.Select((id, i) => i < 3 ? TokenizedSample.IgnoreIndex : id).ToArray();
            return new TokenizedSample(ids, labels);
        }
        return new TrainingData(
            Enumerable.Range(0, trainCount).Select(_ => Make()).ToList(),
            Enumerable.Range(0, validationCount).Select(_ => Make()).ToList(), PadTokenId: 0);
    }

    public static TrainerSettings Settings(string outputDir) => new()
    {
        OutputDir = outputDir,
        MicroBatchSize = 2,
        GradientAccumulation = 2,
        LearningRate = 1e-2,
        MaxSteps = 12,
        Schedule = LrSchedulerType.Cosine,
        WarmupRatio = 0.1,
        WeightDecay = 0.01,
        LoggingSteps = 1,
        SaveSteps = 4,
        Seed = 7,
    };
}

/// <summary>Cancels the run after a given step, as a SIGINT would.</summary>
internal sealed class StopAfter(int step, CancellationTokenSource source) : ITrainingObserver
{
    public void OnStep(StepMetrics metrics)
    {
        if (metrics.Step == step) source.Cancel();
    }
}
