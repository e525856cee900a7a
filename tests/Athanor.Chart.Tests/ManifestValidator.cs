namespace Athanor.Chart.Tests;

/// <summary>
/// validator/validate.mjs: the manifests checked against the Kubernetes OpenAPI schemas as the npm package
/// kubernetes-models 5.1.0 ships them, unknown fields, duplicate keys and the API server's name rules included. The
/// package names no Kubernetes version (its README badge still says 1.27.1); its schemas are a 1.34-or-later API
/// (resource.k8s.io/v1 and PodSpec.hostnameOverride are 1.34's; PodSpec.schedulingGroup is newer still). The custom
/// resources are checked against @kubernetes-models/prometheus-operator 6.0.0 (ServiceMonitor) and
/// @kubernetes-models/cert-manager 6.0.0 (Certificate, cert-manager.io/v1). build/test-prerequisites.sh installs it (npm ci, versions pinned by package-lock.json).
/// </summary>
internal static class ManifestValidator
{
    private static string Dir => Path.Combine(ChartRenderer.RepoRoot, "tests", "Athanor.Chart.Tests", "validator");

    /// <summary>Exit code 0 and a summary line, or 1 and one line per problem.</summary>
    public static (int Code, string Output) Validate(string manifestsYaml)
    {
        if (!File.Exists(Path.Combine(Dir, "node_modules", "kubernetes-models", "package.json"))
            || !File.Exists(Path.Combine(Dir, "node_modules", "@kubernetes-models", "cert-manager", "package.json")))
            throw new InvalidOperationException($"the manifest validator is not installed: run build/test-prerequisites.sh (npm ci in {Dir})");
        string file = Path.Combine(Path.GetTempPath(), $"athanor-manifests-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, manifestsYaml);
        try
        {
            var (code, stdout, stderr) = ChartRenderer.Exec("node", [Path.Combine(Dir, "validate.mjs"), file]);
            return (code, (stdout + stderr).Trim());
        }
        finally { File.Delete(file); }
    }
}
