using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Athanor.Cli.Tests;

/// <summary>Runs the real `cluster` executable (dotnet cluster.dll) in a working folder and captures its output.</summary>
internal sealed class ClusterProcess
{
    public static string Dll => Metadata("ClusterDll");
    public static string RepoRoot => Path.GetFullPath(Metadata("RepoRoot"));

    private static string Metadata(string key) =>
        typeof(ClusterProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string All => Stdout + Stderr;
    }

    public static Result Run(string workingDir, TimeSpan timeout, params string[] args)
    {
        using var process = Start(workingDir, args, out var stdout, out var stderr);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"cluster {string.Join(' ', args)} did not finish in {timeout}; output so far:\n{stdout}\n{stderr}");
        }
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    public static Process Start(string workingDir, string[] args, out StringBuilder stdout, out StringBuilder stderr)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDir, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var o = new StringBuilder();
        var e = new StringBuilder();
        process.OutputDataReceived += (_, d) => { if (d.Data is not null) lock (o) o.AppendLine(d.Data); };
        process.ErrorDataReceived += (_, d) => { if (d.Data is not null) lock (e) e.AppendLine(d.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        stdout = o;
        stderr = e;
        return process;
    }
}

internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "athanor-cli-" + Guid.NewGuid().ToString("N")[..12]);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}
