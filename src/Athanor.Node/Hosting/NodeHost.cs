using System.Net;
using Athanor.Node.Backend;
using Athanor.Node.Security;
using Athanor.Node.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Athanor.Node.Hosting;

/// <summary>
/// The node's gRPC server: Kestrel on one port (HTTP/2, cleartext or TLS/mTLS), JobService and
/// ClusterService over an <see cref="IJobBackend"/>, bearer-token authentication, path roots,
/// message size limits, the gRPC health service and reflection.
/// </summary>
public sealed class NodeHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _disposed;

    private NodeHost(WebApplication app, IJobBackend backend, bool tls)
    {
        _app = app;
        Backend = backend;
        UsesTls = tls;
    }

    public IJobBackend Backend { get; }

    public bool UsesTls { get; }

    /// <summary>Where clients reach the server, e.g. http://127.0.0.1:50051 (known after <see cref="StartAsync"/>).</summary>
    public Uri Address { get; private set; } = new("http://unstarted");

    /// <summary>Checks <paramref name="options"/> as <see cref="Build"/> does, before a caller creates anything for the host.</summary>
    public static void Check(NodeOptions options) => Checked(options);

    /// <summary>
    /// Builds a host from <paramref name="options"/> over <paramref name="backend"/>, which the caller owns; throws
    /// ArgumentException with a one-line message for bad options (missing token, roots that do not exist, unreadable certificates).
    /// </summary>
    public static NodeHost Build(NodeOptions options, IJobBackend backend)
    {
        var (token, paths, listenAddress, certificate, clientCas) = Checked(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "athanor-node" });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(listenAddress, options.GrpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is null) return;
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = certificate;
                    if (clientCas is null) return;
                    https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                    https.ClientCertificateValidation = (client, _, _) => TlsFiles.ChainsTo(client, clientCas, clientCertificate: true);
                });
            });
        });

        var services = builder.Services;
        services.AddSingleton(backend);
        services.AddSingleton(token);
        services.AddSingleton(paths);
        services.AddSingleton<SubmissionValidator>();
        services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = options.MaxReceiveMessageBytes;
            grpc.MaxSendMessageSize = options.MaxSendMessageBytes;
            grpc.Interceptors.Add<ErrorMappingInterceptor>();
        });
        services.AddGrpcHealthChecks().AddCheck("job-backend", () => HealthCheckResult.Healthy());
        services.AddGrpcReflection();

        var app = builder.Build();
        app.UseMiddleware<BearerTokenMiddleware>(); // before anything reads a body
        app.UseMiddleware<RequestBodyGate>(options.MaxReceiveMessageBytes);
        app.MapGrpcService<JobGrpcService>();
        app.MapGrpcService<ClusterGrpcService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        return new NodeHost(app, backend, certificate is not null);
    }

    private static (BearerToken Token, PathPolicy Paths, IPAddress Listen, System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection? ClientCas) Checked(NodeOptions options)
    {
        var token = options.Token is not null ? new BearerToken(options.Token)
            : options.TokenFile is not null ? BearerToken.FromFile(options.TokenFile)
            : throw new ArgumentException("a bearer token is required: --token-file FILE (a file holding a random secret, e.g. `openssl rand -hex 32`)");
        var paths = new PathPolicy(options.DataRoots, options.OutputRoot, options.ReservedOutputFolders);
        if (!IPAddress.TryParse(options.ListenAddress, out var listenAddress))
            throw new ArgumentException($"listen address '{options.ListenAddress}' is not an IP address; accepted e.g. 127.0.0.1, 0.0.0.0, ::");
        if (options.GrpcPort is < 0 or > 65535) throw new ArgumentException($"gRPC port {options.GrpcPort} is out of range; accepted: 0 (any free port) to 65535");
        if ((options.TlsCertificateFile is null) != (options.TlsKeyFile is null))
            throw new ArgumentException("TLS needs both a certificate and its key (--tls-cert and --tls-key)");
        if (options.TlsClientCaFile is not null && options.TlsCertificateFile is null)
            throw new ArgumentException("mutual TLS (--client-ca) needs TLS (--tls-cert and --tls-key)");
        var certificate = options.TlsCertificateFile is null ? null : TlsFiles.LoadServerCertificate(options.TlsCertificateFile, options.TlsKeyFile!);
        var clientCas = options.TlsClientCaFile is null ? null : TlsFiles.LoadCertificates(options.TlsClientCaFile, "client CA file");
        return (token, paths, listenAddress, certificate, clientCas);
    }

    public async Task StartAsync(CancellationToken cancel = default)
    {
        await _app.StartAsync(cancel).ConfigureAwait(false);
        var bound = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Address = new Uri(bound);
    }

    /// <summary>Completes when the host stops (or <paramref name="cancel"/> fires).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    /// <summary>Stops listening (open watches end); the backend is its owner's to stop.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException) { } // never started
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
