using System.Runtime.InteropServices;

namespace Athanor.Kernels;

/// <summary>Grid or block dimensions of a launch.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public static implicit operator Dim3(int x) => new(checked((uint)x));
}

/// <summary>
/// One kernel argument as the kernel's parameter type sees it: 8 bytes of storage, the value written
/// with the exact width of the C type (pointer, long long, int, float).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct KernelArg
{
    private readonly long _bits;
    private KernelArg(long bits) => _bits = bits;

    public static implicit operator KernelArg(IntPtr pointer) => new(pointer.ToInt64());
    public static implicit operator KernelArg(long value) => new(value);
    public static implicit operator KernelArg(int value) => new((uint)value); // low 4 bytes, little-endian
    public static implicit operator KernelArg(float value) => new((uint)BitConverter.SingleToInt32Bits(value));
}

/// <summary>A kernel function loaded on one device; Launch queues it on a stream (torch's current stream, normally).</summary>
public sealed unsafe class CudaKernel
{
    private readonly CudaDriver _driver;
    private readonly IntPtr _function;

    internal CudaKernel(CudaDriver driver, IntPtr function, string name, int device)
    {
        _driver = driver;
        _function = function;
        Name = name;
        Device = device;
    }

    public string Name { get; }
    public int Device { get; }

    /// <summary>Queues the kernel. Arguments must match the kernel's parameters in order and C type.</summary>
    public void Launch(Dim3 grid, Dim3 block, int sharedBytes, IntPtr stream, params ReadOnlySpan<KernelArg> args)
    {
        if (grid.X == 0 || block.X == 0) return; // nothing to do (empty tensor)
        _driver.MakeCurrent(Device);
        // cuLaunchKernel reads each argument through a pointer; the values are copied at launch time.
        var values = stackalloc KernelArg[args.Length];
        var pointers = stackalloc void*[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            values[i] = args[i];
            pointers[i] = &values[i];
        }
        _driver.Launch(_function, Name, grid, block, checked((uint)sharedBytes), stream, pointers);
    }
}
