using static TorchSharp.torch;

namespace Athanor.Export;

/// <summary>The --dtype values: bf16, fp16, fp32, and the names config.json gives them (torch_dtype).</summary>
public static class ExportDtype
{
    public static ScalarType Parse(string text) => text switch
    {
        "bf16" => ScalarType.BFloat16,
        "fp16" => ScalarType.Float16,
        "fp32" => ScalarType.Float32,
        _ => throw new ExportException($"--dtype '{text}' is not supported; accepted: bf16, fp16, fp32"),
    };

    public static string TorchName(ScalarType type) => type switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float32 => "float32",
        _ => throw new ExportException($"dtype {type} cannot be exported; accepted: bf16, fp16, fp32"),
    };

    /// <summary>The dtype a config.json records (torch_dtype, or transformers 5's dtype); null when absent or not a float type we write.</summary>
    public static ScalarType? FromConfig(System.Text.Json.Nodes.JsonObject? config)
    {
        var name = (config?["torch_dtype"] ?? config?["dtype"]) is System.Text.Json.Nodes.JsonValue v && v.TryGetValue(out string? s) ? s : null;
        return name switch
        {
            "bfloat16" => ScalarType.BFloat16,
            "float16" => ScalarType.Float16,
            "float32" => ScalarType.Float32,
            _ => null,
        };
    }
}
