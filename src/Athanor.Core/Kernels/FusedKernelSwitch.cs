namespace Athanor.Kernels;

/// <summary>
/// Process-wide switch for Athanor's fused CUDA kernels (on by default where they compile): off gives the
/// plain libtorch path everywhere, for A/B benchmarks and for ruling the kernels out when debugging.
/// ATHANOR_FUSED=0 turns them off from the environment.
/// </summary>
public static class FusedKernelSwitch
{
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("ATHANOR_FUSED") != "0";
}
