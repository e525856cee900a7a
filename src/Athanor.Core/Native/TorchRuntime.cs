using TorchSharp;

namespace Athanor.Native;

/// <summary>
/// The one place that brings libtorch up. Everything that touches tensors calls Initialize first,
/// so a missing or unloadable native library fails with one clear message instead of a
/// TypeInitializationException deep inside a model.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _initialized;

    /// <summary>Loads libtorch (CPU) and fixes the intra-op thread count, so runs are reproducible.</summary>
    public static void Initialize(int? threads = null)
    {
        lock (Gate)
        {
            if (!_initialized)
            {
                try
                {
                    // Touching a tensor forces TorchSharp's static initializer to load the natives.
                    using var probe = torch.zeros(1);
                }
                catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException or NotSupportedException)
                {
                    throw new InvalidOperationException(
                        "libtorch could not be loaded: " + Innermost(ex).Message +
                        ". Rebuild with `dotnet build` (it marks TorchSharp's GLIBCXX_3.4.32 requirement weak) " +
                        "and check that the TorchSharp-cpu natives are under the app's runtimes/ folder.", ex);
                }
                _initialized = true;
            }
            if (threads is int n && n > 0)
                torch.set_num_threads(n);
        }
    }

    /// <summary>The libtorch folder CUDA came from, once <see cref="InitializeCuda"/> succeeded.</summary>
    public static string? CudaLibtorch { get; private set; }

    /// <summary>
    /// Brings up CUDA through an existing PyTorch installation's libtorch (<see cref="LibtorchLocator"/>).
    /// Must run before anything touches a tensor. Throws with what was found and what to do.
    /// </summary>
    public static void InitializeCuda(int? threads = null)
    {
        lock (Gate)
        {
            if (CudaLibtorch is null)
            {
                if (_initialized)
                    throw new InvalidOperationException("CUDA must be initialized before the first tensor (libtorch was already loaded as the CPU build)");
                var found = LibtorchLocator.Locate(out var problem) ?? throw new InvalidOperationException(problem);
                CudaAllocatorSettings.Apply(); // before libtorch's CUDA allocator starts and reads it
                LibtorchLocator.Preload(found.Folder);
                torch.InitializeDeviceType(DeviceType.CUDA);
                if (!torch.cuda.is_available())
                    throw new InvalidOperationException($"libtorch from {found.Folder} loaded but sees no CUDA device: check the driver (nvidia-smi) and CUDA_VISIBLE_DEVICES");
                CudaLibtorch = found.Folder;
            }
        }
        Initialize(threads);
    }

    public static string Describe() =>
        $"TorchSharp {typeof(torch).Assembly.GetName().Version}, intra-op threads {torch.get_num_threads()}, " +
        $"CUDA {(torch.cuda.is_available() ? "available" : "not available")}";

    private static Exception Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex;
    }
}
