using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Athanor.Chart.Tests;

/// <summary>
/// The chart's start script (files/start-node.sh) run as a pod runs it, with the real `cluster node`:
/// pod 0 founds the cluster, pod 1 resolves pod 0's name into its address and joins. Two loopback
/// addresses (127.0.0.1 and 127.0.0.2) stand in for the pod IPs, so both members use the same ports.
/// </summary>
public sealed class StartScriptTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "athanor-chart-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly List<Process> _processes = [];

    public StartScriptTests() => Directory.CreateDirectory(_root);

    [Fact]
    public async Task Pod_zero_founds_the_cluster_and_pod_one_joins_it_through_its_resolved_name()
    {
        int akka = FreePort(), http = FreePort();
        // "localhost" stands for pod 0's DNS name: the script must resolve it into 127.0.0.1.
        const string peers = "127.0.0.2";
        var (pod0, out0) = StartPod("athanor-0", "127.0.0.1", peers, akka, http);
        var ready0 = await WaitReady("127.0.0.1", http, pod0, out0);
        Assert.Contains($"akka.tcp://athanor@127.0.0.1:{akka} is Up", ready0);

        var (pod1, out1) = StartPod("athanor-1", "127.0.0.2", peers, akka, http);
        var ready1 = await WaitReady("127.0.0.2", http, pod1, out1);
        Assert.Contains($"akka.tcp://athanor@127.0.0.2:{akka} is Up", ready1);
        lock (out1) Assert.Contains($"seeds 127.0.0.1:{akka}", out1.ToString());
    }

    [Fact]
    public void A_pod_name_without_an_ordinal_is_refused()
    {
        var (code, _, stderr) = ChartRenderer.Exec("/bin/sh", [Script],
            new Dictionary<string, string> { ["POD_NAME"] = "athanor", ["POD_IP"] = "127.0.0.1", ["ATHANOR_FIRST_POD_NAME"] = "localhost", ["ATHANOR_PEER_NAMES"] = "localhost", ["ATHANOR_CLUSTER"] = "/bin/false" });
        Assert.Equal(2, code);
        Assert.Contains("POD_NAME 'athanor' does not end in -ORDINAL", stderr);
    }

    [Fact]
    public void Pod_zero_lists_itself_first_then_every_member_address_it_resolves()
    {
        // The member names stand for the headless Service, whose name resolves to every pod (itself included).
        var (code, stdout, stderr) = RunScript("demo-athanor-0", "127.0.0.9", first: "pod0.invalid", members: "127.0.0.4,no-such-pod.invalid,127.0.0.9,127.0.0.2");
        Assert.True(code == 0, stderr);
        Assert.Equal("host=127.0.0.9 seeds=127.0.0.9:4053,127.0.0.4:4053,127.0.0.2:4053 args=node --port=4053", stdout.Trim());
    }

    [Fact]
    public void Another_pod_lists_pod_zero_first_once_then_the_other_members()
    {
        var (code, stdout, stderr) = RunScript("demo-athanor-3", "127.0.0.3", first: "127.0.0.1", members: "127.0.0.2,127.0.0.1,127.0.0.3,127.0.0.2");
        Assert.True(code == 0, stderr);
        Assert.Equal("host=127.0.0.3 seeds=127.0.0.1:4053,127.0.0.2:4053 args=node --port=4053", stdout.Trim());
    }

    [Fact]
    public void Without_pod_zero_another_pod_waits_then_joins_the_members_it_found()
    {
        var (code, stdout, stderr) = RunScript("demo-athanor-2", "127.0.0.3", first: "pod0.invalid", members: "127.0.0.2", wait: 2);
        Assert.True(code == 0, stderr);
        Assert.Contains("pod 0 has no address after 2s; joining the members found: 127.0.0.2:4053", stderr);
        Assert.Equal("host=127.0.0.3 seeds=127.0.0.2:4053 args=node --port=4053", stdout.Trim());
    }

    // The script with `echo` in place of the executable: it shows the seeds the node would get (the environment it exports).
    private (int, string, string) RunScript(string pod, string ip, string first, string members, int wait = 120)
    {
        string probe = Path.Combine(_root, "print-env.sh");
        File.WriteAllText(probe, "#!/bin/sh\necho \"host=$ATHANOR_NODE_HOST seeds=$ATHANOR_NODE_SEED args=$*\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(probe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return ChartRenderer.Exec("/bin/sh", [Script, "--port=4053"], new Dictionary<string, string>
        {
            ["POD_NAME"] = pod, ["POD_IP"] = ip, ["ATHANOR_FIRST_POD_NAME"] = first, ["ATHANOR_PEER_NAMES"] = members,
            ["ATHANOR_AKKA_PORT"] = "4053", ["ATHANOR_SEED_WAIT_SECONDS"] = wait.ToString(), ["ATHANOR_CLUSTER"] = probe,
        });
    }

    private static string Script => Path.Combine(ChartRenderer.ChartDir, "files", "start-node.sh");

    private (Process, StringBuilder) StartPod(string name, string ip, string peers, int akka, int http)
    {
        string dir = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.Combine(dir, "data"));
        Directory.CreateDirectory(Path.Combine(dir, "runs"));
        File.WriteAllText(Path.Combine(dir, "token"), "test-token-0123456789");
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Script, $"--port={akka}", "--roles=coordinator,worker", "--devices=cpu:1", $"--data-dir={dir}/state",
                     "--grpc-port=0", $"--listen={ip}", $"--http-port={http}", $"--token-file={dir}/token", $"--data-root={dir}/data", $"--output-root={dir}/runs" })
            info.ArgumentList.Add(a);
        info.Environment["POD_NAME"] = name;
        info.Environment["POD_IP"] = ip;
        info.Environment["ATHANOR_FIRST_POD_NAME"] = "localhost";
        info.Environment["ATHANOR_PEER_NAMES"] = peers;
        info.Environment["ATHANOR_AKKA_PORT"] = akka.ToString();
        info.Environment["ATHANOR_CLUSTER"] = ChartRenderer.ClusterAppHost;
        info.Environment["ATHANOR_NODE_JOURNAL"] = $"sqlite:{_root}/journal.db"; // one machine: a shared SQLite journal
        info.Environment["DOTNET_ROOT"] = DotnetRoot();
        var process = Process.Start(info)!;
        _processes.Add(process);
        var output = new StringBuilder();
        process.OutputDataReceived += (_, d) => { if (d.Data is not null) lock (output) output.AppendLine(d.Data); };
        process.ErrorDataReceived += (_, d) => { if (d.Data is not null) lock (output) output.AppendLine(d.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    private static async Task<string> WaitReady(string ip, int port, Process process, StringBuilder output)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) break;
            try
            {
                var response = await http.GetAsync($"http://{ip}:{port}/health/ready");
                last = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK) return last;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(300);
        }
        lock (output) throw new TimeoutException($"{ip}:{port} did not become ready (last answer '{last.Trim()}'); output:\n{output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The apphost finds the runtime through DOTNET_ROOT: the one running these tests.
    private static string DotnetRoot() =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
