using Athanor.Models;
using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// A ZeRO-3 decoder layer. Forward gathers the layer's parameters, runs it without building a graph, releases
/// them and keeps only its input. Backward gathers again, recomputes the layer with gradients on, takes the
/// gradients of its input and of its trainable parameters (torch.autograd.grad, so nothing accumulates in the
/// released parameters), releases, and hands the parameter gradients to the optimizer, which reduce-scatters
/// them at once: a layer's full gradient lives only while its own backward runs. TorchSharp has no tensor
/// hooks; this per-layer backward is the point where a layer's gradients are complete. The LoRA dropout
/// generator is rewound for the recomputation, as in <see cref="CheckpointedLayer"/>.
/// </summary>
public sealed class Zero3Layer : MultiTensorFunction<Zero3Layer>
{
    public override string Name => "AthanorZero3Layer";

    /// <summary>What the function needs besides the layer and its input.</summary>
    public sealed record Context(ParameterSharding Sharding, ShardedUnit Unit, int Index, Generator? DropoutRng);

    /// <summary>vars: the DecoderLayer, its input tensor, the <see cref="Context"/> and the model's <see cref="BackwardResults"/>.</summary>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        BackwardResults.RememberInputs(ctx, vars);
        var layer = (DecoderLayer)vars[0];
        var input = (Tensor)vars[1];
        var context = (Context)vars[2];
        ctx.save_for_backward([input]);
        ctx.save_data("layer", layer);
        ctx.save_data("context", context);
        if (context.DropoutRng is { } rng) ctx.save_data("rng", rng.get_state().DetachFromDisposeScope());
        context.Unit.Gather(context.Sharding.Group);
        context.Sharding.PrefetchLayer(context.Index + 1);
        try { return [layer.forward(input)]; }
        finally { context.Unit.Release(); }
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        // An exception thrown here would cross libtorch's engine and end the process: keep it for the caller.
        return BackwardResults.Guarded(ctx, gradOutputs, () => Recompute(ctx, gradOutputs));
    }

    private static List<Tensor> Recompute(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var layer = (DecoderLayer)ctx.get_data("layer");
        var context = (Context)ctx.get_data("context");
        var saved = ctx.get_saved_variables()[0];
        var unit = context.Unit;
        Tensor? resumeAt = null;
        if (context.DropoutRng is { } rng && ctx.get_data("rng") is Tensor state)
        {
            resumeAt = rng.get_state();
            rng.set_state(state);
            state.Dispose();
        }
        unit.Gather(context.Sharding.Group);
        context.Sharding.PrefetchLayer(context.Index - 1); // backward runs the layers in reverse
        Tensor inputGrad;
        try
        {
            using (enable_grad())
            {
                using var input = saved.detach().requires_grad_(true);
                using var output = layer.forward(input);
                var wrt = new List<Tensor> { input };
                wrt.AddRange(unit.Trainable.Select(p => (Tensor)p.Parameter));
                var grads = grad([output], wrt, [gradOutputs[0]], allow_unused: true);
                inputGrad = grads[0] is Tensor g && !g.IsInvalid ? g : zeros_like(input);
                var parameterGrads = grads.Skip(1).Select(t => t is not null && !t.IsInvalid ? t : null).ToList();
                context.Sharding.OnGradients(unit, parameterGrads);
            }
        }
        finally { unit.Release(); }
        if (context.DropoutRng is { } back && resumeAt is not null)
        {
            back.set_state(resumeAt);
            resumeAt.Dispose();
        }
        return [null!, inputGrad, null!];
    }
}
