using Athanor.Native.SelfTest;

namespace Athanor.Tests.Native;

public class GpuSelfTestTests
{
    [Fact]
    public void Run_counts_failures_and_logs_a_line_per_check_with_its_detail_or_reason()
    {
        var lines = new List<string>();
        int failures = GpuSelfTest.Run(
        [
            new GpuCheck("good", () => "42 TFLOP/s"),
            new GpuCheck("bad", () => throw new InvalidOperationException("outer", new TimeoutException("peer missing"))),
        ], lines.Add);
        Assert.Equal(1, failures);
        Assert.Equal(3, lines.Count);
        Assert.Matches(@"^PASS good \(\d+\.\d s\): 42 TFLOP/s$", lines[0]);
        Assert.Matches(@"^FAIL bad \(\d+\.\d s\): InvalidOperationException: outer <- TimeoutException: peer missing$", lines[1]);
        Assert.Equal("1 of 2 GPU checks passed", lines[2]);
    }

    [Fact]
    public void A_check_that_cannot_run_here_is_a_skip_neither_a_pass_nor_a_failure()
    {
        var lines = new List<string>();
        int failures = GpuSelfTest.Run(
        [
            new GpuCheck("good", () => "fine"),
            new GpuCheck("two-gpus", () => throw new GpuCheckSkipped("needs 2 GPUs")),
        ], lines.Add);
        Assert.Equal(0, failures);
        Assert.Equal("SKIP two-gpus: needs 2 GPUs", lines[1]);
        Assert.Equal("1 of 2 GPU checks passed, 1 skipped", lines[2]);
    }

    [Fact]
    public void Built_in_checks_cover_cuda_nvml_and_nccl_and_names_are_unique()
    {
        var names = GpuSelfTest.Checks.Select(c => c.Name).ToList();
        Assert.Contains("cuda.devices", names);
        Assert.Contains("cuda.matmul-bf16", names);
        Assert.Contains("nvml.sample", names);
        Assert.Contains("nccl.collectives", names);
        Assert.Contains("nccl.bandwidth", names);
        Assert.Contains("nccl.abort", names);
        var ex = Assert.Throws<ArgumentException>(() => GpuSelfTest.Add(new GpuCheck("nccl.abort", () => "")));
        Assert.Contains("nccl.abort", ex.Message);
    }
}
