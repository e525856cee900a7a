using System.Runtime.InteropServices;

namespace Athanor.Native.Cuda;

/// <summary>
/// The CUDA runtime's device queries. Every failing call throws <see cref="CudaException"/> naming the
/// function; a missing libcudart throws <see cref="NativeLibraryMissingException"/> naming the files tried.
/// </summary>
public static unsafe class CudaRuntime
{
    /// <summary>Number of visible devices; throws when the runtime or driver is missing.</summary>
    public static int DeviceCount()
    {
        int count;
        Check(CudaApi.GetDeviceCount(&count), "cudaGetDeviceCount");
        return count;
    }

    /// <summary>Number of visible devices, or 0 with the reason (no libcudart, no driver, no device). Never throws for those.</summary>
    public static int TryDeviceCount(out string? reason)
    {
        if (!CudaApi.Library.TryLoad(out reason)) return 0;
        int count;
        int rc = CudaApi.GetDeviceCount(&count);
        if (rc != CudaApi.Success)
        {
            reason = Describe(rc, "cudaGetDeviceCount").Message;
            return 0;
        }
        reason = count == 0 ? "the CUDA runtime loaded but sees no device (check CUDA_VISIBLE_DEVICES)" : null;
        return count;
    }

    /// <summary>Makes device current on the calling thread (cudaSetDevice): later allocations, streams and events go there.</summary>
    public static void SetDevice(int device) => Check(CudaApi.SetDevice(device), $"cudaSetDevice({device})");

    public static int GetDevice()
    {
        int device;
        Check(CudaApi.GetDevice(&device), "cudaGetDevice");
        return device;
    }

    public static int Attribute(int attribute, int device)
    {
        int value;
        Check(CudaApi.DeviceGetAttribute(&value, attribute, device), $"cudaDeviceGetAttribute({attribute}, device {device})");
        return value;
    }

    /// <summary>Free and total memory of the calling thread's current device, in bytes.</summary>
    public static (long Free, long Total) MemoryInfo()
    {
        nuint free, total;
        Check(CudaApi.MemGetInfo(&free, &total), "cudaMemGetInfo");
        return ((long)free, (long)total);
    }

    /// <summary>Compute capability, SM count and memory of one device (the current device is restored afterwards).</summary>
    public static CudaDeviceProperties Properties(int device)
    {
        int previous = GetDevice();
        SetDevice(device);
        try
        {
            var (free, total) = MemoryInfo();
            return new CudaDeviceProperties(device,
                Attribute(CudaApi.AttrComputeCapabilityMajor, device),
                Attribute(CudaApi.AttrComputeCapabilityMinor, device),
                Attribute(CudaApi.AttrMultiProcessorCount, device),
                free, total);
        }
        finally { SetDevice(previous); }
    }

    /// <summary>The newest CUDA version the driver supports, encoded 1000*major + 10*minor (13000 = 13.0).</summary>
    public static int DriverVersion()
    {
        int version;
        Check(CudaApi.DriverGetVersion(&version), "cudaDriverGetVersion");
        return version;
    }

    /// <summary>The loaded runtime's CUDA version, encoded like <see cref="DriverVersion"/>.</summary>
    public static int RuntimeVersion()
    {
        int version;
        Check(CudaApi.RuntimeGetVersion(&version), "cudaRuntimeGetVersion");
        return version;
    }

    /// <summary>"13.0" from 13000.</summary>
    public static string FormatVersion(int encoded) => $"{encoded / 1000}.{encoded % 1000 / 10}";

    /// <summary>The file the runtime was loaded from (after the first call).</summary>
    public static string? LoadedFrom => CudaApi.Library.LoadedFrom;

    /// <summary>cudaGetErrorString's text for a code.</summary>
    public static string ErrorString(int code) => Marshal.PtrToStringUTF8((IntPtr)CudaApi.GetErrorString(code)) ?? "unknown error";

    public static string ErrorName(int code) => Marshal.PtrToStringUTF8((IntPtr)CudaApi.GetErrorName(code)) ?? $"cudaError {code}";

    internal static void Check(int code, string function)
    {
        if (code != CudaApi.Success) throw Describe(code, function);
    }

    internal static CudaException Describe(int code, string function) =>
        new(function, code, ErrorName(code), ErrorString(code));
}
