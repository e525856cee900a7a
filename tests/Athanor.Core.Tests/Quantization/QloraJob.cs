using System.Text.Json.Nodes;
using Athanor.Checkpoints.Safetensors;
using Athanor.Configuration;
using Athanor.IO;
using Athanor.Jobs;
using Athanor.Models;
using Athanor.Native;
using Athanor.Quantization;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Quantization;

/// <summary>A tiny Llama-style base saved as a Hugging Face folder, and jobs that fine-tune it with or without a 4-bit base.</summary>
internal static class QloraJob
{
    public const string ConfigJson = """
        {"model_type": "llama", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 262, "rope_theta": 10000.0,
         "tie_word_embeddings": false, "eos_token_id": 257, "pad_token_id": 258}
        """;

    /// <summary>A random base model (seed 3) written as config.json + model.safetensors, in fp32.</summary>
    public static string SaveBase(string folder)
    {
        TorchRuntime.Initialize();
        var dir = Path.Combine(folder, "base");
        using var model = new CausalLM(ModelConfig.Parse(ConfigJson, "tiny config.json"), 3);
        ModelWeights.Save(model, dir);
        return dir;
    }

    /// <summary>
    /// The same base written as bitsandbytes saves a 4-bit model: every decoder projection packed (<see cref="BnbFormat"/>),
    /// everything else as it is, and config.json with a quantization_config.
    /// </summary>
    public static string SavePrequantized(string baseDir, string folder, QuantizationSettings settings)
    {
        var dir = Path.Combine(folder, "base-bnb-4bit");
        Directory.CreateDirectory(dir);
        using var model = new CausalLM(ModelConfig.Load(baseDir), 3, initialize: false);
        ModelWeights.Load(model, baseDir);
        var projections = model.BlockProjections().Select(p => p.Name + ".weight").ToHashSet();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var owned = new List<QuantizedWeight>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!projections.Contains(name)) { tensors.Add(new(name, p.detach())); continue; }
            var q = FourBitQuantizer.Quantize(p.detach(), settings.Type, settings.DoubleQuantization);
            owned.Add(q);
            tensors.AddRange(BnbFormat.Tensors(name, q));
        }
        SafetensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        foreach (var q in owned) q.Dispose();
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(baseDir, "config.json")))!.AsObject();
        config["quantization_config"] = BnbFormat.QuantizationConfig(settings);
        DurableFile.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        return dir;
    }

    /// <summary>LoRA r8 on every projection over the demo's identity data, 30 steps, checkpoints every 15.</summary>
    public static JobConfig Job(string modelDir, string output, string extra = "", int maxSteps = 30)
    {
        var yaml = $"""
            model_name_or_path: {modelDir}
            tokenizer: byte
            stage: sft
            finetuning_type: lora
            lora_rank: 8
            lora_target: all
            dataset: identity
            dataset_dir: {Path.Combine(TestPaths.RepoRoot(), "examples", "demo", "data")}
            template: default
            cutoff_len: 96
            max_samples: 40
            output_dir: {output}
            logging_steps: 1
            save_steps: 15
            per_device_train_batch_size: 4
            learning_rate: 2.0e-2
            max_steps: {maxSteps}
            seed: 1
            {extra}
            """;
        return JobConfigLoader.Parse(yaml, "job.yaml", [], Path.GetDirectoryName(output)!).Config;
    }

    public static void Train(JobConfig config, List<string> log)
    {
        using var prepared = JobPreparation.Prepare(config, log.Add);
        new Trainer(prepared.Model, prepared.Lora, prepared.Data, prepared.Settings) { Deferred = prepared.Deferred }.Run();
        JobOutputs.WriteFinal(config, prepared.Model, prepared.Lora); // what the rank runner does at the end of a job
    }
}
