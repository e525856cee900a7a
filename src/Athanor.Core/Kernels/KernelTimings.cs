using Athanor.Models;
using Athanor.Parallel;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>
/// Fused vs unfused timings in bf16 on the 1b preset's shapes (8192 tokens, hidden 2048, ffn 5632, 32 heads
/// of 64): milliseconds per call, CUDA-synchronized around 20 calls after 3 warm-up calls.
/// </summary>
internal static class KernelTimings
{
    private const int Iterations = 20;
    private const long Tokens = 8192, Hidden = 2048, Ffn = 5632, Heads = 32, HeadDim = 64, Batch = 4;
    private static readonly Device Gpu = KernelSelfChecks.Gpu;

    private static string Line(string what, double fused, double unfused) =>
        $"{what}: fused {fused:F3} ms, unfused {unfused:F3} ms ({unfused / fused:F2}x)";

    public static string RmsNorm()
    {
        KernelSelfChecks.RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(21);
        var x = SelfCheckMath.Random([Tokens, Hidden], ScalarType.BFloat16, Gpu, gen).requires_grad_(true);
        var dy = SelfCheckMath.Random([Tokens, Hidden], ScalarType.BFloat16, Gpu, gen);
        using var norm = new RmsNorm(Hidden, 1e-5);
        norm.to(Gpu).to(ScalarType.BFloat16);
        var w = norm.Weight.detach().clone().requires_grad_(true);
        var gradients = new Training.BackwardResults();
        double fused = SelfCheckMath.TimeMs(Gpu, Iterations, () => autograd.grad([FusedOps.RmsNorm(x, w, 1e-5, gradients)], [x, w], [dy]));
        gradients.Release(); // what the fused backward handed back, kept until now
        double unfused = SelfCheckMath.TimeMs(Gpu, Iterations, () => autograd.grad([norm.forward(x)], [x, norm.Weight], [dy]));
        return Line($"bf16 [{Tokens}x{Hidden}] forward+backward", fused, unfused);
    }

    public static string SwiGlu()
    {
        KernelSelfChecks.RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(22);
        var gate = SelfCheckMath.Random([Tokens, Ffn], ScalarType.BFloat16, Gpu, gen).requires_grad_(true);
        var up = SelfCheckMath.Random([Tokens, Ffn], ScalarType.BFloat16, Gpu, gen).requires_grad_(true);
        var dy = SelfCheckMath.Random([Tokens, Ffn], ScalarType.BFloat16, Gpu, gen);
        var gradients = new Training.BackwardResults();
        double fused = SelfCheckMath.TimeMs(Gpu, Iterations, () => autograd.grad([FusedOps.SwiGlu(gate, up, gradients)], [gate, up], [dy]));
        gradients.Release(); // what the fused backward handed back, kept until now
        double unfused = SelfCheckMath.TimeMs(Gpu, Iterations, () => autograd.grad([nn.functional.silu(gate) * up], [gate, up], [dy]));
        return Line($"bf16 [{Tokens}x{Ffn}] forward+backward", fused, unfused);
    }

    public static string Rotary()
    {
        KernelSelfChecks.RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(23);
        long t = Tokens / Batch;
        var x = SelfCheckMath.Random([Batch, t, Heads, HeadDim], ScalarType.BFloat16, Gpu, gen).requires_grad_(true);
        var dy = SelfCheckMath.Random([Batch, Heads, t, HeadDim], ScalarType.BFloat16, Gpu, gen);
        using var rope = new RotaryEmbedding((int)HeadDim, new RopeSettings(500000.0));
        var (cos, sin) = rope.Angles(t, Gpu, ScalarType.BFloat16);
        var gradients = new Training.BackwardResults();
        double fused = SelfCheckMath.TimeMs(Gpu, Iterations, () => autograd.grad([FusedOps.Rotary(x.transpose(1, 2), cos, sin, gradients)], [x], [dy]));
        gradients.Release(); // what the fused backward handed back, kept until now
        double unfused = SelfCheckMath.TimeMs(Gpu, Iterations, () => autograd.grad([RotaryEmbedding.Apply(x.transpose(1, 2), cos, sin)], [x], [dy]));
        return Line($"bf16 q [{Batch}x{Heads}x{t}x{HeadDim}] (transposed view) forward+backward", fused, unfused);
    }

