using Athanor.Kernels;
using Athanor.Native;
using Athanor.Native.Cuda;
using Athanor.Native.Nccl;
using Athanor.Native.Nvml;
using Athanor.Native.SelfTest;
using TorchSharp;

namespace Athanor.Cli.Commands;

/// <summary>`cluster doctor`: what this machine offers Athanor (libtorch, CUDA, GPUs, NCCL, NVML) and, for what is missing, what to do.</summary>
public sealed class DoctorCommand : ICommand
{
    public string Name => "doctor";
    public string Summary => "check libtorch, CUDA, GPUs, NCCL and NVML on this machine (--selftest: exercise them)";
    public string Usage => """
        usage: cluster doctor [--selftest]

          Prints what was found and, for each missing piece, what to do. Exit 0 when CPU training works.
          --selftest  also runs the GPU checks (streams and events, a timed bf16 matmul, flash attention,
                      NVML, NCCL collectives across every visible GPU with bus bandwidth and abort, fused
                      kernels against the unfused path); exit 1 if any fails or there is no GPU.
        """;

    public int Run(IReadOnlyList<string> args, CancellationToken cancel)
    {
        var reader = new ArgumentReader("cluster doctor", args, [], ["--selftest"]);
        reader.AtMostPositionals(0, "no arguments besides --selftest");
        bool selftest = reader.Has("--selftest");

        var found = LibtorchLocator.Locate(out var problem);
        bool cudaOk = false;
        if (found is not null)
        {
            Console.WriteLine($"CUDA libtorch: {found.Folder} (PyTorch {found.Version ?? "of unknown version"}, from {found.Source})");
            try
            {
                TorchRuntime.InitializeCuda();
                cudaOk = true;
            }
            catch (Exception ex) { Console.WriteLine($"CUDA: not usable: {ex.Message}"); }
        }
        else Console.WriteLine($"CUDA libtorch: not found: {problem}");
        if (!cudaOk) TorchRuntime.Initialize();
        Console.WriteLine(cudaOk
            ? $"libtorch: PyTorch {found!.Version ?? "?"}'s CUDA build from {TorchRuntime.CudaLibtorch}; TorchSharp built for libtorch {torch.__version__}; {TorchRuntime.Describe()}"
            : $"libtorch: TorchSharp-cpu {torch.__version__}; {TorchRuntime.Describe()}");
        if (cudaOk) Gpus();
        Console.WriteLine(Nccl.IsAvailable(out var ncclProblem)
            ? $"NCCL: {Nccl.Version()} ({Nccl.LoadedFrom})"
            : $"NCCL: not found (needed for multi-GPU training): {ncclProblem}");
        if (cudaOk)
            Console.WriteLine(FusedOps.IsAvailable(new torch.Device(DeviceType.CUDA, 0), out var kernelProblem) && Nvrtc.TryGet(out _) is { } nvrtc
                ? $"fused kernels: built with NVRTC {nvrtc.Version.Major}.{nvrtc.Version.Minor} from {nvrtc.LoadedFrom} (RMSNorm, rotary, AdamW, gradient norm)"
                : $"fused kernels: not available, the plain libtorch path is used: {kernelProblem}");
        if (cudaOk)
            Console.WriteLine(Athanor.Fp8.Fp8Support.WhyNot(0) is string noFp8
                ? $"fp8: not available (fp8: true jobs are refused here): {noFp8}"
                : $"fp8: available on cuda:0 (cuBLASLt {Athanor.Fp8.Fp8Support.CublasLtVersion()}; fp8: true with bf16: true)");
        Console.WriteLine(cudaOk ? "ready: CPU and GPU training" : "ready: CPU training (GPU training needs the pieces above)");
        if (!selftest) return ExitCodes.Ok;

        if (!cudaOk)
        {
            Console.Error.WriteLine("error: --selftest needs a GPU and a CUDA libtorch (see above)");
            return ExitCodes.Failed;
        }
        foreach (var (name, run) in KernelSelfChecks.All) GpuSelfTest.Add(new GpuCheck("kernels." + name, run));
        foreach (var check in Athanor.Fp8.Fp8SelfCheck.All) GpuSelfTest.Add(check); // issue 25: SKIP below compute capability 8.9
        int failures = GpuSelfTest.RunAll(Console.WriteLine);
        Console.WriteLine(failures == 0 ? "selftest: all checks passed" : $"selftest: {failures} check(s) failed");
        return failures == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>One line per GPU: the CUDA runtime's view, plus NVML's when the library is there.</summary>
    private static void Gpus()
    {
        int count = CudaRuntime.TryDeviceCount(out var reason);
        if (count == 0)
        {
            Console.WriteLine($"CUDA: no device: {reason}");
            return;
        }
        Console.WriteLine($"CUDA: driver {CudaRuntime.FormatVersion(CudaRuntime.DriverVersion())}, runtime {CudaRuntime.FormatVersion(CudaRuntime.RuntimeVersion())} ({CudaRuntime.LoadedFrom}); {count} GPU(s)");
        using var nvml = NvmlMonitor.TryOpen(out var nvmlProblem);
        for (int i = 0; i < count; i++)
        {
            var line = "  " + CudaRuntime.Properties(i);
            // NVML numbers GPUs in PCI order; with CUDA_VISIBLE_DEVICES set the two can differ, so NVML's name is shown as its own.
            if (nvml is not null && i < nvml.DeviceCount)
            {
                var s = nvml.Sample(i);
                line += $"; NVML #{i}: {s.Name}, {s.GpuUtilizationPercent}% busy, {s.MemoryUsedBytes / (double)(1L << 30):F1} GiB used" +
                    (s.PowerWatts is double w ? $", {w:F0} W" : "") + (s.TemperatureCelsius is int c ? $", {c} C" : "");
            }
            Console.WriteLine(line);
        }
        if (nvml is null) Console.WriteLine($"NVML: not available ({nvmlProblem}); GPU utilization and power metrics need libnvidia-ml.so.1 (part of the NVIDIA driver)");
    }
}
