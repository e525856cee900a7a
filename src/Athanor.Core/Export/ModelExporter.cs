using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.Checkpoints.Safetensors;
using Athanor.Configuration;
using Athanor.Inference;
using Athanor.IO;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Native;
using static TorchSharp.torch;

namespace Athanor.Export;

public sealed record ExportOptions(string Checkpoint, string OutputDir, bool MergeLora = false, ScalarType? Dtype = null,
    long MaxShardBytes = 5_000_000_000);

/// <summary>What was written: a model folder or a PEFT adapter folder, from which checkpoint, in which dtype.</summary>
public sealed record ExportResult(bool IsAdapter, string OutputDir, string Checkpoint, ScalarType Dtype, IReadOnlyList<string> WeightFiles);

/// <summary>
/// From a training checkpoint to what transformers, PEFT and vLLM load: a Hugging Face model folder (config.json with
/// torch_dtype, generation_config.json, safetensors shards with an index, the tokenizer files), or for a LoRA
/// checkpoint either the PEFT adapter alone or the base model with the adapter merged in. Weights stream tensor
/// by tensor: only one shard's worth of converted tensors is held at a time.
/// </summary>
public static class ModelExporter
{
    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja", "tokenizer.model",
         "vocab.json", "merges.txt", "added_tokens.json"];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static ExportResult Export(ExportOptions options, Action<string>? log = null)
    {
        log ??= _ => { };
        TorchRuntime.Initialize();
        var source = CheckpointSource.Resolve(options.Checkpoint);
        var output = Path.GetFullPath(options.OutputDir);
        var runDir = Path.GetDirectoryName(source.Folder)!;
        if (output == source.Folder || output == runDir)
            throw new ExportException($"--output {options.OutputDir}: is the checkpoint's own or its run's folder; accepted: a new folder");
        Directory.CreateDirectory(output);
        log($"exporting {source.Folder} ({source.Manifest.Kind}, step {source.Manifest.Step})");

        if (source.IsLora && !options.MergeLora) return ExportAdapter(source, output, options, log);
        return source.IsLora ? ExportMerged(source, output, options, log) : ExportFull(source, output, options, log);
    }

    private static ExportResult ExportFull(CheckpointSource source, string output, ExportOptions options, Action<string> log)
    {
        var config = ModelConfig.Load(source.Folder);
        var dtype = options.Dtype ?? ExportDtype.FromConfig(config.Source) ?? ScalarType.Float32;
        IReadOnlyList<string> files;
        using (var checkpoint = ModelWeights.OpenCheckpoint(source.Folder))
        {
            var tensors = checkpoint.Names.Select(name => new KeyValuePair<string, Tensor>(name, checkpoint.Load(name, dtype)));
            files = SafetensorsWriter.WriteSharded(output, tensors, options.MaxShardBytes, disposeInputs: true);
        }
        return Finish(source, config, dtype, output, files, log);
    }

    private static ExportResult ExportMerged(CheckpointSource source, string output, ExportOptions options, Action<string> log)
    {
        var basePath = source.RunConfig.ModelNameOrPath;
        if (source.RunConfig.Init == WeightInit.Random || !ModelWeights.HasWeights(basePath))
            throw new ExportException($"--merge-lora: the base model {basePath} has no saved weights (the run used init: random), so there is nothing " +
                "to merge the adapter into; export without --merge-lora to get the PEFT adapter");
        var config = ModelConfig.Load(basePath);
        var dtype = options.Dtype ?? ExportDtype.FromConfig(config.Source) ?? ScalarType.Float32;
        StreamingLoraMerge merge;
        try { merge = new StreamingLoraMerge(basePath, config, source.Folder); }
        catch (Exception ex) when (ex is ModelFormatException or ArgumentException)
        {
            throw new ExportException($"{source.Folder}: the adapter does not match the base model {basePath}: {ex.Message}", ex);
        }
        using (merge)
        {
            // One base tensor at a time, never the whole model (a 65B merge fits in a host that cannot hold 65B).
            log($"merging the LoRA adapter into {basePath}");
            var files = SafetensorsWriter.WriteSharded(output, merge.Tensors(dtype), options.MaxShardBytes, disposeInputs: true);
            return Finish(source, config, dtype, output, files, log);
        }
    }

    private static ExportResult ExportAdapter(CheckpointSource source, string output, ExportOptions options, Action<string> log)
    {
        var configText = File.ReadAllText(Path.Combine(source.Folder, PeftAdapter.ConfigFile));
        PeftAdapter.ReadSettings(source.Folder); // refuses adapters Athanor could not have written
        var weights = Path.Combine(output, PeftAdapter.WeightsFile);
        ScalarType dtype;
        using (var file = SafetensorsFile.Open(Path.Combine(source.Folder, PeftAdapter.WeightsFile)))
        {
            var names = file.Tensors.Keys.ToList();
            dtype = options.Dtype ?? (names.Count > 0 ? file.Info(names[0]).ScalarType : ScalarType.Float32);
            SafetensorsWriter.Write(weights, names.Select(n => new KeyValuePair<string, Tensor>(n, file.Load(n, dtype))), disposeInputs: true);
        }
        DurableFile.WriteAllText(Path.Combine(output, PeftAdapter.ConfigFile), configText);
        log($"wrote the PEFT adapter ({ExportDtype.TorchName(dtype)}) to {output}; base model: {source.RunConfig.ModelNameOrPath}");
        return new ExportResult(true, output, source.Folder, dtype, [weights]);
    }

    /// <summary>config.json with the dtype, generation_config.json with bos/eos/pad, and the tokenizer files.</summary>
    private static ExportResult Finish(CheckpointSource source, ModelConfig config, ScalarType dtype, string output,
        IReadOnlyList<string> files, Action<string> log)
    {
        var json = config.ToJson();
        json["torch_dtype"] = ExportDtype.TorchName(dtype);
        if (json.ContainsKey("dtype")) json["dtype"] = ExportDtype.TorchName(dtype);
        DurableFile.WriteAllText(Path.Combine(output, "config.json"), json.ToJsonString(Indented));

        var run = source.RunConfig;
        string? tokenizerFolder = run.Tokenizer switch { "byte" => null, "model" => run.ModelNameOrPath, var folder => folder };
        if (tokenizerFolder is null) TokenizerLocator.WriteByteTokenizerMarker(output);
        else
            foreach (var name in TokenizerFiles)
            {
                var from = Path.Combine(tokenizerFolder, name);
                if (File.Exists(from)) File.Copy(from, Path.Combine(output, name), overwrite: true);
            }
        WriteGenerationConfig(config, run.ModelNameOrPath, tokenizerFolder, output);
        log($"wrote {files.Count(f => f.EndsWith(".safetensors", StringComparison.Ordinal))} safetensors file(s) ({ExportDtype.TorchName(dtype)}) to {output}");
        return new ExportResult(false, output, source.Folder, dtype, files);
    }

    /// <summary>The base model's generation_config.json when it has one, with bos/eos/pad ids filled from config.json, then the tokenizer.</summary>
    private static void WriteGenerationConfig(ModelConfig config, string baseFolder, string? tokenizerFolder, string output)
    {
        var existing = new[] { baseFolder, tokenizerFolder }.OfType<string>()
            .Select(f => Path.Combine(f, GenerationConfigFile.FileName)).FirstOrDefault(File.Exists);
        var json = existing is not null && JsonNode.Parse(File.ReadAllText(existing)) is JsonObject o ? o : new JsonObject();
        Tokenization.ITokenizer? tokenizer = null;
        try { tokenizer = TokenizerLocator.Load(output, tokenizerFolder is null ? TokenizerLocator.ByteChoice : null); }
        catch (Exception ex) when (ex is ArgumentException or Tokenization.TokenizerFormatException) { } // no usable tokenizer: config.json's ids are all there is
        void Fill(string key, JsonNode? value)
        {
            if (json[key] is null && value is not null) json[key] = value;
        }
        Fill("bos_token_id", config.BosTokenId ?? tokenizer?.BosTokenId);
        Fill("eos_token_id", config.EosTokenIds.Count switch
        {
            0 => tokenizer?.EosTokenId is int e ? JsonValue.Create(e) : null,
            1 => JsonValue.Create(config.EosTokenIds[0]),
            _ => new JsonArray(config.EosTokenIds.Select(i => (JsonNode)JsonValue.Create(i)).ToArray()),
        });
        Fill("pad_token_id", config.PadTokenId ?? tokenizer?.PadTokenId);
        DurableFile.WriteAllText(Path.Combine(output, GenerationConfigFile.FileName), json.ToJsonString(Indented));
    }
}
