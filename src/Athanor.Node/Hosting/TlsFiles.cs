using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Athanor.Node.Hosting;

/// <summary>Loads the PEM files of TLS and mutual TLS and checks client certificates against the configured CA.</summary>
public static class TlsFiles
{
    public static X509Certificate2 LoadServerCertificate(string certFile, string keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new ArgumentException($"TLS certificate '{certFile}' with key '{keyFile}' cannot be loaded: {ex.Message}");
        }
    }

    public static X509Certificate2Collection LoadCertificates(string pemFile, string what)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(pemFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"{what} '{pemFile}' cannot be loaded: {ex.Message}");
        }
        if (certificates.Count == 0) throw new ArgumentException($"{what} '{pemFile}' holds no PEM certificate");
        return certificates;
    }

    /// <summary>True when <paramref name="certificate"/> chains to one of <paramref name="trusted"/> (and only those).</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection trusted, bool clientCertificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(clientCertificate ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1"));
        return chain.Build(certificate);
    }

    /// <summary>A validation callback for a server certificate issued by a private CA.</summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2Collection trusted) =>
        (_, certificate, _, errors) =>
        {
            if (certificate is null) return false;
            // The host name must still match; only the trust anchor differs from the system's.
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
            return ChainsTo(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), trusted, clientCertificate: false);
        };
}
