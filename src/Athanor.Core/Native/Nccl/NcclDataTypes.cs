using TorchSharp;

namespace Athanor.Native.Nccl;

/// <summary>The NCCL data type of a torch dtype.</summary>
public static class NcclDataTypes
{
    private static readonly Dictionary<torch.ScalarType, NcclDataType> Map = new()
    {
        [torch.ScalarType.Float32] = NcclDataType.Float32,
        [torch.ScalarType.BFloat16] = NcclDataType.BFloat16,
        [torch.ScalarType.Float16] = NcclDataType.Float16,
        [torch.ScalarType.Float64] = NcclDataType.Float64,
        [torch.ScalarType.Int8] = NcclDataType.Int8,
        [torch.ScalarType.Byte] = NcclDataType.Uint8,
        [torch.ScalarType.Int32] = NcclDataType.Int32,
        [torch.ScalarType.Int64] = NcclDataType.Int64,
    };

    public static IReadOnlyCollection<torch.ScalarType> Supported => Map.Keys;

    /// <summary>Throws ArgumentException naming the dtype and the supported ones when NCCL has no equivalent (bool, int16, complex).</summary>
    public static NcclDataType From(torch.ScalarType dtype) =>
        Map.TryGetValue(dtype, out var type)
            ? type
            : throw new ArgumentException($"NCCL has no data type for torch dtype {dtype}; supported: {string.Join(", ", Map.Keys)}", nameof(dtype));

    public static bool TryFrom(torch.ScalarType dtype, out NcclDataType type) => Map.TryGetValue(dtype, out type);
}
