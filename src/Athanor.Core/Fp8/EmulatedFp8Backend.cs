using Athanor.Fp8;
using static TorchSharp.torch;

namespace Athanor.Fp8;

/// <summary>
/// fp8 on any device with plain torch ops, for CPU tests: each element is rounded to the format's grid exactly as the
/// cast kernel does (scaled in float32, saturated, round-to-nearest-even, the pure reference's rules), the operands are
/// kept as those grid values in float32, and the product is a float32 matmul times both inverse scales. The products
/// of fp8 values are exact in float32, so this is what the tensor cores compute up to the order of accumulation.
/// Internal to tests and the self-test: users never get fp8 on a CPU (the config refuses it).
/// </summary>
public sealed class EmulatedFp8Backend : IFp8Backend
{
    public string Name => "emulated (float32 torch ops)";

    public Fp8Tensor Quantize(Tensor x, Fp8Format format, Tensor amaxSlot)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var values = x.to_type(ScalarType.Float32);
        var amax = values.abs().max();
        if (values.isnan().any().item<bool>()) amax = full_like(amax, float.NaN); // max() may skip NaN on some builds
        amaxSlot.copy_(maximum(amaxSlot, amax.to_type(amaxSlot.dtype)));
        float amaxValue = amax.item<float>();
        float scale = Fp8Scaling.TryTensorwiseScale(amaxValue, format, out var s) ? s : 1f; // an overflowed step is skipped anyway
        var grid = RoundToGrid(values * scale, format);
        var inverse = full([1], Fp8Scaling.InverseScale(scale), ScalarType.Float32, x.device);
        return new Fp8Tensor(grid.MoveToOuterDisposeScope(), inverse.MoveToOuterDisposeScope(), format);
    }

    public Fp8Tensor Transpose(Fp8Tensor t) =>
        new(t.Data.t().contiguous(), t.InverseScale.clone(), t.Format);

    public Tensor Gemm(Fp8Tensor a, Fp8Tensor b, ScalarType output)
    {
        using var scope = NewDisposeScope();
        var product = a.Data.mm(b.Data.t()) * a.InverseScale * b.InverseScale;
        return product.to_type(output).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each element of float32 v to the nearest value of the format (ties to even), magnitudes above Max saturated,
    /// NaN kept: the quantum of v's binade (or the subnormal step) is a power of two, so v / quantum is exact and
    /// torch's round (half to even) is the format's rounding.
    /// </summary>
    public static Tensor RoundToGrid(Tensor v, Fp8Format format)
    {
        using var scope = NewDisposeScope();
        var clamped = v.clamp(-format.Max, format.Max); // saturate first: infinities become ±Max, NaN stays NaN
        var magnitude = clamped.abs();
        // floor(log2 |v|), corrected where log2 rounded across a power of two.
        var exponent = magnitude.log2().floor();
        exponent = where(exponent.exp2() > magnitude, exponent - 1, exponent);
        exponent = where((exponent + 1).exp2() <= magnitude, exponent + 1, exponent);
        exponent = exponent.clamp_min(format.MinNormalExponent); // zeros (log2 = -inf) and subnormals share the smallest step
        var quantum = (exponent - format.MantissaBits).exp2();
        var rounded = (clamped / quantum).round() * quantum;
        return rounded.clamp(-format.Max, format.Max).MoveToOuterDisposeScope();
    }
}
