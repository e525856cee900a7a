namespace Athanor.Cluster.Hosting;

/// <summary>One cluster member's settings (the flags of `cluster node`), validated in one place.</summary>
public sealed record ClusterNodeOptions
{
    public const string SystemName = "athanor";
    public static readonly IReadOnlyList<string> KnownRoles = ["coordinator", "worker"];
    public static readonly IReadOnlyList<string> DiscoveryMethods = ["seeds", "config", "kubernetes"];

    /// <summary>Address other members and ring peers reach this node at.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>Akka remoting port (0: any free port).</summary>
    public int Port { get; init; } = 4053;
    /// <summary>HOST:PORT of seed nodes; empty: this node starts a new cluster.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];
    public IReadOnlyList<string> Roles { get; init; } = ["coordinator", "worker"];
    /// <summary>"cpu:N", "cuda", or "cuda:0,1".</summary>
    public string Devices { get; init; } = "cpu:1";
    public required string DataDir { get; init; }
    /// <summary>false: no fused CUDA kernels run on this node whatever the job says (it enters each rank's group fingerprint).</summary>
    public bool FusedKernels { get; init; } = true;
    /// <summary>Akka remoting over mutual TLS with the cluster's CA (--remoting-tls-*); null: plaintext remoting.</summary>
    public RemotingTls? RemotingTls { get; init; }
    /// <summary>"sqlite" (DATA_DIR/journal.db), "sqlite:PATH", or "postgres:CONNECTION-STRING".</summary>
    public string Journal { get; init; } = "sqlite";
    /// <summary>How long the survivors wait before downing an unreachable node (Split Brain Resolver's stable-after).</summary>
    public TimeSpan DowningStableAfter { get; init; } = TimeSpan.FromSeconds(7);
    /// <summary>How long a SIGTERM waits for running ranks to checkpoint before leaving.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>
    /// How members find each other: "seeds" (the --seed list), or Akka.Management Cluster Bootstrap over Akka.Discovery:
    /// "config" (a fixed --contact-point list) or "kubernetes" (the API server's list of the release's pods).
    /// </summary>
    public string Discovery { get; init; } = "seeds";
    /// <summary>HOST:HTTP-PORT of every member's contact point (discovery "config").</summary>
    public IReadOnlyList<string> ContactPoints { get; init; } = [];
    /// <summary>How many contact points must answer before the lowest one may found a new cluster (null: all listed ones for "config", 2 for "kubernetes").</summary>
    public int? RequiredContactPoints { get; init; }
    /// <summary>This node's HTTP port: its contact point for bootstrap (and /health, /metrics).</summary>
    public int? HttpPort { get; init; }
    /// <summary>Label selector of the cluster's pods (discovery "kubernetes"), e.g. app.kubernetes.io/instance=athanor.</summary>
    public string? KubernetesLabelSelector { get; init; }
    /// <summary>The pods' namespace; null: the service account's own namespace.</summary>
    public string? KubernetesNamespace { get; init; }
    /// <summary>Name of the container port that serves the contact point (the chart's "http").</summary>
    public string KubernetesPortName { get; init; } = "http";
    /// <summary>The API server's CA bundle and the service account token; null: Kubernetes' in-pod paths.</summary>
    public string? KubernetesApiCaPath { get; init; }
    public string? KubernetesApiTokenPath { get; init; }
    /// <summary>How long the discovered contact points must stay the same before a new cluster is founded (Akka's stable-margin).</summary>
    public TimeSpan BootstrapStableMargin { get; init; } = TimeSpan.FromSeconds(5);

    public bool UsesBootstrap => Discovery != "seeds";
    /// <summary>The scheme of member addresses: Akka names remoting over TLS akka.ssl.tcp, so a plaintext node cannot even address a TLS member.</summary>
    public string RemotingProtocol => RemotingTls is null ? "akka.tcp" : "akka.ssl.tcp";
    public int EffectiveRequiredContactPoints => RequiredContactPoints ?? (Discovery == "config" ? ContactPoints.Count : 2);

    public static readonly IReadOnlyList<string> LogLevels = ["DEBUG", "INFO", "WARNING", "ERROR"];

    /// <summary>Akka's log level (DEBUG, INFO, WARNING, ERROR); the embedded node of `cluster train` keeps quiet.</summary>
    public string LogLevel { get; init; } = "INFO";

    public Akka.Event.LogLevel AkkaLogLevel => LogLevel switch
    {
        "DEBUG" => Akka.Event.LogLevel.DebugLevel,
        "INFO" => Akka.Event.LogLevel.InfoLevel,
        "WARNING" => Akka.Event.LogLevel.WarningLevel,
        "ERROR" => Akka.Event.LogLevel.ErrorLevel,
        _ => throw new ArgumentException($"log level '{LogLevel}' is not valid; accepted: {string.Join(", ", LogLevels)}"),
    };

    public bool IsCoordinator => Roles.Contains("coordinator");
    public bool IsWorker => Roles.Contains("worker");

