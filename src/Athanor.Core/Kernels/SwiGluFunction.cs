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
            FusedRuntime.Kernel(SwiGluSource.Source, "swiglu_forward_" + suffix, device)
                .Launch(FusedRuntime.ElementwiseGrid(n, Block, device), Block, 0, FusedRuntime.Stream(device),
                    TensorMemory.Address(gate), TensorMemory.Address(up), TensorMemory.Address(y), n);
        ctx.save_for_backward([gate, up]);
        return y;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        Tensor gate = saved[0], up = saved[1];
        int device = FusedRuntime.DeviceIndex(gate);
        using var dy = gradOutput.contiguous();
        var dgate = empty_like(gate);
        var dup = empty_like(up);
        long n = gate.numel();
        if (n > 0)
            FusedRuntime.Kernel(SwiGluSource.Source, "swiglu_backward_" + FusedRuntime.Suffix(gate, "gate"), device)
                .Launch(FusedRuntime.ElementwiseGrid(n, Block, device), Block, 0, FusedRuntime.Stream(device),
                    TensorMemory.Address(gate), TensorMemory.Address(up), TensorMemory.Address(dy),
                    TensorMemory.Address(dgate), TensorMemory.Address(dup), n);
        return [dgate, dup];
    }
}
