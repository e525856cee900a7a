using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// Tells the caller that a decoder layer's backward is about to begin: the layer's output passes through this identity
/// function, whose backward runs before any of the layer's own nodes (ZeRO-3 gathers the layer there). The other end,
/// the layer's backward being over, is <see cref="LayerGradientHook"/> on its input.
/// </summary>
public sealed class LayerBackwardStart : MultiTensorFunction<LayerBackwardStart>
{
    public override string Name => "AthanorLayerBackwardStart";

    /// <summary>vars: the layer's output, the layer index, and the Action&lt;int&gt; to call.</summary>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        ctx.save_data("index", vars[1]);
        ctx.save_data("starts", vars[2]);
        return [((Tensor)vars[0]).alias()];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var starts = (Action<int>)ctx.get_data("starts");
        int index = (int)ctx.get_data("index");
        return BackwardResults.Scoped(gradOutputs, () =>
        {
            // An exception must not cross libtorch's engine: it is kept, and the trainer rethrows it after backward.
            try { starts(index); }
            catch (Exception ex) { BackwardResults.Fail(ex); }
            return [gradOutputs[0], null!, null!];
        });
    }
}
