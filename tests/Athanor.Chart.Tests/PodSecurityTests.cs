using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>Issue 28, finding 4: Pod Security "restricted" admits the pods (every rule of the profile checked).</summary>
public sealed class PodSecurityTests
{
    private static List<string> Violations(Rendered r) => PodSecurityRestricted.Violations(r.One("StatefulSet").Map("spec.template.spec"));

    public static TheoryData<string> RestrictedValueSets() => new(ValueSets.CiFiles().Where(f => f != "gpu-infiniband-values.yaml"));

    [Theory]
    [MemberData(nameof(RestrictedValueSets))]
    public void The_restricted_profile_admits_the_pods(string file)
    {
        var violations = Violations(ValueSets.RenderCi(file));
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    [Fact]
    public void The_pods_run_with_the_runtimes_default_seccomp_filter()
    {
        var sts = ChartRenderer.Render(ChartValues.JournalSecret).One("StatefulSet");
        Assert.Equal("RuntimeDefault", sts.Text("spec.template.spec.securityContext.seccompProfile.type"));
    }

    [Fact]
    public void Without_the_seccomp_profile_the_check_fails_as_admission_would()
    {
        var violations = Violations(ChartRenderer.Render(ChartValues.JournalSecret + "\npodSecurityContext:\n  seccompProfile: null\n"));
        Assert.Equal(["node: seccompProfile.type must be RuntimeDefault or Localhost (pod or container), is unset"], violations);
    }

    [Fact]
    public void Infiniband_needs_ipc_lock_which_restricted_and_baseline_refuse_and_nothing_else()
    {
        var violations = Violations(ValueSets.RenderCi("gpu-infiniband-values.yaml"));
        Assert.Equal(["node: adds capability IPC_LOCK (not even baseline allows it)"], violations);
    }

    [Fact]
    public void The_check_sees_a_host_path_volume_root_and_privilege_escalation()
    {
        var r = ChartRenderer.Render(ChartValues.JournalSecret + """

            extraVolumes:
              - name: nvme
                hostPath: {path: /mnt/nvme}
            podSecurityContext:
              runAsNonRoot: false
              runAsUser: 0
            securityContext:
              allowPrivilegeEscalation: true
            """);
        var violations = Violations(r);
        Assert.Contains("hostPath volumes are forbidden", violations);
        Assert.Contains("volume nvme is of type hostPath", violations);
        Assert.Contains("pod runAsUser is 0", violations);
        Assert.Contains("node: runAsNonRoot must be true (pod or container)", violations);
        Assert.Contains("node: allowPrivilegeEscalation must be false", violations);
    }
}
