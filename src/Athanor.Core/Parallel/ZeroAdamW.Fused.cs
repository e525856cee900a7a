using Athanor.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// The fused path of one rank on a GPU (stage 0, world 1): no flat gradient or parameter copies. The clipping
/// norm is one sum-of-squares kernel per gradient, and AdamW is one kernel per parameter that reads its bf16
/// gradient, updates the fp32 master and moments and writes the bf16 parameter in the same pass; about 28
/// bytes of memory traffic per parameter instead of the unfused path's ~150.
/// </summary>
public sealed partial class ZeroAdamW
{
    private readonly bool _fused;
    private Tensor? _pendingNorm;
    private double _pendingMaxNorm;

    /// <summary>Whether this optimizer runs on Athanor's fused kernels.</summary>
    public bool Fused => _fused;

    private static bool UseFusedKernels(FlatLayout layout, ICollective group, int stage, Device device) =>
        stage == 0 && group.WorldSize == 1 && device.type == DeviceType.CUDA && FusedKernelSwitch.Enabled
        && layout.Slots.All(s => s.Parameter.is_contiguous()) && FusedOps.IsAvailable(device, out _);

    private Tensor FusedGradientNorm(double maxNorm)
    {
        using var _ = no_grad();
        var device = _master.device;
        var sumSq = zeros(1, ScalarType.Float32, device);
        foreach (var s in _layout.Slots)
            if (s.Parameter.grad is Tensor g) FusedOps.SumSquares(g, sumSq);
        var norm = sumSq.sqrt_().to_type(ScalarType.Float64);
        sumSq.Dispose();
        // The kernels take the clipping coefficient by value: Step reads the norm then (one wait for the GPU,
        // after backward is queued), not here.
        _pendingNorm?.Dispose();
        _pendingNorm = norm.alias();
        _pendingMaxNorm = maxNorm;
        return norm;
    }

    private void FusedStep(double lr)
    {
        double scale = 1;
        if (_pendingNorm is not null)
        {
            double norm = _pendingNorm.item<double>();
            if (_pendingMaxNorm > 0 && double.IsFinite(norm)) scale = Math.Min(1.0, _pendingMaxNorm / (norm + 1e-6));
            _pendingNorm.Dispose();
            _pendingNorm = null;
        }
        using var _ = no_grad();
        foreach (var s in _layout.Slots)
        {
            var scalars = AdamWStepScalars.For(lr, _beta1, _beta2, _eps, s.Decay ? _weightDecay : 0, StepCount, scale);
            FusedAdamW.StepSlot(_master, _expAvg, _expAvgSq, s.Offset, s.Parameter.grad, s.Parameter, scalars);
        }
    }
}
