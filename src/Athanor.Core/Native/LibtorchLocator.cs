using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Athanor.Native;

/// <summary>
/// Finds a CUDA-capable libtorch: ATHANOR_LIBTORCH=DIR (a folder with libtorch_cuda.so), else the torch/lib
/// folder of the PyTorch that `python3` imports. TorchSharp's own CUDA packages weigh about 6 GB; a machine
/// that trains on GPUs almost always has PyTorch already.
/// </summary>
public static class LibtorchLocator
{
    /// <summary>The libraries to load first, in dependency order, so TorchSharp binds to them.</summary>
    public static readonly IReadOnlyList<string> LoadOrder = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"];

    public sealed record Found(string Folder, string Source)
    {
        /// <summary>The PyTorch version of the folder (torch/version.py beside lib/), e.g. "2.11.0+cu130"; null when unreadable.</summary>
        public string? Version => ReadVersion(Folder);
    }

    /// <summary>__version__ from torch/version.py next to a torch/lib folder (what `torch.__version__` says in Python).</summary>
    public static string? ReadVersion(string libFolder)
    {
        var file = Path.Combine(libFolder, "..", "version.py");
        if (!File.Exists(file)) return null;
        foreach (var line in File.ReadLines(file))
        {
            var text = line.Trim();
            if (!text.StartsWith("__version__", StringComparison.Ordinal)) continue;
            int open = text.IndexOfAny(['\'', '"']);
            int close = open < 0 ? -1 : text.IndexOf(text[open], open + 1);
            if (close > open) return text[(open + 1)..close];
        }
        return null;
    }

    /// <summary>The folder and how it was found, or null with the reason in <paramref name="problem"/>.</summary>
    public static Found? Locate(out string problem)
    {
        problem = "";
        if (Environment.GetEnvironmentVariable("ATHANOR_LIBTORCH") is { Length: > 0 } dir)
        {
            if (File.Exists(Path.Combine(dir, "libtorch_cuda.so"))) return new Found(dir, "ATHANOR_LIBTORCH");
            problem = $"ATHANOR_LIBTORCH={dir} has no libtorch_cuda.so; point it at a PyTorch installation's torch/lib folder (a CUDA build)";
            return null;
        }
        var fromPython = AskPython(out var pythonProblem);
        if (fromPython is not null)
        {
            if (File.Exists(Path.Combine(fromPython, "libtorch_cuda.so"))) return new Found(fromPython, "python3 -c 'import torch'");
            problem = $"the PyTorch found by python3 ({fromPython}) is a CPU-only build (no libtorch_cuda.so); install a CUDA build of PyTorch or set ATHANOR_LIBTORCH";
            return null;
        }
        problem = $"no CUDA libtorch: set ATHANOR_LIBTORCH to a PyTorch installation's torch/lib folder, or make `python3 -c 'import torch'` work ({pythonProblem})";
        return null;
    }

    private static string? AskPython(out string problem)
    {
        problem = "";
        foreach (var python in new[] { Environment.GetEnvironmentVariable("ATHANOR_PYTHON"), "python3" })
        {
            if (string.IsNullOrEmpty(python)) continue;
            try
            {
                var info = new ProcessStartInfo(python, ["-c", "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))"])
                {
                    RedirectStandardOutput = true, RedirectStandardError = true,
                };
                using var p = Process.Start(info)!;
                var output = p.StandardOutput.ReadToEnd().Trim();
                var error = p.StandardError.ReadToEnd();
                if (!p.WaitForExit(30_000)) { p.Kill(); problem = $"{python} did not answer in 30 s"; continue; }
                if (p.ExitCode == 0 && Directory.Exists(output)) return output;
                problem = $"{python}: {error.Trim().Split('\n').LastOrDefault() ?? "torch not importable"}";
            }
            catch (System.ComponentModel.Win32Exception ex) { problem = $"{python} not found: {ex.Message}"; }
        }
        return null;
    }

    /// <summary>Loads the folder's libraries (dependency order) so TorchSharp uses them instead of its CPU build.</summary>
    public static void Preload(string folder)
    {
        var path = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        Environment.SetEnvironmentVariable("LD_LIBRARY_PATH", string.IsNullOrEmpty(path) ? folder : folder + ":" + path);
        foreach (var name in LoadOrder)
        {
            var file = Path.Combine(folder, name);
            if (!File.Exists(file)) throw new InvalidOperationException($"{file} is missing: {folder} is not a complete CUDA libtorch");
            NativeLibrary.Load(file);
        }
    }
}
