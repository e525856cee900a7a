using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Athanor.Cluster.Tests;

/// <summary>
/// The `cluster` CLI as a user runs it against a node's gRPC service. launcher: what runs it (e.g. `ip netns exec NS`:
/// a client on a host of a network lab); none: straight from this process.
/// </summary>
public sealed class ClusterClient(ClusterFolders folders, IReadOnlyList<string>? launcher = null)
{
    public (int Exit, string Output) Run(string server, params string[] args)
    {
        var info = new ProcessStartInfo(launcher?[0] ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folders.Root };
        if (launcher is not null)
        {
            foreach (var a in launcher.Skip(1)) info.ArgumentList.Add(a);
            info.ArgumentList.Add("dotnet");
        }
        info.ArgumentList.Add(NodeProcess.ClusterDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--server"); info.ArgumentList.Add(server);
        info.ArgumentList.Add("--token"); info.ArgumentList.Add(folders.Token);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    public string Submit(string server, string jobFile)
    {
        var (exit, output) = Run(server, "submit", jobFile);
        Assert.True(exit == 0, output);
        return output.Trim().Split('\n')[^1].Trim().Split(' ')[^1];
    }

    public JsonObject Status(string server, string jobId)
    {
        var (exit, output) = Run(server, "status", jobId, "--json");
        Assert.True(exit == 0, output);
        return JsonNode.Parse(output)!.AsObject();
    }

    /// <summary>Polls status (through any of the servers that answer) until the condition holds.</summary>
    public JsonObject WaitFor(IEnumerable<string> servers, string jobId, Func<JsonObject, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        JsonObject? last = null;
        while (clock.Elapsed < timeout)
        {
            foreach (var server in servers)
            {
                var (exit, output) = Run(server, "status", jobId, "--json");
                if (exit != 0) continue;
                last = JsonNode.Parse(output)!.AsObject();
                if (condition(last)) return last;
                if ((string?)last["state"] is "Failed" or "Cancelled" or "Succeeded" && !condition(last))
                    throw new Xunit.Sdk.XunitException($"waiting for {what}, the job ended: {last.ToJsonString()}\nlogs:\n{Run(server, "logs", jobId).Output}");
                break;
            }
            Thread.Sleep(500);
        }
        throw new TimeoutException($"waiting for {what}: {last?.ToJsonString() ?? "no answer"}");
    }
}
