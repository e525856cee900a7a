using System.Diagnostics;

namespace Athanor.Cluster.Tests.NetNamespaces;

/// <summary>
/// Hosts with their own network stacks on one machine: one network namespace per host, each joined to a private bridge
/// by a veth pair and given its own address in 192.168.77.0/24 (the root namespace gets none, so labs of concurrent runs
/// never meet). Faults are real: a link set down cuts a host off both ways; a blackhole route drops one direction.
/// Everything made here (namespaces, links) is removed on Dispose, and by the next lab if a test process died first.
/// </summary>
public sealed class NetworkLab : IDisposable
{
    public const string Subnet = "192.168.77";
    private const string Prefix = "athlab";
    private static readonly string StateDir = Path.Combine(Path.GetTempPath(), "athanor-netlabs");
    private readonly string _id = Guid.NewGuid().ToString("N")[..5];
    private readonly List<LabHost> _hosts = [];
    private readonly List<string> _log = [];

    /// <summary>Why the lab cannot run here (not root, no `ip`), or null.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (Environment.UserName != "root") return $"network namespaces need root (running as {Environment.UserName})";
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") && !File.Exists("/bin/ip"))
            return "no `ip` command (iproute2)";
        return null;
    }

    public NetworkLab()
    {
        RemoveStaleLabs();
        Directory.CreateDirectory(StateDir);
        File.WriteAllText(Path.Combine(StateDir, _id), Environment.ProcessId.ToString());
        try
        {
            Ip($"link add {Bridge} type bridge");
            Ip($"link set {Bridge} up");
        }
        catch { Dispose(); throw; }
    }

    private string Bridge => $"{Prefix}{_id}";

    public IReadOnlyList<string> Log { get { lock (_log) return _log.ToList(); } }

    /// <summary>A new host on the bridge at 192.168.77.OCTET, loopback up.</summary>
    public LabHost AddHost(string name, int octet)
    {
        var host = new LabHost(name, $"{Prefix}-{_id}-{name}", $"{Subnet}.{octet}", $"{Prefix[..2]}{_id}{octet}");
        _hosts.Add(host);
        Ip($"netns add {host.Namespace}");
        Ip($"link add {host.Link} type veth peer name {host.Link}p");
        Ip($"link set {host.Link}p netns {host.Namespace}");
        Ip($"link set {host.Link} master {Bridge}");
        Ip($"link set {host.Link} up");
        Ip($"-n {host.Namespace} link set {host.Link}p name eth0");
        Ip($"-n {host.Namespace} addr add {host.Address}/24 dev eth0");
        Ip($"-n {host.Namespace} link set eth0 up");
        Ip($"-n {host.Namespace} link set lo up");
        return host;
    }

    /// <summary>Cuts the host off (its link down: nothing in, nothing out); the process keeps running.</summary>
    public void Cut(LabHost host) => Ip($"link set {host.Link} down");

    public void Restore(LabHost host) => Ip($"link set {host.Link} up");

    /// <summary>Drops every packet from `from` to `to` (a blackhole route in from's stack); the other direction still flows.</summary>
    public void DropOneWay(LabHost from, LabHost to) => Ip($"-n {from.Namespace} route add blackhole {to.Address}/32");

    public void HealOneWay(LabHost from, LabHost to) => Ip($"-n {from.Namespace} route del blackhole {to.Address}/32");

    /// <summary>Splits the hosts into two sides that cannot reach each other; each side's hosts still reach one another (and the rest).</summary>
    public void Split(IReadOnlyList<LabHost> a, IReadOnlyList<LabHost> b)
    {
        foreach (var x in a)
            foreach (var y in b) { DropOneWay(x, y); DropOneWay(y, x); }
    }

    /// <summary>Runs a command inside the host's namespace: `ip netns exec NS ...`.</summary>
    public static ProcessStartInfo Exec(LabHost host, string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "netns", "exec", host.Namespace, program }.Concat(args)) info.ArgumentList.Add(a);
        return info;
    }

    private void Ip(string args)
    {
        var (code, output) = Run("ip", args);
        lock (_log) _log.Add($"ip {args}{(code == 0 ? "" : $" -> {code}: {output.Trim()}")}");
        if (code != 0) throw new InvalidOperationException($"ip {args} failed ({code}): {output.Trim()}");
    }

    private static (int Code, string Output) Run(string program, string args)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    /// <summary>Labs whose test process is gone (killed mid-run) would keep their namespaces: remove them.</summary>
    private static void RemoveStaleLabs()
    {
        if (!Directory.Exists(StateDir)) return;
        foreach (var file in Directory.GetFiles(StateDir))
        {
            if (int.TryParse(File.ReadAllText(file).Trim(), out int pid) && ProcessAlive(pid)) continue;
            RemoveLab(Path.GetFileName(file));
            File.Delete(file);
        }
    }

    private static bool ProcessAlive(int pid)
    {
        try { return !Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return false; }
    }

    private static void RemoveLab(string id)
    {
        var (_, list) = Run("ip", "netns list");
        foreach (var line in list.Split('\n'))
        {
            var ns = line.Split(' ')[0].Trim();
            if (!ns.StartsWith($"{Prefix}-{id}-", StringComparison.Ordinal)) continue;
            KillProcessesIn(ns);
            Run("ip", $"netns del {ns}");
        }
        Run("ip", $"link del {Prefix}{id}");
    }

    /// <summary>Whatever still runs in the namespace (a node a test did not stop) is killed before the namespace goes.</summary>
    private static void KillProcessesIn(string ns)
    {
        var (_, pids) = Run("ip", $"netns pids {ns}");
        foreach (var text in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (int.TryParse(text.Trim(), out int pid))
                try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            KillProcessesIn(host.Namespace);
            Run("ip", $"netns del {host.Namespace}"); // its end of the veth pair goes with it, and so does ours
        }
        Run("ip", $"link del {Bridge}");
        try { File.Delete(Path.Combine(StateDir, _id)); } catch (IOException) { }
    }
}

/// <summary>One host of a <see cref="NetworkLab"/>: its namespace, address and our end of its link.</summary>
public sealed record LabHost(string Name, string Namespace, string Address, string Link);
