using System.Collections.Concurrent;

namespace Athanor.Kernels;

/// <summary>
/// Compiles each kernel source once per process and GPU architecture, loads it once per device and hands
/// out its kernels. Sources are identified by name (the <see cref="KernelSource"/>'s).
/// </summary>
public sealed class KernelLibrary
{
    private readonly Nvrtc _nvrtc;
    private readonly CudaDriver _driver;
    private readonly ConcurrentDictionary<(string Source, int Arch), Lazy<CompiledImage>> _images = new();
    private readonly ConcurrentDictionary<(string Source, int Device), Lazy<IntPtr>> _modules = new();
    private readonly ConcurrentDictionary<(string Source, int Device, string Kernel), CudaKernel> _kernels = new();

    public KernelLibrary(Nvrtc nvrtc, CudaDriver driver)
    {
        _nvrtc = nvrtc;
        _driver = driver;
    }

    public CudaDriver Driver => _driver;
    public Nvrtc Compiler => _nvrtc;

    private static readonly Lazy<(KernelLibrary? Library, string Problem)> Shared = new(() =>
    {
        var driver = CudaDriver.TryGet(out var driverProblem);
        if (driver is null) return (null, driverProblem);
        var nvrtc = Nvrtc.TryGet(out var nvrtcProblem);
        if (nvrtc is null) return (null, nvrtcProblem);
        return (new KernelLibrary(nvrtc, driver), "");
    });

    /// <summary>The process-wide library, or null with the reason (no driver, no NVRTC).</summary>
    public static KernelLibrary? TryGet(out string problem)
    {
        var (library, why) = Shared.Value;
        problem = why;
        return library;
    }

    /// <summary>The named kernel of source on device (compiled and loaded on first use).</summary>
    public CudaKernel Get(KernelSource source, string kernel, int device) =>
        _kernels.GetOrAdd((source.Name, device, kernel), key =>
        {
            var module = _modules.GetOrAdd((source.Name, device), k => new Lazy<IntPtr>(() =>
            {
                int arch = _driver.ComputeCapability(device);
                var image = _images.GetOrAdd((source.Name, arch), a => new Lazy<CompiledImage>(() => _nvrtc.Compile(source.Code, source.Name + ".cu", arch))).Value;
                return _driver.LoadModule(device, image.Image);
            })).Value;
            return new CudaKernel(_driver, _driver.GetFunction(module, kernel), kernel, device);
        });
}
