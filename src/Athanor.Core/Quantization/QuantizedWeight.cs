using Athanor.Configuration;
using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// The double-quantized block scales (bitsandbytes' compress_statistics): the per-block absmax minus its mean
/// (<see cref="Offset"/>), stored as 8-bit codes of <see cref="DynamicMap"/> with one float32 absmax per 256 scales.
/// </summary>
/// <param name="Absmax">float32 [ceil(blocks / BlockSize)]: nested_absmax</param>
/// <param name="Code">float32 [256]: nested_quant_map</param>
public sealed record NestedScales(Tensor Absmax, Tensor Code, int BlockSize, float Offset);

/// <summary>
/// One weight matrix in bitsandbytes' 4-bit layout: two codes per byte (the first element in the high nibble), one
/// scale per block of <see cref="BlockSize"/> elements in row-major order, and the 16-value code the nibbles index.
/// Owns its tensors.
/// </summary>
public sealed class QuantizedWeight : IDisposable
{
    /// <param name="packed">uint8 [(n + 1) / 2, 1], as bitsandbytes stores Params4bit</param>
    /// <param name="absmax">float32 [blocks], or uint8 [blocks] codes of <paramref name="nested"/> when double-quantized</param>
    /// <param name="code">float32 [16]: quant_map</param>
    /// <param name="shape">the weight's shape ([out, in])</param>
    /// <param name="dtype">the dtype it was quantized from (written as the quant state's dtype)</param>
    public QuantizedWeight(Tensor packed, Tensor absmax, Tensor code, QuantizationType type, int blockSize, long[] shape,
        ScalarType dtype, NestedScales? nested)
    {
        Packed = packed;
        Absmax = absmax;
        Code = code;
        Type = type;
        BlockSize = blockSize;
        Shape = shape;
        Dtype = dtype;
        Nested = nested;
    }

    public Tensor Packed { get; private set; }
    public Tensor Absmax { get; private set; }
    public Tensor Code { get; private set; }
    public QuantizationType Type { get; }
    public int BlockSize { get; }
    public long[] Shape { get; }
    public ScalarType Dtype { get; }
    public NestedScales? Nested { get; private set; }

    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
    public long Blocks => (Elements + BlockSize - 1) / BlockSize;
    public Device Device => Packed.device;

    /// <summary>Bytes held: packed codes, scales and the code books (what the planner counts per quantized weight).</summary>
    public long StorageBytes =>
        Packed.numel() + Absmax.numel() * Absmax.element_size() + Code.numel() * 4
        + (Nested is { } n ? n.Absmax.numel() * 4 + n.Code.numel() * 4 : 0);

    /// <summary>The weight in <paramref name="dtype"/>, on its device (<see cref="FourBitQuantizer.Dequantize"/>).</summary>
    public Tensor Dequantize(ScalarType dtype) => FourBitQuantizer.Dequantize(this, dtype);

    /// <summary>Moves every tensor to <paramref name="device"/> (the old ones are freed).</summary>
    public void MoveTo(Device device)
    {
        if (Packed.device == device) return;
        Packed = Move(Packed, device);
        Absmax = Move(Absmax, device);
        Code = Move(Code, device);
        if (Nested is { } n) Nested = n with { Absmax = Move(n.Absmax, device), Code = Move(n.Code, device) };
    }

    private static Tensor Move(Tensor t, Device device)
    {
        var moved = t.to(device);
        t.Dispose();
        return moved;
    }

    public void Dispose()
    {
        Packed.Dispose();
        Absmax.Dispose();
        Code.Dispose();
        Nested?.Absmax.Dispose();
        Nested?.Code.Dispose();
    }
}
