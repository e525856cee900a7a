namespace Athanor.Chart.Tests;

/// <summary>Issue 28, finding 5: the token follows the discovery method, the Role grants only list, and never binds "default".</summary>
public sealed class RbacTests
{
    private const string Pod = "spec.template.spec.";

    [Fact]
    public void The_role_grants_only_list_on_pods_which_is_all_kubernetes_discovery_calls()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret);
        Assert.Equal(["list"], r.One("Role").Texts("rules.0.verbs"));
        Assert.Equal(["pods"], r.One("Role").Texts("rules.0.resources"));
        Assert.Equal([""], r.One("Role").Texts("rules.0.apiGroups"));
        // The node's one call: GET /api/v1/namespaces/NS/pods?labelSelector=... (a list).
        string discovery = File.ReadAllText(Path.Combine(ChartRenderer.RepoRoot, "src", "Athanor.Cluster", "Hosting", "KubernetesPodDiscovery.cs"));
        Assert.Contains("/api/v1/namespaces/{Uri.EscapeDataString(ns)}/pods?labelSelector=", discovery);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(discovery, @"new HttpRequestMessage\("));
        Assert.DoesNotContain("watch=", discovery);
        Assert.DoesNotContain("Unused", File.ReadAllText(Path.Combine(ChartRenderer.ChartDir, "templates", "rbac.yaml")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Kubernetes_discovery_with_rbac_an_admin_provisioned_still_gets_the_token()
    {
        var r = ValueSets.RenderCi("admin-rbac-values.yaml");
        Assert.False(r.Has("Role") || r.Has("RoleBinding") || r.Has("ServiceAccount"));
        var sts = r.One("StatefulSet");
        Assert.Equal("true", sts.Text(Pod + "automountServiceAccountToken"));
        Assert.Equal("athanor-discovery", sts.Text(Pod + "serviceAccountName"));
        Assert.Contains("--discovery=kubernetes", sts.Texts(Pod + "containers.0.args"));
    }

    [Fact]
    public void Dns_discovery_gets_no_token_even_with_the_charts_role()
    {
        var sts = ChartRenderer.Render(ChartValues.JournalSecret + "\ndiscovery:\n  method: dns\n").One("StatefulSet");
        Assert.Equal("false", sts.Text(Pod + "automountServiceAccountToken"));
        var none = ValueSets.RenderCi("dns-discovery-values.yaml");
        Assert.Equal("false", none.One("StatefulSet").Text(Pod + "automountServiceAccountToken"));
        Assert.Equal("default", none.One("StatefulSet").Text(Pod + "serviceAccountName"));
        Assert.False(none.Has("RoleBinding"));
    }

    [Fact]
    public void The_role_is_never_bound_to_the_namespaces_default_account()
    {
        var ex = Assert.Throws<RenderException>(() => ChartRenderer.Render(ChartValues.JournalSecret + "\nserviceAccount:\n  create: false\n"));
        Assert.Contains("serviceAccount.name is empty with serviceAccount.create=false and rbac.create=true", ex.Message);
        Assert.Contains("\"default\"", ex.Message);

        var named = ChartRenderer.Render(ChartValues.JournalSecret + "\nserviceAccount:\n  create: false\n  name: ml-pods\n");
        Assert.Equal("ml-pods", named.One("RoleBinding").Text("subjects.0.name"));
        Assert.False(named.Has("ServiceAccount"));
    }
}
