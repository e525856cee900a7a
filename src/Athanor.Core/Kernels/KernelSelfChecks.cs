using Athanor.Models;
using Athanor.Parallel;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>
/// GPU self-checks for `cluster doctor --selftest`: each fused op against the unfused TorchSharp path (the
/// model's own modules, ZeroAdamW), forward and gradients, in bf16 and fp32, then timings on 1b-preset shapes.
/// Run throws with the failing quantity; it returns one detail line. Tolerances (max |fused - unfused| /
/// max |unfused|): fp32 1e-5, bf16 2e-2; AdamW fp32 parameters 1e-6, bf16 parameters 1e-2 (one bf16 ulp).
/// </summary>
public static class KernelSelfChecks
{
    public static readonly Device Gpu = new(DeviceType.CUDA, 0);

    public static IReadOnlyList<(string Name, Func<string> Run)> All { get; } =
    [
        ("fused rmsnorm fp32", () => RmsNorm(ScalarType.Float32)),
        ("fused rmsnorm bf16", () => RmsNorm(ScalarType.BFloat16)),
        ("fused swiglu fp32", () => SwiGlu(ScalarType.Float32)),
        ("fused swiglu bf16", () => SwiGlu(ScalarType.BFloat16)),
        ("fused rotary fp32", () => Rotary(ScalarType.Float32)),
        ("fused rotary bf16", () => Rotary(ScalarType.BFloat16)),
        ("fused adamw + sum of squares fp32", () => AdamW(ScalarType.Float32)),
        ("fused adamw + sum of squares bf16", () => AdamW(ScalarType.BFloat16)),
        ("fused timing rmsnorm", KernelTimings.RmsNorm),
        ("fused timing swiglu", KernelTimings.SwiGlu),
        ("fused timing rotary", KernelTimings.Rotary),
        ("fused timing adamw", KernelTimings.AdamW),
        ("fused timing sum of squares", KernelTimings.SumSquares),
    ];

    internal static void RequireGpu()
    {
        if (!FusedOps.IsAvailable(Gpu, out var reason)) throw new InvalidOperationException("fused kernels unavailable: " + reason);
    }

    private static string RmsNorm(ScalarType dtype)
    {
        RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(11);
        const long rows = 1024, cols = 2048;
        const double eps = 1e-5;
        var x = SelfCheckMath.Random([4, rows / 4, cols], dtype, Gpu, gen, scale: 2.0);
        var w = SelfCheckMath.Random([cols], dtype, Gpu, gen, scale: 0.1, shift: 1.0);
        var dy = SelfCheckMath.Random([4, rows / 4, cols], dtype, Gpu, gen);

        using var norm = new RmsNorm(cols, eps);
        norm.to(Gpu).to(dtype);
        using (no_grad()) norm.Weight.copy_(w);
        var xRef = x.clone().requires_grad_(true);
        var yRef = norm.forward(xRef);
        yRef.backward([dy]);

        var xFused = x.clone().requires_grad_(true);
        var wFused = w.clone().requires_grad_(true);
        var gradients = new Training.BackwardResults();
        var yFused = FusedOps.RmsNorm(xFused, wFused, eps, gradients);
        yFused.backward([dy]);
        gradients.Release();
        gradients.ThrowIfFailed();

        double tol = SelfCheckMath.Tolerance(dtype);
        double ey = SelfCheckMath.Expect("rmsnorm y", yFused, yRef, tol);
        double edx = SelfCheckMath.Expect("rmsnorm dx", xFused.grad!, xRef.grad!, tol);
        double edw = SelfCheckMath.Expect("rmsnorm dweight", wFused.grad!, norm.Weight.grad!, tol);
        return $"{SelfCheckMath.Name(dtype)} [{rows}x{cols}]: y {ey:E1}, dx {edx:E1}, dweight {edw:E1} (tolerance {tol:E0})";
    }

    /// <summary>A shape that fills 16-byte packs (the packed kernels) and one that does not (the scalar kernels).</summary>
    private static string SwiGlu(ScalarType dtype) => SwiGlu(dtype, [2, 512, 5632]) + "; " + SwiGlu(dtype, [3, 7, 33]);

    private static string SwiGlu(ScalarType dtype, long[] shape)
    {
        RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(12);
        var gate = SelfCheckMath.Random(shape, dtype, Gpu, gen, scale: 3.0);
        var up = SelfCheckMath.Random(shape, dtype, Gpu, gen);
        var dy = SelfCheckMath.Random(shape, dtype, Gpu, gen);

        var gRef = gate.clone().requires_grad_(true);
        var uRef = up.clone().requires_grad_(true);
        var yRef = nn.functional.silu(gRef) * uRef;
        yRef.backward([dy]);
        var gFused = gate.clone().requires_grad_(true);
        var uFused = up.clone().requires_grad_(true);
        var gradients = new Training.BackwardResults();
        var yFused = FusedOps.SwiGlu(gFused, uFused, gradients);
        yFused.backward([dy]);
        gradients.Release();
        gradients.ThrowIfFailed();

        double tol = SelfCheckMath.Tolerance(dtype);
        double ey = SelfCheckMath.Expect("swiglu y", yFused, yRef, tol);
        double eg = SelfCheckMath.Expect("swiglu dgate", gFused.grad!, gRef.grad!, tol);
        double eu = SelfCheckMath.Expect("swiglu dup", uFused.grad!, uRef.grad!, tol);
        return $"{SelfCheckMath.Name(dtype)} [{string.Join("x", shape)}]: y {ey:E1}, dgate {eg:E1}, dup {eu:E1} (tolerance {tol:E0})";
    }

