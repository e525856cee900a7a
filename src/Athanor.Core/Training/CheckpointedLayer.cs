using Athanor.Models;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Athanor.Training;

/// <summary>
/// A decoder layer whose activations are not kept: forward runs the layer without building a graph and
/// saves only its input; backward runs the layer again with gradients on and back-propagates through that
/// copy. Parameter gradients accumulate as usual. The LoRA dropout generator, if any, is rewound for the
/// recomputation so it draws the same masks, then put back where it was.
/// </summary>
public sealed class CheckpointedLayer : MultiTensorFunction<CheckpointedLayer>
{
    public override string Name => "AthanorCheckpointedLayer";

    /// <summary>vars: the DecoderLayer, its input tensor, the dropout Generator or null, and the model's <see cref="BackwardResults"/>.</summary>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        BackwardResults.RememberInputs(ctx, vars);
        var layer = (DecoderLayer)vars[0];
        var input = (Tensor)vars[1];
        var rng = vars[2] as Generator;
        ctx.save_for_backward([input]);
        ctx.save_data("layer", layer);
        // The state must outlive the dispose scope the forward runs in.
        if (rng is not null) ctx.save_data("rng", (rng, rng.get_state().DetachFromDisposeScope()));
        return [layer.forward(input)];
    }

    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        // Arguments: the layer, its input and the dropout generator.
        return BackwardResults.Guarded(ctx, gradOutputs, () => Recompute(ctx, gradOutputs));
    }

    private static List<Tensor> Recompute(AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var layer = (DecoderLayer)ctx.get_data("layer");
        var saved = ctx.get_saved_variables()[0];
        var rngState = ctx.get_data("rng") as (Generator Rng, Tensor State)?;
        Tensor? resumeAt = null;
        if (rngState is { } r)
        {
            resumeAt = r.Rng.get_state();
            r.Rng.set_state(r.State);
        }
        Tensor inputGrad;
        using (enable_grad())
        {
            using var input = saved.detach().requires_grad_(true);
            using (var output = layer.forward(input))
                output.backward([gradOutputs[0]]);
            inputGrad = input.grad ?? zeros_like(input);
        }
        if (rngState is { } back && resumeAt is not null)
        {
            back.Rng.set_state(resumeAt);
            resumeAt.Dispose();
            back.State.Dispose();
        }
        return [null!, inputGrad, null!];
    }
}
