using Athanor.Configuration;
using Athanor.Lora;
using Athanor.Models;
using Athanor.Native;
using Athanor.Quantization;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Quantization;

/// <summary>A 4-bit projection computes what a plain one with the dequantized weight computes, and trains only what should train.</summary>
public sealed class QuantizedProjectionTests
{
    public QuantizedProjectionTests() => TorchRuntime.Initialize();

    [Fact]
    public void ForwardAndGradientsEqualAPlainProjectionWithTheDequantizedWeight()
    {
        var gradients = new BackwardResults();
        var settings = new LoraSettings(4, 8, 0, ["q_proj"]);
        using var quantized = new Projection(48, 32, hasBias: true);
        using var plain = new Projection(48, 32, hasBias: true);
        using var full = randn(32, 48, generator: new Generator(1));
        var weight = FourBitQuantizer.Quantize(full, QuantizationType.Nf4, doubleQuantization: true);
        using (no_grad())
        {
            using var dq = weight.Dequantize(ScalarType.Float32);
            plain.Weight.copy_(dq);
            plain.Bias!.copy_(linspace(-1, 1, 32));
            quantized.Bias!.copy_(linspace(-1, 1, 32));
        }
        quantized.Quantize(weight, gradients);
        quantized.Attach(new LoraAdapter(48, 32, settings, new Generator(2), new Generator(3)));
        plain.Attach(new LoraAdapter(48, 32, settings, new Generator(2), new Generator(3)));
        foreach (var p in new[] { quantized, plain })
        {
            var adapter = (LoraAdapter)p.Adapter!;
            using (no_grad()) adapter.B.weight!.copy_(randn(32, 4, generator: new Generator(4)) * 0.1);
            p.Bias!.requires_grad = false;
        }
        plain.Weight.requires_grad = false;

        using var x1 = randn(2, 5, 48, generator: new Generator(5)).requires_grad_(true);
        using var x2 = x1.detach().clone().requires_grad_(true);
        using var y1 = quantized.forward(x1);
        using var y2 = plain.forward(x2);
        Assert.True(y1.allclose(y2, rtol: 1e-5, atol: 1e-5), "the outputs differ");
        using var g = randn(2, 5, 32, generator: new Generator(6));
        y1.backward([g]);
        y2.backward([g]);
        gradients.ThrowIfFailed();
        Assert.True(x1.grad!.allclose(x2.grad!, rtol: 1e-5, atol: 1e-5), "dL/dx differs");
        var qa = (LoraAdapter)quantized.Adapter!;
        var pa = (LoraAdapter)plain.Adapter!;
        Assert.True(qa.A.weight!.grad!.allclose(pa.A.weight!.grad!, rtol: 1e-5, atol: 1e-5), "dL/dA differs");
        Assert.True(qa.B.weight!.grad!.allclose(pa.B.weight!.grad!, rtol: 1e-5, atol: 1e-5), "dL/dB differs");
        // The 4-bit weight is no parameter, so nothing can train it.
        Assert.DoesNotContain(quantized.named_parameters(), p => p.name == "weight");
        gradients.Release();
    }

    [Fact]
    public void WithoutGradientsTheProductIsPlain()
    {
        var gradients = new BackwardResults();
        using var projection = new Projection(64, 16, hasBias: false);
        using var full = randn(16, 64, generator: new Generator(8));
        projection.Quantize(FourBitQuantizer.Quantize(full, QuantizationType.Fp4, false), gradients);
        using var x = randn(3, 64, generator: new Generator(9));
        using var y = projection.forward(x);
        using var w = projection.Quantized!.Dequantize(ScalarType.Float32);
        using var expected = x.mm(w.t());
        Assert.True(y.allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(0, gradients.Count);
    }

    [Fact]
    public void AWeightOfTheWrongShapeIsRefused()
    {
        using var projection = new Projection(64, 16, hasBias: false);
        using var full = randn(16, 32);
        using var q = FourBitQuantizer.Quantize(full, QuantizationType.Nf4, false);
        var ex = Assert.Throws<ArgumentException>(() => projection.Quantize(q, new BackwardResults()));
        Assert.Contains("[16, 32]", ex.Message);
    }
}
