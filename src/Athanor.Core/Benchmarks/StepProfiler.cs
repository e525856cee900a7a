using System.Diagnostics;
using static TorchSharp.torch;

namespace Athanor.Benchmarks;

/// <summary>
/// Where a step's time goes on a GPU. Phases: the device is synchronized around each of forward, backward and
/// the optimizer. Host overhead: the GPU is first given a block of busy work long enough for the host to queue
/// a whole step behind it; the step's pure GPU time is then the wall time minus that block's, and whatever the
/// normal step takes beyond it is time the GPU waited for the host.
/// </summary>
internal static class StepProfiler
{
    private const int Repeats = 3;

    public static StepBreakdown Measure(BenchStep step, Device device, double stepMs)
    {
        double forward = 0, backward = 0, optimize = 0;
        for (int i = 0; i < Repeats; i++)
        {
            using var scope = NewDisposeScope();
            cuda.synchronize(device);
            var watch = Stopwatch.StartNew();
            step.Forward();
            cuda.synchronize(device);
            forward += watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            step.Backward();
            cuda.synchronize(device);
            backward += watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            using (step.Optimize()) cuda.synchronize(device);
            optimize += watch.Elapsed.TotalMilliseconds;
        }

        // Busy work sized to about twice a step, timed alone first.
        using var a = randn([8192, 8192], ScalarType.BFloat16, device);
        double perMatmul = TimeBusy(a, 10, device) / 10;
        int count = Math.Max(10, (int)(2 * stepMs / perMatmul));
        double busyMs = TimeBusy(a, count, device);
        double gpuOnly = 0;
        for (int i = 0; i < Repeats; i++)
        {
            step.PrepareTokens();
            cuda.synchronize(device);
            var watch = Stopwatch.StartNew();
            Busy(a, count);
            step.Run();
            cuda.synchronize(device);
            gpuOnly += watch.Elapsed.TotalMilliseconds - busyMs;
        }
        gpuOnly /= Repeats;
        double overhead = Math.Max(0, (stepMs - gpuOnly) / stepMs);
        return new StepBreakdown(forward / Repeats, backward / Repeats, optimize / Repeats, gpuOnly, overhead);
    }

    private static double TimeBusy(Tensor a, int count, Device device)
    {
        cuda.synchronize(device);
        var watch = Stopwatch.StartNew();
        Busy(a, count);
        cuda.synchronize(device);
        return watch.Elapsed.TotalMilliseconds;
    }

    private static void Busy(Tensor a, int count)
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < count; i++) a.matmul(a);
    }
}
