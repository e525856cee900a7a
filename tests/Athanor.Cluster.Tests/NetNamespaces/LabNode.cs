using System.Diagnostics;
using System.Text;

namespace Athanor.Cluster.Tests.NetNamespaces;

/// <summary>
/// A `cluster node` process on a lab host, started as the Helm chart starts a pod: every member on the same ports, the
/// host's own address as --host (the pod IP, what members and ring peers reach it at), the gRPC service listening on
/// 0.0.0.0, health on the http port. Restart() starts a new incarnation, as a pod's restart does.
/// </summary>
public sealed class LabNode : IDisposable
{
    public const int AkkaPort = 4053, GrpcPort = 50051, HttpPort = 8080;
    private readonly IReadOnlyList<string> _seeds;
    private readonly string _journal;
    private readonly ClusterFolders _folders;
    private readonly List<string> _extraArgs;
    private readonly StringBuilder _output = new();
    private Process _process = null!;

    public LabNode(LabHost host, IReadOnlyList<string> seeds, string journal, ClusterFolders folders, IReadOnlyList<string>? extraArgs = null)
    {
        Host = host;
        _seeds = seeds;
        _journal = journal;
        _folders = folders;
        _extraArgs = [.. extraArgs ?? []];
        Start();
    }

    public LabHost Host { get; }
    public string Name => Host.Name;
    public string Address => $"akka.tcp://athanor@{Host.Address}:{AkkaPort}";
    public string Seed => $"{Host.Address}:{AkkaPort}";
    public string Server => $"http://{Host.Address}:{GrpcPort}";
    public int Incarnation { get; private set; }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public string Output { get { lock (_output) return _output.ToString(); } }

    private void Start()
    {
        Incarnation++;
        var args = new List<string> { NodeProcess.ClusterDll, "node", $"--host={Host.Address}", $"--port={AkkaPort}", "--roles=coordinator,worker",
            "--devices=cpu:1", $"--data-dir={Path.Combine(_folders.Root, "node-" + Name)}", $"--grpc-port={GrpcPort}", "--listen=0.0.0.0",
            $"--http-port={HttpPort}", $"--token-file={_folders.TokenFile}", $"--data-root={_folders.DataRoot}", $"--output-root={_folders.OutputRoot}",
            $"--journal={_journal}" };
        args.AddRange(_seeds.Select(s => $"--seed={s}"));
        args.AddRange(_extraArgs);
        var info = NetworkLab.Exec(Host, "dotnet", args);
        info.WorkingDirectory = _folders.Root;
        _process = Process.Start(info)!;
        int incarnation = Incarnation;
        lock (_output) _output.AppendLine($"=== {Name} incarnation {incarnation} (pid {_process.Id}) ===");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts the node again once the old process has exited (a pod's restart).</summary>
    public void Restart()
    {
        if (!_process.HasExited) throw new InvalidOperationException($"{Name} is still running");
        _process.Dispose();
        Start();
    }

    /// <summary>Waits until this incarnation serves gRPC.</summary>
    public void WaitUntilServing(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var marker = $"=== {Name} incarnation {Incarnation} ";
        while (true)
        {
            var text = Output;
            int from = text.LastIndexOf(marker, StringComparison.Ordinal);
            if (from >= 0 && text.IndexOf("cluster node: gRPC on", from, StringComparison.Ordinal) >= 0) return;
            if (_process.HasExited) throw new InvalidOperationException($"node {Name} exited ({_process.ExitCode}):\n{Tail()}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"node {Name} did not start in {timeout}:\n{Tail()}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits for the exit, then for the output readers to drain (a timed wait alone can return first).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit();
        return true;
    }

    public string Tail(int lines = 60) => string.Join("\n", Output.Split('\n').TakeLast(lines));

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(5000);
        _process.Dispose();
        var logs = Environment.GetEnvironmentVariable("ATHANOR_TEST_NODE_LOGS");
        if (logs is not null)
        {
            Directory.CreateDirectory(logs);
            File.WriteAllText(Path.Combine(logs, $"{DateTime.UtcNow:HHmmss}-netns-{Name}.log"), Output);
        }
    }
}
