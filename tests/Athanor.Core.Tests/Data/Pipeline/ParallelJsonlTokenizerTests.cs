using System.Text;
using Athanor.Data.Pipeline;
using Athanor.Tokenization;

namespace Athanor.Tests.Data.Pipeline;

public sealed class ParallelJsonlTokenizerTests : IDisposable
{
    private readonly TestPaths.TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void WritesTheSameBytesAsTheSequentialTokenizer(int workers)
    {
        var input = _temp.Sub("in.jsonl");
        File.WriteAllText(input, string.Concat(File.ReadLines(Path.Combine(PipelineTestData.LlamaFactoryDir, "c4_demo.jsonl")).Take(300).Select(l => l + "\n")));
        var tokenizer = PipelineTestData.Qwen3Tokenizer;
        var expected = new StringWriter();
        JsonlTokenization.TokenizeJsonl(tokenizer, input, expected);
        var actual = new StringWriter();
        var (lines, tokens) = ParallelJsonlTokenizer.Tokenize(tokenizer, input, actual, workers);
        Assert.Equal(expected.ToString(), actual.ToString());
        Assert.Equal(300, lines);
        Assert.True(tokens > 10_000);
    }

    [Fact]
    public void TheFirstBadLineIsReportedWithFileAndLine()
    {
        var input = _temp.Sub("bad.jsonl");
        var text = new StringBuilder();
        for (int i = 1; i <= 1000; i++)
            text.Append(i switch { 700 => "{\"text\": 5}\n", 900 => "oops\n", _ => "{\"text\": \"line " + i + "\"}\n" });
        File.WriteAllText(input, text.ToString());
        var error = Assert.Throws<JsonlFormatException>(() => ParallelJsonlTokenizer.Tokenize(new ByteTokenizer(), input, TextWriter.Null, 4));
        Assert.Equal(700, error.Line);
        Assert.StartsWith($"{input}:700: \"text\" is", error.Message);
    }
}
