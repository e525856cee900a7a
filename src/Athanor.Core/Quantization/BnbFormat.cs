using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Athanor.Checkpoints.Safetensors;
using Athanor.Configuration;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// How bitsandbytes saves a 4-bit weight in a safetensors state dict (bitsandbytes/nn/modules.py, Linear4bit's
/// _save_to_state_dict, and bitsandbytes/functional.py, QuantState.as_dict(packed=True) / from_dict): under the
/// module's "weight" the packed uint8 codes [(n + 1) / 2, 1], and beside it "weight.absmax", "weight.quant_map",
/// with double quantization "weight.nested_absmax" and "weight.nested_quant_map", and
/// "weight.quant_state.bitsandbytes__nf4" (or __fp4): the UTF-8 bytes of a JSON object with quant_type, blocksize,
/// dtype, shape and, nested, nested_blocksize, nested_dtype, nested_offset (bitsandbytes/utils.py, pack_dict_to_tensor).
/// docs/qlora.md describes the format.
/// </summary>
public static class BnbFormat
{
    public const string QuantStatePrefix = "quant_state.bitsandbytes__";

    /// <summary>The tensors bitsandbytes writes for the weight called <paramref name="name"/> (e.g. "...q_proj.weight").</summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> Tensors(string name, QuantizedWeight w)
    {
        yield return new(name, w.Packed);
        yield return new(name + ".absmax", w.Absmax);
        yield return new(name + ".quant_map", w.Code);
        if (w.Nested is { } n)
        {
            yield return new(name + ".nested_absmax", n.Absmax);
            yield return new(name + ".nested_quant_map", n.Code);
        }
        var state = new JsonObject
        {
            ["quant_type"] = FourBitCode.Name(w.Type),
            ["blocksize"] = w.BlockSize,
            ["dtype"] = DtypeName(w.Dtype),
            ["shape"] = new JsonArray(w.Shape.Select(s => (JsonNode)s).ToArray()),
        };
        if (w.Nested is { } nested)
        {
            state["nested_blocksize"] = nested.BlockSize;
            state["nested_dtype"] = "float32";
            state["nested_offset"] = (double)nested.Offset;
        }
        var bytes = Encoding.UTF8.GetBytes(state.ToJsonString());
        yield return new(name + "." + QuantStatePrefix + FourBitCode.Name(w.Type), tensor(bytes, ScalarType.Byte));
    }

    /// <summary>True when the checkpoint holds <paramref name="name"/> as a bitsandbytes 4-bit weight.</summary>
    public static bool IsQuantized(SafetensorsCheckpoint checkpoint, string name) =>
        checkpoint.Contains(name + "." + QuantStatePrefix + "nf4") || checkpoint.Contains(name + "." + QuantStatePrefix + "fp4");

