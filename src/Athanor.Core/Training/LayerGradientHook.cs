using Athanor.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Athanor.Training;

/// <summary>
/// Tells the caller when a decoder layer's backward is over. TorchSharp has no tensor hooks, so the layer's input
/// passes through this identity function: the gradient reaches it only after the whole layer has been
/// back-propagated (recomputed first, under activation checkpointing), and the parameters' gradient accumulation
/// runs before any other node of the autograd engine, so at that moment the layer's parameter gradients are complete.
/// Put on a layer's output instead, its backward runs before any of the layer's own nodes: the layer's backward is
/// about to begin (ZeRO-3 gathers the layer there, <see cref="Parallel.Sharding.KeptActivations"/>).
/// </summary>
public sealed class LayerGradientHook : MultiTensorFunction<LayerGradientHook>
{
    public override string Name => "AthanorLayerGradientHook";

    /// <summary>vars: the input tensor, the layer index, the Action&lt;int&gt; to call, and the model's <see cref="BackwardResults"/>.</summary>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        BackwardResults.RememberInputs(ctx, vars);
        ctx.save_data("index", vars[1]);
        ctx.save_data("done", vars[2]);
        return [((Tensor)vars[0]).alias()];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var done = (Action<int>)ctx.get_data("done");
        int index = (int)ctx.get_data("index");
        return BackwardResults.Guarded(ctx, gradOutputs, () =>
        {
            done(index);
            return [gradOutputs[0], null!, null!];
        });
    }

    /// <summary>
    /// Wraps the model's layers from outside: while training with gradients, <paramref name="layerDone"/>(i) runs once
    /// layer i's backward is over. Dispose the result to take the wrapper off again.
    /// </summary>
    public static IDisposable Install(CausalLM model, Action<int> layerDone) =>
        model.Model.LayerWrappers.Add(LayerWrapperStage.Observe, (layer, index, x, inner) =>
            inner(layer, index, layer.training && is_grad_enabled() && x.requires_grad ? apply(x, index, layerDone, model.Gradients)[0] : x));
}
