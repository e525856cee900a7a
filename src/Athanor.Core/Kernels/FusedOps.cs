using System.Collections.Concurrent;
using Athanor.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>
/// Fused CUDA ops compiled at run time (NVRTC): RMSNorm, SwiGLU and rotary embedding as autograd functions,
/// and the sum of squares for the clipping norm. Check <see cref="IsAvailable"/> first and fall back to the
/// unfused TorchSharp path when it says no; nothing here throws on a machine without CUDA unless called.
/// </summary>
public static class FusedOps
{
    private static readonly ConcurrentDictionary<int, string> Problems = new();

    /// <summary>
    /// Whether the fused kernels run on device; if not, reason says why (CPU device, no driver, no NVRTC, CUDA
    /// not brought up through libtorch, a compile or load failure). The first call per device compiles and
    /// loads every kernel, so a failure shows here and not in the middle of a step.
    /// </summary>
    public static bool IsAvailable(Device device, out string reason)
    {
        if (device.type != DeviceType.CUDA)
        {
            reason = $"fused kernels run on CUDA devices; {device} is not one";
            return false;
        }
        if (CudaDriver.TryGet(out var driverProblem) is null) { reason = driverProblem; return false; }
        if (Nvrtc.TryGet(out var nvrtcProblem) is null) { reason = nvrtcProblem; return false; }
        if (TorchRuntime.CudaLibtorch is null)
        {
            reason = "CUDA tensors come from libtorch brought up by TorchRuntime.InitializeCuda(), which has not run in this process";
            return false;
        }
        int index = Math.Max(0, device.index);
        reason = Problems.GetOrAdd(index, LoadAll);
        return reason.Length == 0;
    }

    private static string LoadAll(int device)
    {
        try
        {
            var library = FusedRuntime.Library;
            foreach (var source in KernelSources.All)
                foreach (var kernel in source.Kernels)
                    library.Get(source, kernel, device);
            return "";
        }
        catch (Exception ex) when (ex is KernelCompileException or CudaDriverException or InvalidOperationException)
        {
            return $"fused kernels could not be built for cuda:{device}: {ex.Message}";
        }
    }

    /// <summary>weight * (x * rsqrt(mean(x^2, -1) + eps)) over the last dimension, like Models.RmsNorm; x and weight of one dtype.</summary>
    /// <param name="gradients">the owner that keeps the backward's results until it is released (the model's, <see cref="Models.CausalLM.Gradients"/>)</param>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps, Training.BackwardResults gradients) => RmsNormFunction.apply(x, weight, eps, gradients);

    /// <summary>silu(gate) * up, like the middle of Models.Mlp.</summary>
    public static Tensor SwiGlu(Tensor gate, Tensor up, Training.BackwardResults gradients) => SwiGluFunction.apply(gate, up, gradients);

    /// <summary>RotaryEmbedding.Apply(x, cos, sin) for x [B, H, T, D] and cos/sin [T, D]; returns a contiguous tensor.</summary>
    public static Tensor Rotary(Tensor x, Tensor cos, Tensor sin, Training.BackwardResults gradients) => RotaryFunction.apply(x, cos, sin, gradients);

    /// <summary>Adds sum(t^2) (fp32 accumulation) into acc, a 1-element float32 tensor on t's device. Queued on torch's stream.</summary>
    public static void SumSquares(Tensor t, Tensor acc)
    {
        int device = FusedRuntime.DeviceIndex(t);
        FusedRuntime.SameDevice(t, acc, "the accumulator");
        if (acc.dtype != ScalarType.Float32 || acc.numel() != 1 || !acc.is_contiguous())
            throw new ArgumentException($"the accumulator must be a 1-element contiguous float32 tensor; got {acc.dtype} of shape [{string.Join(", ", acc.shape)}]");
        using var data = t.is_contiguous() ? t.alias() : t.contiguous();
        long n = data.numel();
        if (n == 0) return;
        const int block = 256;
        FusedRuntime.Kernel(SumSquaresSource.Source, "sum_squares_" + FusedRuntime.Suffix(t, "the gradient"), device)
            .Launch(FusedRuntime.ElementwiseGrid(n, block, device), block, 0, FusedRuntime.Stream(device),
                TensorMemory.Address(data), n, TensorMemory.Address(acc));
    }
}
