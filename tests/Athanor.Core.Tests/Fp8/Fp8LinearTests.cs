using Athanor.Fp8;
using Athanor.Models;
using Athanor.Native;
using Athanor.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Fp8;

/// <summary>
/// The fp8 linear on the CPU emulation, held to the pure reference: the emulated cast rounds exactly like
/// <see cref="Fp8Format.Encode"/>, and forward, input gradient and weight gradient are the products of the reference's
/// round-tripped operands (E4M3 activations and weights, E5M2 gradients), each with its own tensorwise scale.
/// </summary>
public sealed class Fp8LinearTests
{
    public Fp8LinearTests() => TorchRuntime.Initialize();

    public static TheoryData<string> Formats => new() { "e4m3", "e5m2" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void TheEmulatedCastRoundsLikeThePureReference(string name)
    {
        var format = name == "e4m3" ? Fp8Format.E4M3 : Fp8Format.E5M2;
        var random = new Random(11);
        // Every binade from below the subnormals to past the max, the exact ties between neighbours, and the specials.
        var values = Enumerable.Range(0, 30_000).Select(_ => (float)((random.NextDouble() * 2 - 1) * Math.Pow(2, random.Next(-20, 18)))).ToList();
        for (int code = 0; code < 255; code++)
        {
            float a = format.Decode((byte)code), b = format.Decode((byte)(code + 1));
            if (float.IsFinite(a) && float.IsFinite(b) && (code & 0x7F) != 0x7F) values.Add((a + b) / 2);
        }
        values.AddRange([0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, float.Epsilon]);
        using var input = tensor(values.ToArray());
        using var grid = EmulatedFp8Backend.RoundToGrid(input, format);
        var emulated = grid.data<float>().ToArray();
        for (int i = 0; i < values.Count; i++)
            Assert.True(format.Decode(format.Encode(values[i])) == emulated[i], $"{name}: {values[i]:R} -> emulated {emulated[i]:R}, reference {format.Decode(format.Encode(values[i])):R}");
    }

    [Fact]
    public void ForwardAndBothGradientsAreTheProductsOfTheReferenceOperands()
    {
        var (m, k, n) = (24, 32, 16);
        var random = new Random(5);
        float[] Draw(int count, double spread) => [.. Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2 - 1) * spread))];
        float[] xs = Draw(m * k, 3), ws = Draw(n * k, 0.2), gs = Draw(m * n, 1e-3);

        using var monitor = new Fp8AmaxMonitor(["p input", "p weight", "p output gradient"], CPU);
        var site = new Fp8Site("p", new EmulatedFp8Backend(), monitor, 0, 1, 2);
        var owner = new BackwardResults();
        using var x = tensor(xs).reshape(2, m / 2, k).requires_grad_(true);
        using var w = tensor(ws).reshape(n, k).requires_grad_(true);
        using var y = Fp8Linear.Product(x, w, site, owner);
        using var g = tensor(gs).reshape(2, m / 2, n);
        (y * g).sum().backward();
        owner.Release();
        owner.ThrowIfFailed();

        using var xq = RoundTrip(xs, Fp8Format.E4M3).reshape(m, k);
        using var wq = RoundTrip(ws, Fp8Format.E4M3).reshape(n, k);
        using var gq = RoundTrip(gs, Fp8Format.E5M2).reshape(m, n);
        AssertClose(xq.mm(wq.t()), y.reshape(m, n));
        AssertClose(gq.mm(wq), x.grad!.reshape(m, k));
        AssertClose(gq.t().mm(xq), w.grad!);
        // The monitor saw each operand's amax.
        var seen = monitor.Snapshot();
        Assert.Equal(Fp8Scaling.Amax(xs), seen["p input"]);
        Assert.Equal(Fp8Scaling.Amax(ws), seen["p weight"]);
        Assert.Equal(Fp8Scaling.Amax(gs), seen["p output gradient"]);
        // And it is not the fp32 product: fp8 really ran.
        using var exact = tensor(xs).reshape(m, k).mm(tensor(ws).reshape(n, k).t());
        Assert.True((exact - y.reshape(m, n)).abs().max().item<float>() > 1e-4f);
    }

    [Fact]
    public void AFrozenWeightGetsNoGradientAndTheInputStillDoes()
    {
        using var monitor = new Fp8AmaxMonitor(["p input", "p weight", "p output gradient"], CPU);
        var site = new Fp8Site("p", new EmulatedFp8Backend(), monitor, 0, 1, 2);
        var owner = new BackwardResults();
        using var x = randn(16, 32).requires_grad_(true);
        using var w = randn(48, 32);
        using var y = Fp8Linear.Product(x, w, site, owner);
        y.sum().backward();
        owner.Release();
        owner.ThrowIfFailed();
        Assert.Null(w.grad);
        Assert.NotNull(x.grad);
        Assert.Equal([16L, 32L], x.grad!.shape);
    }

    [Fact]
    public void TheModelsBlockProjectionsRouteThroughFp8AndTheHeadDoesNot()
    {
        using var model = Training.TinySetup.Model();
        using var fp8 = Fp8Linears.Apply(model, new EmulatedFp8Backend());
        Assert.Equal(2 * 7, fp8.ProjectionCount); // q, k, v, o, gate, up, down in each of 2 layers
        Assert.Equal(3 * 14, fp8.Monitor.Count);
        Assert.All(model.BlockProjections(), p => Assert.NotNull(p.Projection.WeightProduct));
        using var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }).reshape(1, 8);
        using var logits = model.forward(ids);
        var seen = fp8.Monitor.Snapshot();
        Assert.True(seen["model.layers.0.self_attn.q_proj input"] > 0);
        Assert.True(seen["model.layers.1.mlp.down_proj weight"] > 0);
        Assert.Same(fp8, model.Fp8);
    }

    private static Tensor RoundTrip(float[] values, Fp8Format format)
    {
        var back = new float[values.Length];
        Assert.True(Fp8Scaling.RoundTrip(values, format, back, out _));
        return tensor(back);
    }

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        using var diff = (expected - actual).abs().max();
        using var size = expected.abs().max();
        Assert.True(diff.item<float>() <= 1e-5f * Math.Max(1f, size.item<float>()), $"differs by {diff.item<float>()} (scale {size.item<float>()})");
    }
}
