using System.Text;
using Athanor.Templates.Jinja;

namespace Athanor.Tests.Templates;

/// <summary>Every official template over the whole corpus: our interpreter must produce exactly what @huggingface/jinja does.</summary>
public class JinjaParityTests
{
    public static TheoryData<string> TemplateFiles => new()
    {
        "qwen3.jinja", "llama3.jinja", "llama3_1.jinja", "llama3_2.jinja", "qwen2_5.jinja", "mistral_instruct.jinja", "llama2_chat.jinja",
    };

    [Theory]
    [MemberData(nameof(TemplateFiles))]
    public void RendersCorpusExactlyLikeHuggingFaceJinja(string templateFile)
    {
        var lines = TemplateTestData.CorpusFor(templateFile);
        Assert.True(lines.Count >= 100, "the corpus must hold at least 100 conversations");
        string input = TemplateTestData.WriteReferenceInput(templateFile, lines);
        IReadOnlyList<ReferenceJinja.Result> expected;
        try
        {
            expected = ReferenceJinja.Render(TemplateTestData.Path_(templateFile), input);
        }
        finally
        {
            File.Delete(input);
        }
        Assert.Equal(lines.Count, expected.Count);

        var template = new JinjaTemplate(TemplateTestData.Read(templateFile)) { Now = () => TemplateTestData.FixedNow };
        var failures = new StringBuilder();
        int rendered = 0, divergent = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            var vars = (Dictionary<string, object?>)JinjaJson.Parse(lines[i].ToJsonString())!;
            string? actual = null, error = null;
            try
            {
                actual = template.Render(vars);
            }
            catch (JinjaException e)
            {
                error = e.Message;
            }
            if (KnownReferenceDivergence(templateFile, lines[i]) != null)
            {
                divergent++;
                continue;
            }
            if (expected[i].Error != null)
            {
                if (error == null) failures.AppendLine($"corpus line {i + 1}: reference failed ({expected[i].Error}) but we rendered");
                continue;
            }
            if (error != null)
            {
                failures.AppendLine($"corpus line {i + 1}: we failed: {error}");
                continue;
            }
            var diff = TextDiff.FirstDifference(expected[i].Text!, actual!);
            if (diff != null) failures.AppendLine($"corpus line {i + 1}: {diff}");
            else rendered++;
        }
        Assert.True(failures.Length == 0, $"{templateFile}: {failures}");
        Assert.True(rendered > 0);
        Assert.True(divergent < lines.Count / 4, $"{divergent} lines skipped as known divergences");
    }

    /// <summary>
    /// Where @huggingface/jinja departs from Python's jinja2 (which transformers runs), we follow Python; such lines are
    /// left out of the comparison and pinned by unit tests instead. Returns the reason, or null.
    /// </summary>
    private static string? KnownReferenceDivergence(string templateFile, System.Text.Json.Nodes.JsonObject line)
    {
        // JS compares with loose ==, so '' != false is false there; in Python it is true and Llama 2 renders an
        // empty <<SYS>> block for an empty system prompt (pinned by JinjaInterpreterTests.EmptyStringIsNotEqualToFalse).
        var first = line["messages"]?.AsArray().FirstOrDefault();
        if (templateFile == "llama2_chat.jinja" && first?["role"]?.GetValue<string>() == "system" && first["content"]?.GetValue<string>() == "")
            return "'' != false";
        return null;
    }
}
