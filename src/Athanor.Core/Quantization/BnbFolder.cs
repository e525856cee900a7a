using System.Text.Json.Nodes;
using Athanor.Configuration;
using Athanor.Models;

namespace Athanor.Quantization;

/// <summary>
/// A model folder saved already quantized: config.json's quantization_config says how. Athanor reads bitsandbytes
/// 4-bit folders (the *-bnb-4bit repositories); every other quantization_config is a one-line error naming what it is.
/// </summary>
public static class BnbFolder
{
    /// <summary>The folder's 4-bit settings, or null when config.json has no quantization_config (a plain model).</summary>
    public static QuantizationSettings? Read(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) return null;
        JsonObject? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (System.Text.Json.JsonException) { return null; } // ModelConfig.Load reports a broken config.json
        if (root?["quantization_config"] is not JsonObject q) return null;

        string method = Text(q["quant_method"]) ?? "bitsandbytes";
        if (method != "bitsandbytes")
            throw new ModelFormatException($"{path}: quantization_config.quant_method '{method}' is not read; accepted: bitsandbytes 4-bit folders (load_in_4bit: true), or a bf16/fp16/fp32 folder with quantization_bit: 4");
        if (Flag(q["load_in_8bit"]) || Flag(q["_load_in_8bit"]))
            throw new ModelFormatException($"{path}: quantization_config has load_in_8bit: true (LLM.int8), which is not read yet; accepted: bitsandbytes 4-bit folders (load_in_4bit: true), or a bf16/fp16/fp32 folder with quantization_bit: 4");
        if (!Flag(q["load_in_4bit"]) && !Flag(q["_load_in_4bit"]))
            throw new ModelFormatException($"{path}: quantization_config has neither load_in_4bit nor load_in_8bit true; accepted: bitsandbytes 4-bit folders (load_in_4bit: true)");
        string storage = Text(q["bnb_4bit_quant_storage"]) ?? "uint8";
        if (storage != "uint8")
            throw new ModelFormatException($"{path}: quantization_config.bnb_4bit_quant_storage '{storage}' is not read; accepted: uint8");
        string typeName = Text(q["bnb_4bit_quant_type"]) ?? "fp4"; // transformers' BitsAndBytesConfig default
        var type = FourBitCode.Parse(typeName)
            ?? throw new ModelFormatException($"{path}: quantization_config.bnb_4bit_quant_type '{typeName}' is not read; accepted: nf4 or fp4");
        return new QuantizationSettings(type, Flag(q["bnb_4bit_use_double_quant"]));
    }

    /// <summary>The job's settings checked against a pre-quantized folder: the folder decides how the base is stored.</summary>
    public static QuantizationSettings Reconcile(QuantizationSettings folder, JobConfig job, Action<string>? log)
    {
        if (folder.Type != job.QuantizationType || folder.DoubleQuantization != job.DoubleQuantization)
            log?.Invoke($"QLoRA: {job.ModelNameOrPath} is already quantized ({folder.Describe()}); it is read as saved, so quantization_type " +
                $"{FourBitCode.Name(job.QuantizationType)} and double_quantization {(job.DoubleQuantization ? "true" : "false")} do not apply");
        return folder;
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static bool Flag(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;
}
