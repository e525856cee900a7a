using Athanor.Checkpoints.Safetensors;
using Athanor.IO;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>Loads and saves a model's weights as a Hugging Face safetensors folder (names as transformers uses).</summary>
public static class ModelWeights
{
    /// <summary>Tensors a checkpoint may carry that are recomputed rather than learned.</summary>
    private static bool IsDerived(string name) => name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <summary>
    /// Copies every base parameter of <paramref name="model"/> from the folder's safetensors files,
    /// converting dtype as needed. Missing tensors and shape mismatches are errors naming both sides.
    /// Adapter parameters (LoRA) are not part of a base checkpoint and are skipped.
    /// </summary>
    public static void Load(nn.Module model, string folder, Func<string, bool>? isAdapterParameter = null)
    {
        using var checkpoint = OpenCheckpoint(folder);
        using var _ = no_grad();
        var expected = new HashSet<string>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (isAdapterParameter?.Invoke(name) == true) continue;
            expected.Add(name);
            if (!checkpoint.Contains(name))
                throw new ModelFormatException($"{folder}: tensor '{name}' is missing from the safetensors files " +
                    $"(they hold {checkpoint.Names.Count} tensors; is config.json from the same model?)");
            var info = checkpoint.Info(name);
            if (!info.Shape.SequenceEqual(p.shape))
                throw new ModelFormatException($"{folder}: tensor '{name}' has shape {TensorInfo.FormatShape(info.Shape)} " +
                    $"but config.json implies {TensorInfo.FormatShape(p.shape)}");
            using var value = checkpoint.Load(name, p.dtype);
            p.copy_(value);
        }
        var unused = checkpoint.Names.Where(n => !expected.Contains(n) && !IsDerived(n)).ToList();
        if (unused.Count > 0)
            throw new ModelFormatException($"{folder}: {unused.Count} tensors in the checkpoint have no place in a " +
                $"{(model as CausalLM)?.Config.ModelType ?? "this"} model built from config.json, e.g. '{unused[0]}'");
    }

    public static SafetensorsCheckpoint OpenCheckpoint(string folder)
    {
        try { return SafetensorsCheckpoint.Open(folder); }
        catch (SafetensorsFormatException ex) { throw new ModelFormatException(ex.Message, ex); }
        catch (FileNotFoundException ex) { throw new ModelFormatException($"{folder}: no model weights: {ex.Message}", ex); }
        catch (DirectoryNotFoundException ex) { throw new ModelFormatException($"{folder}: no model weights: {ex.Message}", ex); }
    }

    /// <summary>True when the folder holds safetensors weights (a single file or an index).</summary>
    public static bool HasWeights(string folder) =>
        File.Exists(Path.Combine(folder, "model.safetensors")) || File.Exists(Path.Combine(folder, "model.safetensors.index.json"));

    /// <summary>Base weights (no adapter tensors) as Hugging Face names them, in dtype if given.</summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> BaseTensors(nn.Module model, ScalarType? dtype = null,
        Func<string, bool>? isAdapterParameter = null)
    {
        foreach (var (name, p) in model.named_parameters())
        {
            if (isAdapterParameter?.Invoke(name) == true) continue;
            yield return new(name, dtype is ScalarType t && t != p.dtype ? p.detach().to_type(t) : p.detach());
        }
    }

    /// <summary>Writes config.json and the weights (sharded past maxShardBytes) into folder.</summary>
    public static void Save(CausalLM model, string folder, ScalarType? dtype = null, long maxShardBytes = 5_000_000_000,
        Func<string, bool>? isAdapterParameter = null) =>
        Save(model.Config, folder, BaseTensors(model, dtype, isAdapterParameter), dtype, maxShardBytes, disposeInputs: false);

    /// <summary>
    /// Writes config.json and the given tensors, consumed lazily: only one shard's worth is held at a time (ZeRO-3
    /// streams its units through here without ever holding the whole model). disposeInputs frees each once written.
    /// </summary>
    public static void Save(ModelConfig modelConfig, string folder, IEnumerable<KeyValuePair<string, Tensor>> tensors, ScalarType? dtype = null,
        long maxShardBytes = 5_000_000_000, bool disposeInputs = false)
    {
        Directory.CreateDirectory(folder);
        var config = modelConfig.ToJson();
        if (dtype is ScalarType t) config["torch_dtype"] = t switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" };
        DurableFile.WriteAllText(Path.Combine(folder, "config.json"), config.ToJsonString(new() { WriteIndented = true }));
        SafetensorsWriter.WriteSharded(folder, tensors, maxShardBytes, disposeInputs: disposeInputs);
    }
}
