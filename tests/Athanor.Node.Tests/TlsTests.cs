using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Athanor.Node.Hosting;
using Athanor.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Athanor.Node.Tests;

/// <summary>TLS and mutual TLS with certificates from a private CA made for the test.</summary>
public class TlsTests
{
    private sealed record Pki(string CaFile, string ServerCert, string ServerKey, X509Certificate2 Client, X509Certificate2Collection Ca);

    private static Pki MakePki(string folder)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=athanor test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        X509Certificate2 Issue(string name, string eku, bool server)
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
            if (server)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(IPAddress.Loopback);
                san.AddDnsName("localhost");
                request.CertificateExtensions.Add(san.Build());
            }
            using var issued = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
            return issued.CopyWithPrivateKey(key);
        }

        var server = Issue("localhost", "1.3.6.1.5.5.7.3.1", server: true);
        var client = Issue("athanor client", "1.3.6.1.5.5.7.3.2", server: false);
        var caFile = Path.Combine(folder, "ca.pem");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "server.key"), server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        // The client certificate goes through PKCS#12 so SslStream can use its key on Linux.
        var clientPfx = X509CertificateLoader.LoadPkcs12(client.Export(X509ContentType.Pkcs12), null);
        return new Pki(caFile, Path.Combine(folder, "server.pem"), Path.Combine(folder, "server.key"), clientPfx,
            [X509CertificateLoader.LoadCertificate(ca.RawData)]);
    }

    private static async Task<(TestNode Node, Pki Pki)> StartTls(bool mutual)
    {
        Pki? pki = null;
        var node = await TestNode.StartAsync((root, o) =>
        {
            pki = MakePki(root);
            return new NodeOptions
            {
                GrpcPort = 0, TokenFile = o.TokenFile, DataRoots = o.DataRoots, OutputRoot = o.OutputRoot,
                TlsCertificateFile = pki.ServerCert, TlsKeyFile = pki.ServerKey, TlsClientCaFile = mutual ? pki.CaFile : null,
            };
        });
        return (node, pki!);
    }

    private static GrpcChannelOptions Trusting(Pki pki, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = TlsFiles.TrustOnly(pki.Ca);
        if (clientCertificate is not null) handler.SslOptions.ClientCertificates = [clientCertificate];
        return new GrpcChannelOptions { HttpHandler = handler };
    }

    [Fact]
    public async Task ATlsNodeServesClientsThatTrustItsCa()
    {
        var (node, pki) = await StartTls(mutual: false);
        await using var _ = node;
        Assert.Equal("https", node.Host.Address.Scheme);
        var jobs = new JobService.JobServiceClient(node.Channel(options: Trusting(pki, null)));
        Assert.Empty((await jobs.ListJobsAsync(new ListJobsRequest())).Jobs);

        // A client that trusts only the system's CAs refuses the node's certificate.
        var strict = new JobService.JobServiceClient(node.Channel());
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await strict.ListJobsAsync(new ListJobsRequest()));
        Assert.Contains(ex.StatusCode, new[] { StatusCode.Unavailable, StatusCode.Internal });
        Assert.Contains("SSL", ex.Status.DebugException?.ToString() ?? ex.Status.Detail);
    }

    [Fact]
    public async Task AMutualTlsNodeRefusesClientsWithoutACertificateFromItsCa()
    {
        var (node, pki) = await StartTls(mutual: true);
        await using var _ = node;
        var withCertificate = new JobService.JobServiceClient(node.Channel(options: Trusting(pki, pki.Client)));
        Assert.Empty((await withCertificate.ListJobsAsync(new ListJobsRequest())).Jobs);

        var without = new JobService.JobServiceClient(node.Channel(options: Trusting(pki, null)));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await without.ListJobsAsync(new ListJobsRequest()));
        Assert.NotEqual(StatusCode.OK, ex.StatusCode);

        using var otherKey = ECDsa.Create();
        using var stranger = new CertificateRequest("CN=stranger", otherKey, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var strangerPfx = X509CertificateLoader.LoadPkcs12(stranger.Export(X509ContentType.Pkcs12), null);
        var foreign = new JobService.JobServiceClient(node.Channel(options: Trusting(pki, strangerPfx)));
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await foreign.ListJobsAsync(new ListJobsRequest()));
        Assert.NotEqual(StatusCode.OK, refused.StatusCode);
    }
}
