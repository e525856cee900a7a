using Athanor.Kernels;

namespace Athanor.Tests.Kernels;

/// <summary>
/// Every kernel source compiles with a real NVRTC for Ampere and Hopper. CI installs Debian's libnvrtc11.2
/// (NVRTC 11.8, non-free); where no NVRTC exists the test says so and passes only if ATHANOR_REQUIRE_NVRTC is unset.
/// </summary>
public sealed class KernelCompileTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var source in KernelSources.All)
            foreach (var arch in new[] { 80, 90 })
                data.Add(source.Name, arch);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_kernel_source_compiles(string name, int arch)
    {
        var nvrtc = Nvrtc.TryGet(out var problem);
        if (nvrtc is null)
        {
            Assert.True(Environment.GetEnvironmentVariable("ATHANOR_REQUIRE_NVRTC") is null or "" or "0",
                "ATHANOR_REQUIRE_NVRTC is set but NVRTC is missing: " + problem);
            return;
        }
        var source = KernelSources.All.Single(s => s.Name == name);
        var image = nvrtc.Compile(source.Code, name + ".cu", arch);
        Assert.NotEmpty(image.Image);
        Assert.Equal(image.IsCubin ? $"--gpu-architecture=sm_{arch}" : $"--gpu-architecture=compute_{arch}", image.Target);
        // Every kernel the ops launch is in the image under its extern "C" name.
        var text = System.Text.Encoding.ASCII.GetString(image.Image);
        foreach (var kernel in source.Kernels) Assert.Contains(kernel, text);
        Assert.DoesNotContain("warning", image.Log, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_broken_source_fails_with_the_program_log()
    {
        var nvrtc = Nvrtc.TryGet(out _);
        if (nvrtc is null) return;
        var ex = Assert.Throws<KernelCompileException>(() =>
            nvrtc.Compile(KernelPrelude.Code + "\nextern \"C\" __global__ void broken(float* x) { x[0] = undefined_name; }", "broken.cu", 80));
        Assert.Contains("broken.cu", ex.Message);
        Assert.Contains("undefined_name", ex.Message);
        Assert.Contains("sm_80", ex.Message);
    }
}
