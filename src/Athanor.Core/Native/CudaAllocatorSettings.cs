using System.Runtime.InteropServices;

namespace Athanor.Native;

/// <summary>
/// PyTorch's CUDA caching allocator runs with expandable segments unless the user configured it. Why: with fixed-size
/// segments a job near the GPU's capacity fragments it, and when an allocation then fails the allocator frees its cache
/// with cudaFree, which waits for the whole device, NCCL kernels included, while those wait for a peer that is stuck
/// the same way: the ranks deadlock. Seen on 2 x H200: a 13B full fine-tune with ZeRO-3 at micro-batch 4 (141 of
/// 150 GB planned) hung at step 4 in two calls and ran with expandable segments; the 65B LoRA job held 126.7 GiB
/// instead of 138.5 (bench/RESULTS.md). libtorch reads the variable from the native environment when CUDA's allocator
/// starts, so it is set there (.NET's Environment.SetEnvironmentVariable does not reach it on Linux).
/// </summary>
public static class CudaAllocatorSettings
{
    public const string Variable = "PYTORCH_CUDA_ALLOC_CONF";
    /// <summary>The newer name PyTorch also reads; either set by the user wins.</summary>
    public const string NewVariable = "PYTORCH_ALLOC_CONF";
    public const string Default = "expandable_segments:True";

    /// <summary>Sets the default unless either variable is set; returns the configuration libtorch will use ("" if unknown).</summary>
    public static string Apply()
    {
        if (!OperatingSystem.IsLinux()) return Get(Variable) ?? "";
        if (Get(NewVariable) is { Length: > 0 } newer) return newer;
        if (Get(Variable) is { Length: > 0 } current) return current;
        if (setenv(Variable, Default, 0) != 0) return "";
        return Get(Variable) ?? "";
    }

    /// <summary>A variable as native code sees it.</summary>
    public static string? Get(string name) => Marshal.PtrToStringUTF8(getenv(name));

    [DllImport("libc", CharSet = CharSet.Ansi)]
    private static extern IntPtr getenv(string name);

    [DllImport("libc", CharSet = CharSet.Ansi)]
    private static extern int setenv(string name, string value, int overwrite);
}
