using Athanor.Models;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Quantization;

/// <summary>
/// x W^T for a frozen 4-bit W (bitsandbytes' MatMul4Bit does the same): forward dequantizes W to x's dtype, multiplies
/// and frees it; backward dequantizes it again for dL/dx = g W. Nothing of W's size is kept between forward and
/// backward, and W never gets a gradient: only the input (and so the LoRA adapters around it) does.
/// </summary>
public sealed class QuantizedLinear : autograd.SingleTensorFunction<QuantizedLinear>
{
    public override string Name => "AthanorQuantizedLinear";

    /// <summary>x W^T; vars: the input, the <see cref="QuantizedWeight"/> and the model's <see cref="BackwardResults"/>.</summary>
    public static Tensor Product(Tensor x, QuantizedWeight weight, BackwardResults gradients)
    {
        if (!x.requires_grad || !is_grad_enabled())
        {
            // No gradient can flow through here: a plain product, with the dequantized weight freed at once.
            using var w = weight.Dequantize(x.dtype);
            return nn.functional.linear(x, w);
        }
        return apply(x, weight, gradients);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        BackwardResults.RememberInputs(ctx, vars);
        var x = (Tensor)vars[0];
        var weight = (QuantizedWeight)vars[1];
        ctx.save_data("weight", weight);
        using var w = weight.Dequantize(x.dtype);
        return nn.functional.linear(x, w);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var weight = (QuantizedWeight)ctx.get_data("weight");
        return BackwardResults.Guarded(ctx, [gradOutput], () =>
        {
            var w = weight.Dequantize(gradOutput.dtype);
            return [SafeMatmul.Rows(gradOutput, w), null!, null!];
        });
    }
}
