using System.Text.Json;
using Athanor.Templates;

namespace Athanor.Tests.Templates;

public class RenderJsonlTests
{
    private static string Write(params string[] lines)
    {
        string path = Path.Combine(Path.GetTempPath(), $"athanor-render-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void RendersEachLineAsAJsonString()
    {
        string path = Write(
            "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}]}",
            "",
            "{\"system\": \"S\", \"messages\": [{\"role\": \"user\", \"content\": \"问\"}, {\"role\": \"assistant\", \"content\": \"答\"}]}");
        try
        {
            var lines = TemplateRendering.RenderJsonl("qwen3_nothink", CharTokenizer.Qwen(), path).ToList();
            Assert.Equal(2, lines.Count);
            Assert.Equal("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n", JsonSerializer.Deserialize<string>(lines[0]));
            Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n问<|im_end|>\n<|im_start|>assistant\n答<|im_end|>\n", JsonSerializer.Deserialize<string>(lines[1]));
            var model = TemplateRendering.RenderJsonl("model", CharTokenizer.Qwen(TemplateTestData.Read("qwen3.jinja")), path).ToList();
            Assert.StartsWith("\"<|im_start|>user\\nHi<|im_end|>\\n<|im_start|>assistant\\n<think>", model[0]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\"messages\": [{\"role\": \"user\"}]}", "message 0")]
    [InlineData("{not json", "")]
    [InlineData("{\"msgs\": []}", "\"messages\" array")]
    public void MalformedLineNamesFileAndLine(string bad, string fragment)
    {
        string path = Write("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Yo\"}]}", bad);
        try
        {
            var e = Assert.Throws<TemplateInputException>(() => TemplateRendering.RenderJsonl("qwen", CharTokenizer.Qwen(), path).ToList());
            Assert.StartsWith($"{path}:2: ", e.Message);
            Assert.Contains(fragment, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
