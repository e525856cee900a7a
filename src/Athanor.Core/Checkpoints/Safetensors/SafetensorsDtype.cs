using static TorchSharp.torch;

namespace Athanor.Checkpoints.Safetensors;

/// <summary>Maps safetensors dtype strings to TorchSharp scalar types and element sizes.</summary>
public static class SafetensorsDtype
{
    /// <summary>Every dtype string this implementation reads and writes.</summary>
    public static IReadOnlyList<string> Supported { get; } =
        ["BF16", "F16", "F32", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"];

    /// <summary>The accepted names, for error messages.</summary>
    public static string SupportedList => string.Join(", ", Supported);

    public static bool TryGetScalarType(string dtype, out ScalarType type)
    {
        switch (dtype)
        {
            case "BF16": type = ScalarType.BFloat16; return true;
            case "F16": type = ScalarType.Float16; return true;
            case "F32": type = ScalarType.Float32; return true;
            case "F64": type = ScalarType.Float64; return true;
            case "I64": type = ScalarType.Int64; return true;
            case "I32": type = ScalarType.Int32; return true;
            case "I16": type = ScalarType.Int16; return true;
            case "I8": type = ScalarType.Int8; return true;
            case "U8": type = ScalarType.Byte; return true;
            case "BOOL": type = ScalarType.Bool; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The TorchSharp type of a safetensors dtype string.</summary>
    /// <exception cref="ArgumentException">The string is not one of <see cref="Supported"/>.</exception>
    public static ScalarType ToScalarType(string dtype) =>
        TryGetScalarType(dtype, out var type)
            ? type
            : throw new ArgumentException($"safetensors dtype '{dtype}' is not supported; accepted: {SupportedList}", nameof(dtype));

    public static bool TryGetName(ScalarType type, out string dtype)
    {
        dtype = type switch
        {
            ScalarType.BFloat16 => "BF16",
            ScalarType.Float16 => "F16",
            ScalarType.Float32 => "F32",
            ScalarType.Float64 => "F64",
            ScalarType.Int64 => "I64",
            ScalarType.Int32 => "I32",
            ScalarType.Int16 => "I16",
            ScalarType.Int8 => "I8",
            ScalarType.Byte => "U8",
            ScalarType.Bool => "BOOL",
            _ => "",
        };
        return dtype.Length > 0;
    }

    /// <summary>The safetensors dtype string of a TorchSharp type.</summary>
    /// <exception cref="NotSupportedException">The type has no safetensors counterpart here (complex types, for example).</exception>
    public static string ToName(ScalarType type) =>
        TryGetName(type, out var dtype)
            ? dtype
            : throw new NotSupportedException(
                $"TorchSharp dtype {type} cannot be stored in safetensors; supported: BFloat16, Float16, Float32, Float64, " +
                "Int64, Int32, Int16, Int8, Byte, Bool");

    /// <summary>Bytes per element of a safetensors dtype string.</summary>
    public static int ElementSize(string dtype) => ElementSize(ToScalarType(dtype));

    /// <summary>Bytes per element of a supported TorchSharp type.</summary>
    public static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"TorchSharp dtype {type} has no safetensors element size; supported: {SupportedList}"),
    };
}
