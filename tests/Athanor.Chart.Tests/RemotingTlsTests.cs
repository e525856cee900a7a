using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>
/// Issue 28, the wire: Akka remoting over mutual TLS by default, with certificates from a Secret the chart generates
/// (a self-signed CA and a member certificate, kept across upgrades), cert-manager fills, or the platform team made.
/// </summary>
public sealed class RemotingTlsTests
{
    private const string SecretTemplate = "athanor/templates/secret-remoting-tls.yaml";
    private const string Dir = "/etc/athanor/remoting-tls";

    private const string Journal = ChartValues.JournalSecret + "\n";
    private static Manifest Node(Rendered r) => r.One("StatefulSet");
    private static IReadOnlyList<string> Args(Rendered r) => Node(r).Texts("spec.template.spec.containers.0.args");
    private static Manifest GeneratedSecret(Rendered r) => r.All("Secret").Single(s => s.Source == SecretTemplate);
    private static string Checksum(Rendered r) => Manifest.Strings(Node(r).Map("spec.template.metadata.annotations"))["checksum/remoting-tls"];

    private static YamlMappingNode Volume(Rendered r, string name) => Yaml.Named(Node(r).List("spec.template.spec.volumes"), name);

    [Fact]
    public void It_is_on_by_default_the_flags_name_the_files_of_a_read_only_mount_and_the_ca_key_is_never_mounted()
    {
        var r = ChartRenderer.Render(Journal);
        Assert.Contains($"--remoting-tls-cert={Dir}/tls.crt", Args(r));
        Assert.Contains($"--remoting-tls-key={Dir}/tls.key", Args(r));
        Assert.Contains($"--remoting-tls-ca={Dir}/ca.crt", Args(r));

        var mount = Yaml.Named(Node(r).List("spec.template.spec.containers.0.volumeMounts"), "remoting-tls");
        Assert.Equal(Dir, Yaml.Scalar(mount, "mountPath"));
        Assert.Equal("true", Yaml.Scalar(mount, "readOnly"));
        var secret = (YamlMappingNode)Volume(r, "remoting-tls")["secret"];
        Assert.Equal("demo-athanor-remoting", Yaml.Scalar(secret, "secretName"));
        Assert.Equal("0440", Yaml.Scalar(secret, "defaultMode"));
        var keys = ((YamlSequenceNode)secret["items"]).Select(i => Yaml.Scalar(i, "key")).ToList();
        Assert.Equal(["tls.crt", "tls.key", "ca.crt"], keys);

        var generated = GeneratedSecret(r);
        Assert.Equal("demo-athanor-remoting", generated.Name);
        Assert.Equal("kubernetes.io/tls", generated.Text("type"));
        Assert.Contains("ca.key", Manifest.Strings(generated.Map("data")).Keys); // kept for rotation, not in the volume's items
    }

    [Fact]
    public void The_generated_ca_is_a_ca_and_the_member_certificate_with_its_key_chains_to_it_for_both_tls_roles()
    {
        var secret = GeneratedSecret(ChartRenderer.Render(Journal));
        using var ca = Pem.Certificate(secret, "ca.crt");
        using var member = Pem.WithKey(secret);

        Assert.True(Pem.IsCa(ca));
        Assert.False(Pem.IsCa(member));
        Assert.True(member.HasPrivateKey);
        Assert.Equal("CN=demo-athanor-ca", ca.Subject);
        Assert.Equal("CN=demo-athanor-member", member.Subject);
        Assert.Equal(ca.Subject, member.Issuer);
        var (valid, status) = Pem.ChainsTo(member, ca);
        Assert.True(valid, status);
        // Mutual TLS: every member is a server to its peers and a client of them.
        Assert.Contains(Pem.ServerAuth, Pem.ExtendedKeyUsages(member));
        Assert.Contains(Pem.ClientAuth, Pem.ExtendedKeyUsages(member));
        Assert.InRange(member.NotAfter, DateTime.Now.AddDays(3640), DateTime.Now.AddDays(3660));

        // A certificate of another install's CA does not chain: a stranger's member certificate is refused.
        using var otherCa = Pem.Certificate(GeneratedSecret(ChartRenderer.Render(Journal)), "ca.crt");
        Assert.False(Pem.ChainsTo(member, otherCa).Valid);
    }

    [Fact]
    public void The_generated_certificates_are_kept_across_upgrades_and_the_checksum_stays()
    {
        var install = ChartRenderer.Render(Journal);
        string stored = install.Sources[SecretTemplate];

        var upgrade = ChartRenderer.RenderUpgrade(Journal + "replicaCount: 5\n", stored);
        Assert.Equal(Manifest.Strings(GeneratedSecret(install).Map("data")), Manifest.Strings(GeneratedSecret(upgrade).Map("data")));
        // The install's checksum was taken of the certificates its own Secret holds, so the first upgrade rolls nothing.
        Assert.Equal(Checksum(install), Checksum(upgrade));
        Assert.Equal(Checksum(upgrade), Checksum(ChartRenderer.RenderUpgrade(Journal, stored)));

        // A fresh install (or a deleted Secret) gets new certificates, and so a new checksum that rolls the pods.
        Assert.NotEqual(Checksum(install), Checksum(ChartRenderer.Render(Journal)));
    }

