using Athanor.Kernels;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) * up(x)).</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Projection _gate, _up, _down;
    private readonly ModelKernels? _kernels;

    public Mlp(ModelConfig config, ModelKernels? kernels = null) : base(nameof(Mlp))
    {
        _kernels = kernels;
        _gate = new Projection(config.HiddenSize, config.IntermediateSize, config.MlpBias);
        _up = new Projection(config.HiddenSize, config.IntermediateSize, config.MlpBias);
        _down = new Projection(config.IntermediateSize, config.HiddenSize, config.MlpBias);
        register_module("gate_proj", _gate);
        register_module("up_proj", _up);
        register_module("down_proj", _down);
    }

    public IEnumerable<(string Name, Projection Projection)> Projections =>
        [("gate_proj", _gate), ("up_proj", _up), ("down_proj", _down)];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var gate = _gate.forward(x);
        var up = _up.forward(x);
        var hidden = _kernels?.Plan.SwiGlu == true && FusedKernels.Applies(gate) && gate.dtype == up.dtype
            ? FusedOps.SwiGlu(gate, up, _kernels.Gradients)
            : nn.functional.silu(gate) * up;
        return _down.forward(hidden).MoveToOuterDisposeScope();
    }
}
