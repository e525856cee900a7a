using Athanor.Kernels;
using Athanor.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace Athanor.Tests.Kernels;

/// <summary>On a machine without a GPU (CI) the fused path says no, clearly, and nothing crashes.</summary>
public sealed class FusedAvailabilityTests
{
    public FusedAvailabilityTests() => TorchRuntime.Initialize();

    private static bool HasNvidiaDriver => File.Exists("/dev/nvidiactl");

    [Fact]
    public void A_cpu_device_is_not_available_and_the_reason_says_why()
    {
        Assert.False(FusedOps.IsAvailable(CPU, out var reason));
        Assert.Contains("CUDA devices", reason);
        Assert.Contains("cpu", reason);
    }

    [Fact]
    public void A_cuda_device_without_a_driver_or_cuda_libtorch_is_not_available()
    {
        if (HasNvidiaDriver) return; // this check is about machines without a GPU
        Assert.False(FusedOps.IsAvailable(new Device(DeviceType.CUDA, 0), out var reason));
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.True(reason.Contains("libcuda.so.1") || reason.Contains("InitializeCuda") || reason.Contains("libnvrtc"), reason);
        Assert.Null(KernelLibrary.TryGet(out var problem));
        Assert.Equal(reason.Contains("libcuda.so.1"), problem.Contains("libcuda.so.1"));
    }

    [Fact]
    public void Fused_ops_refuse_cpu_tensors_with_a_clear_error()
    {
        using var x = ones(4, 8);
        using var w = ones(8);
        using var acc = zeros(1);
        var sum = Assert.Throws<ArgumentException>(() => FusedOps.SumSquares(x, acc));
        Assert.Contains("CUDA tensors", sum.Message);
        var norm = Assert.Throws<ArgumentException>(() => FusedOps.RmsNorm(x, w, 1e-5, new Athanor.Training.BackwardResults()));
        Assert.Contains("CUDA tensors", norm.Message);
    }

    [Fact]
    public void The_self_checks_fail_with_the_reason_when_no_gpu_is_there()
    {
        if (HasNvidiaDriver) return;
        Assert.Equal(13, KernelSelfChecks.All.Count);
        Assert.Equal(KernelSelfChecks.All.Count, KernelSelfChecks.All.Select(c => c.Name).Distinct().Count());
        var (name, run) = KernelSelfChecks.All[0];
        var ex = Assert.Throws<InvalidOperationException>(() => run());
        Assert.StartsWith("fused kernels unavailable: ", ex.Message);
    }
}
