using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// A linear layer (y = x W^T + b) that parallelism and adapters can extend from outside: LoRA attaches
/// through <see cref="Adapter"/> without the model code knowing. Parameter names match Hugging Face's.
/// </summary>
public sealed class Projection : nn.Module<Tensor, Tensor>
{
    private readonly Parameter _weight;
    private readonly Parameter? _bias;

    public Projection(long inFeatures, long outFeatures, bool bias) : base(nameof(Projection))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _weight = new Parameter(empty(outFeatures, inFeatures));
        register_parameter("weight", _weight);
        if (bias)
        {
            _bias = new Parameter(zeros(outFeatures));
            register_parameter("bias", _bias);
        }
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    public Parameter Weight => _weight;
    public Parameter? Bias => _bias;

    /// <summary>An extra term added to the output (a LoRA update), registered as this module's children.</summary>
    public IProjectionAdapter? Adapter { get; private set; }

    public void Attach(IProjectionAdapter adapter)
    {
        if (Adapter is not null) throw new InvalidOperationException("this projection already has an adapter");
        Adapter = adapter;
        foreach (var (name, module) in adapter.Modules) register_module(name, module);
    }

    public override Tensor forward(Tensor x)
    {
        var y = nn.functional.linear(x, _weight, _bias);
        if (Adapter is null) return y;
        using var delta = Adapter.Delta(x);
        return y.add_(delta);
    }
}

/// <summary>What an adapter contributes to a projection: the submodules it registers and an output delta.</summary>
public interface IProjectionAdapter
{
    IEnumerable<(string Name, nn.Module Module)> Modules { get; }
    Tensor Delta(Tensor x);
}
