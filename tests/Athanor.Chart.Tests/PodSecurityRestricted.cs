using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>
/// The Pod Security Standards' "restricted" profile (kubernetes.io/docs/concepts/security/pod-security-standards,
/// the latest version, which includes every "baseline" rule), applied to a pod template as the PodSecurity admission
/// controller applies it: each rule that a pod spec breaks is one line of the result.
/// </summary>
internal static class PodSecurityRestricted
{
    private static readonly HashSet<string> RestrictedVolumeTypes =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
    private static readonly HashSet<string> BaselineCapabilities =
        ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];
    private static readonly HashSet<string> SafeSysctls =
        ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
         "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"];

    /// <summary>The rules <paramref name="podSpec"/> (a PodSpec mapping) breaks; empty when the profile admits it.</summary>
    public static List<string> Violations(YamlMappingNode podSpec)
    {
        var v = new List<string>();
        var pod = Map(podSpec, "securityContext");
        var containers = Seq(podSpec, "containers").Concat(Seq(podSpec, "initContainers")).Concat(Seq(podSpec, "ephemeralContainers")).Cast<YamlMappingNode>().ToList();

        // baseline
        foreach (var host in new[] { "hostNetwork", "hostPID", "hostIPC" })
            if (Text(podSpec, host) == "true") v.Add($"{host} must not be true");
        if (Text(pod, "windowsOptions", "hostProcess") == "true") v.Add("hostProcess must not be true");
        if (Seq(podSpec, "volumes").Cast<YamlMappingNode>().Any(vol => vol.Children.ContainsKey(new YamlScalarNode("hostPath"))))
            v.Add("hostPath volumes are forbidden");
        if (Text(pod, "appArmorProfile", "type") is { } podArmor && podArmor != "RuntimeDefault" && podArmor != "Localhost")
            v.Add($"appArmorProfile.type {podArmor}");
        CheckSeLinux(pod, "pod", v);
        if (Text(pod, "seccompProfile", "type") == "Unconfined") v.Add("pod seccompProfile must not be Unconfined");
        foreach (var sysctl in Seq(pod, "sysctls").Cast<YamlMappingNode>())
            if (!SafeSysctls.Contains(Text(sysctl, "name") ?? "")) v.Add($"sysctl {Text(sysctl, "name")} is not a safe sysctl");
        foreach (var c in containers)
        {
            string name = Text(c, "name") ?? "?";
            var sc = Map(c, "securityContext");
            if (Text(sc, "privileged") == "true") v.Add($"{name}: privileged");
            if (Text(sc, "windowsOptions", "hostProcess") == "true") v.Add($"{name}: hostProcess");
            foreach (var port in Seq(c, "ports").Cast<YamlMappingNode>())
                if (Text(port, "hostPort") is { } hp && hp != "0") v.Add($"{name}: hostPort {hp}");
            if (Text(sc, "procMount") is { } proc && proc != "Default") v.Add($"{name}: procMount {proc}");
            if (Text(sc, "appArmorProfile", "type") is { } armor && armor != "RuntimeDefault" && armor != "Localhost") v.Add($"{name}: appArmorProfile.type {armor}");
            CheckSeLinux(sc, name, v);
            foreach (var cap in Seq(Map(sc, "capabilities"), "add").Select(n => ((YamlScalarNode)n).Value ?? ""))
                if (cap != "NET_BIND_SERVICE")
                    v.Add(BaselineCapabilities.Contains(cap) ? $"{name}: adds capability {cap} (restricted allows only NET_BIND_SERVICE)" : $"{name}: adds capability {cap} (not even baseline allows it)");
        }

        // restricted
        foreach (var vol in Seq(podSpec, "volumes").Cast<YamlMappingNode>())
        {
            var type = vol.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).First(k => k != "name");
            if (!RestrictedVolumeTypes.Contains(type)) v.Add($"volume {Text(vol, "name")} is of type {type}");
        }
        bool podNonRoot = Text(pod, "runAsNonRoot") == "true";
        if (Text(pod, "runAsUser") == "0") v.Add("pod runAsUser is 0");
        string? podSeccomp = Text(pod, "seccompProfile", "type");
        foreach (var c in containers)
        {
            string name = Text(c, "name") ?? "?";
            var sc = Map(c, "securityContext");
            if (Text(sc, "allowPrivilegeEscalation") != "false") v.Add($"{name}: allowPrivilegeEscalation must be false");
            string? nonRoot = Text(sc, "runAsNonRoot");
            if (nonRoot == "false" || (nonRoot is null && !podNonRoot)) v.Add($"{name}: runAsNonRoot must be true (pod or container)");
            if (Text(sc, "runAsUser") == "0") v.Add($"{name}: runAsUser is 0");
            string? seccomp = Text(sc, "seccompProfile", "type") ?? podSeccomp;
            if (seccomp != "RuntimeDefault" && seccomp != "Localhost") v.Add($"{name}: seccompProfile.type must be RuntimeDefault or Localhost (pod or container), is {seccomp ?? "unset"}");
            if (!Seq(Map(sc, "capabilities"), "drop").Any(n => ((YamlScalarNode)n).Value == "ALL")) v.Add($"{name}: capabilities must drop ALL");
        }
        return v;
    }

    private static void CheckSeLinux(YamlMappingNode? sc, string who, List<string> v)
    {
        var se = Map(sc, "seLinuxOptions");
        if (se is null) return;
        if (Text(se, "type") is { } type && type is not ("container_t" or "container_init_t" or "container_kvm_t" or "container_engine_t")) v.Add($"{who}: seLinuxOptions.type {type}");
        if (Text(se, "user") is not null || Text(se, "role") is not null) v.Add($"{who}: seLinuxOptions user/role must not be set");
    }

    private static YamlMappingNode? Map(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child as YamlMappingNode : null;

    private static IEnumerable<YamlNode> Seq(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(new YamlScalarNode(key), out var child) && child is YamlSequenceNode seq ? seq.Children : [];

    private static string? Text(YamlMappingNode? node, params string[] path)
    {
        YamlNode? current = node;
        foreach (var key in path)
            current = current is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
        return (current as YamlScalarNode)?.Value;
    }
}
