using Athanor.Tokenization;

namespace Athanor.Tests.Tokenization;

public class JsonlTokenizationTests
{
    [Fact]
    public void Each_line_becomes_a_json_array_of_ids_without_special_tokens()
    {
        using var dir = new TempDir();
        string input = Path.Combine(dir.Path, "in.jsonl"), output = Path.Combine(dir.Path, "out.jsonl");
        File.WriteAllText(input, "{\"text\": \"Hello\"}\n{\"text\": \"你好 <|im_end|>\", \"id\": 3}\n");
        var qwen = ReferenceJs.Tokenizer("qwen3");

        Assert.Equal(2, JsonlTokenization.TokenizeJsonl(qwen, input, output));

        string[] lines = File.ReadAllLines(output);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"[{string.Join(",", qwen.Encode("Hello"))}]", lines[0]);
        Assert.Equal($"[{string.Join(",", qwen.Encode("你好 <|im_end|>"))}]", lines[1]);
        Assert.EndsWith(",151645]", lines[1]);
    }

    [Theory]
    [InlineData("{\"text\": 5}", "\"text\" is 5")]
    [InlineData("{\"txt\": \"x\"}", "no \"text\" key")]
    [InlineData("[1, 2]", "found a JSON Array")]
    [InlineData("{\"text\": ", "not valid JSON")]
    [InlineData("", "empty line")]
    public void Malformed_line_reports_file_and_line(string badLine, string expected)
    {
        using var dir = new TempDir();
        string input = Path.Combine(dir.Path, "bad.jsonl");
        File.WriteAllText(input, "{\"text\": \"ok\"}\n" + badLine + "\n{\"text\": \"ok\"}\n");
        var e = Assert.Throws<JsonlFormatException>(() => JsonlTokenization.TokenizeJsonl(new ByteTokenizer(), input, TextWriter.Null));
        Assert.StartsWith($"{input}:2: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Equal(2, e.Line);
    }
}