    [Fact]
    public void A_new_rotation_value_signs_a_new_member_certificate_with_the_kept_ca_and_rolls_the_pods()
    {
        var install = ChartRenderer.Render(Journal);
        var before = GeneratedSecret(install);
        var rotated = ChartRenderer.RenderUpgrade(Journal + "tls:\n  remoting:\n    generated:\n      rotation: \"2027-06\"\n",
            install.Sources[SecretTemplate]);
        var after = GeneratedSecret(rotated);

        Assert.Equal(Pem.Data(before, "ca.crt"), Pem.Data(after, "ca.crt"));
        Assert.Equal(Pem.Data(before, "ca.key"), Pem.Data(after, "ca.key"));
        Assert.NotEqual(Pem.Data(before, "tls.crt"), Pem.Data(after, "tls.crt"));
        Assert.Equal("2027-06", Manifest.Strings(after.Map("metadata.annotations"))["athanor.dev/rotation"]);
        // Old and new members trust each other during the roll: both certificates chain to the one CA.
        using var ca = Pem.Certificate(before, "ca.crt");
        using var oldMember = Pem.WithKey(before);
        using var newMember = Pem.WithKey(after);
        Assert.True(Pem.ChainsTo(oldMember, ca).Valid);
        Assert.True(Pem.ChainsTo(newMember, ca).Valid);
        Assert.NotEqual(Checksum(install), Checksum(rotated));

        // The next upgrade with the same rotation value keeps the new certificate.
        var again = ChartRenderer.RenderUpgrade(Journal + "tls:\n  remoting:\n    generated:\n      rotation: \"2027-06\"\n",
            rotated.Sources[SecretTemplate]);
        Assert.Equal(Pem.Data(after, "tls.crt"), Pem.Data(GeneratedSecret(again), "tls.crt"));
        Assert.Equal(Checksum(rotated), Checksum(again));
    }

    [Fact]
    public void An_existing_secret_replaces_the_generated_one()
    {
        var r = ChartRenderer.Render(Journal + "tls:\n  remoting:\n    existingSecret: platform-member-tls\n");
        Assert.DoesNotContain(r.Manifests, m => m.Source == SecretTemplate);
        Assert.False(r.Has("Certificate"));
        Assert.Equal("platform-member-tls", Yaml.Scalar(Volume(r, "remoting-tls")["secret"], "secretName"));
        Assert.Contains($"--remoting-tls-ca={Dir}/ca.crt", Args(r));
        // Helm cannot see that Secret; naming another one still rolls the pods.
        var other = ChartRenderer.Render(Journal + "tls:\n  remoting:\n    existingSecret: platform-member-tls-2\n");
        Assert.NotEqual(Checksum(r), Checksum(other));
        Assert.Equal(Checksum(r), Checksum(ChartRenderer.Render(Journal + "tls:\n  remoting:\n    existingSecret: platform-member-tls\n")));
    }

    [Fact]
    public void Cert_manager_signs_the_member_certificate_into_the_secret_the_pods_mount()
    {
        var r = ChartRenderer.Render(Journal + """
            tls:
              remoting:
                certManager:
                  enabled: true
                  issuerRef:
                    name: internal-ca
                    kind: ClusterIssuer
                  duration: 720h
            """);
        Assert.DoesNotContain(r.Manifests, m => m.Source == SecretTemplate);
        var certificate = r.One("Certificate");
        Assert.Equal("cert-manager.io/v1", certificate.Text("apiVersion"));
        Assert.Equal("demo-athanor-remoting", certificate.Text("spec.secretName"));
        Assert.Equal(certificate.Text("spec.secretName"), Yaml.Scalar(Volume(r, "remoting-tls")["secret"], "secretName"));
        Assert.Equal(("internal-ca", "ClusterIssuer", "cert-manager.io"),
            (certificate.Text("spec.issuerRef.name"), certificate.Text("spec.issuerRef.kind"), certificate.Text("spec.issuerRef.group")));
        Assert.Contains("server auth", certificate.Texts("spec.usages"));
        Assert.Contains("client auth", certificate.Texts("spec.usages"));
        Assert.Equal("720h", certificate.Text("spec.duration"));
        Assert.Equal("*.demo-athanor-peers.ml.svc.cluster.local", certificate.Texts("spec.dnsNames").Single());
        Assert.Equal("Always", certificate.Text("spec.privateKey.rotationPolicy"));
    }

    [Fact]
    public void Turned_off_it_leaves_no_flag_no_mount_and_no_secret()
    {
        var r = ChartRenderer.Render(Journal + "tls:\n  remoting:\n    enabled: false\n");
        Assert.DoesNotContain(Args(r), a => a.StartsWith("--remoting-tls", StringComparison.Ordinal));
        Assert.DoesNotContain(Node(r).List("spec.template.spec.volumes"), v => Yaml.Scalar(v, "name") == "remoting-tls");
        Assert.DoesNotContain(r.Manifests, m => m.Source == SecretTemplate);
        Assert.Contains("WARNING: tls.remoting.enabled=false", ChartRenderer.Render(Journal + "tls:\n  remoting:\n    enabled: false\n", notes: true).Text);
    }

    [Fact]
    public void Two_sources_or_cert_manager_without_an_issuer_are_refused_naming_the_values()
    {
        var both = Assert.Throws<RenderException>(() => ChartRenderer.Render(Journal +
            "tls:\n  remoting:\n    existingSecret: mine\n    certManager:\n      enabled: true\n      issuerRef:\n        name: ca\n"));
        Assert.Contains("tls.remoting: existingSecret=mine and certManager.enabled=true", both.Message);

        var noIssuer = Assert.Throws<RenderException>(() => ChartRenderer.Render(Journal + "tls:\n  remoting:\n    certManager:\n      enabled: true\n"));
        Assert.Contains("tls.remoting.certManager.issuerRef.name is empty", noIssuer.Message);
    }
}
