using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.Checkpoints.Safetensors;
using Athanor.IO;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Lora;

/// <summary>
/// PEFT's on-disk adapter format: adapter_config.json plus adapter_model.safetensors whose keys are
/// "base_model.model." + the module path + ".lora_A.weight" / ".lora_B.weight". PEFT and vLLM load it as is.
/// </summary>
public static class PeftAdapter
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string KeyPrefix = "base_model.model.";

    public static void Save(CausalLM model, LoraSettings settings, string folder, string? baseModelNameOrPath = null)
    {
        Directory.CreateDirectory(folder);
        var tensors = model.named_parameters()
            .Where(p => LoraModel.IsAdapterParameter(p.name))
            .Select(p => new KeyValuePair<string, Tensor>(KeyPrefix + p.name, p.parameter.detach()))
            .ToList();
        SafetensorsWriter.Write(Path.Combine(folder, WeightsFile), tensors);
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModelNameOrPath,
            ["r"] = settings.Rank,
            ["lora_alpha"] = settings.Alpha,
            ["lora_dropout"] = settings.Dropout,
            ["target_modules"] = new JsonArray(settings.TargetModules.Select(t => (JsonNode)t).ToArray()),
            ["use_rslora"] = settings.UseRsLora,
            ["use_dora"] = false,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
            ["revision"] = null,
        };
        DurableFile.WriteAllText(Path.Combine(folder, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads adapter_config.json into settings, rejecting PEFT features Athanor does not implement.</summary>
    public static LoraSettings ReadSettings(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path))
            throw new ModelFormatException($"{path}: not found (a PEFT LoRA adapter folder has {ConfigFile} and {WeightsFile})");
        JsonObject o;
        try { o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new ModelFormatException($"{path}: not a JSON object"); }
        catch (JsonException ex) { throw new ModelFormatException($"{path}: invalid JSON: {ex.Message}", ex); }

        string peftType = o["peft_type"]?.GetValue<string>() ?? "";
        if (peftType != "LORA") throw new ModelFormatException($"{path}: peft_type '{peftType}' is not supported; accepted: LORA");
        if (o["use_dora"]?.GetValue<bool>() == true) throw new ModelFormatException($"{path}: use_dora true is not supported; accepted: false");
        foreach (var key in new[] { "rank_pattern", "alpha_pattern" })
            if (o[key] is JsonObject { Count: > 0 }) throw new ModelFormatException($"{path}: {key} is not supported; accepted: an empty object");
        if (o["bias"]?.GetValue<string>() is string bias && bias != "none")
            throw new ModelFormatException($"{path}: bias '{bias}' is not supported; accepted: none");
        if (o["modules_to_save"] is JsonArray { Count: > 0 })
            throw new ModelFormatException($"{path}: modules_to_save is not supported; accepted: null");

        int rank = o["r"]?.GetValue<int>() ?? throw new ModelFormatException($"{path}: r is missing");
        double alpha = o["lora_alpha"]?.GetValue<double>() ?? rank;
        double dropout = o["lora_dropout"]?.GetValue<double>() ?? 0;
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select(n => n!.GetValue<string>()).ToArray(),
            JsonValue v when v.GetValue<string>() is "all-linear" => LoraSettings.AllLinear.ToArray(),
            var other => throw new ModelFormatException($"{path}: target_modules {other?.ToJsonString() ?? "null"} is not supported; accepted: a list of module names or \"all-linear\""),
        };
        return new LoraSettings(rank, alpha, dropout, targets, o["use_rslora"]?.GetValue<bool>() ?? false);
    }

    /// <summary>Attaches adapters as described by the folder's config and loads their weights.</summary>
    public static LoraSettings Load(CausalLM model, string folder)
    {
        var settings = ReadSettings(folder);
        LoraModel.Apply(model, settings);
        LoadWeights(model, folder);
        return settings;
    }

    /// <summary>Copies adapter weights into an already-adapted model; every adapter parameter must be present with its shape.</summary>
    public static void LoadWeights(CausalLM model, string folder)
    {
        var path = Path.Combine(folder, WeightsFile);
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: not found");
        using var file = SafetensorsFile.Open(path);
        using var _ = no_grad();
        int loaded = 0;
        foreach (var (name, p) in model.named_parameters())
        {
            if (!LoraModel.IsAdapterParameter(name)) continue;
            var key = KeyPrefix + name;
            if (!file.Contains(key))
            {
                // Some PEFT versions keep the adapter name in the key.
                var named = key.Replace(".weight", ".default.weight", StringComparison.Ordinal);
                if (!file.Contains(named))
                    throw new ModelFormatException($"{path}: adapter tensor '{key}' is missing: the adapter does not match this base model");
                key = named;
            }
            var info = file.Info(key);
            if (!info.Shape.SequenceEqual(p.shape))
                throw new ModelFormatException($"{path}: '{key}' has shape {TensorInfo.FormatShape(info.Shape)} but the base model needs {TensorInfo.FormatShape(p.shape)}: the adapter does not match this base model");
            using var value = file.Load(key, p.dtype);
            p.copy_(value);
            loaded++;
        }
        if (loaded * 1L != file.Tensors.Count)
            throw new ModelFormatException($"{path}: holds {file.Tensors.Count} tensors but the base model has places for {loaded}: the adapter does not match this base model");
    }
}