    /// <summary>One decoder layer's matrices (4 x [2048, 2048], 3 x [2048, 5632]; 51M bf16 parameters).</summary>
    private static List<TorchSharp.Modules.Parameter> LayerParameters(Generator gen) =>
        Enumerable.Repeat(new long[] { Hidden, Hidden }, 4).Concat(Enumerable.Repeat(new long[] { Hidden, Ffn }, 3))
            .Select(s => new TorchSharp.Modules.Parameter(SelfCheckMath.Random(s, ScalarType.BFloat16, Gpu, gen, scale: 0.02)))
            .ToList();

    public static string AdamW()
    {
        KernelSelfChecks.RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(24);
        var parameters = LayerParameters(gen);
        var layout = new FlatLayout(parameters.Select((p, i) => ($"p{i}", p)), (_, _) => true);
        using var adam = new ZeroAdamW(layout, new SingleRankCollective(), stage: 0, weightDecay: 0.1);
        var grads = parameters.Select(p => SelfCheckMath.Random(p.shape, ScalarType.BFloat16, Gpu, gen, scale: 0.01)).ToList();
        for (int i = 0; i < grads.Count; i++) (parameters[i] * grads[i]).sum().backward();
        adam.SyncAndClipGradients(0);
        var master = zeros(layout.Length, ScalarType.Float32, Gpu);
        var expAvg = zeros(layout.Length, ScalarType.Float32, Gpu);
        var expAvgSq = zeros(layout.Length, ScalarType.Float32, Gpu);
        var copies = parameters.Select(p => p.detach().clone()).ToList();
        long step = 0;
        double fused = SelfCheckMath.TimeMs(Gpu, Iterations, () =>
        {
            var scalars = AdamWStepScalars.For(1e-4, 0.9, 0.999, 1e-8, 0.1, ++step, 1.0);
            using var _ = no_grad();
            foreach (var (slot, i) in layout.Slots.Select((s, i) => (s, i)))
                FusedAdamW.StepSlot(master, expAvg, expAvgSq, slot.Offset, grads[i], copies[i], scalars);
        });
        double unfused = SelfCheckMath.TimeMs(Gpu, Iterations, () => adam.Step(1e-4));
        foreach (var p in parameters) p.Dispose();
        return Line($"bf16 one layer's {layout.Length / 1e6:F1}M parameters, AdamW step (unfused: ZeroAdamW.Step)", fused, unfused);
    }

    public static string SumSquares()
    {
        KernelSelfChecks.RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(25);
        var parameters = LayerParameters(gen);
        var grads = parameters.Select(p => SelfCheckMath.Random(p.shape, ScalarType.BFloat16, Gpu, gen)).ToList();
        long total = grads.Sum(g => g.numel());
        var flat = cat(grads.Select(g => g.reshape(-1).to_type(ScalarType.Float32)).ToList(), 0);
        var acc = zeros(1, ScalarType.Float32, Gpu);
        double fused = SelfCheckMath.TimeMs(Gpu, Iterations, () =>
        {
            acc.zero_();
            foreach (var g in grads) FusedOps.SumSquares(g, acc);
        });
        double unfused = SelfCheckMath.TimeMs(Gpu, Iterations, () => flat.pow(2).sum());
        foreach (var p in parameters) p.Dispose();
        return Line($"{total / 1e6:F1}M gradients (fused: 7 bf16 tensors into one float; unfused: ZeroAdamW's flat fp32 pow(2).sum())", fused, unfused);
    }
}
