using Athanor.Kernels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>Root-mean-square norm; statistics in fp32 whatever the input dtype, as Hugging Face computes them.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>, IParameterOwner
{
    // Named as registered: TorchSharp's Module.to(device or dtype) replaces parameters and re-points
    // the field of the same name; a differently named field would keep the disposed original.
    private Parameter weight;
    private readonly double _eps;
    private readonly ModelKernels? _kernels;

    /// <param name="kernels">the model's kernel plan (null: always the plain ops)</param>
    public RmsNorm(long size, double eps, ModelKernels? kernels = null) : base(nameof(RmsNorm))
    {
        _kernels = kernels;
        weight = new Parameter(ones(size, device: ModelConstruction.Device));
        _eps = eps;
        register_parameter("weight", weight);
    }

    public Parameter Weight => weight;

    public void ReplaceParameter(string name, Parameter replacement)
    {
        if (name != "weight") throw new ArgumentException($"a norm has no parameter '{name}'", nameof(name));
        weight = replacement;
        ConditionallyRegisterParameter(name, replacement);
    }

    public override Tensor forward(Tensor x)
    {
        if (_kernels?.Plan.RmsNorm == true && FusedKernels.Applies(x) && x.dtype == weight.dtype) return FusedOps.RmsNorm(x, weight, _eps, _kernels.Gradients);
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var normed = x32 * (x32.pow(2).mean([-1], keepdim: true) + _eps).rsqrt();
        return (weight * normed.to_type(x.dtype)).MoveToOuterDisposeScope();
    }
}
