using System.Reflection;

namespace Athanor.Cluster.Tests;

/// <summary>Tiny job files (2-layer model, byte tokenizer, the demo's identity data): seconds per run on a CPU.</summary>
internal static class TestJobs
{
    public static string RepoRoot => Path.GetFullPath(typeof(TestJobs).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!);

    public static string Yaml(string folder, int maxSteps = 12, int saveSteps = 4, string extra = "")
    {
        var modelDir = Path.Combine(folder, "model");
        Directory.CreateDirectory(modelDir);
        File.WriteAllText(Path.Combine(modelDir, "config.json"), """
            {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 262, "rope_theta": 10000.0,
             "tie_word_embeddings": true, "eos_token_id": 257, "pad_token_id": 258}
            """);
        return $"""
            model_name_or_path: {modelDir}
            init: random
            tokenizer: byte
            finetuning_type: full
            dataset: identity
            dataset_dir: {Path.Combine(RepoRoot, "examples", "demo", "data")}
            template: default
            cutoff_len: 96
            max_samples: 40
            output_dir: {Path.Combine(folder, "out")}
            logging_steps: 1
            save_steps: {saveSteps}
            per_device_train_batch_size: 1
            gradient_accumulation_steps: 4
            learning_rate: 1.0e-2
            max_steps: {maxSteps}
            seed: 1
            {extra}
            """;
    }
}

internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "athanor-cluster-" + Guid.NewGuid().ToString("N")[..10]);
    public string Sub(string name) { var p = System.IO.Path.Combine(Path, name); Directory.CreateDirectory(p); return p; }
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