    /// <summary>Reads the 4-bit weight <paramref name="name"/> onto <paramref name="device"/>, checking it against the shape the model expects.</summary>
    public static QuantizedWeight Read(SafetensorsCheckpoint checkpoint, string name, long[] expectedShape, Device device, string where)
    {
        var stateKey = new[] { "nf4", "fp4" }.Select(t => name + "." + QuantStatePrefix + t).First(checkpoint.Contains);
        JsonObject state;
        using (var raw = checkpoint.Load(stateKey))
        {
            try { state = JsonNode.Parse(Encoding.UTF8.GetString(raw.data<byte>().ToArray())) as JsonObject ?? throw new JsonException("not an object"); }
            catch (JsonException ex) { throw new ModelFormatException($"{where}: '{stateKey}' is not a JSON quant state: {ex.Message}", ex); }
        }
        string typeName = state["quant_type"]?.GetValue<string>() ?? "";
        var type = FourBitCode.Parse(typeName)
            ?? throw new ModelFormatException($"{where}: '{stateKey}' has quant_type '{typeName}'; accepted: nf4 or fp4");
        int blockSize = state["blocksize"]?.GetValue<int>() ?? 0;
        if (blockSize is not (64 or 128 or 256 or 512 or 1024 or 2048 or 4096))
            throw new ModelFormatException($"{where}: '{stateKey}' has blocksize {blockSize}; accepted: 64, 128, ..., 4096");
        var shape = (state["shape"] as JsonArray)?.Select(s => s!.GetValue<long>()).ToArray() ?? [];
        if (!shape.SequenceEqual(expectedShape))
            throw new ModelFormatException($"{where}: '{name}' is a 4-bit weight of shape {TensorInfo.FormatShape(shape)} but config.json implies {TensorInfo.FormatShape(expectedShape)}");
        var dtype = ParseDtype(state["dtype"]?.GetValue<string>(), where, stateKey);
        long n = shape.Aggregate(1L, (a, b) => a * b), blocks = (n + blockSize - 1) / blockSize;

        var packed = Load(checkpoint, name, ScalarType.Byte, (n + 1) / 2, device, where);
        bool nested = checkpoint.Contains(name + ".nested_absmax");
        var absmax = Load(checkpoint, name + ".absmax", nested ? ScalarType.Byte : ScalarType.Float32, blocks, device, where);
        var code = Load(checkpoint, name + ".quant_map", ScalarType.Float32, 16, device, where);
        NestedScales? nestedScales = null;
        if (nested)
        {
            int nestedBlock = state["nested_blocksize"]?.GetValue<int>() ?? 0;
            if (nestedBlock <= 0) throw new ModelFormatException($"{where}: '{stateKey}' has no nested_blocksize");
            float offset = (float)(state["nested_offset"]?.GetValue<double>()
                ?? throw new ModelFormatException($"{where}: '{stateKey}' has no nested_offset"));
            nestedScales = new NestedScales(
                Load(checkpoint, name + ".nested_absmax", ScalarType.Float32, (blocks + nestedBlock - 1) / nestedBlock, device, where),
                Load(checkpoint, name + ".nested_quant_map", ScalarType.Float32, DynamicMap.Size, device, where), nestedBlock, offset);
        }
        return new QuantizedWeight(packed.view((n + 1) / 2, 1), absmax, code, type, blockSize, shape, dtype, nestedScales);
    }

    private static Tensor Load(SafetensorsCheckpoint checkpoint, string key, ScalarType dtype, long elements, Device device, string where)
    {
        if (!checkpoint.Contains(key))
            throw new ModelFormatException($"{where}: '{key}' is missing: a bitsandbytes 4-bit weight needs weight, weight.absmax, weight.quant_map and its quant_state");
        var info = checkpoint.Info(key);
        if (info.Shape.Aggregate(1L, (a, b) => a * b) != elements)
            throw new ModelFormatException($"{where}: '{key}' has shape {TensorInfo.FormatShape(info.Shape)}; {elements} values were expected");
        if (SafetensorsDtype.ToScalarType(info.Dtype) != dtype)
            throw new ModelFormatException($"{where}: '{key}' is {info.Dtype}; a bitsandbytes 4-bit weight stores it as {(dtype == ScalarType.Byte ? "U8" : "F32")}");
        using var values = checkpoint.Load(key);
        return values.reshape(-1).to(device);
    }

    private static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };

    private static ScalarType ParseDtype(string? name, string where, string key) => name switch
    {
        "bfloat16" => ScalarType.BFloat16,
        "float16" => ScalarType.Float16,
        "float32" => ScalarType.Float32,
        _ => throw new ModelFormatException($"{where}: '{key}' has dtype '{name}'; accepted: bfloat16, float16 or float32"),
    };

    /// <summary>config.json's quantization_config for a folder of this format (what transformers writes for load_in_4bit).</summary>
    public static JsonObject QuantizationConfig(QuantizationSettings settings, string computeDtype = "bfloat16") => new()
    {
        ["quant_method"] = "bitsandbytes",
        ["_load_in_4bit"] = true,
        ["_load_in_8bit"] = false,
        ["load_in_4bit"] = true,
        ["load_in_8bit"] = false,
        ["bnb_4bit_quant_type"] = FourBitCode.Name(settings.Type),
        ["bnb_4bit_use_double_quant"] = settings.DoubleQuantization,
        ["bnb_4bit_compute_dtype"] = computeDtype,
        ["bnb_4bit_quant_storage"] = "uint8",
        ["llm_int8_enable_fp32_cpu_offload"] = false,
        ["llm_int8_has_fp16_weight"] = false,
        ["llm_int8_skip_modules"] = null,
        ["llm_int8_threshold"] = 6.0,
    };
}
