namespace Athanor.Cli.Tests;

/// <summary>A job file for a 2-layer model on the demo data: seconds per run.</summary>
internal static class TinyJob
{
    public static string Write(string folder, string extra = "")
    {
        var demo = Path.Combine(ClusterProcess.RepoRoot, "examples", "demo");
        var modelDir = Path.Combine(folder, "model");
        Directory.CreateDirectory(modelDir);
        File.WriteAllText(Path.Combine(modelDir, "config.json"), """
            {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 262, "rope_theta": 10000.0,
             "tie_word_embeddings": true, "eos_token_id": 257, "pad_token_id": 258}
            """);
        var path = Path.Combine(folder, "job.yaml");
        File.WriteAllText(path, $"""
            model_name_or_path: {modelDir}
            init: random
            tokenizer: byte
            stage: sft
            finetuning_type: full
            dataset: identity
            dataset_dir: {Path.Combine(demo, "data")}
            template: default
            cutoff_len: 96
            max_samples: 40
            output_dir: {Path.Combine(folder, "out")}
            logging_steps: 2
            save_steps: 5
            plot_loss: true
            per_device_train_batch_size: 4
            learning_rate: 1.0e-2
            max_steps: 12
            seed: 1
            {extra}
            """);
        return path;
    }
}
