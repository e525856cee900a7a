using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Athanor.Cluster.Tests;

/// <summary>
/// The one Kubernetes API call discovery makes (GET /api/v1/namespaces/NS/pods?labelSelector=...), over HTTPS with
/// a CA of its own, answering only the right bearer token, in the API's PodList JSON. A real API server cannot
/// run on this machine; everything else in the discovery tests (nodes, bootstrap, probes) is real.
/// </summary>
public sealed class KubernetesApiStandIn : IAsyncDisposable
{
    public sealed record Pod(string Name, string Labels, string Phase, string Ip, int HttpPort, bool Deleting = false);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();

    public KubernetesApiStandIn(string folder, string nameSpace, string token, IReadOnlyList<Pod> pods)
    {
        Port = NodeProcess.FreePort();
        CaPath = Path.Combine(folder, "k8s-ca.crt");
        TokenPath = Path.Combine(folder, "k8s-token");
        File.WriteAllText(TokenPath, token + "\n");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kubernetes", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var issued = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(CaPath, issued.ExportCertificatePem());
        var serving = X509CertificateLoader.LoadPkcs12(issued.Export(X509ContentType.Pfx), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port, listen => listen.UseHttps(serving)));
        _app = builder.Build();
        _app.MapGet("/api/v1/namespaces/{ns}/pods", (string ns, HttpRequest http) =>
        {
            string selector = http.Query["labelSelector"].ToString();
            _requests.Enqueue($"{ns} {selector} {http.Headers.Authorization}");
            if (http.Headers.Authorization.ToString() != "Bearer " + token) return Results.StatusCode(401);
            if (ns != nameSpace) return Results.Json(new JsonObject { ["kind"] = "PodList", ["items"] = new JsonArray() });
            var items = new JsonArray();
            foreach (var pod in pods.Where(p => Matches(p.Labels, selector)))
                items.Add(PodJson(pod, ns));
            return Results.Text(new JsonObject { ["kind"] = "PodList", ["apiVersion"] = "v1", ["items"] = items }.ToJsonString(), "application/json");
        });
        _app.StartAsync().GetAwaiter().GetResult();
    }

    public int Port { get; }
    public string CaPath { get; }
    public string TokenPath { get; }
    public IReadOnlyList<string> Requests => _requests.ToList();

    /// <summary>Equality selectors joined by commas (what the chart uses), as the API server reads them.</summary>
    private static bool Matches(string labels, string selector)
    {
        var have = labels.Split(',', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        return selector.Split(',', StringSplitOptions.RemoveEmptyEntries).All(have.Contains);
    }

    private static JsonObject PodJson(Pod pod, string ns) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = pod.Name,
            ["namespace"] = ns,
            ["deletionTimestamp"] = pod.Deleting ? "2026-11-28T00:00:00Z" : null,
        },
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "node",
                ["ports"] = new JsonArray(
                    new JsonObject { ["name"] = "akka", ["containerPort"] = 4053, ["protocol"] = "TCP" },
                    new JsonObject { ["name"] = "http", ["containerPort"] = pod.HttpPort, ["protocol"] = "TCP" }),
            }),
        },
        ["status"] = new JsonObject { ["phase"] = pod.Phase, ["podIP"] = pod.Ip },
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
