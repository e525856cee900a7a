using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>
/// Issue 28: TLS for the gRPC job service when it is exposed beyond the cluster (a Secret or cert-manager, optional
/// client certificates), and a LoadBalancer or NodePort refused without it, since the bearer token rides every request.
/// </summary>
public sealed class GrpcTlsTests
{
    private const string Journal = ChartValues.JournalSecret + "\n";
    private static Manifest Node(Rendered r) => r.One("StatefulSet");
    private static IReadOnlyList<string> Args(Rendered r) => Node(r).Texts("spec.template.spec.containers.0.args");
    private static YamlMappingNode Volume(Rendered r, string name) => Yaml.Named(Node(r).List("spec.template.spec.volumes"), name);
    private static YamlMappingNode Mount(Rendered r, string name) => Yaml.Named(Node(r).List("spec.template.spec.containers.0.volumeMounts"), name);
    private static string AppProtocol(Rendered r) => Yaml.Scalar(r.All("Service").Single(s => s.Name == "demo-athanor").List("spec.ports").Single(), "appProtocol")!;

    private const string ExistingSecret = "tls:\n  grpc:\n    enabled: true\n    existingSecret: athanor-grpc-cert\n";

    [Fact]
    public void It_is_off_by_default_and_the_service_speaks_h2c()
    {
        var r = ChartRenderer.Render(Journal);
        Assert.DoesNotContain(Args(r), a => a.StartsWith("--tls-", StringComparison.Ordinal) || a.StartsWith("--client-ca", StringComparison.Ordinal));
        Assert.DoesNotContain(Node(r).List("spec.template.spec.volumes"), v => Yaml.Scalar(v, "name") == "grpc-tls");
        Assert.Equal("kubernetes.io/h2c", AppProtocol(r));
    }

    [Fact]
    public void An_existing_secret_is_mounted_read_only_and_named_by_the_tls_flags()
    {
        var r = ChartRenderer.Render(Journal + ExistingSecret);
        Assert.Contains("--tls-cert=/etc/athanor/grpc-tls/tls.crt", Args(r));
        Assert.Contains("--tls-key=/etc/athanor/grpc-tls/tls.key", Args(r));
        Assert.DoesNotContain(Args(r), a => a.StartsWith("--client-ca", StringComparison.Ordinal));
        Assert.Equal("/etc/athanor/grpc-tls", Yaml.Scalar(Mount(r, "grpc-tls"), "mountPath"));
        Assert.Equal("true", Yaml.Scalar(Mount(r, "grpc-tls"), "readOnly"));
        var secret = (YamlMappingNode)Volume(r, "grpc-tls")["secret"];
        Assert.Equal("athanor-grpc-cert", Yaml.Scalar(secret, "secretName"));
        Assert.Equal(["tls.crt", "tls.key"], ((YamlSequenceNode)secret["items"]).Select(i => Yaml.Scalar(i, "key")).ToList());
        Assert.Equal("https", AppProtocol(r));
        Assert.False(r.Has("Certificate"));
        // A changed TLS setting rolls the pods.
        var annotations = Manifest.Strings(Node(r).Map("spec.template.metadata.annotations"));
        var plain = Manifest.Strings(Node(ChartRenderer.Render(Journal)).Map("spec.template.metadata.annotations"));
        Assert.NotEqual(plain["checksum/grpc-tls"], annotations["checksum/grpc-tls"]);
    }

    [Fact]
    public void Cert_manager_signs_the_server_certificate_for_the_services_names_and_the_given_ones()
    {
        var r = ChartRenderer.Render(Journal + """
            tls:
              grpc:
                enabled: true
                certManager:
                  enabled: true
                  issuerRef:
                    name: letsencrypt
                    kind: ClusterIssuer
                  dnsNames: [athanor.ml.example.com]
            """);
        var certificate = r.One("Certificate");
        Assert.Equal("cert-manager.io/v1", certificate.Text("apiVersion"));
        Assert.Equal("demo-athanor-grpc-tls", certificate.Text("spec.secretName"));
        Assert.Equal(certificate.Text("spec.secretName"), Yaml.Scalar(Volume(r, "grpc-tls")["secret"], "secretName"));
        Assert.Equal(["athanor.ml.example.com", "demo-athanor", "demo-athanor.ml", "demo-athanor.ml.svc", "demo-athanor.ml.svc.cluster.local"],
            certificate.Texts("spec.dnsNames"));
        Assert.Equal("letsencrypt", certificate.Text("spec.issuerRef.name"));
        Assert.Contains("server auth", certificate.Texts("spec.usages"));
    }

