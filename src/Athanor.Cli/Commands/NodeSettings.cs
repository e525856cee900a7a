using Athanor.Cluster.Hosting;
using YamlDotNet.RepresentationModel;

namespace Athanor.Cli.Commands;

/// <summary>
/// The settings of `cluster node`, from three places in increasing precedence: a YAML file (--config),
/// ATHANOR_NODE_* environment variables, and flags. Every key has the same name in all three
/// (host, port, seed, roles, devices, fused-kernels, data-dir, journal, grpc-port, http-port, token-file, data-root, output-root, listen,
/// the discovery keys: discovery, contact-point, required-contact-points, k8s-*; remoting TLS: remoting-tls-cert,
/// remoting-tls-key, remoting-tls-ca; gRPC TLS: tls-cert, tls-key, client-ca).
/// </summary>
public sealed class NodeSettings
{
    public static readonly IReadOnlyList<string> ValueKeys =
        ["host", "port", "seed", "roles", "devices", "fused-kernels", "data-dir", "journal", "grpc-port", "http-port", "token-file", "data-root", "output-root", "listen", "config",
         "discovery", "contact-point", "required-contact-points", "k8s-label-selector", "k8s-namespace", "k8s-port-name",
         "k8s-api-ca-path", "k8s-api-token-path",
         "remoting-tls-cert", "remoting-tls-key", "remoting-tls-ca", "tls-cert", "tls-key", "client-ca"];
    private static readonly HashSet<string> ListKeys = ["seed", "data-root", "contact-point"];

    private readonly Dictionary<string, List<string>> _values = [];

    public static NodeSettings From(ArgumentReader flags, IReadOnlyDictionary<string, string?> environment)
    {
        var settings = new NodeSettings();
        if ((flags.One("--config") ?? environment.GetValueOrDefault("ATHANOR_NODE_CONFIG")) is string file) settings.LoadFile(file);
        foreach (var key in ValueKeys)
            if (environment.GetValueOrDefault("ATHANOR_NODE_" + key.Replace('-', '_').ToUpperInvariant()) is string v && v.Length > 0)
                settings._values[key] = ListKeys.Contains(key) ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() : [v];
        foreach (var key in ValueKeys)
            if (flags.All("--" + key) is { Count: > 0 } given) settings._values[key] = given.ToList();
        return settings;
    }

    private void LoadFile(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"cluster node: --config '{path}' does not exist");
        var yaml = new YamlStream();
        try { using var reader = new StreamReader(path); yaml.Load(reader); }
        catch (YamlDotNet.Core.YamlException ex) { throw new UsageException($"{path}:{ex.Start.Line}: {ex.Message}"); }
        if (yaml.Documents.Count == 0) return;
        if (yaml.Documents[0].RootNode is not YamlMappingNode map) throw new UsageException($"{path}: the top level must be a mapping of node settings");
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!.Replace('_', '-');
            if (key == "seeds") key = "seed";
            if (key == "data-roots") key = "data-root";
            if (key == "contact-points") key = "contact-point";
            if (!ValueKeys.Contains(key) || key == "config")
                throw new UsageException($"{path}: unknown key '{((YamlScalarNode)keyNode).Value}'; accepted: {string.Join(", ", ValueKeys.Where(k => k != "config"))}");
            _values[key] = valueNode switch
            {
                YamlSequenceNode seq => seq.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList(),
                YamlScalarNode s => [s.Value ?? ""],
                _ => throw new UsageException($"{path}: '{key}' must be a value or a list"),
            };
        }
    }

    public string? One(string key) => _values.TryGetValue(key, out var v) && v.Count > 0 ? v[^1] : null;

    public IReadOnlyList<string> All(string key) => _values.TryGetValue(key, out var v) ? v : [];

    public int Int(string key, int fallback, int min, int max)
    {
        if (One(key) is not string text) return fallback;
        return int.TryParse(text, out int n) && n >= min && n <= max ? n
            : throw new UsageException($"cluster node: {key} '{text}' is not valid; accepted: a whole number from {min} to {max}");
    }

    public bool Bool(string key, bool fallback) => One(key) switch
    {
        null => fallback,
        "true" => true,
        "false" => false,
        var text => throw new UsageException($"cluster node: {key} '{text}' is not valid; accepted: true or false"),
    };

    private RemotingTls? RemotingTlsOrExplain()
    {
        try { return RemotingTls.From(One("remoting-tls-cert"), One("remoting-tls-key"), One("remoting-tls-ca")); }
        catch (ArgumentException ex) { throw new UsageException("cluster node: " + ex.Message); }
    }

    public ClusterNodeOptions ToClusterOptions() => new()
    {
        Host = One("host") ?? "127.0.0.1",
        Port = Int("port", 4053, 0, 65535),
        Seeds = All("seed"),
        Roles = (One("roles") ?? "coordinator,worker").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        Devices = One("devices") ?? "cpu:1",
        FusedKernels = Bool("fused-kernels", true),
        RemotingTls = RemotingTlsOrExplain(),
        DataDir = One("data-dir") ?? throw new UsageException("cluster node: --data-dir DIR is required (the node keeps its journal and state there)"),
        Journal = One("journal") ?? "sqlite",
        Discovery = One("discovery") ?? "seeds",
        ContactPoints = All("contact-point"),
        RequiredContactPoints = One("required-contact-points") is null ? null : Int("required-contact-points", 0, 1, 1000),
        HttpPort = One("http-port") is null ? null : Int("http-port", 0, 0, 65535),
        KubernetesLabelSelector = One("k8s-label-selector"),
        KubernetesNamespace = One("k8s-namespace"),
        KubernetesPortName = One("k8s-port-name") ?? "http",
        KubernetesApiCaPath = One("k8s-api-ca-path"),
        KubernetesApiTokenPath = One("k8s-api-token-path"),
    };
}
