using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Athanor.Cluster.Tests;

/// <summary>A throwaway CA and certificates it signs, written as PEM files (what the chart's Secret or cert-manager mounts).</summary>
public sealed class TestCertificates
{
    private readonly X509Certificate2 _ca;

    public TestCertificates(string folder, string name)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        CaFile = Path.Combine(folder, name + "-ca.pem");
        File.WriteAllText(CaFile, _ca.ExportCertificatePem());
    }

    public string Folder { get; }
    public string CaFile { get; }

    /// <summary>A member's certificate and key signed by this CA: (certificate file, key file).</summary>
    public (string Certificate, string Key) Issue(string member)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={member}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var issued = request.Create(_ca, _ca.NotBefore.ToUniversalTime(), _ca.NotAfter.ToUniversalTime().AddMinutes(-1), RandomNumberGenerator.GetBytes(8));
        var cert = Path.Combine(Folder, member + ".pem");
        var keyFile = Path.Combine(Folder, member + ".key");
        File.WriteAllText(cert, issued.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (cert, keyFile);
    }
}
