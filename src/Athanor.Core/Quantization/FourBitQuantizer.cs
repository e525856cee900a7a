using Athanor.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// bitsandbytes' blockwise 4-bit quantization over TorchSharp tensors, on whatever device the weight is (CPU or CUDA):
/// the conventions of bitsandbytes/functional.py quantize_4bit / dequantize_4bit and of the default backend
/// (bitsandbytes/backends/default/ops.py: the absmax of each block of 64, the values scaled by its reciprocal, the
/// nearest code value, two codes a byte with the first element in the high nibble) and, for double quantization,
/// quantize_4bit's compress_statistics (the absmax minus its mean, quantized by quantize_blockwise to the 8-bit dynamic
/// code in blocks of 256). Our own code; the tests check it against a scalar reference of the same definition.
/// </summary>
public static class FourBitQuantizer
{
    public const int DefaultBlockSize = 64;
    public const int NestedBlockSize = 256;

    // Elements quantized per pass, so a large matrix never has more than this many fp32/int32 temporaries at once.
    private const long ChunkElements = 1L << 24;

    /// <summary>Quantizes a weight (bf16, fp16 or fp32, any shape) on its own device.</summary>
    public static QuantizedWeight Quantize(Tensor weight, QuantizationType type, bool doubleQuantization, int blockSize = DefaultBlockSize)
    {
        if (weight.dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentException($"4-bit quantization takes float32, bfloat16 or float16 weights; got {weight.dtype}");
        if (blockSize <= 0 || blockSize % 2 != 0)
            throw new ArgumentException($"block size {blockSize} is not accepted; expected an even number such as 64");
        using var _ = no_grad();
        var device = weight.device;
        long n = weight.numel();
        long blocks = (n + blockSize - 1) / blockSize;
        var packed = zeros([(n + 1) / 2, 1], ScalarType.Byte, device);
        var absmax = empty(blocks, ScalarType.Float32, device);
        try
        {
            using var flat = weight.detach().reshape(-1);
            long blocksPerChunk = Math.Max(1, ChunkElements / blockSize);
            using (var code = CodeThresholds(type, device))
            {
                for (long first = 0; first < blocks; first += blocksPerChunk)
                {
                    using var scope = NewDisposeScope();
                    long count = Math.Min(blocksPerChunk, blocks - first);
                    long start = first * blockSize, length = Math.Min(count * blockSize, n - start);
                    var values = flat.narrow(0, start, length).to_type(ScalarType.Float32);
                    if (length < count * blockSize) values = nn.functional.pad(values, [0, count * blockSize - length]);
                    var rows = values.view(count, blockSize);
                    var max = rows.abs().amax([1]);
                    absmax.narrow(0, first, count).copy_(max);
                    var scaled = (rows * Reciprocal(max).unsqueeze(1)).clamp(-1, 1).reshape(-1);
                    var codes = Codes(scaled, type, code).view(-1, 2);
                    var bytes = codes.select(1, 0).bitwise_left_shift(4).bitwise_or_(codes.select(1, 1));
                    long byteStart = start / 2, byteCount = Math.Min(bytes.numel(), packed.shape[0] - byteStart);
                    packed.narrow(0, byteStart, byteCount).view(-1).copy_(bytes.narrow(0, 0, byteCount));
                }
            }
            var codeBook = tensor(FourBitCode.Values(type), device: device);
            if (!doubleQuantization)
                return new QuantizedWeight(packed, absmax, codeBook, type, blockSize, weight.shape, weight.dtype, null);
            var (qabsmax, nested) = CompressScales(absmax);
            absmax.Dispose();
            return new QuantizedWeight(packed, qabsmax, codeBook, type, blockSize, weight.shape, weight.dtype, nested);
        }
        catch
        {
            packed.Dispose();
            absmax.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Double quantization (quantize_4bit with compress_statistics): offset = mean(absmax); (absmax - offset) in blocks of
    /// 256, each divided by its own absmax and stored as the nearest value of the 8-bit dynamic code.
    /// </summary>
    public static (Tensor Codes, NestedScales Nested) CompressScales(Tensor absmax)
    {
        using var _ = no_grad();
        var device = absmax.device;
        long blocks = absmax.numel();
        long groups = (blocks + NestedBlockSize - 1) / NestedBlockSize;
        using var scope = NewDisposeScope();
        var offsetTensor = absmax.mean();
        float offset = offsetTensor.item<float>();
        var centered = absmax - offsetTensor;
        if (groups * NestedBlockSize > blocks) centered = nn.functional.pad(centered, [0, groups * NestedBlockSize - blocks]);
        var rows = centered.view(groups, NestedBlockSize);
        var nestedAbsmax = rows.abs().amax([1]);
        var scaled = (rows * Reciprocal(nestedAbsmax).unsqueeze(1)).reshape(-1);
        var code = tensor(DynamicMap.Code, device: device);
        var midpoints = (code.narrow(0, 0, DynamicMap.Size - 1) + code.narrow(0, 1, DynamicMap.Size - 1)) * 0.5f;
        var codes = bucketize(scaled, midpoints, outInt32: true).to_type(ScalarType.Byte).narrow(0, 0, blocks).contiguous();
        return (codes.MoveToOuterDisposeScope(),
            new NestedScales(nestedAbsmax.MoveToOuterDisposeScope(), code.MoveToOuterDisposeScope(), NestedBlockSize, offset));
    }

    /// <summary>The per-block scales as float32 (the nested ones decoded: code[q] * nested_absmax + offset, as dequantize_blockwise then += offset).</summary>
    public static Tensor BlockScales(QuantizedWeight w)
    {
        if (w.Nested is not { } nested) return w.Absmax.to_type(ScalarType.Float32);
        using var scope = NewDisposeScope();
        long blocks = w.Absmax.numel();
        var values = nested.Code.index_select(0, w.Absmax.to_type(ScalarType.Int64));
        var groupScale = nested.Absmax.repeat_interleave(nested.BlockSize, 0).narrow(0, 0, blocks);
        return (values * groupScale + nested.Offset).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The weight in <paramref name="dtype"/>: code[nibble] * scale in float32, then rounded once to the dtype (as
    /// bitsandbytes' kDequantizeBlockwise does). On a CUDA device with the kernels built, one NVRTC kernel does it
    /// (<see cref="DequantizeKernel"/>); elsewhere libtorch ops.
    /// </summary>
    public static Tensor Dequantize(QuantizedWeight w, ScalarType dtype)
    {
        using var _ = no_grad();
        if (DequantizeKernel.Applies(w, dtype)) return DequantizeKernel.Run(w, dtype);
        using var scope = NewDisposeScope();
        long n = w.Elements, blocks = w.Blocks;
        var bytes = w.Packed.reshape(-1);
        var high = bytes.bitwise_right_shift(4);
        var low = bytes.bitwise_and(15);
        var indices = stack([high, low], 1).reshape(-1).to_type(ScalarType.Int64);
        var values = w.Code.index_select(0, indices);
        long padded = blocks * w.BlockSize;
        if (values.numel() < padded) values = nn.functional.pad(values, [0, padded - values.numel()]);
        else if (values.numel() > padded) values = values.narrow(0, 0, padded);
        var scaled = values.view(blocks, w.BlockSize) * BlockScales(w).unsqueeze(1);
        return scaled.reshape(-1).narrow(0, 0, n).view(w.Shape).to_type(dtype).MoveToOuterDisposeScope();
    }

    // 1 / absmax, with 0 for an all-zero block (its values then code as 0 and decode as 0, never NaN).
    private static Tensor Reciprocal(Tensor max) => where(max > 0, max.reciprocal(), zeros_like(max));

    // NF4: the thresholds between sorted values. FP4: the thresholds between magnitudes.
    private static Tensor CodeThresholds(QuantizationType type, Device device) =>
        tensor(type == QuantizationType.Nf4 ? FourBitCode.Nf4Midpoints : FourBitCode.Fp4MagnitudeMidpoints, device: device);

    private static Tensor Codes(Tensor scaled, QuantizationType type, Tensor thresholds)
    {
        if (type == QuantizationType.Nf4)
            return bucketize(scaled, thresholds, outInt32: true).to_type(ScalarType.Byte);
        var magnitude = bucketize(scaled.abs(), thresholds, outInt32: true).to_type(ScalarType.Int64);
        var lookup = tensor(FourBitCode.Fp4MagnitudeCodes.Select(c => (byte)c).ToArray(), device: scaled.device);
        var sign = scaled.lt(0).to_type(ScalarType.Byte).bitwise_left_shift(3);
        return lookup.index_select(0, magnitude).bitwise_or_(sign);
    }
}
