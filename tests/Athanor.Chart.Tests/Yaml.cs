using YamlDotNet.RepresentationModel;

namespace Athanor.Chart.Tests;

/// <summary>Small helpers over YamlDotNet nodes.</summary>
internal static class Yaml
{
    /// <summary>A node as YAML text, to compare whole subtrees.</summary>
    public static string Dump(YamlNode node)
    {
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    public static string? Scalar(YamlNode node, string key) =>
        ((YamlMappingNode)node).Children.TryGetValue(new YamlScalarNode(key), out var v) ? (v as YamlScalarNode)?.Value : null;

    /// <summary>The item of a list of named objects (env, volumes, ports, ...) with the given name.</summary>
    public static YamlMappingNode Named(IEnumerable<YamlNode> items, string name) =>
        items.Cast<YamlMappingNode>().Single(i => Scalar(i, "name") == name);

    public static Dictionary<string, YamlMappingNode> ByName(IEnumerable<YamlNode> items) =>
        items.Cast<YamlMappingNode>().ToDictionary(i => Scalar(i, "name")!);
}
