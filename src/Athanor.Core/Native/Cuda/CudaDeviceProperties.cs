namespace Athanor.Native.Cuda;

/// <summary>What the CUDA runtime says about one device (cudaDeviceGetAttribute and cudaMemGetInfo).</summary>
public sealed record CudaDeviceProperties(
    int Index,
    int ComputeCapabilityMajor,
    int ComputeCapabilityMinor,
    int MultiprocessorCount,
    long FreeBytes,
    long TotalBytes)
{
    public string ComputeCapability => $"{ComputeCapabilityMajor}.{ComputeCapabilityMinor}";

    public override string ToString() =>
        $"cuda:{Index} sm_{ComputeCapabilityMajor}{ComputeCapabilityMinor}, {MultiprocessorCount} SMs, " +
        $"{FreeBytes / (double)(1L << 30):F1} of {TotalBytes / (double)(1L << 30):F1} GiB free";
}
