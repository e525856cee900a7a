using Athanor.Native;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>Fused silu(gate) * up as an autograd function: apply(gate, up) → y; gradients for gate and up.</summary>
public sealed class SwiGluFunction : autograd.SingleTensorFunction<SwiGluFunction>
{
    private const int Block = 256;

    public override string Name => "AthanorFusedSwiGlu";

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        Training.BackwardResults.RememberInputs(ctx, vars);
        var gate = ((Tensor)vars[0]).contiguous();
        var up = ((Tensor)vars[1]).contiguous();
        int device = FusedRuntime.DeviceIndex(gate);
        string suffix = FusedRuntime.Suffix(gate, "gate");
        FusedRuntime.SameDtype(gate, up, "up");
        FusedRuntime.SameDevice(gate, up, "up");
        if (!gate.shape.SequenceEqual(up.shape))
            throw new ArgumentException($"SwiGLU needs gate and up of one shape; got [{string.Join(", ", gate.shape)}] and [{string.Join(", ", up.shape)}]");
        var y = empty_like(gate);
        long n = gate.numel();
        if (n > 0)
        {
            IntPtr g = TensorMemory.Address(gate), u = TensorMemory.Address(up), o = TensorMemory.Address(y);
            long packs = Packs(n, gate.dtype, g, u, o);
            string kernel = packs > 0 ? "swiglu_forward_packed_" : "swiglu_forward_";
            long work = packs > 0 ? packs : n;
            FusedRuntime.Kernel(SwiGluSource.Source, kernel + suffix, device)
                .Launch(FusedRuntime.ElementwiseGrid(work, Block, device), Block, 0, FusedRuntime.Stream(device), g, u, o, work);
        }
        ctx.save_for_backward([gate, up]);
        return y;
    }

    // Backward runs on libtorch's device thread: the scope frees what it makes, and the results are released after backward.
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
        Training.BackwardResults.Guarded(ctx, [gradOutput], () => BackwardCore(ctx, gradOutput));

    private List<Tensor> BackwardCore(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        Tensor gate = saved[0], up = saved[1];
        int device = FusedRuntime.DeviceIndex(gate);
        using var dy = gradOutput.contiguous();
        var dgate = empty_like(gate);
        var dup = empty_like(up);
        long n = gate.numel();
        if (n > 0)
        {
            IntPtr g = TensorMemory.Address(gate), u = TensorMemory.Address(up), d = TensorMemory.Address(dy);
            IntPtr dg = TensorMemory.Address(dgate), du = TensorMemory.Address(dup);
            long packs = Packs(n, gate.dtype, g, u, d, dg, du);
            string kernel = packs > 0 ? "swiglu_backward_packed_" : "swiglu_backward_";
            long work = packs > 0 ? packs : n;
            FusedRuntime.Kernel(SwiGluSource.Source, kernel + FusedRuntime.Suffix(gate, "gate"), device)
                .Launch(FusedRuntime.ElementwiseGrid(work, Block, device), Block, 0, FusedRuntime.Stream(device), g, u, d, dg, du, work);
        }
        return [dgate, dup];
    }

    /// <summary>The number of 16-byte packs when every address is 16-byte aligned and n fills whole packs, else 0 (scalar kernel).</summary>
    internal static long Packs(long n, ScalarType dtype, params ReadOnlySpan<IntPtr> addresses)
    {
        int perPack = dtype == ScalarType.BFloat16 ? 8 : 4;
        if (n % perPack != 0) return 0;
        foreach (var a in addresses) if (a % 16 != 0) return 0;
        return n / perPack;
    }
}