    private static string Rotary(ScalarType dtype)
    {
        RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(13);
        const long b = 2, t = 256, h = 8, d = 64;
        // The attention's layout: [B, T, H, D] transposed to [B, H, T, D] (a strided view).
        var x = SelfCheckMath.Random([b, t, h, d], dtype, Gpu, gen);
        var dy = SelfCheckMath.Random([b, h, t, d], dtype, Gpu, gen);
        using var rope = new RotaryEmbedding((int)d, new RopeSettings(500000.0, "llama3", 8.0, 1.0, 4.0, 8192));
        var (cos, sin) = rope.Angles(t, Gpu, dtype);

        var xRef = x.clone().requires_grad_(true);
        var yRef = RotaryEmbedding.Apply(xRef.transpose(1, 2), cos, sin);
        yRef.backward([dy]);
        var xFused = x.clone().requires_grad_(true);
        var gradients = new Training.BackwardResults();
        var yFused = FusedOps.Rotary(xFused.transpose(1, 2), cos, sin, gradients);
        yFused.backward([dy]);
        gradients.Release();
        gradients.ThrowIfFailed();

        double tol = SelfCheckMath.Tolerance(dtype);
        double ey = SelfCheckMath.Expect("rotary y", yFused, yRef, tol);
        double edx = SelfCheckMath.Expect("rotary dx", xFused.grad!, xRef.grad!, tol);
        return $"{SelfCheckMath.Name(dtype)} [{b}x{h}x{t}x{d}] from a transposed view: y {ey:E1}, dx {edx:E1} (tolerance {tol:E0})";
    }

    /// <summary>Three ZeroAdamW steps (stage 0, one rank, clipping active) against FusedAdamW slot steps and FusedOps.SumSquares.</summary>
    private static string AdamW(ScalarType dtype)
    {
        RequireGpu();
        using var scope = NewDisposeScope();
        var gen = new Generator(14);
        const double lr = 1e-3, wd = 0.1, maxNorm = 1.0;
        var shapes = new long[][] { [384, 512], [512], [1000, 7] };
        var refParams = shapes.Select(s => new TorchSharp.Modules.Parameter(SelfCheckMath.Random(s, dtype, Gpu, gen, scale: 0.05))).ToList();
        var fusedParams = refParams.Select(p => p.detach().clone()).ToList();
        var layout = new FlatLayout(refParams.Select((p, i) => ($"p{i}", p)), (_, p) => p.dim() >= 2);
        using var adam = new ZeroAdamW(layout, new SingleRankCollective(), stage: 0, weightDecay: wd);

        var master = zeros(layout.Length, ScalarType.Float32, Gpu);
        var expAvg = zeros(layout.Length, ScalarType.Float32, Gpu);
        var expAvgSq = zeros(layout.Length, ScalarType.Float32, Gpu);
        using (no_grad())
            foreach (var (slot, i) in layout.Slots.Select((s, i) => (s, i)))
                master.narrow(0, slot.Offset, slot.Length).copy_(fusedParams[i].reshape(-1).to_type(ScalarType.Float32));

        double worstNorm = 0;
        for (int step = 1; step <= 3; step++)
        {
            var grads = shapes.Select(s => SelfCheckMath.Random(s, dtype, Gpu, gen, scale: 0.2)).ToList();
            adam.ZeroGrad();
            // d/dp sum(p * g) = g exactly, in either dtype: the way to hand ZeroAdamW a chosen gradient.
            for (int i = 0; i < grads.Count; i++) (refParams[i] * grads[i]).sum().backward();
            double refNorm = adam.SyncAndClipGradients(maxNorm);
            adam.Step(lr);

            var acc = zeros(1, ScalarType.Float32, Gpu);
            foreach (var g in grads) FusedOps.SumSquares(g, acc);
            double norm = Math.Sqrt(acc.item<float>());
            worstNorm = Math.Max(worstNorm, Math.Abs(norm - refNorm) / refNorm);
            if (!(Math.Abs(norm - refNorm) <= 1e-5 * refNorm))
                throw new InvalidOperationException($"sum of squares: norm {norm} vs ZeroAdamW's {refNorm} at step {step}");
            double coef = maxNorm / (norm + 1e-6);
            double scale = coef < 1 ? coef : 1.0;
            using (no_grad())
                foreach (var (slot, i) in layout.Slots.Select((s, i) => (s, i)))
                    FusedAdamW.StepSlot(master, expAvg, expAvgSq, slot.Offset, grads[i], fusedParams[i],
                        AdamWStepScalars.For(lr, 0.9, 0.999, 1e-8, slot.Decay ? wd : 0.0, step, scale));
        }
        double tol = dtype == ScalarType.BFloat16 ? 1e-2 : 1e-6;
        double worst = 0;
        for (int i = 0; i < refParams.Count; i++)
            worst = Math.Max(worst, SelfCheckMath.Expect($"adamw parameter {i} after 3 steps", fusedParams[i], refParams[i], tol));
        foreach (var p in refParams) p.Dispose();
        return $"{SelfCheckMath.Name(dtype)} params, 3 steps with clipping and decay: parameters {worst:E1} (tolerance {tol:E0}), norm {worstNorm:E1} (tolerance 1E-05)";
    }
}
