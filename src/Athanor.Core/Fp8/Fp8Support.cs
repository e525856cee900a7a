using Athanor.Kernels;
using Athanor.Native.Cuda;

namespace Athanor.Fp8;

/// <summary>Whether a GPU can run fp8: true, and if not, why (the job's refusal and `cluster doctor` say the same).</summary>
public static class Fp8Support
{
    public const int MinMajor = 8, MinMinor = 9;

    /// <summary>Null when cuda:<paramref name="device"/> runs fp8 GEMMs here; otherwise the reason, one line.</summary>
    public static string? WhyNot(int device)
    {
        CudaDeviceProperties props;
        try { props = CudaRuntime.Properties(device); }
        catch (Exception ex) { return $"cuda:{device} cannot be queried ({ex.Message})"; }
        if (!CapabilityHasFp8(props.ComputeCapabilityMajor, props.ComputeCapabilityMinor))
            return $"cuda:{device} has compute capability {props.ComputeCapability}; fp8 tensor cores need {MinMajor}.{MinMinor} or newer (Ada, Hopper, Blackwell)";
        if (!CublasLtApi.Library.TryLoad(out var cublas)) return cublas;
        if (KernelLibrary.TryGet(out var kernels) is null) return "the fp8 cast kernels need NVRTC and the CUDA driver: " + kernels;
        return null;
    }

    public static bool CapabilityHasFp8(int major, int minor) => major > MinMajor || (major == MinMajor && minor >= MinMinor);

    /// <summary>cuBLASLt's version as the library reports it (e.g. 130100), once loaded.</summary>
    public static long CublasLtVersion() => (long)CublasLtApi.GetVersion();
}
