using Athanor.Models;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>
/// y = x W^T with all three GEMMs in fp8 (fp8_recipe: tensorwise): forward E4M3 x times E4M3 W; backward dL/dx = E5M2 g
/// times E4M3 W and dL/dW = E5M2 g^T times E4M3 x, each operand with its own dynamic scale. What backward needs of x is
/// kept as its fp8 codes (one byte an element instead of bf16's two); W is cast again from the parameter, which gives
/// the same codes. W's gradient comes back in W's dtype through autograd, so the optimizer sees a plain gradient.
/// </summary>
public sealed class Fp8Linear : autograd.SingleTensorFunction<Fp8Linear>
{
    public override string Name => "AthanorFp8Linear";

    /// <summary>x W^T in fp8; autograd only when a gradient can flow (a frozen W under LoRA still gives x its gradient).</summary>
    public static Tensor Product(Tensor x, Tensor weight, Fp8Site site, BackwardResults gradients)
    {
        if (is_grad_enabled() && (x.requires_grad || weight.requires_grad)) return apply(x, weight, site, gradients);
        using var _ = no_grad();
        return Forward(x, weight, site, keepInput: false).Output;
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        BackwardResults.RememberInputs(ctx, vars);
        var x = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var site = (Fp8Site)vars[2];
        var (output, inputT) = Forward(x, weight, site, keepInput: weight.requires_grad);
        ctx.save_data("site", site);
        ctx.save_data("inputShape", x.shape);
        ctx.save_data("inputNeedsGrad", x.requires_grad);
        ctx.save_for_backward(inputT is null ? [weight] : [weight, inputT.Data, inputT.InverseScale]);
        // inputT stays with the caller's dispose scope: TorchSharp reads the saved wrappers back in backward
        return output;
    }

    private static (Tensor Output, Fp8Tensor? InputT) Forward(Tensor x, Tensor weight, Fp8Site site, bool keepInput)
    {
        using var scope = NewDisposeScope();
        var backend = site.Backend;
        var x2 = x.reshape(-1, x.shape[^1]).contiguous();
        using var x8 = backend.Quantize(x2, Fp8Format.E4M3, site.Monitor.Slot(site.InputSlot));
        using var w8 = backend.Quantize(weight.contiguous(), Fp8Format.E4M3, site.Monitor.Slot(site.WeightSlot));
        var y = backend.Gemm(x8, w8, x.dtype).reshape([.. x.shape[..^1], weight.shape[0]]);
        Fp8Tensor? inputT = null;
        if (keepInput)
        {
            inputT = backend.Transpose(x8);
            inputT.Data.MoveToOuterDisposeScope();
            inputT.InverseScale.MoveToOuterDisposeScope();
        }
        return (y.MoveToOuterDisposeScope(), inputT);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput) =>
        BackwardResults.Guarded(ctx, [gradOutput], () => Gradients(ctx, gradOutput));

    private static List<Tensor> Gradients(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var site = (Fp8Site)ctx.get_data("site");
        var inputShape = (long[])ctx.get_data("inputShape");
        bool inputNeedsGrad = (bool)ctx.get_data("inputNeedsGrad");
        var saved = ctx.get_saved_variables();
        var weight = saved[0];
        var backend = site.Backend;
        var g2 = gradOutput.reshape(-1, gradOutput.shape[^1]).contiguous();
        var g8 = backend.Quantize(g2, Fp8Format.E5M2, site.Monitor.Slot(site.GradientSlot));
        Tensor inputGrad = null!, weightGrad = null!;
        if (inputNeedsGrad)
        {
            var w8 = backend.Quantize(weight.contiguous(), Fp8Format.E4M3, site.Monitor.Slot(site.WeightSlot));
            var wT8 = backend.Transpose(w8);
            inputGrad = backend.Gemm(g8, wT8, gradOutput.dtype).reshape(inputShape);
        }
        if (saved.Count == 3)
        {
            var xT8 = new Fp8Tensor(saved[1], saved[2], Fp8Format.E4M3);
            var gT8 = backend.Transpose(g8);
            weightGrad = backend.Gemm(gT8, xT8, weight.dtype);
        }
        return [inputGrad, weightGrad, null!, null!];
    }
}
