using Athanor.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// The fused path on a GPU. One rank: no flat copies at all; the clipping norm is one sum-of-squares kernel per
/// gradient, and AdamW is one kernel per parameter that reads its bf16 gradient, updates the fp32 master and
/// moments and writes the bf16 parameter in the same pass (about 28 bytes of memory traffic per parameter
/// instead of the unfused path's ~150). Several ranks: gradients are copied once into an fp32 flat vector and
/// reduced over NCCL (all-reduce at stages 0-1, reduce-scatter at stage 2); each rank runs the same kernels on
/// the pieces of its shard, writing the new parameters in their own dtype (bf16) into a flat vector that is
/// all-gathered in place, so the parameter all-gather moves half the bytes of an fp32 one.
/// </summary>
public sealed partial class ZeroAdamW
{
    private readonly bool _fused;
    private Tensor? _pendingNorm;
    private double _pendingMaxNorm;

    /// <summary>Whether this optimizer runs on Athanor's fused kernels.</summary>
    public bool Fused => _fused;

    private static bool UseFusedKernels(FlatLayout layout, Device device) =>
        device.type == DeviceType.CUDA && layout.Slots.Count > 0
        && layout.Slots.All(s => s.Parameter.is_contiguous() && s.Parameter.dtype == layout.Slots[0].Parameter.dtype)
        && FusedOps.IsAvailable(device, out _);

    private Tensor FusedGradientNorm(double maxNorm)
    {
        using var _ = no_grad();
        var device = _master.device;
        var sumSq = zeros(1, ScalarType.Float32, device);
        if (_group.WorldSize == 1)
        {
            foreach (var s in _layout.Slots)
                if (s.Parameter.grad is Tensor g) FusedOps.SumSquares(g, sumSq);
        }
        else
        {
            ReduceGradients();
            FusedOps.SumSquares(_gradShard!, sumSq);
            if (_stage != 0) _group.AllReduceSum(sumSq);
        }
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
        double scale = _pendingNorm is null ? 1 : AdamUpdate.ClipScale(_pendingNorm.item<double>(), _pendingMaxNorm);
        _pendingNorm?.Dispose();
        _pendingNorm = null;
        using var _ = no_grad();
        if (_group.WorldSize == 1)
        {
            foreach (var s in _layout.Slots)
                FusedAdamW.StepSlot(_master, _expAvg, _expAvgSq, s.Offset, s.Parameter.grad, s.Parameter, Scalars(s, lr, scale));
            return;
        }
        foreach (var (slot, from, length) in ShardPieces())
        {
            using var grad = _gradShard!.narrow(0, from - _start, length);
            // Stage 0 updates everything on every rank, straight into the parameters; stages 1-2 write the shard
            // into the flat vector the all-gather then fills.
            using var flatParam = slot.Parameter.detach().view(-1);
            using var target = _stage == 0 ? flatParam.narrow(0, from - slot.Offset, length) : _flatParams!.narrow(0, from, length);
            FusedAdamW.StepSlot(_master, _expAvg, _expAvgSq, from - _start, grad, target, Scalars(slot, lr, scale));
        }
        if (_stage == 0) return;
        using (var mine = _flatParams!.narrow(0, _start, _count)) _group.AllGather(mine, _flatParams!);
        foreach (var s in _layout.Slots)
            using (var src = _flatParams!.narrow(0, s.Offset, s.Length))
            using (var dst = s.Parameter.detach().view(-1))
                dst.copy_(src);
    }

    private AdamWStepScalars Scalars(FlatSlot slot, double lr, double scale) =>
        AdamWStepScalars.For(lr, _beta1, _beta2, _eps, slot.Decay ? _weightDecay : 0, StepCount, scale);
}
