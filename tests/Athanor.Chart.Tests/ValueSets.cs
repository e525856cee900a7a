using System.Text.RegularExpressions;

namespace Athanor.Chart.Tests;

/// <summary>
/// Every value set in the repository: helm/athanor/ci/*.yaml (a first line "# release: NAME" names the release to
/// render it as) and the ```yaml values blocks of helm/README.md and docs/operations.md (rendered over
/// ci/default-values.yaml, which gives them the journal the docs pass with --set).
/// </summary>
internal static partial class ValueSets
{
    public static string CiDir => Path.Combine(ChartRenderer.ChartDir, "ci");

    public static IEnumerable<string> CiFiles() => Directory.GetFiles(CiDir, "*.yaml").Select(Path.GetFileName).Order()!;

    public static Rendered RenderCi(string file)
    {
        string path = Path.Combine(CiDir, file);
        var release = ReleaseLine().Match(File.ReadAllText(path)) is { Success: true } m ? m.Groups[1].Value : "demo";
        return ChartRenderer.RenderFiles([path], release);
    }

    public static IEnumerable<(string Doc, int Index, string Yaml)> DocBlocks()
    {
        foreach (var doc in new[] { "helm/README.md", "docs/operations.md" })
        {
            var text = File.ReadAllText(Path.Combine(ChartRenderer.RepoRoot, doc));
            int i = 0;
            foreach (Match block in YamlBlock().Matches(text)) yield return (doc, i++, block.Groups[1].Value);
        }
    }

    public static Rendered RenderDocBlock(string yaml)
    {
        string file = Path.Combine(Path.GetTempPath(), $"athanor-doc-values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try { return ChartRenderer.RenderFiles([Path.Combine(CiDir, "default-values.yaml"), file]); }
        finally { File.Delete(file); }
    }

    [GeneratedRegex(@"^# release: (\S+)", RegexOptions.Multiline)]
    private static partial Regex ReleaseLine();

    [GeneratedRegex(@"```yaml\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();
}
