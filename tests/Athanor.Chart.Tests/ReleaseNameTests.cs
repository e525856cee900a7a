using System.Text.RegularExpressions;

namespace Athanor.Chart.Tests;

/// <summary>Issue 28, finding 6: a long release name still gives pods (StatefulSet name <= 52, every name within its limit).</summary>
public sealed class ReleaseNameTests
{
    [Theory]
    [InlineData("team-llm-finetuning-experiments-2026-q3-baseline-a")]          // 50 characters
    [InlineData("a-release-name-of-fifty-three-characters-for-a-team-x")]       // 53, Helm's longest
    [InlineData("athanor-release-whose-name-contains-the-chart-name-xy")]       // 53, contains "athanor": used alone
    public void The_statefulset_leaves_room_for_the_revision_hash_label_and_every_name_is_valid(string release)
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret, release: release);
        var sts = r.One("StatefulSet");
        Assert.True(sts.Name.Length <= 52, $"{sts.Name} has {sts.Name.Length} characters");
        Assert.True($"{sts.Name}-{new string('x', 10)}".Length <= 63); // controller-revision-hash: NAME-HASH
        Assert.True($"{sts.Name}-999".Length <= 63);                     // the pods' names (and hostnames)
        foreach (var m in r.Manifests)
        {
            Assert.True(m.Name.Length <= 63, $"{m.Kind} {m.Name}");
            Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", m.Name);
        }
        foreach (var service in r.All("Service")) Assert.Matches("^[a-z]", service.Name);
        // The names that refer to each other still agree.
        Assert.Equal(r.All("Service").Single(s => s.Name.EndsWith("-peers", StringComparison.Ordinal)).Name, sts.Text("spec.serviceName"));
        Assert.Equal(r.One("ServiceAccount").Name, sts.Text("spec.template.spec.serviceAccountName"));
        Assert.Equal(0, ManifestValidator.Validate(r.Text).Code);
    }

    [Fact]
    public void The_long_ci_value_set_is_rendered_with_its_long_release_name()
    {
        var r = ValueSets.RenderCi("long-release-name-values.yaml");
        Assert.Equal("team-llm-finetuning-experiments-2026-q3-baseline-a", Manifest.Strings(r.One("StatefulSet").Map("metadata.labels"))["app.kubernetes.io/instance"]);
        Assert.Equal(52, r.One("StatefulSet").Name.Length);
        var env = Yaml.ByName(r.One("StatefulSet").List("spec.template.spec.containers.0.env"));
        Assert.Matches(new Regex($"^{Regex.Escape(r.One("StatefulSet").Name)}-0\\."), Yaml.Scalar(env["ATHANOR_FIRST_POD_NAME"], "value")!);
    }
}
