using Athanor.Kernels;
using Athanor.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// Launches <see cref="DequantizeSource"/> on torch's current stream, as the fused ops launch theirs
/// (<see cref="FusedRuntime"/>): no index tensor the size of the weight, one pass over the packed bytes.
/// </summary>
internal static class DequantizeKernel
{
    private const int Block = 256;

    /// <summary>A CUDA weight, a dtype the kernel writes, and the kernels built on that device.</summary>
    public static bool Applies(QuantizedWeight w, ScalarType dtype) =>
        w.Device.type == DeviceType.CUDA && dtype is ScalarType.BFloat16 or ScalarType.Float32
        && FusedOps.IsAvailable(w.Device, out _);

    public static Tensor Run(QuantizedWeight w, ScalarType dtype)
    {
        int device = Math.Max(0, w.Device.index);
        var output = empty(w.Shape, dtype, w.Device);
        long n = w.Elements;
        if (n == 0) return output;
        var nested = w.Nested;
        IntPtr packed = TensorMemory.Address(w.Packed), code = TensorMemory.Address(w.Code);
        IntPtr absmax = nested is null ? TensorMemory.Address(w.Absmax) : IntPtr.Zero;
        IntPtr qscale = nested is null ? IntPtr.Zero : TensorMemory.Address(w.Absmax);
        IntPtr ncode = nested is null ? IntPtr.Zero : TensorMemory.Address(nested.Code);
        IntPtr nabsmax = nested is null ? IntPtr.Zero : TensorMemory.Address(nested.Absmax);
        string suffix = dtype == ScalarType.BFloat16 ? "bf16" : "f32";
        long bytes = (n + 1) / 2;
        FusedRuntime.Kernel(DequantizeSource.Source, "dequant4_" + suffix, device)
            .Launch(FusedRuntime.ElementwiseGrid(bytes, Block, device), Block, 0, FusedRuntime.Stream(device),
                packed, code, absmax, qscale, ncode, nabsmax, nested?.Offset ?? 0f, nested is null ? 0 : 1, w.BlockSize,
                nested?.BlockSize ?? 1, TensorMemory.Address(output), n);
        return output;
    }
}
