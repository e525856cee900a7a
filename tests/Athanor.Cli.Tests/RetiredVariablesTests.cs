using System.Diagnostics;

namespace Athanor.Cli.Tests;

/// <summary>
/// The old per-node switches (ATHANOR_FUSED, ATHANOR_ZERO3_PREFETCH, ...) are job keys now: a command that trains refuses
/// to start while one is still set, naming the key that replaces it, instead of silently training with the job's value.
/// </summary>
public class RetiredVariablesTests
{
    private static ClusterProcess.Result Run(string variable, string value, params string[] args)
    {
        using var temp = new TempFolder();
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = temp.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(ClusterProcess.Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment[variable] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "cluster did not exit");
        return new ClusterProcess.Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    [Theory]
    [InlineData("ATHANOR_FUSED", "0", "bench", "use the job key fused_kernels (cluster bench: --no-fused)")]
    [InlineData("ATHANOR_ZERO3_PREFETCH", "0", "bench", "use the job key zero3_prefetch (cluster bench: --no-zero3-prefetch)")]
    [InlineData("ATHANOR_OVERLAP_GRAD_REDUCE", "1", "train", "use the job key overlap_grad_reduce")]
    public void ATrainingCommandRefusesASetVariableNamingItsJobKey(string variable, string value, string command, string replacement)
    {
        var result = Run(variable, value, command, "--help-is-not-given");
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.StartsWith($"error: cluster {command}: {variable}={value} is no longer read", line);
        Assert.Contains(replacement, line);
    }

    [Fact]
    public void CommandsThatDoNotTrainIgnoreThem()
    {
        // A client command goes on to its own work (here: a server that is not there).
        var result = Run("ATHANOR_FUSED", "0", "nodes", "--server", "http://127.0.0.1:1", "--token", "t");
        Assert.DoesNotContain("no longer read", result.All);
        Assert.Contains("cannot reach the server", result.Stderr);
    }
}
