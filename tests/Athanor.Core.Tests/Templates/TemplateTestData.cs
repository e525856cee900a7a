using System.Text.Json;
using System.Text.Json.Nodes;

namespace Athanor.Tests.Templates;

internal static class TemplateTestData
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "TestData", "Templates");

    public static string Path_(string file) => Path.Combine(Dir, file);

    public static string Read(string file) => File.ReadAllText(Path_(file));

    public static readonly DateTime FixedNow = new(2025, 3, 14, 10, 20, 0);

    public static (string? Bos, string? Eos) SpecialTokens(string templateFile)
    {
        var manifest = JsonNode.Parse(Read("templates.json"))!;
        var entry = manifest[templateFile] ?? throw new InvalidOperationException($"{templateFile} missing from templates.json");
        return (entry["bos_token"]?.GetValue<string>(), entry["eos_token"]?.GetValue<string>());
    }

    /// <summary>The corpus lines with the template's bos/eos added (absent when the tokenizer has none, as transformers passes them).</summary>
    public static List<JsonObject> CorpusFor(string templateFile)
    {
        var (bos, eos) = SpecialTokens(templateFile);
        var lines = new List<JsonObject>();
        foreach (var line in File.ReadLines(Path_("corpus.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var obj = JsonNode.Parse(line)!.AsObject();
            if (bos != null) obj["bos_token"] = bos;
            if (eos != null) obj["eos_token"] = eos;
            if (!obj.ContainsKey("add_generation_prompt")) obj["add_generation_prompt"] = false;
            lines.Add(obj);
        }
        return lines;
    }

    public static string WriteReferenceInput(string templateFile, List<JsonObject> lines)
    {
        string path = Path.Combine(Path.GetTempPath(), $"athanor-parity-{Guid.NewGuid():N}.jsonl");
        using var w = new StreamWriter(path);
        foreach (var l in lines)
        {
            var copy = JsonNode.Parse(l.ToJsonString())!.AsObject();
            copy["__now"] = FixedNow.ToString("yyyy-MM-ddTHH:mm:ss");
            w.Write(copy.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            w.Write('\n');
        }
        return path;
    }
}
