using System.Runtime.InteropServices;
using Athanor.Native;

namespace Athanor.Kernels;

/// <summary>
/// Finds libnvrtc: ATHANOR_NVRTC=FILE, then the loader's own search (libnvrtc.so.13/.12/.11.2/.so), then the
/// CUDA toolkit folders, then the pip wheels PyTorch ships its CUDA libraries in (next to its torch/lib).
/// </summary>
public static class NvrtcLocator
{
    public static readonly IReadOnlyList<string> SonameOrder = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"];

    /// <summary>The loaded library handle and the path or name it came from; null with every place tried in <paramref name="problem"/>.</summary>
    public static (IntPtr Handle, string From)? Load(out string problem) => Load(Environment.GetEnvironmentVariable("ATHANOR_NVRTC"), TorchRuntime.CudaLibtorch, out problem);

    /// <summary>As <see cref="Load(out string)"/> with the override file and the torch/lib folder given explicitly.</summary>
    public static (IntPtr Handle, string From)? Load(string? overrideFile, string? torchLib, out string problem) =>
        Load(overrideFile, torchLib, SonameOrder, out problem);

    internal static (IntPtr Handle, string From)? Load(string? overrideFile, string? torchLib, IReadOnlyList<string> sonames, out string problem)
    {
        var tried = new List<string>();
        if (!string.IsNullOrEmpty(overrideFile))
        {
            if (NativeLibrary.TryLoad(overrideFile, out var h)) { problem = ""; return (h, overrideFile); }
            problem = $"ATHANOR_NVRTC={overrideFile} could not be loaded (missing file or not a libnvrtc for this machine); unset it or point it at libnvrtc.so.NN";
            return null;
        }
        foreach (var candidate in Candidates(torchLib, sonames))
        {
            tried.Add(candidate);
            if (NativeLibrary.TryLoad(candidate, out var h)) { problem = ""; return (h, candidate); }
        }
        problem = "libnvrtc (CUDA's run-time compiler) was not found; tried: " + string.Join(", ", tried) +
                  "; folders searched: " + string.Join(", ", SearchFolders(torchLib)) +
                  ". Install the CUDA toolkit's NVRTC (or PyTorch's nvidia-cuda-nvrtc wheel) or set ATHANOR_NVRTC=/path/to/libnvrtc.so.NN";
        return null;
    }

    /// <summary>Every name or path tried, in order (folders that do not exist are skipped).</summary>
    public static IEnumerable<string> Candidates(string? torchLib) => Candidates(torchLib, SonameOrder);

    private static IEnumerable<string> Candidates(string? torchLib, IReadOnlyList<string> sonames)
    {
        foreach (var name in sonames) yield return name;
        foreach (var folder in SearchFolders(torchLib))
        {
            if (!Directory.Exists(folder)) continue;
            foreach (var name in sonames)
                if (File.Exists(Path.Combine(folder, name))) yield return Path.Combine(folder, name);
        }
    }

    /// <summary>The folders looked into after the loader's own search: CUDA toolkits, then PyTorch's nvidia wheels.</summary>
    public static IReadOnlyList<string> SearchFolders(string? torchLib)
    {
        var folders = new List<string>();
        var toolkits = SafeDirectories("/usr/local", "cuda*").ToList();
        if (toolkits.Count == 0) toolkits.Add("/usr/local/cuda*"); // named in the message, skipped in the search
        foreach (var cuda in toolkits)
        {
            folders.Add(Path.Combine(cuda, "targets", "x86_64-linux", "lib"));
            folders.Add(Path.Combine(cuda, "lib64"));
        }
        if (!string.IsNullOrEmpty(torchLib))
        {
            var nvidia = Path.GetFullPath(Path.Combine(torchLib, "..", "..", "nvidia"));
            folders.Add(Path.Combine(nvidia, "cu13", "lib"));
            foreach (var pkg in SafeDirectories(nvidia, "*")) folders.Add(Path.Combine(pkg, "lib"));
        }
        return folders.Distinct().ToList();
    }

    private static IEnumerable<string> SafeDirectories(string folder, string pattern)
    {
        try { return Directory.Exists(folder) ? Directory.GetDirectories(folder, pattern).Order(StringComparer.Ordinal) : []; }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }
}
