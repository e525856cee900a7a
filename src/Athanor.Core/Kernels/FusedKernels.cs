using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>The one test the model's layers ask before taking a fused kernel: a CUDA tensor, kernels switched on and built.</summary>
public static class FusedKernels
{
    public static bool Applies(Tensor x) =>
        x.device_type == DeviceType.CUDA && FusedKernelSwitch.Enabled
        && (x.dtype is ScalarType.BFloat16 or ScalarType.Float32) && FusedOps.IsAvailable(x.device, out _);
}
