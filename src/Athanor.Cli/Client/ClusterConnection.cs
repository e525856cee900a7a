using System.Security.Cryptography.X509Certificates;
using Athanor.Cli.Commands;
using Athanor.Node.Hosting;
using Athanor.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Athanor.Cli.Client;

/// <summary>One channel to the server with the token attached to every call, and the two service clients.</summary>
public sealed class ClusterConnection : IDisposable
{
    /// <summary>How long a request-response call may take before it is DEADLINE_EXCEEDED.</summary>
    public static readonly TimeSpan UnaryDeadline = TimeSpan.FromSeconds(30);

    private readonly GrpcChannel _channel;
    private readonly Metadata _headers = [];

    public ClusterConnection(ClientSettings settings)
    {
        Settings = settings;
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, KeepAlivePingDelay = TimeSpan.FromSeconds(30), KeepAlivePingTimeout = TimeSpan.FromSeconds(20) };
        if (settings.CaFile is not null)
            handler.SslOptions.RemoteCertificateValidationCallback = TlsFiles.TrustOnly(LoadPem(() => TlsFiles.LoadCertificates(settings.CaFile, "ca_file")));
        if (settings.ClientCertFile is not null)
        {
            if (settings.ClientKeyFile is null) throw new UsageException("client_cert needs client_key in the config file");
            // Through PKCS#12 so that the TLS stack can use the key on every platform.
            using var pem = LoadPem(() => X509Certificate2.CreateFromPemFile(settings.ClientCertFile, settings.ClientKeyFile));
            handler.SslOptions.ClientCertificates = [X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null)];
        }
        _channel = GrpcChannel.ForAddress(settings.Server, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 16 * 1024 * 1024 });
        if (settings.Token is not null) _headers.Add("authorization", "Bearer " + settings.Token);
        Jobs = new JobService.JobServiceClient(_channel);
        Cluster = new ClusterService.ClusterServiceClient(_channel);
    }

    public ClientSettings Settings { get; }

    public JobService.JobServiceClient Jobs { get; }

    public ClusterService.ClusterServiceClient Cluster { get; }

    /// <summary>Options for a request-response call: token, deadline, Ctrl-C.</summary>
    public CallOptions Unary(CancellationToken cancel) => new(_headers, DateTime.UtcNow + UnaryDeadline, cancel);

    /// <summary>Options for a stream that lasts as long as the job: token and Ctrl-C, no deadline.</summary>
    public CallOptions Streaming(CancellationToken cancel) => new(_headers, cancellationToken: cancel);

    public void Dispose() => _channel.Dispose();

    private static T LoadPem<T>(Func<T> load)
    {
        try
        {
            return load();
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new UsageException(ex.Message);
        }
    }
}