    [Fact]
    public void A_client_ca_asks_for_client_certificates()
    {
        var r = ChartRenderer.Render(Journal + ExistingSecret + "    clientCa:\n      existingSecret: ml-clients-ca\n      key: bundle.pem\n");
        Assert.Contains("--client-ca=/etc/athanor/grpc-client-ca/bundle.pem", Args(r));
        Assert.Equal("true", Yaml.Scalar(Mount(r, "grpc-client-ca"), "readOnly"));
        var secret = (YamlMappingNode)Volume(r, "grpc-client-ca")["secret"];
        Assert.Equal("ml-clients-ca", Yaml.Scalar(secret, "secretName"));
        Assert.Equal("bundle.pem", Yaml.Scalar(((YamlSequenceNode)secret["items"]).Single(), "key"));

        var withoutTls = Assert.Throws<RenderException>(() => ChartRenderer.Render(Journal + "tls:\n  grpc:\n    clientCa:\n      existingSecret: ml-clients-ca\n"));
        Assert.Contains("tls.grpc.clientCa.existingSecret=ml-clients-ca needs tls.grpc.enabled=true", withoutTls.Message);
    }

    [Theory]
    [InlineData("LoadBalancer")]
    [InlineData("NodePort")]
    public void Exposing_grpc_beyond_the_cluster_without_tls_is_refused_unless_plaintext_is_accepted(string type)
    {
        string service = $"service:\n  type: {type}\n";
        var ex = Assert.Throws<RenderException>(() => ChartRenderer.Render(Journal + service));
        Assert.Contains($"service.type={type} exposes gRPC beyond the cluster", ex.Message);
        Assert.Contains("tls.grpc.enabled=true", ex.Message);
        Assert.Contains("tls.grpc.allowPlaintext=true", ex.Message);

        var plaintext = ChartRenderer.Render(Journal + service + "tls:\n  grpc:\n    allowPlaintext: true\n", notes: true);
        Assert.Contains($"WARNING: service.type {type} with tls.grpc.allowPlaintext", plaintext.Text);
        Assert.Equal(type, ChartRenderer.Render(Journal + service + ExistingSecret).All("Service").Single(s => s.Name == "demo-athanor").Text("spec.type"));
    }

    [Fact]
    public void Tls_without_a_certificate_or_with_two_sources_is_refused()
    {
        var none = Assert.Throws<RenderException>(() => ChartRenderer.Render(Journal + "tls:\n  grpc:\n    enabled: true\n"));
        Assert.Contains("tls.grpc.enabled=true needs a certificate", none.Message);

        var both = Assert.Throws<RenderException>(() => ChartRenderer.Render(Journal + ExistingSecret + "    certManager:\n      enabled: true\n      issuerRef:\n        name: ca\n"));
        Assert.Contains("tls.grpc: existingSecret=athanor-grpc-cert and certManager.enabled=true", both.Message);

        var noIssuer = Assert.Throws<RenderException>(() => ChartRenderer.Render(Journal + "tls:\n  grpc:\n    enabled: true\n    certManager:\n      enabled: true\n"));
        Assert.Contains("tls.grpc.certManager.issuerRef.name is empty", noIssuer.Message);
    }

    [Fact]
    public void The_notes_say_to_connect_with_https()
    {
        var lb = ChartRenderer.Render(Journal + "service:\n  type: LoadBalancer\n  port: 443\n" + ExistingSecret, notes: true).Sources["athanor/templates/NOTES.txt"];
        Assert.Contains("--server https://HOST:443", lb);
        Assert.Contains("ca_file", lb);
        Assert.DoesNotContain("--server http://", lb);

        var inside = ChartRenderer.Render(Journal + ExistingSecret + "    clientCa:\n      existingSecret: ml-clients-ca\n", notes: true).Sources["athanor/templates/NOTES.txt"];
        Assert.Contains("--server https://demo-athanor.ml.svc:50051", inside);
        Assert.Contains("client_cert/client_key", inside);
        Assert.Contains("ml-clients-ca", inside);
    }
}
