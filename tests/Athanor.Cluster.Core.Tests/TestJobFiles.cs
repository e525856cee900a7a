namespace Athanor.Cluster.Core.Tests;

/// <summary>A job file that validates (a real model folder with its config.json), in a folder removed after the test.</summary>
internal sealed class TestJobFiles : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "athanor-core-" + Guid.NewGuid().ToString("N")[..10]);

    public TestJobFiles()
    {
        Directory.CreateDirectory(Path.Combine(Folder, "model"));
        Directory.CreateDirectory(Path.Combine(Folder, "data"));
        File.WriteAllText(Path.Combine(Folder, "model", "config.json"), """
            {"model_type": "llama", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 262, "rope_theta": 10000.0,
             "tie_word_embeddings": true, "eos_token_id": 257, "pad_token_id": 258}
            """);
    }

    /// <summary>A global batch of 4 (1 x 4 accumulation): it runs on 1, 2 or 4 workers within the range given.</summary>
    public string Yaml(string extra = "") => $"""
        model_name_or_path: {Path.Combine(Folder, "model")}
        init: random
        tokenizer: byte
        finetuning_type: full
        dataset: identity
        dataset_dir: {Path.Combine(Folder, "data")}
        template: default
        cutoff_len: 96
        output_dir: {Path.Combine(Folder, "out")}
        save_steps: 4
        per_device_train_batch_size: 1
        gradient_accumulation_steps: 4
        learning_rate: 1.0e-2
        max_steps: 12
        {extra}
        """;

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
