using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>
/// Renders helm/athanor with renderer/ (Go's text/template + sprig v3, the engines Helm uses; see
/// renderer/README.md for what it does and does not reproduce) and parses the output into manifests.
/// </summary>
internal static class ChartRenderer
{
    public static string RepoRoot => Path.GetFullPath(Metadata("RepoRoot"));
    public static string ChartDir => Path.Combine(RepoRoot, "helm", "athanor");
    public static string ClusterAppHost => Path.GetFullPath(Metadata("ClusterAppHost"));

    private static readonly Lazy<string> Binary = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    private static string Metadata(string key) =>
        typeof(ChartRenderer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    /// <summary>Renders the chart with <paramref name="valuesYaml"/> over values.yaml; throws <see cref="RenderException"/> on a template error.</summary>
    public static Rendered Render(string valuesYaml, string release = "demo", string ns = "ml", bool notes = false)
    {
        var output = Run(valuesYaml, ["-name", release, "-namespace", ns, .. notes ? new[] { "-notes" } : []]);
        return Rendered.Parse(output);
    }

    /// <summary>
    /// Renders as `helm upgrade` against a cluster that holds <paramref name="existingObjects"/> (YAML documents, e.g. an
    /// earlier render's Secret): the chart's lookup finds them.
    /// </summary>
    public static Rendered RenderUpgrade(string valuesYaml, string existingObjects, string release = "demo", string ns = "ml")
    {
        string file = Path.Combine(Path.GetTempPath(), $"athanor-existing-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, existingObjects);
        try { return Rendered.Parse(Run(valuesYaml, ["-name", release, "-namespace", ns, "-existing", file])); }
        finally { File.Delete(file); }
    }

    /// <summary>Renders with values files given by path, later files winning (as `helm template -f A -f B`).</summary>
    public static Rendered RenderFiles(IEnumerable<string> valuesFiles, string release = "demo", string ns = "ml")
    {
        var (code, stdout, stderr) = Exec(Binary.Value, [ChartDir, .. valuesFiles.SelectMany(f => new[] { "-f", f }), "-name", release, "-namespace", ns]);
        if (code != 0) throw new RenderException(stderr.Trim());
        return Rendered.Parse(stdout);
    }

    /// <summary>The values Helm would validate against values.schema.json: values.yaml with <paramref name="valuesYaml"/> merged over it.</summary>
    public static JsonNode CoalescedValues(string valuesYaml) => JsonNode.Parse(Run(valuesYaml, ["-values"]))!;

    private static string Run(string valuesYaml, string[] extra)
    {
        string file = Path.Combine(Path.GetTempPath(), $"athanor-values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, valuesYaml);
        try
        {
            var (code, stdout, stderr) = Exec(Binary.Value, [ChartDir, "-f", file, .. extra]);
            if (code != 0) throw new RenderException(stderr.Trim());
            return stdout;
        }
        finally { File.Delete(file); }
    }

    private static string Build()
    {
        string output = Path.Combine(AppContext.BaseDirectory, "chartrender", "chartrender");
        string script = Path.Combine(RepoRoot, "tests", "Athanor.Chart.Tests", "renderer", "build.sh");
        var (code, stdout, stderr) = Exec("/bin/sh", [script, output]);
        if (code != 0)
            throw new InvalidOperationException($"building the chart renderer failed (exit {code}): {stderr}{stdout}");
        return output;
    }

    public static (int Code, string Stdout, string Stderr) Exec(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 3 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

internal sealed class RenderException(string message) : Exception(message);

/// <summary>The manifests of one render, by source template, kind and name.</summary>
internal sealed class Rendered
{
    public required IReadOnlyList<Manifest> Manifests { get; init; }
    public required IReadOnlyDictionary<string, string> Sources { get; init; }
    /// <summary>The renderer's whole output, as `helm template` prints it.</summary>
    public required string Text { get; init; }

    public Manifest One(string kind) => Manifests.Single(m => m.Kind == kind);
    public IEnumerable<Manifest> All(string kind) => Manifests.Where(m => m.Kind == kind);
    public bool Has(string kind) => Manifests.Any(m => m.Kind == kind);

    public static Rendered Parse(string output)
    {
        var sources = new Dictionary<string, string>();
        var manifests = new List<Manifest>();
        // Every template begins with "---\n# Source: CHART/templates/FILE\n".
        foreach (var part in output.Split("---\n# Source: ", StringSplitOptions.RemoveEmptyEntries))
        {
            int newline = part.IndexOf('\n');
            string source = part[..newline], text = part[(newline + 1)..];
            sources[source] = text;
            if (source.EndsWith("NOTES.txt", StringComparison.Ordinal)) continue;
            var stream = new YamlStream();
            try { stream.Load(new StringReader(text)); }
            catch (YamlDotNet.Core.YamlException ex) { throw new RenderException($"{source} is not valid YAML: {ex.Message}\n{text}"); }
            foreach (var doc in stream.Documents)
                if (doc.RootNode is YamlMappingNode map) manifests.Add(new Manifest(source, map));
        }
        return new Rendered { Manifests = manifests, Sources = sources, Text = output };
    }
}

/// <summary>One Kubernetes object; <see cref="At"/> walks a dotted path ("spec.template.spec.containers.0.args").</summary>
internal sealed class Manifest(string source, YamlMappingNode root)
{
    public string Source { get; } = source;
    public YamlMappingNode Root { get; } = root;
    public string Kind => Text("kind");
    public string Name => Text("metadata.name");

    public YamlNode? Find(string path)
    {
        YamlNode? node = Root;
        foreach (var part in path.Split('.'))
        {
            node = node switch
            {
                YamlMappingNode map => map.Children.TryGetValue(new YamlScalarNode(part), out var child) ? child : null,
                YamlSequenceNode seq when int.TryParse(part, out int i) && i < seq.Children.Count => seq.Children[i],
                _ => null,
            };
            if (node is null) return null;
        }
        return node;
    }

    public YamlNode At(string path) => Find(path) ?? throw new KeyNotFoundException($"{Kind} {Name} ({Source}) has no '{path}'");
    public string Text(string path) => ((YamlScalarNode)At(path)).Value ?? "";
    public YamlMappingNode Map(string path) => (YamlMappingNode)At(path);
    public IReadOnlyList<YamlNode> List(string path) => ((YamlSequenceNode)At(path)).Children.ToList();
    public IReadOnlyList<string> Texts(string path) => List(path).Select(n => ((YamlScalarNode)n).Value ?? "").ToList();

    public static Dictionary<string, string> Strings(YamlMappingNode map) =>
        map.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value ?? "");
}
