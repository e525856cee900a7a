using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>
/// The one test the model's layers ask before taking a fused kernel their kernel plan picked: a CUDA tensor of a dtype
/// the kernels take, kernels built. Whether the job wants fused kernels at all is in the plan (fused_kernels: false: none).
/// </summary>
public static class FusedKernels
{
    public static bool Applies(Tensor x) =>
        x.device_type == DeviceType.CUDA
        && (x.dtype is ScalarType.BFloat16 or ScalarType.Float32) && FusedOps.IsAvailable(x.device, out _);
}
