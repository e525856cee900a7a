using System.Globalization;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Athanor.Telemetry;

/// <summary>
/// Model FLOPs utilization: the FLOPs a step's tokens need by the usual dense-transformer estimate, over
/// what the ranks' devices could do in the step's time. Per token, the forward pass costs 2N (N = all
/// parameters, trainable and frozen), the backward pass 2N for the activation gradients plus 2T for the
/// weight gradients of the T trainable parameters: 6N for full fine-tuning, about 4N for LoRA. The
/// attention score term (a few percent at short contexts) is left out, as in the usual MFU figures.
/// </summary>
public static class ModelFlops
{
    public const string PeakVariable = "ATHANOR_PEAK_FLOPS";

    public static double PerToken(long parameters, long trainable) => 4.0 * parameters + 2.0 * trainable;

    /// <summary>MFU of one step: flops of its tokens over (seconds x world x peak per rank); 0 when unknown.</summary>
    public static double Utilization(double flopsPerToken, long tokens, double seconds, int worldSize, double peakPerRank) =>
        seconds > 0 && peakPerRank > 0 ? flopsPerToken * tokens / (seconds * worldSize * peakPerRank) : 0;

    /// <summary>
    /// The peak FLOP/s of one rank: ATHANOR_PEAK_FLOPS when set (e.g. 989e12 for an H100's dense bf16), else
    /// an estimate for the CPU threads the rank computes with: threads x fp32 FLOPs per cycle (SIMD width x
    /// 2 FMA units x 2) x the cores' maximum clock.
    /// </summary>
    public static double PeakPerRank(IReadOnlyDictionary<string, string?> environment, int threads)
    {
        if (environment.TryGetValue(PeakVariable, out var text) && !string.IsNullOrWhiteSpace(text))
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var peak) && peak > 0 && double.IsFinite(peak))
                return peak;
            throw new TelemetryConfigurationException(
                $"{PeakVariable}='{text}': not a usable peak; give one device's peak FLOP/s as a positive number, e.g. 989e12");
        }
        return Math.Max(1, threads) * CpuFlopsPerCycle() * CpuMaxHertz();
    }

    /// <summary>The same, reading the process environment.</summary>
    public static double PeakPerRank(int threads) =>
        PeakPerRank(new Dictionary<string, string?> { [PeakVariable] = Environment.GetEnvironmentVariable(PeakVariable) }, threads);

    private static int CpuFlopsPerCycle() =>
        Avx512F.IsSupported ? 64 : Fma.IsSupported ? 32 : Avx.IsSupported ? 16 : AdvSimd.IsSupported ? 16 : 8;

    private static double CpuMaxHertz()
    {
        // Linux reports the maximum clock in kHz; the current one (cpuinfo) drops while idle.
        try
        {
            const string max = "/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq";
            if (File.Exists(max) && double.TryParse(File.ReadAllText(max).Trim(), CultureInfo.InvariantCulture, out var khz) && khz > 0)
                return khz * 1e3;
            if (File.Exists("/proc/cpuinfo"))
            {
                double mhz = File.ReadLines("/proc/cpuinfo").Where(l => l.StartsWith("cpu MHz", StringComparison.Ordinal))
                    .Select(l => double.TryParse(l[(l.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture, out var v) ? v : 0)
                    .DefaultIfEmpty(0).Max();
                if (mhz > 0) return mhz * 1e6;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 3e9;
    }
}