    public (string Kind, int Slots, string[] Devices) ParseDevices()
    {
        var text = Devices.Trim();
        if (text.StartsWith("cpu:", StringComparison.Ordinal) && int.TryParse(text[4..], out int n) && n >= 1)
            return ("cpu", n, Enumerable.Range(0, n).Select(i => $"cpu:{i}").ToArray());
        if (text == "cpu") return ("cpu", 1, ["cpu:0"]);
        if (text == "cuda")
        {
            // Every GPU the CUDA runtime sees (CUDA_VISIBLE_DEVICES applies): one slot each.
            int count = Athanor.Native.Cuda.CudaRuntime.TryDeviceCount(out var reason);
            if (count == 0) throw new ArgumentException($"--devices cuda: no GPU found ({reason}); accepted here: cpu:N");
            return ("cuda", count, Enumerable.Range(0, count).Select(i => $"cuda:{i}").ToArray());
        }
        if (text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            var indexes = text[5..].Split(',');
            if (indexes.All(i => int.TryParse(i, out int v) && v >= 0) && indexes.Distinct().Count() == indexes.Length)
                return ("cuda", indexes.Length, indexes.Select(i => $"cuda:{int.Parse(i)}").ToArray());
        }
        throw new ArgumentException($"--devices '{Devices}' is not valid; accepted: cpu:N (N >= 1), cuda, cuda:0,1");
    }

    public (string Provider, string ConnectionString) ParseJournal()
    {
        if (Journal == "sqlite") return ("SQLite.MS", $"Data Source={Path.Combine(DataDir, "journal.db")}");
        if (Journal.StartsWith("sqlite:", StringComparison.Ordinal)) return ("SQLite.MS", $"Data Source={Journal[7..]}");
        if (Journal.StartsWith("postgres:", StringComparison.Ordinal)) return ("PostgreSQL.15", Journal[9..]);
        throw new ArgumentException($"--journal '{Journal}' is not valid; accepted: sqlite, sqlite:PATH, postgres:CONNECTION-STRING");
    }

    /// <summary>Checks every setting, creating the data dir; throws ArgumentException with one line naming the flag.</summary>
    public ClusterNodeOptions Validated()
    {
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port {Port} is out of range; accepted: 0 to 65535");
        _ = AkkaLogLevel;
        foreach (var role in Roles)
            if (!KnownRoles.Contains(role)) throw new ArgumentException($"--roles: '{role}' is not a role; accepted: {string.Join(", ", KnownRoles)}");
        if (Roles.Count == 0) throw new ArgumentException("--roles is empty; accepted: coordinator, worker or both");
        foreach (var seed in Seeds)
            if (!TryParseHostPort(seed, out _, out _)) throw new ArgumentException($"--seed '{seed}' is not HOST:PORT");
        ValidateDiscovery();
        _ = RemotingTls?.Load(); // unreadable or mismatched certificate files stop the node here, naming the file
        if (IsWorker) ParseDevices();
        ParseJournal();
        try
        {
            Directory.CreateDirectory(DataDir);
            var probe = Path.Combine(DataDir, $".write-test-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--data-dir '{DataDir}' is not writable: {ex.Message}");
        }
        return this;
    }

    private void ValidateDiscovery()
    {
        if (!DiscoveryMethods.Contains(Discovery))
            throw new ArgumentException($"--discovery '{Discovery}' is not valid; accepted: {string.Join(", ", DiscoveryMethods)}");
        if (!UsesBootstrap)
        {
            if (ContactPoints.Count > 0) throw new ArgumentException("--contact-point needs --discovery config (with --discovery seeds, members are found through --seed)");
            return;
        }
        if (Seeds.Count > 0)
            throw new ArgumentException($"--seed and --discovery {Discovery} exclude each other: a bootstrapped node finds its seeds itself; give one or the other");
        if (HttpPort is not (> 0 and <= 65535))
            throw new ArgumentException($"--discovery {Discovery} needs --http-port P (1 to 65535): other members probe this node's contact point there");
        if (RequiredContactPoints is < 1)
            throw new ArgumentException($"--required-contact-points {RequiredContactPoints} is not valid; accepted: 1 or more");
        if (Discovery == "config")
        {
            if (ContactPoints.Count == 0)
                throw new ArgumentException("--discovery config needs --contact-point HOST:HTTP-PORT for every member (repeatable), this node's own included");
            foreach (var point in ContactPoints)
                if (!TryParseHostPort(point, out _, out _)) throw new ArgumentException($"--contact-point '{point}' is not HOST:HTTP-PORT");
            if (!ContactPoints.Contains($"{Host}:{HttpPort}"))
                throw new ArgumentException($"--contact-point list ({string.Join(", ", ContactPoints)}) must include this node's own {Host}:{HttpPort} (--host:--http-port)");
            if (EffectiveRequiredContactPoints > ContactPoints.Count)
                throw new ArgumentException($"--required-contact-points {EffectiveRequiredContactPoints} is more than the {ContactPoints.Count} contact point(s) listed; accepted: 1 to {ContactPoints.Count}");
        }
        if (Discovery == "kubernetes" && string.IsNullOrWhiteSpace(KubernetesLabelSelector))
            throw new ArgumentException("--discovery kubernetes needs --k8s-label-selector (e.g. app.kubernetes.io/instance=athanor): it picks the cluster's pods");
        foreach (var (flag, path) in new[] { ("--k8s-api-ca-path", KubernetesApiCaPath), ("--k8s-api-token-path", KubernetesApiTokenPath) })
            if (path is not null && !File.Exists(path))
                throw new ArgumentException($"{flag} '{path}' does not exist; accepted: the file of the API server's CA bundle / the service account token " +
                    $"(default: the files Kubernetes mounts in the pod, under {KubernetesPodDiscovery.InPodDirectory})");
    }

    public static bool TryParseHostPort(string text, out string host, out int port)
    {
        host = "";
        port = 0;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out port) || port is < 1 or > 65535) return false;
        host = text[..colon];
        return true;
    }
}
