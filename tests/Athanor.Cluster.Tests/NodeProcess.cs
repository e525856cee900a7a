using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace Athanor.Cluster.Tests;

/// <summary>A real `cluster node` process on loopback.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public static string ClusterDll => typeof(NodeProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "ClusterDll").Value!;

    /// <summary>httpPort: serve /health and /metrics there; environment: extra variables (OTEL_* settings); extraArgs: more flags.</summary>
    public NodeProcess(string name, int akkaPort, int grpcPort, IReadOnlyList<string> seeds, string journal, ClusterFolders folders, string devices = "cpu:1",
        int? httpPort = null, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? extraArgs = null)
    {
        Name = name;
        AkkaPort = akkaPort;
        GrpcPort = grpcPort;
        HttpPort = httpPort;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folders.Root };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        info.ArgumentList.Add(ClusterDll);
        foreach (var a in new[] { "node", "--host", "127.0.0.1", "--port", akkaPort.ToString(), "--grpc-port", grpcPort.ToString(),
                     "--devices", devices, "--data-dir", Path.Combine(folders.Root, "node-" + name), "--journal", journal,
                     "--token-file", folders.TokenFile, "--data-root", folders.DataRoot, "--output-root", folders.OutputRoot })
            info.ArgumentList.Add(a);
        foreach (var s in seeds) { info.ArgumentList.Add("--seed"); info.ArgumentList.Add(s); }
        if (httpPort is int http) { info.ArgumentList.Add("--http-port"); info.ArgumentList.Add(http.ToString()); }
        foreach (var a in extraArgs ?? []) info.ArgumentList.Add(a);
        _process = Process.Start(info)!;
        Pid = _process.Id;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }
    public int AkkaPort { get; }
    public int GrpcPort { get; }
    public int? HttpPort { get; }
    public string Seed => $"127.0.0.1:{AkkaPort}";
    public string Server => $"http://127.0.0.1:{GrpcPort}";
    public int Pid { get; private set; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output { get { lock (_output) return _output.ToString(); } }

    public void WaitUntilServing(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains("cluster node: gRPC on"))
        {
            if (_process.HasExited) throw new InvalidOperationException($"node {Name} exited ({_process.ExitCode}):\n{Output}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"node {Name} did not start in {timeout}:\n{Tail()}");
            Thread.Sleep(100);
        }
    }

    public void Kill9() => _process.Kill(entireProcessTree: true);

    public void Sigterm() => Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();

    /// <summary>Waits for the exit, then for the output readers to drain (a timed wait alone can return before the
    /// process's last lines reached Output).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit();
        return true;
    }

    public string Tail(int lines = 60) => string.Join("\n", Output.Split('\n').TakeLast(lines));

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.Dispose();
        // Kept for post-mortems of failed runs (TestResults is where CI keeps artifacts).
        var logs = Environment.GetEnvironmentVariable("ATHANOR_TEST_NODE_LOGS");
        if (logs is not null)
        {
            Directory.CreateDirectory(logs);
            File.WriteAllText(Path.Combine(logs, $"{DateTime.UtcNow:HHmmss}-{Name}-{Pid}.log"), Output);
        }
    }
}

/// <summary>The folders a test cluster shares: data root (model + data), output root, token.</summary>
public sealed class ClusterFolders : IDisposable
{
    private readonly TempFolder _temp = new();

    public ClusterFolders()
    {
        DataRoot = _temp.Sub("data");
        OutputRoot = _temp.Sub("out");
        TokenFile = Path.Combine(Root, "token");
        File.WriteAllText(TokenFile, "test-token-" + Guid.NewGuid().ToString("N"));
        var demo = Path.Combine(TestJobs.RepoRoot, "examples", "demo", "data");
        var data = Path.Combine(DataRoot, "demo-data");
        Directory.CreateDirectory(data);
        foreach (var f in new[] { "dataset_info.json", "identity.json" }) File.Copy(Path.Combine(demo, f), Path.Combine(data, f));
    }

    public string Root => _temp.Path;
    public string DataRoot { get; }
    public string OutputRoot { get; }
    public string TokenFile { get; }
    public string Token => File.ReadAllText(TokenFile).Trim();

    /// <summary>A job file whose paths are all inside the roots.</summary>
    public string WriteJob(string name, int maxSteps, int saveSteps, int worldSize, string extra = "")
    {
        var yaml = TestJobs.Yaml(Path.Combine(DataRoot, name), maxSteps, saveSteps, extra: extra)
            .Replace($"dataset_dir: {Path.Combine(TestJobs.RepoRoot, "examples", "demo", "data")}", $"dataset_dir: {Path.Combine(DataRoot, "demo-data")}")
            .Replace($"output_dir: {Path.Combine(DataRoot, name, "out")}", $"output_dir: {Path.Combine(OutputRoot, name)}")
            .Replace("per_device_train_batch_size: 1\ngradient_accumulation_steps: 4", $"per_device_train_batch_size: 1\ngradient_accumulation_steps: {12 / worldSize}\nworld_size: {worldSize}");
        var path = Path.Combine(Root, name + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    public void Dispose() => _temp.Dispose();
}
