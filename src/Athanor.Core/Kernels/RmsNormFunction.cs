using Athanor.Native;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>Fused RMSNorm as an autograd function: apply(x, weight, eps) → y; gradients for x and weight.</summary>
public sealed class RmsNormFunction : autograd.SingleTensorFunction<RmsNormFunction>
{
    public override string Name => "AthanorFusedRmsNorm";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Training.BackwardResults.RememberInputs(ctx, vars);
        var x = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        double eps = Convert.ToDouble(vars[2]);
        int device = FusedRuntime.DeviceIndex(x);
        string suffix = FusedRuntime.Suffix(x, "x");
        FusedRuntime.SameDtype(x, weight, "the weight");
        FusedRuntime.SameDevice(x, weight, "the weight");
        long cols = x.shape[^1];
        if (weight.dim() != 1 || weight.shape[0] != cols)
            throw new ArgumentException($"RMSNorm weight must be [{cols}] for input [{string.Join(", ", x.shape)}]; got [{string.Join(", ", weight.shape)}]");
        var input = x.contiguous();
        var w = weight.contiguous();
        long rows = input.numel() / Math.Max(1, cols);
        var y = empty_like(input);
        var rstd = empty(rows, ScalarType.Float32, x.device);
        FusedRuntime.Kernel(RmsNormSource.Source, "rmsnorm_forward_" + suffix, device)
            .Launch(checked((int)rows), FusedRuntime.RowBlock(cols), 0, FusedRuntime.Stream(device),
                TensorMemory.Address(input), TensorMemory.Address(w), TensorMemory.Address(y), TensorMemory.Address(rstd), checked((int)cols), (float)eps);
        ctx.save_for_backward([input, w, rstd]);
        return y;
    }

    // Backward runs on libtorch's device thread: the scope frees what it makes, and the results are released after backward.
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
        Training.BackwardResults.Guarded(ctx, [gradOutput], () => BackwardCore(ctx, gradOutput));

    private List<Tensor> BackwardCore(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        Tensor x = saved[0], w = saved[1], rstd = saved[2];
        int device = FusedRuntime.DeviceIndex(x);
        long cols = x.shape[^1];
        long rows = x.numel() / Math.Max(1, cols);
        using var dy = gradOutput.contiguous();
        var dx = empty_like(x);
        int grid = (int)Math.Max(1, Math.Min(rows, FusedRuntime.SmCount(device) * 4L));
        using var partial = empty([grid, cols], ScalarType.Float32, x.device);
        FusedRuntime.Kernel(RmsNormSource.Source, "rmsnorm_backward_" + FusedRuntime.Suffix(x, "x"), device)
            .Launch(grid, FusedRuntime.RowBlock(cols), 0, FusedRuntime.Stream(device),
                TensorMemory.Address(x), TensorMemory.Address(w), TensorMemory.Address(dy), TensorMemory.Address(rstd),
                TensorMemory.Address(dx), TensorMemory.Address(partial), rows, checked((int)cols));
        // Not `using`: to_type returns the very same tensor when the weight is fp32.
        var summed = partial.sum([0L]); // sum(0) would bind to sum(ScalarType) and sum everything
        var dw = summed.dtype == w.dtype ? summed : summed.to_type(w.dtype);
        if (!ReferenceEquals(dw, summed)) summed.Dispose();
        return [dx, dw, null!];
    }
}
