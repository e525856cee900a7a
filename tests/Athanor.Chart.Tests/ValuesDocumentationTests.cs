namespace Athanor.Chart.Tests;

/// <summary>values.yaml is documented line by line, and the schema knows every key it has.</summary>
public sealed class ValuesDocumentationTests
{
    private static readonly string[] Lines = File.ReadAllLines(Path.Combine(ChartRenderer.ChartDir, "values.yaml"));

    [Fact]
    public void Every_key_has_a_comment_on_the_line_above()
    {
        var undocumented = new List<string>();
        for (int i = 0; i < Lines.Length; i++)
        {
            string line = Lines[i].TrimStart();
            bool isKey = line.Length > 0 && !line.StartsWith('#') && !line.StartsWith('-') && line.Contains(':');
            if (isKey && (i == 0 || !Lines[i - 1].TrimStart().StartsWith('#')))
                undocumented.Add($"values.yaml:{i + 1}: {line}");
        }
        Assert.True(undocumented.Count == 0, "keys without a comment above them:\n" + string.Join('\n', undocumented));
    }

    [Fact]
    public void Every_key_of_values_yaml_is_declared_by_the_schema()
    {
        var values = ChartRenderer.CoalescedValues("{}").AsObject();
        var schema = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(ChartRenderer.ChartDir, "values.schema.json")))!.AsObject();
        var undeclared = new List<string>();
        Walk(values, schema, schema, "", undeclared);
        Assert.True(undeclared.Count == 0, "keys the schema does not declare: " + string.Join(", ", undeclared));
    }

    // Descends through objects whose schema lists properties; free-form maps (no "properties") end the walk.
    private static void Walk(System.Text.Json.Nodes.JsonObject values, System.Text.Json.Nodes.JsonObject schema,
        System.Text.Json.Nodes.JsonObject root, string path, List<string> undeclared)
    {
        if (schema["$ref"] is { } reference)
            schema = root["definitions"]![reference.GetValue<string>().Split('/')[^1]]!.AsObject();
        if (schema["properties"] is not System.Text.Json.Nodes.JsonObject properties) return;
        foreach (var (key, value) in values)
        {
            if (properties[key] is not System.Text.Json.Nodes.JsonObject child) { undeclared.Add(path + "/" + key); continue; }
            if (value is System.Text.Json.Nodes.JsonObject nested) Walk(nested, child, root, path + "/" + key, undeclared);
        }
    }
}
