using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Athanor.Chart.Tests;

/// <summary>Certificates out of a rendered Secret (base64 PEM values), checked the way a TLS peer would check them.</summary>
internal static class Pem
{
    /// <summary>A key of the Secret's data as written (base64); keys such as tls.crt hold dots, so not through Manifest.Text.</summary>
    public static string Data(Manifest secret, string key) => Manifest.Strings(secret.Map("data"))[key];

    public static string Decode(Manifest secret, string key) => Encoding.UTF8.GetString(Convert.FromBase64String(Data(secret, key)));

    public static X509Certificate2 Certificate(Manifest secret, string key) => X509Certificate2.CreateFromPem(Decode(secret, key));

    /// <summary>The certificate with its private key, as a member loads --remoting-tls-cert and --remoting-tls-key.</summary>
    public static X509Certificate2 WithKey(Manifest secret) => X509Certificate2.CreateFromPem(Decode(secret, "tls.crt"), Decode(secret, "tls.key"));

    public static bool IsCa(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().SingleOrDefault()?.CertificateAuthority == true;

    /// <summary>Whether <paramref name="leaf"/> chains to <paramref name="root"/> alone (the system store not consulted).</summary>
    public static (bool Valid, string Status) ChainsTo(X509Certificate2 leaf, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        bool valid = chain.Build(leaf);
        return (valid, string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation}")));
    }

    public static IReadOnlyList<string> ExtendedKeyUsages(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().SelectMany(e => e.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>())
            .Select(o => o.Value!).ToList();

    public const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuth = "1.3.6.1.5.5.7.3.2";
}
