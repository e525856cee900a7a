using Xunit.Abstractions;
using Athanor.Fp8;
using Athanor.Tests.Training;
using Athanor.Training;

namespace Athanor.Tests.Fp8;

/// <summary>A tiny model trained with the emulated fp8 linears follows the plain run's loss curve, and is not the plain run.</summary>
public sealed class Fp8TrainingTests(ITestOutputHelper output)
{
    private static List<double> Run(string folder, bool fp8)
    {
        using var model = TinySetup.Model();
        using var linears = fp8 ? Fp8Linears.Apply(model, new EmulatedFp8Backend()) : null;
        new Trainer(model, null, TinySetup.Data(), TinySetup.Settings(folder) with { MaxSteps = 30, SaveSteps = 1000 }).Run();
        return TrainingCurves.Losses(folder);
    }

    [Fact]
    public void TheLossCurveStaysCloseToThePlainOneAndDiffersFromIt()
    {
        using var temp = new TestPaths.TempFolder();
        var plain = Run(temp.Sub("plain"), fp8: false);
        var fp8 = Run(temp.Sub("fp8"), fp8: true);
        Assert.Equal(plain.Count, fp8.Count);
        var relative = plain.Zip(fp8, (p, f) => Math.Abs(f - p) / p).ToList();
        output.WriteLine(string.Join("\n", plain.Zip(fp8, (p, f) => $"{p:F5} {f:F5} {Math.Abs(f - p) / p:P3}")));
        output.WriteLine($"max relative difference {relative.Max():P3}");
        // 1.5%: the bar for the GPU's 500-step curve against bf16. Measured here: 0.82% at most over 30 steps
        // (lr 1e-2, so the weights move fast); E4M3 rounds each element by up to 2^-4 relative, and over a dot product
        // of k terms those errors mostly cancel.
        Assert.True(relative.Max() < 0.015, $"fp8 loss left the plain curve by {relative.Max():P2}");
        Assert.True(relative.Max() > 1e-6, "the fp8 curve equals the plain one: the fp8 path did not run");
    }
}
