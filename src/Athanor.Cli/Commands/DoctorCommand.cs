using System.Runtime.InteropServices;
using Athanor.Native;
using TorchSharp;

namespace Athanor.Cli.Commands;

/// <summary>`cluster doctor`: what this machine offers Athanor (libtorch, CUDA, GPUs, NCCL) and, for what is missing, what to do.</summary>
public sealed class DoctorCommand : ICommand
{
    public string Name => "doctor";
    public string Summary => "check libtorch, CUDA, GPUs and NCCL on this machine";
    public string Usage => "usage: cluster doctor\n\n  Prints what was found and, for each missing piece, what to do. Exit 0 when CPU training works.";

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        new ArgumentReader("cluster doctor", args, [], []).AtMostPositionals(0, "no arguments");
        var found = LibtorchLocator.Locate(out var problem);
        bool cudaOk = false;
        if (found is not null)
        {
            Console.WriteLine($"CUDA libtorch: {found.Folder} (from {found.Source})");
            try
            {
                TorchRuntime.InitializeCuda();
                cudaOk = true;
                int n = torch.cuda.device_count();
                Console.WriteLine($"CUDA: available, {n} GPU(s); memory in use on GPU 0: {DeviceMemory.UsedGib():F2} GiB");
            }
            catch (Exception ex) { Console.WriteLine($"CUDA: not usable: {ex.Message}"); }
        }
        else Console.WriteLine($"CUDA libtorch: not found: {problem}");
        if (!cudaOk) TorchRuntime.Initialize();
        Console.WriteLine($"libtorch: {torch.__version__} ({(cudaOk ? "CUDA build from " + TorchRuntime.CudaLibtorch : "TorchSharp-cpu")}); {TorchRuntime.Describe()}");
        Console.WriteLine(Nccl());
        Console.WriteLine(cudaOk ? "ready: CPU and GPU training" : "ready: CPU training (GPU training needs the pieces above)");
        return ExitCodes.Ok;
    }

    private delegate int GetVersion(out int version);

    private static string Nccl()
    {
        foreach (var name in new[] { "libnccl.so.2", "libnccl.so" })
            if (NativeLibrary.TryLoad(name, out var h) && NativeLibrary.TryGetExport(h, "ncclGetVersion", out var fn))
            {
                Marshal.GetDelegateForFunctionPointer<GetVersion>(fn)(out int v);
                return $"NCCL: {v / 10000}.{v / 100 % 100}.{v % 100} ({name})";
            }
        return "NCCL: not found (multi-GPU training needs libnccl.so.2: install NVIDIA's NCCL, or use the copy in PyTorch's nvidia/nccl/lib via LD_LIBRARY_PATH)";
    }
}
