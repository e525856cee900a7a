using Athanor.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Tests.Training;

/// <summary>bf16 compute with fp32 master weights and AdamW state, on CPU (the same code path a GPU takes).</summary>
public class MixedPrecisionTests
{
    private static List<double> Run(string dir, bool bf16, string? resume = null, CancellationTokenSource? cancel = null, int stopAfter = 0, int steps = 12)
    {
        using var model = TinySetup.Model();
        if (bf16) model.to(ScalarType.BFloat16);
        var settings = TinySetup.Settings(dir) with { ResumeFrom = resume, MaxSteps = steps, LearningRate = 3e-3 };
        new Trainer(model, null, TinySetup.Data(), settings, cancel is null ? null : new StopAfter(stopAfter, cancel)).Run(cancel?.Token ?? default);
        return TrainingCurves.Losses(dir);
    }

    [Fact]
    public void A_bf16_run_follows_the_fp32_loss_curve()
    {
        using var temp = new TestPaths.TempFolder();
        var fp32 = Run(temp.Sub("fp32"), bf16: false, steps: 30);
        var bf16 = Run(temp.Sub("bf16"), bf16: true, steps: 30);
        Assert.Equal(fp32.Count, bf16.Count);
        for (int i = 0; i < fp32.Count; i++)
            Assert.True(Math.Abs(bf16[i] - fp32[i]) <= 0.03 * fp32[i], $"step {i + 1}: bf16 loss {bf16[i]:F4} vs fp32 {fp32[i]:F4}");
        Assert.True(bf16[^1] < 0.8 * bf16[0], $"bf16 run did not learn: {bf16[0]:F4} -> {bf16[^1]:F4}");
        // Not the same run: bf16 rounding shows, so this comparison is not vacuous.
        Assert.NotEqual(fp32[^1], bf16[^1]);
    }

    [Fact]
    public void A_bf16_run_resumes_from_its_fp32_master_weights_exactly()
    {
        using var temp = new TestPaths.TempFolder();
        var straight = Run(temp.Sub("straight"), bf16: true);
        var dir = temp.Sub("resumed");
        using (var cts = new CancellationTokenSource()) Run(dir, bf16: true, cancel: cts, stopAfter: 5);
        Directory.Delete(Path.Combine(dir, "checkpoint-5"), recursive: true);
        Assert.True(File.Exists(Path.Combine(dir, "checkpoint-4", "optimizer-00000-of-00001.safetensors")));
        var resumed = Run(dir, bf16: true, resume: "auto");
        Assert.Equal(straight, resumed);
    }
}
