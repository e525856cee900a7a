using Athanor.Checkpoints;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Tests.Models;

namespace Athanor.Tests.Export;

/// <summary>A run's output_dir as `cluster train` leaves it: athanor_config.yaml and checkpoint-N folders, made with the real writers.</summary>
internal static class RunFolder
{
    public static string WriteConfig(string runDir, string baseModel, string finetuning, string extra = "")
    {
        Directory.CreateDirectory(runDir);
        File.WriteAllText(Path.Combine(runDir, "athanor_config.yaml"), $"""
            model_name_or_path: {baseModel}
            tokenizer: byte
            stage: sft
            finetuning_type: {finetuning}
            dataset: identity
            output_dir: {runDir}
            {extra}
            """);
        return runDir;
    }

    /// <summary>A full checkpoint of the llama test model at step.</summary>
    public static string SaveFull(string runDir, int step)
    {
        using var model = Golden.LoadModel("llama");
        return new CheckpointStore(runDir).Save(step, "full", dir => ModelWeights.Save(model, dir));
    }

    /// <summary>A LoRA checkpoint holding the PEFT test adapter of the llama test model.</summary>
    public static string SaveLora(string runDir, int step)
    {
        using var model = Golden.LoadModel("llama");
        var settings = PeftAdapter.Load(model, Path.Combine(TestPaths.Model("llama"), "lora"));
        return new CheckpointStore(runDir).Save(step, "lora", dir => PeftAdapter.Save(model, settings, dir, TestPaths.Model("llama")));
    }
}
