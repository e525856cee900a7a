using Athanor.Models;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// x W^T for a ZeRO-3 layer that keeps its activations: autograd would keep W (gathered, and released right after the
/// layer's forward) alive for backward, so this function keeps only x and reads W again in backward, when the layer
/// has been gathered once more (<see cref="ParameterSharding"/>). The weight's gradient does not go through autograd:
/// it is handed to <c>sink</c>, which reduce-scatters the layer's gradients once its backward is over (DeepSpeed's
/// ZeRO-3 linear works the same way).
/// </summary>
public sealed class ShardedLinear : MultiTensorFunction<ShardedLinear>
{
    public override string Name => "AthanorShardedLinear";

    /// <summary>vars: the input, the <see cref="Projection"/>, the Action&lt;Projection, Tensor&gt; that takes dL/dW (trainable W only) and the model's <see cref="BackwardResults"/>.</summary>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        BackwardResults.RememberInputs(ctx, vars);
        var x = (Tensor)vars[0];
        var projection = (Projection)vars[1];
        ctx.save_for_backward([x]);
        ctx.save_data("projection", projection);
        ctx.save_data("sink", vars[2]);
        return [nn.functional.linear(x, projection.Weight)];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var projection = (Projection)ctx.get_data("projection");
        var sink = (Action<Projection, Tensor>)ctx.get_data("sink");
        return BackwardResults.Guarded(ctx, gradOutputs, () => Gradients(ctx, gradOutputs[0], projection, sink));
    }

    private static List<Tensor> Gradients(AutogradContext ctx, Tensor g, Projection projection, Action<Projection, Tensor> sink)
    {
        var x = ctx.get_saved_variables()[0];
        var weight = projection.Weight;
        if (weight.numel() == 0)
            throw new InvalidOperationException("ZeRO-3: a projection's weight was not gathered again before its backward");
        var inputGrad = SafeMatmul.Rows(g, weight);
        if (weight.requires_grad)
        {
            using var g2 = g.reshape(-1, g.shape[^1]);
            using var x2 = x.reshape(-1, x.shape[^1]);
            using var gt = g2.t();
            sink(projection, gt.mm(x2).DetachFromDisposeScope());
        }
        return [inputGrad, null!, null!];
    }
}
