using Athanor.Native.Cuda;
using Athanor.Native.Nccl;
using Athanor.Native.Nvml;
using Athanor.Native.SelfTest;
using Athanor.Parallel;

namespace Athanor.Tests.Native;

/// <summary>
/// The GPU stack's libraries are absent on CI machines: every entry point must say so in one clear message,
/// never crash. On a machine that has them, the same tests check the positive answer instead.
/// </summary>
public class NativeAbsenceTests
{
    [Fact]
    public void A_missing_library_lists_every_name_tried_with_the_loader_reason_and_the_hint()
    {
        var api = new NativeApi("the test library", "Install nothing; this is a test.", () => ["libathanor-missing.so.7", "/nowhere/libathanor-missing.so"]);
        var ex = Assert.Throws<NativeLibraryMissingException>(() => api.Handle);
        Assert.StartsWith("the test library could not be loaded: tried libathanor-missing.so.7 (", ex.Message);
        Assert.Contains("/nowhere/libathanor-missing.so (", ex.Message);
        Assert.Contains("No such file", ex.Message);
        Assert.EndsWith("Install nothing; this is a test.", ex.Message);
        Assert.Equal(2, ex.Attempts.Count);
        Assert.IsAssignableFrom<DllNotFoundException>(ex);
        Assert.False(api.TryLoad(out var problem));
        Assert.Equal(ex.Message, problem);
    }

    [Fact]
    public void A_missing_export_names_the_symbols_and_the_library()
    {
        // libc is always there; it has no CUDA symbols.
        var api = new NativeApi("libc", "", () => ["libc.so.6"]);
        Assert.True(api.TryResolve("strlen", out _));
        var ex = Assert.Throws<EntryPointNotFoundException>(() => api.Resolve("cudaNoSuchCall", "cudaNoSuchCall_v2"));
        Assert.Contains("libc (libc.so.6) exports none of cudaNoSuchCall, cudaNoSuchCall_v2", ex.Message);
    }

    [Fact]
    public void Cuda_device_count_is_zero_with_a_reason_when_there_is_no_cuda()
    {
        int count = CudaRuntime.TryDeviceCount(out var reason);
        if (count > 0)
        {
            Assert.Null(reason);
            return;
        }
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.True(reason!.Contains("libcudart.so.13") || reason.Contains("cudaGetDeviceCount"), reason);
        if (reason.Contains("could not be loaded"))
            Assert.Throws<NativeLibraryMissingException>(() => CudaRuntime.DeviceCount());
    }

    [Fact]
    public void Nvml_absence_is_reported_not_thrown()
    {
        using var monitor = NvmlMonitor.TryOpen(out var reason);
        if (monitor is not null)
        {
            Assert.Equal(monitor.DeviceCount, monitor.Sample().Count);
            return;
        }
        Assert.Contains("NVML (libnvidia-ml)", reason);
        Assert.Contains("libnvidia-ml.so.1", reason);
    }

    [Fact]
    public void Nccl_absence_names_libnccl_before_touching_cuda()
    {
        if (Nccl.IsAvailable(out var reason)) return;
        Assert.Contains("libnccl.so.2", reason);
        var ex = Assert.Throws<NativeLibraryMissingException>(() => NcclUniqueId.Create());
        Assert.Contains("NCCL (libnccl)", ex.Message);
        var create = Assert.Throws<NativeLibraryMissingException>(() =>
            NcclCollective.Create(0, 1, new NcclUniqueId(), 0, TimeSpan.FromSeconds(1)));
        Assert.Contains("libnccl.so.2", create.Message);
    }

    [Fact]
    public void Cuda_exception_names_function_code_name_and_text()
    {
        var ex = new CudaException("cudaSetDevice(3)", 101, "cudaErrorInvalidDevice", "invalid device ordinal");
        Assert.Equal("cudaSetDevice(3) failed: cudaErrorInvalidDevice (101): invalid device ordinal", ex.Message);
        Assert.Equal(101, ex.Code);
        Assert.Equal("cudaSetDevice(3)", ex.Function);
    }

    [Theory]
    [InlineData(13000, "13.0")]
    [InlineData(12080, "12.8")]
    public void Cuda_versions_are_formatted_major_dot_minor(int encoded, string expected) =>
        Assert.Equal(expected, CudaRuntime.FormatVersion(encoded));

    [Fact]
    public void Self_test_without_a_gpu_fails_every_check_with_a_reason_instead_of_crashing()
    {
        if (CudaRuntime.TryDeviceCount(out _) > 0) return;
        var lines = new List<string>();
        int failures = GpuSelfTest.Run(GpuSelfTest.Checks.Where(c => c.Name != "cuda.matmul-bf16"), lines.Add);
        Assert.True(failures >= 6, string.Join("\n", lines));
        Assert.All(lines.SkipLast(1), l => Assert.Matches(@"^(PASS|FAIL) \S+ \(\d+\.\d s\): \S", l));
        Assert.Contains(lines, l => l.StartsWith("FAIL cuda.devices") && l.Contains("libcudart"));
        Assert.Contains(lines, l => l.StartsWith("FAIL nvml.sample") && l.Contains("libnvidia-ml"));
    }
}
