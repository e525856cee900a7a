using Athanor.Kernels;
using Athanor.Native;
using Athanor.Parallel;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Athanor.Tests.Kernels;

/// <summary>
/// The AdamW kernel's arithmetic, written out in C# operation by operation (the same fp32 roundings and fused
/// multiply-adds as AdamWSource), against ZeroAdamW on the CPU: the scalars AdamWStepScalars hands the
/// kernel (bias corrections, signs, decay, clipping scale) must reproduce torch's AdamW within 1e-6.
/// </summary>
public sealed class AdamWArithmeticTests
{
    public AdamWArithmeticTests() => TorchRuntime.Initialize();

    private static void KernelTwin(float[] master, float[] m, float[] v, float[] grad, AdamWStepScalars s)
    {
        for (int i = 0; i < master.Length; i++)
        {
            float g = grad[i];
            if (s.GradScale != 1.0f) g *= s.GradScale;
            float p = master[i];
            if (s.LrTimesWeightDecay != 0.0f) p -= p * s.LrTimesWeightDecay;
            m[i] = MathF.FusedMultiplyAdd(s.OneMinusBeta1, g, m[i] * s.Beta1);
            v[i] = MathF.FusedMultiplyAdd(s.OneMinusBeta2, g * g, v[i] * s.Beta2);
            float denom = MathF.Sqrt(v[i]) * s.InverseBiasCorrection2Sqrt + s.Eps;
            master[i] = MathF.FusedMultiplyAdd(s.StepSize, m[i] / denom, p);
        }
    }

    [Fact]
    public void Kernel_arithmetic_with_the_step_scalars_matches_ZeroAdamW_within_1e_6()
    {
        const double lr = 3e-3, wd = 0.1, maxNorm = 0.5;
        var generator = new Generator(7);
        var matrix = new Parameter(randn([64, 32], generator: generator) * 0.1);
        var vector = new Parameter(randn([32], generator: generator) * 0.1);
        var layout = new FlatLayout([("w", matrix), ("b", vector)], (_, p) => p.dim() >= 2);
        using var adam = new ZeroAdamW(layout, new SingleRankCollective(), stage: 0, weightDecay: wd);
        var masters = new[] { matrix.detach().reshape(-1).data<float>().ToArray(), vector.detach().reshape(-1).data<float>().ToArray() };
        var ms = masters.Select(a => new float[a.Length]).ToArray();
        var vs = masters.Select(a => new float[a.Length]).ToArray();
        bool clipped = false;

        for (int step = 1; step <= 5; step++)
        {
            using var gw = randn([64, 32], generator: generator);
            using var gb = randn([32], generator: generator);
            adam.ZeroGrad();
            (matrix * gw).sum().backward();
            (vector * gb).sum().backward();
            double norm = adam.SyncAndClipGradients(maxNorm);
            adam.Step(lr);

            double coef = maxNorm / (norm + 1e-6);
            clipped |= coef < 1;
            var grads = new[] { gw.reshape(-1).data<float>().ToArray(), gb.reshape(-1).data<float>().ToArray() };
            for (int k = 0; k < 2; k++)
                KernelTwin(masters[k], ms[k], vs[k], grads[k],
                    AdamWStepScalars.For(lr, 0.9, 0.999, 1e-8, layout.Slots[k].Decay ? wd : 0.0, step, coef < 1 ? coef : 1.0));
        }
        Assert.True(clipped, "the test must exercise the clipping scale");
        var actual = new[] { matrix.detach().reshape(-1).data<float>().ToArray(), vector.detach().reshape(-1).data<float>().ToArray() };
        for (int k = 0; k < 2; k++)
        {
            double scale = actual[k].Max(MathF.Abs);
            double worst = actual[k].Zip(masters[k], (a, b) => Math.Abs((double)a - b)).Max();
            Assert.True(worst <= 1e-6 * scale, $"slot {k}: twin differs from ZeroAdamW by {worst / scale:E2} relative");
        }
    }

    [Fact]
    public void Step_scalars_are_torchs_bias_corrections_in_float()
    {
        var s = AdamWStepScalars.For(lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 2, gradScale: 0.25);
        Assert.Equal((float)(1e-3 * 0.01), s.LrTimesWeightDecay);
        Assert.Equal((float)(-1e-3 / (1 - 0.81)), s.StepSize);
        Assert.Equal(1.0f / (float)Math.Sqrt(1 - 0.999 * 0.999), s.InverseBiasCorrection2Sqrt);
        Assert.Equal((float)(1 - 0.9), s.OneMinusBeta1);
        Assert.Equal(0.25f, s.GradScale);
        Assert.Throws<ArgumentOutOfRangeException>(() => AdamWStepScalars.For(1e-3, 0.9, 0.999, 1e-8, 0, step: 0));
    }
}
