using Athanor.Quantization;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// A linear layer (y = x W^T + b) that parallelism and adapters can extend from outside: LoRA attaches
/// through <see cref="Adapter"/> without the model code knowing. Parameter names match Hugging Face's.
/// </summary>
public sealed class Projection : nn.Module<Tensor, Tensor>, IParameterOwner
{
    // Named as registered: TorchSharp's Module.to(device or dtype) replaces parameters and re-points
    // the field of the same name; a differently named field would keep the disposed original.
    private Parameter weight;
    private Parameter? bias;

    public Projection(long inFeatures, long outFeatures, bool hasBias) : base(nameof(Projection))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        weight = new Parameter(empty(outFeatures, inFeatures, device: ModelConstruction.Device));
        register_parameter("weight", weight);
        if (hasBias)
        {
            bias = new Parameter(zeros(outFeatures, device: ModelConstruction.Device));
            register_parameter("bias", bias);
        }
    }

    public void ReplaceParameter(string name, Parameter replacement)
    {
        switch (name)
        {
            case "weight": weight = replacement; break;
            case "bias" when bias is not null: bias = replacement; break;
            default: throw new ArgumentException($"a projection has no parameter '{name}'", nameof(name));
        }
        ConditionallyRegisterParameter(name, replacement);
    }

    public long InFeatures { get; }
    public long OutFeatures { get; }
    /// <summary>The weight; a 4-bit projection has none (<see cref="Quantized"/> holds it).</summary>
    public Parameter Weight => Quantized is null ? weight
        : throw new InvalidOperationException("this projection's weight is held in 4 bits; use Quantized.Dequantize(dtype)");
    public Parameter? Bias => bias;

    /// <summary>An extra term added to the output (a LoRA update), registered as this module's children.</summary>
    public IProjectionAdapter? Adapter { get; private set; }

    public void Attach(IProjectionAdapter adapter)
    {
        if (Adapter is not null) throw new InvalidOperationException("this projection already has an adapter");
        Adapter = adapter;
        foreach (var (name, module) in adapter.Modules) register_module(name, module);
    }

    /// <summary>
    /// Computes x W^T in place of the plain linear when set from outside (ZeRO-3 without recomputation routes it
    /// through a function that does not let autograd keep W); the bias is still added here.
    /// </summary>
    public Func<Projection, Tensor, Tensor>? WeightProduct { get; set; }

    /// <summary>False while the adapter is switched off: the projection computes the base model's output (a DPO reference forward).</summary>
    public bool AdapterEnabled { get; set; } = true;

    // ---- QLoRA (issue 22) ----

    /// <summary>The frozen weight in 4 bits (QLoRA), or null for a plain weight.</summary>
    public QuantizedWeight? Quantized { get; private set; }

    private Training.BackwardResults? _quantizedGradients;

    /// <summary>
    /// Replaces the weight parameter by its 4-bit form (the parameter is unregistered and freed): forward then
    /// dequantizes it per call, and no gradient ever reaches it. <paramref name="gradients"/> is the model's owner of
    /// custom backward results (<see cref="CausalLM.Gradients"/>).
    /// </summary>
    public void Quantize(QuantizedWeight quantized, Training.BackwardResults gradients)
    {
        if (Quantized is not null) throw new InvalidOperationException("this projection is already quantized");
        if (!quantized.Shape.SequenceEqual([OutFeatures, InFeatures]))
            throw new ArgumentException($"a quantized weight of shape [{string.Join(", ", quantized.Shape)}] does not fit a projection of [{OutFeatures}, {InFeatures}]");
        ConditionallyRegisterParameter("weight", null);
        weight.Dispose();
        weight = null!;
        Quantized = quantized;
        _quantizedGradients = gradients;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Quantized?.Dispose();
        base.Dispose(disposing);
    }

    public override Tensor forward(Tensor x)
    {
        var y = Quantized is { } q ? WithBias(QuantizedLinear.Product(x, q, _quantizedGradients!))
            : WeightProduct is null ? nn.functional.linear(x, weight, bias) : WithBias(WeightProduct(this, x));
        if (Adapter is null || !AdapterEnabled) return y;
        using var delta = Adapter.Delta(x);
        return y.add_(delta);
    }

    private Tensor WithBias(Tensor product)
    {
        if (bias is null) return product;
        using (product) return product + bias;
    }
}

/// <summary>What an adapter contributes to a projection: the submodules it registers and an output delta.</summary>
public interface IProjectionAdapter
{
    IEnumerable<(string Name, nn.Module Module)> Modules { get; }
    Tensor Delta(Tensor x);
}
