using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Athanor.Kernels;

/// <summary>A CUDA driver API call that failed, with the driver's name for the error.</summary>
public sealed class CudaDriverException(string message) : Exception(message);

/// <summary>
/// The few CUDA driver API calls kernels need (libcuda.so.1, bound at run time). Launches go to each device's
/// primary context, the one the CUDA runtime and therefore libtorch use, so pointers and streams agree.
/// </summary>
public sealed unsafe class CudaDriver
{
    private const int AttrMultiprocessorCount = 16;
    private const int AttrComputeCapabilityMajor = 75;
    private const int AttrComputeCapabilityMinor = 76;

    private readonly delegate* unmanaged<uint, int> _init;
    private readonly delegate* unmanaged<int*, int, int> _deviceGet;
    private readonly delegate* unmanaged<int*, int, int, int> _attribute;
    private readonly delegate* unmanaged<IntPtr*, int, int> _primaryRetain;
    private readonly delegate* unmanaged<IntPtr, int> _setCurrent;
    private readonly delegate* unmanaged<IntPtr*, int> _getCurrent;
    private readonly delegate* unmanaged<IntPtr*, byte*, int> _moduleLoadData;
    private readonly delegate* unmanaged<IntPtr*, IntPtr, byte*, int> _moduleGetFunction;
    private readonly delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int> _launch;
    private readonly delegate* unmanaged<int, byte**, int> _errorString;
    private readonly ConcurrentDictionary<int, IntPtr> _contexts = new();

    private CudaDriver(IntPtr lib)
    {
        _init = (delegate* unmanaged<uint, int>)Export(lib, "cuInit");
        _deviceGet = (delegate* unmanaged<int*, int, int>)Export(lib, "cuDeviceGet");
        _attribute = (delegate* unmanaged<int*, int, int, int>)Export(lib, "cuDeviceGetAttribute");
        _primaryRetain = (delegate* unmanaged<IntPtr*, int, int>)Export(lib, "cuDevicePrimaryCtxRetain");
        _setCurrent = (delegate* unmanaged<IntPtr, int>)Export(lib, "cuCtxSetCurrent");
        _getCurrent = (delegate* unmanaged<IntPtr*, int>)Export(lib, "cuCtxGetCurrent");
        _moduleLoadData = (delegate* unmanaged<IntPtr*, byte*, int>)Export(lib, "cuModuleLoadData");
        _moduleGetFunction = (delegate* unmanaged<IntPtr*, IntPtr, byte*, int>)Export(lib, "cuModuleGetFunction");
        _launch = (delegate* unmanaged<IntPtr, uint, uint, uint, uint, uint, uint, uint, IntPtr, void**, void**, int>)Export(lib, "cuLaunchKernel");
        _errorString = (delegate* unmanaged<int, byte**, int>)Export(lib, "cuGetErrorString");
        Check(_init(0), "cuInit");
    }

    private static readonly Lazy<(CudaDriver? Driver, string Problem)> Shared = new(() =>
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var lib))
            return (null, "libcuda.so.1 (the NVIDIA driver's CUDA library) could not be loaded: no NVIDIA driver on this machine");
        try { return (new CudaDriver(lib), ""); }
        catch (Exception ex) when (ex is EntryPointNotFoundException or CudaDriverException)
        {
            return (null, "the CUDA driver is present but unusable: " + ex.Message);
        }
    });

    /// <summary>The process-wide driver binding (cuInit done), or null with the reason.</summary>
    public static CudaDriver? TryGet(out string problem)
    {
        var (driver, why) = Shared.Value;
        problem = why;
        return driver;
    }

    /// <summary>Compute capability as major*10+minor, e.g. 90 for H100/H200.</summary>
    public int ComputeCapability(int device)
    {
        int dev = Device(device), major, minor;
        Check(_attribute(&major, AttrComputeCapabilityMajor, dev), "cuDeviceGetAttribute(major)");
        Check(_attribute(&minor, AttrComputeCapabilityMinor, dev), "cuDeviceGetAttribute(minor)");
        return major * 10 + minor;
    }

    public int MultiprocessorCount(int device)
    {
        int dev = Device(device), count;
        Check(_attribute(&count, AttrMultiprocessorCount, dev), "cuDeviceGetAttribute(multiprocessors)");
        return count;
    }

    /// <summary>Makes the device's primary context current on the calling thread (autograd runs backward on its own threads).</summary>
    public void MakeCurrent(int device)
    {
        var ctx = _contexts.GetOrAdd(device, d =>
        {
            IntPtr c;
            Check(_primaryRetain(&c, Device(d)), $"cuDevicePrimaryCtxRetain({d})");
            return c;
        });
        IntPtr current;
        Check(_getCurrent(&current), "cuCtxGetCurrent");
        if (current != ctx) Check(_setCurrent(ctx), "cuCtxSetCurrent");
    }

    /// <summary>Loads a CUBIN or NUL-terminated PTX image into the device's primary context.</summary>
    public IntPtr LoadModule(int device, byte[] image)
    {
        MakeCurrent(device);
        IntPtr module;
        fixed (byte* p = image) Check(_moduleLoadData(&module, p), "cuModuleLoadData");
        return module;
    }

    public IntPtr GetFunction(IntPtr module, string name)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        IntPtr fn;
        fixed (byte* p = bytes) Check(_moduleGetFunction(&fn, module, p), $"cuModuleGetFunction({name})");
        return fn;
    }

    internal void Launch(IntPtr function, string name, Dim3 grid, Dim3 block, uint sharedBytes, IntPtr stream, void** args) =>
        Check(_launch(function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, stream, args, null), $"cuLaunchKernel({name})");

    private int Device(int ordinal)
    {
        int dev;
        Check(_deviceGet(&dev, ordinal), $"cuDeviceGet({ordinal})");
        return dev;
    }

    private void Check(int rc, string call)
    {
        if (rc == 0) return;
        byte* text = null;
        string name = _errorString != null && _errorString(rc, &text) == 0 && text != null ? Marshal.PtrToStringUTF8((IntPtr)text)! : "unknown error";
        throw new CudaDriverException($"{call} failed: {name} (CUresult {rc})");
    }

    private static IntPtr Export(IntPtr lib, string name) =>
        NativeLibrary.TryGetExport(lib, name, out var fn) ? fn : throw new EntryPointNotFoundException($"libcuda.so.1 has no {name}");
}
