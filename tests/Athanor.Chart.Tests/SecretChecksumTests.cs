namespace Athanor.Chart.Tests;

/// <summary>Issue 28, finding 9: a change to what the chart puts into its Secrets (certificates included) rolls the pods; nothing else does.</summary>
public sealed class SecretChecksumTests
{
    private static Dictionary<string, string> Annotations(string values) =>
        Manifest.Strings(ChartRenderer.Render(values).One("StatefulSet").Map("spec.template.metadata.annotations"));

    private const string Journal = "journal:\n  connectionString: \"Host=pg;Username=a;Password=one;Database=a\"\n";

    [Fact]
    public void A_new_token_changes_only_the_token_checksum()
    {
        var before = Annotations(Journal + "token:\n  value: first-token-0123456789\n");
        var after = Annotations(Journal + "token:\n  value: second-token-0123456789\n");
        Assert.NotEqual(before["checksum/token"], after["checksum/token"]);
        Assert.Equal(before["checksum/journal"], after["checksum/journal"]);
    }

    [Fact]
    public void A_new_connection_string_changes_only_the_journal_checksum()
    {
        var before = Annotations(Journal);
        var after = Annotations(Journal.Replace("Password=one", "Password=two"));
        Assert.NotEqual(before["checksum/journal"], after["checksum/journal"]);
        Assert.Equal(before["checksum/token"], after["checksum/token"]);
    }

    [Fact]
    public void A_generated_token_gives_the_same_checksum_on_every_render_and_scaling_changes_none()
    {
        var install = ChartRenderer.Render(Journal);
        var first = Manifest.Strings(install.One("StatefulSet").Map("spec.template.metadata.annotations"));
        // An upgrade finds the Secrets the install made (the generated remoting certificates among them).
        var scaled = ChartRenderer.RenderUpgrade(Journal + "replicaCount: 7\n", install.Sources["athanor/templates/secret-remoting-tls.yaml"]);
        Assert.Equal(first, Manifest.Strings(scaled.One("StatefulSet").Map("spec.template.metadata.annotations")));
        Assert.Matches("^[0-9a-f]{64}$", first["checksum/token"]);
        Assert.Matches("^[0-9a-f]{64}$", first["checksum/remoting-tls"]);
    }

    [Fact]
    public void New_remoting_certificates_change_only_the_remoting_checksum()
    {
        var first = Annotations(Journal);
        var second = Annotations(Journal); // a new install: a new generated CA and member certificate
        Assert.NotEqual(first["checksum/remoting-tls"], second["checksum/remoting-tls"]);
        foreach (var key in first.Keys.Where(k => k != "checksum/remoting-tls")) Assert.Equal(first[key], second[key]);
    }
}
