using System.Globalization;

namespace Athanor.Cli.Tests;

/// <summary>`cluster doctor` and the CPU side of `cluster bench`, as CI runs them (no GPU here).</summary>
public class DoctorAndBenchCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [Fact]
    public void Doctor_reports_each_piece_and_that_cpu_training_is_ready()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "doctor");
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("CUDA libtorch:", result.Stdout);
        Assert.Contains("libtorch: ", result.Stdout);
        Assert.Contains("NCCL: ", result.Stdout);
        Assert.Contains("ready: CPU training", result.Stdout);
    }

    [Fact]
    public void Doctor_selftest_without_a_gpu_fails_and_says_why()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "doctor", "--selftest");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--selftest needs a GPU", result.Stderr);
    }

    [Fact]
    public void Bench_on_cpu_prints_the_reference_result_line_with_checkpointing()
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, "bench", "--preset", "tiny", "--seq", "64", "--batch", "2", "--steps", "2", "--warmup", "1", "--grad-ckpt");
        Assert.True(result.ExitCode == 0, result.All);
        var line = result.Stdout.Split('\n').Last(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        var fields = line["RESULT ".Length..].Trim().Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
        // The reference's keys, in its order, then Athanor's.
        Assert.Equal(["tokens_per_s_per_gpu", "mfu", "peak_mem_gib", "step_ms", "world", "preset"], fields.Keys.Take(6));
        Assert.True(double.Parse(fields["tokens_per_s_per_gpu"], CultureInfo.InvariantCulture) > 0);
        Assert.Equal("tiny", fields["preset"]);
        Assert.Equal("1", fields["grad_ckpt"]);
        Assert.Contains("params=0.019B loss=10.", result.Stdout);
    }

    [Fact]
    public void Bench_with_two_ranks_at_zero_three_follows_the_loss_of_one_rank_with_the_same_global_batch()
    {
        using var temp = new TempFolder();
        // ZeRO-3 on one rank too: a job's random initialization at stage 3 is drawn per parameter name (RandomInitSource).
        string[] common = ["bench", "--preset", "tiny", "--seq", "64", "--steps", "1", "--warmup", "1", "--zero", "3"];
        var one = ClusterProcess.Run(temp.Path, Limit, [.. common, "--batch", "4"]);
        var sharded = ClusterProcess.Run(temp.Path, Limit, [.. common, "--batch", "2", "--world", "2"]);
        Assert.True(sharded.ExitCode == 0, sharded.All);
        var fields = sharded.Stdout.Split('\n').Last(l => l.StartsWith("RESULT ", StringComparison.Ordinal))["RESULT ".Length..].Trim()
            .Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
        Assert.Equal("2", fields["world"]);
        Assert.Equal("3", fields["zero"]);
        Assert.Contains("2 ranks, ZeRO 3", sharded.Stdout);
        // Both runs train on the same global batches from the same weights (the benchmark is a job: batch 2 on each of two
        // ranks is one global batch of 4), so the second step's loss is the same up to summation order.
        double Loss(string stdout) => double.Parse(stdout.Split('\n').First(l => l.StartsWith("params=", StringComparison.Ordinal)).Split("loss=")[1].Trim(),
            CultureInfo.InvariantCulture);
        Assert.Equal(Loss(one.Stdout), Loss(sharded.Stdout), 0.002);
    }

    [Theory]
    [InlineData("--zero", "4", "--zero '4' is not valid")]
    [InlineData("--world", "0", "--world '0' is not valid")]
    [InlineData("--device", "cuda:1 --world 2", "--world 2 puts one rank on each GPU; --device 'cuda:1' names one")]
    [InlineData("--preset", "2b", "--preset '2b' is not known")]
    [InlineData("--device", "tpu", "--device 'tpu' is not valid")]
    [InlineData("--steps", "0", "--steps '0' is not valid")]
    [InlineData("--grad-bucket-mb", "0", "--grad-bucket-mb '0' is not valid")]
    [InlineData("--fp8", "--device cpu", "--fp8 is not run on CPUs")]
    public void Bench_refuses_bad_flags_with_what_is_accepted(string flag, string value, string message)
    {
        using var temp = new TempFolder();
        var result = ClusterProcess.Run(temp.Path, Limit, ["bench", flag, .. value.Split(' ')]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.Contains("accepted", result.Stderr);
    }
}
