using Athanor.Native;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>
/// Fused rotary embedding as an autograd function: apply(x [B, H, T, D], cos [T, D], sin [T, D]) → contiguous
/// [B, H, T, D]. x may be a transposed view (the attention's q and k are); only x gets a gradient.
/// </summary>
public sealed class RotaryFunction : autograd.SingleTensorFunction<RotaryFunction>
{
    private const int Block = 256;

    public override string Name => "AthanorFusedRotary";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Training.BackwardResults.RememberInputs(ctx, vars);
        var x = (Tensor)vars[0];
        var cos = ((Tensor)vars[1]).contiguous();
        var sin = ((Tensor)vars[2]).contiguous();
        FusedRuntime.SameDtype(x, cos, "cos");
        FusedRuntime.SameDtype(x, sin, "sin");
        FusedRuntime.SameDevice(x, cos, "cos");
        FusedRuntime.SameDevice(x, sin, "sin");
        if (x.dim() != 4 || x.shape[3] % 2 != 0)
            throw new ArgumentException($"rotary embedding takes x [B, H, T, D] with an even D; got [{string.Join(", ", x.shape)}]");
        long t = x.shape[2], d = x.shape[3];
        foreach (var (angles, what) in new[] { (cos, "cos"), (sin, "sin") })
            if (angles.dim() != 2 || angles.shape[0] != t || angles.shape[1] != d)
                throw new ArgumentException($"rotary {what} must be [{t}, {d}] for x [{string.Join(", ", x.shape)}]; got [{string.Join(", ", angles.shape)}]");
        var y = Run(x, cos, sin, backward: false);
        ctx.save_for_backward([cos, sin]);
        return y;
    }

    // Backward runs on libtorch's device thread: the scope frees what it makes, and the results are released after backward.
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
        Training.BackwardResults.Guarded(ctx, [gradOutput], () => BackwardCore(ctx, gradOutput));

    private List<Tensor> BackwardCore(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        return [Run(gradOutput, saved[0], saved[1], backward: true), null!, null!];
    }

    private static Tensor Run(Tensor x, Tensor cos, Tensor sin, bool backward)
    {
        int device = FusedRuntime.DeviceIndex(x);
        // The kernel reads any strides over B, H and T but needs D contiguous.
        using var input = x.stride(3) == 1 ? x.alias() : x.contiguous();
        long b = input.shape[0], h = input.shape[1], t = input.shape[2], d = input.shape[3];
        var y = empty([b, h, t, d], input.dtype, input.device);
        long rows = b * h * t;
        long pairs = rows * (d / 2);
        if (pairs > 0)
            FusedRuntime.Kernel(RotarySource.Source, "rotary_" + FusedRuntime.Suffix(input, "x"), device)
                .Launch(FusedRuntime.ElementwiseGrid(pairs, Block, device), Block, 0, FusedRuntime.Stream(device),
                    RawAddress(input), TensorMemory.Address(cos), TensorMemory.Address(sin), TensorMemory.Address(y),
                    rows, checked((int)h), checked((int)t), checked((int)d),
                    input.stride(0), input.stride(1), input.stride(2), backward ? 1 : 0);
        return y;
    }

    // A strided view's first element: TensorMemory.Address insists on contiguity, so take the contiguous
    // base's address plus the view's offset. The kernel indexes with the view's own strides.
    private static IntPtr RawAddress(Tensor view)
    {
        if (view.is_contiguous()) return TensorMemory.Address(view);
        using var flat = view.as_strided([1], [1], view.storage_offset());
        return TensorMemory.Address(flat);
    }
}
