using Athanor.Lora;
using Athanor.Models;
using static TorchSharp.torch;

namespace Athanor.Training;

/// <summary>
/// Turns activation checkpointing on for a model from outside: every k-th decoder layer (k = 1: all of them)
/// runs through <see cref="CheckpointedLayer"/> while training. Memory then holds one input per checkpointed
/// layer instead of its activations; backward pays one more forward of those layers.
/// </summary>
public static class ActivationCheckpointing
{
    /// <param name="every">1 checkpoints every layer, k every k-th (layers 0, k, 2k...); 0 installs nothing.</param>
    /// <returns>the handle that takes this wrapper off the model again</returns>
    public static IDisposable Apply(CausalLM model, int every)
    {
        if (every < 0) throw new ArgumentOutOfRangeException(nameof(every), every, "checkpoint interval must be 0 (off), 1 (every layer) or k (every k-th layer)");
        if (every == 0) return NothingInstalled.Instance;
        var rng = LoraModel.DropoutRng(model);
        return model.Model.LayerWrappers.Add(LayerWrapperStage.Recompute, (layer, index, x, inner) =>
        {
            if (!layer.training || !is_grad_enabled() || index % every != 0) return inner(layer, index, x);
            // A frozen embedding (LoRA) gives an input without grad; the function would then not be part of the
            // graph at all and the layer's adapters would get no gradients. A leaf that asks for one fixes that.
            var input = x.requires_grad ? x : x.detach().requires_grad_(true);
            return CheckpointedLayer.apply(layer, input, rng, model.Gradients)[0];
        });
    }

    private sealed class NothingInstalled : IDisposable
    {
        public static readonly NothingInstalled Instance = new();
        public void Dispose() { }
    }
}
