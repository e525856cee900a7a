using System.Diagnostics;

namespace Athanor.Native.SelfTest;

/// <summary>
/// The GPU host's self-test (`cluster doctor --selftest`): named checks of the CUDA runtime, a timed bf16
/// matmul, NVML, NCCL and <see cref="Athanor.Parallel.NcclCollective"/> across every visible GPU (values,
/// bus bandwidth, abort). Other modules add their own checks with <see cref="Add"/>.
/// </summary>
public static class GpuSelfTest
{
    private static readonly Lock Gate = new();
    private static readonly List<GpuCheck> Registered =
    [
        new("cuda.devices", CudaChecks.Devices),
        new("cuda.stream-events", CudaChecks.StreamAndEvents),
        new("cuda.matmul-bf16", CudaChecks.MatmulThroughput),
        new("torch.sdpa-flash-bf16", AttentionCheck.FlashForBf16),
        new("nvml.sample", NvmlCheck.SampleAll),
        new("nccl.version", NcclChecks.Version),
        new("nccl.collectives", NcclChecks.Collectives),
        new("nccl.bandwidth", NcclChecks.Bandwidth),
        new("nccl.abort", NcclChecks.AbortAndTimeout),
    ];

    /// <summary>The checks RunAll runs, in order.</summary>
    public static IReadOnlyList<GpuCheck> Checks
    {
        get { lock (Gate) return Registered.ToArray(); }
    }

    /// <summary>Appends a check (names must be unique).</summary>
    public static void Add(GpuCheck check)
    {
        lock (Gate)
        {
            if (Registered.Any(c => c.Name == check.Name))
                throw new ArgumentException($"a GPU check named '{check.Name}' is already registered", nameof(check));
            Registered.Add(check);
        }
    }

    /// <summary>
    /// Runs every check, logging "PASS name (time): detail", "SKIP name: why it could not run here" or "FAIL name (time):
    /// reason". Returns the number of failures (a skipped check is not one, nor a pass).
    /// </summary>
    public static int RunAll(Action<string> log) => Run(Checks, log);

    public static int Run(IEnumerable<GpuCheck> checks, Action<string> log)
    {
        int failures = 0, skipped = 0, count = 0;
        foreach (var check in checks)
        {
            count++;
            var watch = Stopwatch.StartNew();
            try
            {
                var detail = check.Run();
                log($"PASS {check.Name} ({watch.Elapsed.TotalSeconds:F1} s): {detail}");
            }
            catch (GpuCheckSkipped skip)
            {
                skipped++;
                log($"SKIP {check.Name}: {skip.Message}");
            }
            catch (Exception ex)
            {
                failures++;
                log($"FAIL {check.Name} ({watch.Elapsed.TotalSeconds:F1} s): {Describe(ex)}");
            }
        }
        log($"{count - failures - skipped} of {count} GPU checks passed" + (skipped > 0 ? $", {skipped} skipped" : ""));
        return failures;
    }

    private static string Describe(Exception ex)
    {
        var messages = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
            if (messages.Count == 0 || !messages[^1].Contains(e.Message)) messages.Add($"{e.GetType().Name}: {e.Message}");
        return string.Join(" <- ", messages);
    }
}
