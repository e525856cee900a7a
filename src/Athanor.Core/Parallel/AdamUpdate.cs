using static TorchSharp.torch;

namespace Athanor.Parallel;

/// <summary>
/// The pieces of the optimizer step both ZeRO optimizers share: torch's AdamW arithmetic over flat fp32 vectors
/// (libtorch ops, for the CPU and the unfused path) and the clipping coefficient min(1, maxNorm / (norm + 1e-6)),
/// which leaves gradients as they are when the norm is not finite.
/// </summary>
internal static class AdamUpdate
{
    public static void Apply(Tensor master, Tensor expAvg, Tensor expAvgSq, Tensor grad, Tensor? decayMask,
        double lr, double weightDecay, double beta1, double beta2, double eps, long step)
    {
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (weightDecay != 0 && decayMask is not null) master.sub_(master * decayMask * (lr * weightDecay));
        expAvg.mul_(beta1).add_(grad, 1 - beta1);
        expAvgSq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
        var denom = (expAvgSq.sqrt() / bc2Sqrt).add_(eps);
        master.addcdiv_(expAvg, denom, -lr / bc1);
    }

    /// <summary>Scales grads on their device by the clipping coefficient of a device-scalar norm (no wait for the GPU).</summary>
    public static void ClipOnDevice(Tensor grads, Tensor norm, double maxNorm)
    {
        if (maxNorm <= 0) return;
        using var coef = (maxNorm / (norm + 1e-6)).clamp_max_(1.0);
        using var finite = norm.isfinite();
        using var safe = coef.where(finite, 1.0).to_type(ScalarType.Float32);
        grads.mul_(safe);
    }

    /// <summary>The clipping coefficient on the host, from a norm (reading it waits for the GPU).</summary>
    public static double ClipScale(double norm, double maxNorm) =>
        maxNorm > 0 && double.IsFinite(norm) ? Math.Min(1.0, maxNorm / (norm + 1e-6)) : 1.0;
}
