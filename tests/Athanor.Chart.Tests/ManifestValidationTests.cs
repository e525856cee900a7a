namespace Athanor.Chart.Tests;

/// <summary>
/// The rendered manifests of every value set in the repository pass the Kubernetes OpenAPI schemas (validator/:
/// npm kubernetes-models 5.1.0), unknown fields, duplicate keys and name rules included; and the validator fails
/// where it should, so a pass means something.
/// </summary>
public sealed class ManifestValidationTests
{
    public static TheoryData<string> CiFiles() => new(ValueSets.CiFiles());

    public static TheoryData<string, int> DocBlocks()
    {
        var data = new TheoryData<string, int>();
        foreach (var block in ValueSets.DocBlocks()) data.Add(block.Doc, block.Index);
        return data;
    }

    [Theory]
    [MemberData(nameof(CiFiles))]
    public void Every_ci_value_set_renders_manifests_the_kubernetes_schemas_accept(string file)
    {
        var rendered = ValueSets.RenderCi(file);
        var (code, output) = ManifestValidator.Validate(rendered.Text);
        Assert.True(code == 0, output);
        Assert.Contains($"{rendered.Manifests.Count} manifest(s) checked", output);
    }

    [Theory]
    [MemberData(nameof(DocBlocks))]
    public void Every_values_example_in_the_docs_renders_manifests_the_kubernetes_schemas_accept(string doc, int index)
    {
        var block = ValueSets.DocBlocks().Single(b => b.Doc == doc && b.Index == index);
        var (code, output) = ManifestValidator.Validate(ValueSets.RenderDocBlock(block.Yaml).Text);
        Assert.True(code == 0, $"{doc} yaml block {index}:\n{output}");
    }

    [Fact]
    public void The_repository_has_the_realistic_value_sets()
    {
        Assert.Superset(new HashSet<string>
        {
            "default-values.yaml", "gpu-infiniband-values.yaml", "postgres-journal-values.yaml", "loadbalancer-values.yaml",
            "long-release-name-values.yaml", "subchart-values.yaml", "dns-discovery-values.yaml", "admin-rbac-values.yaml",
            "cert-manager-values.yaml",
        }, ValueSets.CiFiles().ToHashSet());
        Assert.NotEmpty(ValueSets.DocBlocks());
    }

    [Fact]
    public void The_validator_reports_an_unknown_field_a_bad_enum_a_wrong_type_and_a_duplicate_key()
    {
        string good = ChartRenderer.Render(ChartValues.JournalSecret).Text;
        Assert.Equal(0, ManifestValidator.Validate(good).Code);

        var (code, output) = ManifestValidator.Validate(good
            .Replace("  podManagementPolicy: Parallel\n", "  podManagementPolicy: Parallel\n  replicaz: 2\n")
            .Replace("imagePullPolicy: IfNotPresent", "imagePullPolicy: Sometimes")
            .Replace("containerPort: 4053", "containerPort: \"4053\""));
        Assert.Equal(1, code);
        Assert.Contains("StatefulSet demo-athanor: /spec/replicaz: unknown field", output);
        Assert.Contains("/spec/template/spec/containers/0/imagePullPolicy: must be equal to one of the allowed values", output);
        Assert.Contains("/spec/template/spec/containers/0/ports/0/containerPort: must be integer", output);

        var duplicate = ManifestValidator.Validate(good.Replace("              memory: 8Gi\n", "              memory: 8Gi\n              memory: 9Gi\n"));
        Assert.Equal(1, duplicate.Code);
        Assert.Contains("Map keys must be unique", duplicate.Output);
    }

    [Fact]
    public void The_validator_checks_cert_manager_certificates_against_their_schema()
    {
        string good = ValueSets.RenderCi("cert-manager-values.yaml").Text;
        var (code, output) = ManifestValidator.Validate(good);
        Assert.True(code == 0, output);
        Assert.Contains("@kubernetes-models/cert-manager", output);

        var bad = ManifestValidator.Validate(good.Replace("    rotationPolicy: Always\n", "    rotationPolicy: Sometimes\n    size2: 4096\n"));
        Assert.Equal(1, bad.Code);
        Assert.Contains("Certificate demo-athanor-remoting: /spec/privateKey/rotationPolicy: must be equal to one of the allowed values", bad.Output);
        Assert.Contains("Certificate demo-athanor-remoting: /spec/privateKey/size2: unknown field", bad.Output);
    }

    [Fact]
    public void The_validator_refuses_a_kind_it_has_no_schema_for_and_a_name_kubernetes_refuses()
    {
        var (code, output) = ManifestValidator.Validate("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
        Assert.Equal(1, code);
        Assert.Contains("no schema for example.com/v1 Widget", output);

        var badName = ManifestValidator.Validate("apiVersion: v1\nkind: Service\nmetadata:\n  name: 1-Bad_name\nspec:\n  ports: [{port: 80}]\n");
        Assert.Equal(1, badName.Code);
        Assert.Contains("is not a DNS-1123 subdomain", badName.Output);
    }
}
