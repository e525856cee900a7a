using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka.Actor;
using Akka.Discovery;
using Akka.Event;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// Akka.Discovery over the Kubernetes API: the running pods that match a label selector, each with the container
/// port of the given name (the contact point). One GET of /api/v1/namespaces/NS/pods?labelSelector=..., with the
/// service account's token, trusting only the service account's CA.
///
/// Why not Akka.Discovery.KubernetesApi: 1.5.73 is built against KubernetesClient 17.0.14 and the package feed
/// serves 19.0.2, whose model constructors changed; its lookup fails with MissingMethodException (tried 2026-11-28).
/// Akka.Discovery creates it by the class named under akka.discovery.athanor-kubernetes; what it looks up comes in a
/// <see cref="KubernetesPodDiscoverySetup"/> (BootstrapWiring adds both).
/// </summary>
public sealed class KubernetesPodDiscovery : ServiceDiscovery
{
    /// <summary>The discovery method's name: bootstrap asks akka.discovery.athanor-kubernetes.</summary>
    public const string MethodName = "athanor-kubernetes";
    public const string InPodDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    private readonly ILoggingAdapter _log;
    private readonly string _labelSelector;
    private readonly string? _namespace;
    private readonly string _caPath;
    private readonly string _tokenPath;
    private readonly string _apiHost;
    private readonly string _apiPort;
    private readonly HttpClient _http;

    public KubernetesPodDiscovery(ExtendedActorSystem system)
    {
        _log = Logging.GetLogger(system, this);
        var setup = system.Settings.Setup.Get<KubernetesPodDiscoverySetup>();
        if (!setup.HasValue) throw new InvalidOperationException("kubernetes discovery: the actor system has no KubernetesPodDiscoverySetup (BootstrapWiring adds it)");
        _labelSelector = setup.Value.LabelSelector;
        _namespace = setup.Value.Namespace is { Length: > 0 } ns ? ns : null;
        _caPath = setup.Value.CaPath ?? Path.Combine(InPodDirectory, "ca.crt");
        _tokenPath = setup.Value.TokenPath ?? Path.Combine(InPodDirectory, "token");
        _apiHost = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST") ?? "";
        _apiPort = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT") ?? "443";
        _http = new HttpClient(new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = TrustsOnlyTheClusterCa } });
    }

    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        if (_apiHost.Length == 0)
            throw new InvalidOperationException("kubernetes discovery: KUBERNETES_SERVICE_HOST is not set (is this node running in a pod?)");
        string ns = _namespace ?? ReadServiceAccountNamespace();
        // The service account token is re-read on every lookup: Kubernetes rotates projected tokens.
        string token = (await File.ReadAllTextAsync(_tokenPath)).Trim();
        var uri = new Uri($"https://{FormatHost(_apiHost)}:{_apiPort}/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods?labelSelector={Uri.EscapeDataString(_labelSelector)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var timeout = new CancellationTokenSource(resolveTimeout);
        using var response = await _http.SendAsync(request, timeout.Token);
        string body = await response.Content.ReadAsStringAsync(timeout.Token);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"kubernetes discovery: GET {uri} answered {(int)response.StatusCode} {response.StatusCode}: {Shorten(body)}" +
                (response.StatusCode == HttpStatusCode.Forbidden ? " (the service account needs list on pods: the chart's Role)" : ""));
        var targets = PodTargets(body, lookup.PortName);
        if (targets.Count == 0) _log.Info("kubernetes discovery: no running pod with label selector [{0}] and a port named [{1}] in namespace [{2}]", _labelSelector, lookup.PortName, ns);
        return new Resolved(lookup.ServiceName, targets);
    }

    /// <summary>Running pods that are not being deleted and have an IP, with their port named <paramref name="portName"/> (if any).</summary>
    public static List<ResolvedTarget> PodTargets(string podListJson, string? portName)
    {
        var targets = new List<ResolvedTarget>();
        using var document = JsonDocument.Parse(podListJson);
        if (!document.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array) return targets;
        foreach (var pod in items.EnumerateArray())
        {
            if (pod.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("deletionTimestamp", out var deleting) && deleting.ValueKind != JsonValueKind.Null) continue;
            if (!pod.TryGetProperty("status", out var status)) continue;
            if (!status.TryGetProperty("phase", out var phase) || phase.GetString() != "Running") continue;
            if (!status.TryGetProperty("podIP", out var ipElement) || !IPAddress.TryParse(ipElement.GetString(), out var ip)) continue;
            int? port = null;
            if (portName is { Length: > 0 } && pod.TryGetProperty("spec", out var spec) && spec.TryGetProperty("containers", out var containers))
                foreach (var container in containers.EnumerateArray())
                    if (container.TryGetProperty("ports", out var ports))
                        foreach (var p in ports.EnumerateArray())
                            if (p.TryGetProperty("name", out var name) && name.GetString() == portName && p.TryGetProperty("containerPort", out var number))
                                port ??= number.GetInt32();
            if (portName is { Length: > 0 } && port is null) continue; // not serving a contact point
            targets.Add(new ResolvedTarget(ip.ToString(), port, ip));
        }
        return targets;
    }

    private string ReadServiceAccountNamespace()
    {
        var path = Path.Combine(InPodDirectory, "namespace");
        return File.Exists(path) ? File.ReadAllText(path).Trim()
            : throw new InvalidOperationException($"kubernetes discovery: no namespace given (--k8s-namespace) and {path} does not exist");
    }

    /// <summary>The API server's certificate must chain to the service account's CA, and to nothing else.</summary>
    private bool TrustsOnlyTheClusterCa(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
        using var trusted = new X509Chain();
        trusted.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        trusted.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(_caPath);
        trusted.ChainPolicy.CustomTrustStore.AddRange(roots);
        if (chain is not null)
            foreach (var element in chain.ChainElements) trusted.ChainPolicy.ExtraStore.Add(element.Certificate);
        bool ok = trusted.Build(new X509Certificate2(certificate));
        // The host name is still checked (SslPolicyErrors.RemoteCertificateNameMismatch): only the trust root is ours.
        return ok && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
    }

    private static string FormatHost(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
