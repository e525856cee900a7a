using Athanor.Native;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>
/// The scalars of one AdamW step, computed in double as ZeroAdamW computes them and handed to the kernel as
/// the float32 values torch's kernels would use.
/// </summary>
public readonly record struct AdamWStepScalars(float LrTimesWeightDecay, float Beta1, float OneMinusBeta1, float Beta2,
    float OneMinusBeta2, float InverseBiasCorrection2Sqrt, float Eps, float StepSize, float GradScale)
{
    /// <summary>
    /// For step number step (1-based, after increment), learning rate lr and gradScale (the clipping coefficient,
    /// 1 when not clipping). weightDecay is the slot's: pass 0 for slots without decay (vectors).
    /// </summary>
    public static AdamWStepScalars For(double lr, double beta1, double beta2, double eps, double weightDecay, long step, double gradScale = 1.0)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "AdamW steps count from 1");
        double bc1 = 1 - Math.Pow(beta1, step);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(beta2, step));
        // torch divides a tensor by a scalar as a multiply by the float reciprocal of the float scalar.
        float inverse = 1.0f / (float)bc2Sqrt;
        return new((float)(lr * weightDecay), (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
            inverse, (float)eps, (float)(-lr / bc1), (float)gradScale);
    }
}

/// <summary>
/// AdamW for one parameter slot in one kernel: reads the gradient (bf16 or fp32), updates the fp32 master and
/// moments (views into flat buffers at an offset) and writes the model parameter (bf16 or fp32) in the same pass.
/// </summary>
public static class FusedAdamW
{
    private const int Block = 256;

    /// <summary>
    /// master, expAvg, expAvgSq: flat contiguous float32 buffers; the slot is [offset, offset + parameter.numel()).
    /// grad: the slot's gradient (parameter's shape or flat), or null for a zero gradient. Queued on torch's stream.
    /// </summary>
    public static void StepSlot(Tensor master, Tensor expAvg, Tensor expAvgSq, long offset, Tensor? grad, Tensor parameter, AdamWStepScalars s)
    {
        int device = FusedRuntime.DeviceIndex(parameter);
        long n = parameter.numel();
        foreach (var (buffer, what) in new[] { (master, "master"), (expAvg, "exp_avg"), (expAvgSq, "exp_avg_sq") })
        {
            FusedRuntime.SameDevice(parameter, buffer, what);
            if (buffer.dtype != ScalarType.Float32 || !buffer.is_contiguous())
                throw new ArgumentException($"AdamW {what} must be a contiguous float32 buffer; got {buffer.dtype}");
            if (offset < 0 || offset + n > buffer.numel())
                throw new ArgumentException($"AdamW slot [{offset}, {offset + n}) lies outside {what} of length {buffer.numel()}");
        }
        if (!parameter.is_contiguous()) throw new ArgumentException("AdamW writes the parameter in place: it must be contiguous");
        string paramSuffix = FusedRuntime.Suffix(parameter, "the parameter");
        string gradSuffix = "f32";
        IntPtr gradAddress = IntPtr.Zero;
        if (grad is not null)
        {
            FusedRuntime.SameDevice(parameter, grad, "the gradient");
            if (grad.numel() != n) throw new ArgumentException($"the gradient has {grad.numel()} elements, the parameter {n}");
            if (!grad.is_contiguous()) throw new ArgumentException("the gradient must be contiguous");
            gradSuffix = FusedRuntime.Suffix(grad, "the gradient");
            gradAddress = TensorMemory.Address(grad);
        }
        if (n == 0) return;
        FusedRuntime.Kernel(AdamWSource.Source, $"adamw_step_g_{gradSuffix}_p_{paramSuffix}", device)
            .Launch(FusedRuntime.ElementwiseGrid(n, Block, device), Block, 0, FusedRuntime.Stream(device),
                At(master, offset), At(expAvg, offset), At(expAvgSq, offset), gradAddress, TensorMemory.Address(parameter), n,
                s.LrTimesWeightDecay, s.Beta1, s.OneMinusBeta1, s.Beta2, s.OneMinusBeta2, s.InverseBiasCorrection2Sqrt, s.Eps, s.StepSize, s.GradScale);
    }

    private static IntPtr At(Tensor flat, long offset) => TensorMemory.Address(flat) + checked((nint)(offset * sizeof(float)));
}
