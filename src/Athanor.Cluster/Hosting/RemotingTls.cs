using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Hosting;

namespace Athanor.Cluster.Hosting;

/// <summary>
/// Mutually authenticated TLS for Akka remoting: every member presents a certificate signed by the cluster's CA and
/// accepts only peers whose certificate chains to that same CA (not the system's trust store: a certificate any public
/// CA signed must not let a stranger join). Hostnames are not checked: pods come and go under new addresses, and the
/// CA, which only the cluster's members hold a certificate of, is what says who belongs.
/// </summary>
public sealed record RemotingTls(string CertificatePath, string KeyPath, string CaPath)
{
    /// <summary>The three flags together, or none: a half-configured TLS is refused rather than guessed.</summary>
    public static RemotingTls? From(string? certificate, string? key, string? ca)
    {
        var given = new[] { certificate, key, ca }.Count(v => !string.IsNullOrEmpty(v));
        if (given == 0) return null;
        if (given < 3)
            throw new ArgumentException("remoting TLS needs all three of --remoting-tls-cert, --remoting-tls-key and --remoting-tls-ca " +
                $"(PEM files); given: {string.Join(", ", new[] { ("cert", certificate), ("key", key), ("ca", ca) }.Where(p => !string.IsNullOrEmpty(p.Item2)).Select(p => p.Item1))}");
        return new RemotingTls(certificate!, key!, ca!);
    }

    /// <summary>Loads the files (a clear error naming the file that is missing or not PEM) and returns the remoting's SSL options.</summary>
    public SslOptions Load()
    {
        var certificate = Read(CertificatePath, "certificate", () => X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath));
        if (!certificate.HasPrivateKey) throw new ArgumentException($"remoting TLS: {KeyPath} holds no private key for {CertificatePath}");
        // The key must live in a key store SslStream can use for the server side: a PKCS#12 round trip puts it there.
        certificate = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        var authority = new X509Certificate2Collection();
        Read(CaPath, "CA", () => { authority.ImportFromPemFile(CaPath); return authority; });
        if (authority.Count == 0) throw new ArgumentException($"remoting TLS: {CaPath} holds no PEM certificate (the cluster's CA)");
        return new SslOptions
        {
            X509Certificate = certificate,
            SuppressValidation = false,
            RequireMutualAuthentication = true,
            ValidateCertificateHostname = false,
            CustomValidator = (peer, _, remote, errors, log) => Trusted(peer, authority, remote, errors, log),
        };
    }

    /// <summary>Whether a peer's certificate chains to the cluster's CA (and is valid now).</summary>
    public static bool Trusted(X509Certificate2? peer, X509Certificate2Collection authority, string remote, SslPolicyErrors errors, ILoggingAdapter? log)
    {
        if (peer is null)
        {
            log?.Warning("remoting TLS: {0} presented no certificate; refused", remote);
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck; // a private CA publishes no revocation list
        if (chain.Build(peer)) return true;
        log?.Warning("remoting TLS: {0}'s certificate [{1}] does not chain to the cluster's CA ({2}); refused", remote, peer.Subject,
            string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())));
        return false;
    }

    private static T Read<T>(string path, string what, Func<T> load)
    {
        if (!File.Exists(path)) throw new ArgumentException($"remoting TLS: the {what} file {path} does not exist");
        try { return load(); }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new ArgumentException($"remoting TLS: {path} is not a usable PEM {what}: {ex.Message}", ex);
        }
    }
}
