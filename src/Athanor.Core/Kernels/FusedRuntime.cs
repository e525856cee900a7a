using System.Collections.Concurrent;
using Athanor.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>What every fused op needs: the loaded kernel for a tensor's device and dtype, torch's stream, launch sizes.</summary>
internal static class FusedRuntime
{
    private static readonly ConcurrentDictionary<int, int> Multiprocessors = new();

    public static KernelLibrary Library =>
        KernelLibrary.TryGet(out var problem) ?? throw new InvalidOperationException("fused kernels are unavailable: " + problem);

    public static int DeviceIndex(Tensor t)
    {
        if (t.device_type != DeviceType.CUDA)
            throw new ArgumentException($"fused kernels take CUDA tensors; got a tensor on {t.device}");
        return Math.Max(0, t.device_index);
    }

    public static string Suffix(Tensor t, string what) => t.dtype switch
    {
        ScalarType.Float32 => "f32",
        ScalarType.BFloat16 => "bf16",
        _ => throw new ArgumentException($"fused kernels take float32 or bfloat16 tensors; {what} is {t.dtype}"),
    };

    public static CudaKernel Kernel(KernelSource source, string name, int device) => Library.Get(source, name, device);

    public static IntPtr Stream(int device) => TorchCudaStream.Current(device);

    public static int SmCount(int device) => Multiprocessors.GetOrAdd(device, d => Library.Driver.MultiprocessorCount(d));

    /// <summary>Blocks for a grid-stride elementwise kernel: enough to fill the GPU a few times over, no more.</summary>
    public static int ElementwiseGrid(long n, int block, int device) =>
        (int)Math.Max(1, Math.Min((n + block - 1) / block, SmCount(device) * 16L));

    /// <summary>Threads for a one-block-per-row kernel: about 8 columns per thread, a whole number of warps, at most 1024.</summary>
    public static int RowBlock(long cols) => (int)Math.Clamp((cols / 8 + 31) / 32 * 32, 32, 1024);

    public static void SameDevice(Tensor reference, Tensor other, string what)
    {
        if (other.device_type != reference.device_type || other.device_index != reference.device_index)
            throw new ArgumentException($"{what} is on {other.device}, the input on {reference.device}: fused kernels need one device");
    }

    public static void SameDtype(Tensor reference, Tensor other, string what)
    {
        if (other.dtype != reference.dtype)
            throw new ArgumentException($"{what} is {other.dtype} but the input is {reference.dtype}: the fused op needs one dtype (cast first or use the unfused path)");
    }
}
