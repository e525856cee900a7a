using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Kernels;

/// <summary>Comparison and timing helpers of the GPU self-checks.</summary>
internal static class SelfCheckMath
{
    /// <summary>max |actual - expected| / max |expected|, computed in fp64; NaN anywhere counts as infinitely wrong.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var a = actual.to_type(ScalarType.Float64);
        var e = expected.to_type(ScalarType.Float64);
        double diff = (a - e).abs().max().item<double>();
        double scale = e.abs().max().item<double>();
        if (double.IsNaN(diff) || double.IsNaN(scale)) return double.PositiveInfinity;
        return diff / Math.Max(scale, 1e-30);
    }

    /// <summary>Throws naming the quantity when the relative error exceeds the tolerance; returns the error.</summary>
    public static double Expect(string what, Tensor actual, Tensor expected, double tolerance)
    {
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new InvalidOperationException($"{what}: fused shape [{string.Join(", ", actual.shape)}] differs from unfused [{string.Join(", ", expected.shape)}]");
        double err = RelativeError(actual, expected);
        if (!(err <= tolerance))
            throw new InvalidOperationException($"{what}: fused differs from unfused by {err:E2} relative (tolerance {tolerance:E0})");
        return err;
    }

    public static double Tolerance(ScalarType dtype) => dtype == ScalarType.BFloat16 ? 2e-2 : 1e-5;

    public static string Name(ScalarType dtype) => dtype == ScalarType.BFloat16 ? "bf16" : "fp32";

    /// <summary>Random normal tensor from a seeded CPU generator (never torch's global one), moved to device.</summary>
    public static Tensor Random(long[] shape, ScalarType dtype, Device device, Generator generator, double scale = 1.0, double shift = 0.0)
    {
        using var cpu = randn(shape, ScalarType.Float32, generator: generator);
        using var scaled = cpu * scale + shift;
        return scaled.to(dtype, device);
    }

    /// <summary>Milliseconds per call of work: 3 warm-up calls, then iterations between two device synchronizations.</summary>
    public static double TimeMs(Device device, int iterations, Action work)
    {
        for (int i = 0; i < 3; i++) Run(work);
        cuda.synchronize(device);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) Run(work);
        cuda.synchronize(device);
        return clock.Elapsed.TotalMilliseconds / iterations;
    }

    private static void Run(Action work)
    {
        using var scope = NewDisposeScope();
        work();
    }
}
