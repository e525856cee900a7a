using Athanor.Data;
using Athanor.Data.Formats;
using Athanor.Data.Pipeline;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Tests.Data.Pipeline;

/// <summary>The parallel encoder must give the sequential <see cref="SampleEncoder"/>'s samples, in its order, id for id.</summary>
public class ParallelSampleEncoderTests
{
    private static void AssertSame(IReadOnlyList<TokenizedSample> expected, IReadOnlyList<TokenizedSample> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].InputIds, actual[i].InputIds);
            Assert.Equal(expected[i].Labels, actual[i].Labels);
        }
    }

    [Theory]
    [InlineData(1, 48)]
    [InlineData(2, 48)]
    [InlineData(4, 200)]
    public void ByteTokenizerConversationsMatchTheSequentialEncoder(int workers, int cutoff)
    {
        var tokenizer = new ByteTokenizer();
        var template = ChatTemplates.Get("default", tokenizer);
        var data = DatasetLoader.LoadConversations(new DatasetLoadOptions
        {
            DatasetDir = PipelineTestData.LlamaFactoryDir, Datasets = ["identity", "alpaca_en_demo"], MaxSamples = 300,
        });
        var (expected, expectedReport) = SampleEncoder.EncodeConversations(data.Train, template, tokenizer, cutoff, trainOnPrompt: false);
        var tally = new EncodingTally();
        var actual = ParallelSampleEncoder.EncodeConversations(data.Train, template, tokenizer, cutoff, false, workers, tally).ToList();
        AssertSame(expected, actual);
        Assert.Equal(expectedReport.ToString(), tally.Report().ToString());
        Assert.True(expectedReport.Truncated > 0, "the cutoff must truncate some samples for this test to mean anything");
    }

    [Fact]
    public void Qwen3ConversationsMatchTheSequentialEncoderAcrossThreads()
    {
        // A shared HfTokenizer (with its BPE cache filled from several threads at once) and a shared template.
        var tokenizer = PipelineTestData.Qwen3Tokenizer;
        var template = ChatTemplates.Get("qwen3_nothink", tokenizer);
        var data = DatasetLoader.LoadConversations(new DatasetLoadOptions
        {
            DatasetDir = PipelineTestData.LlamaFactoryDir, Datasets = ["alpaca_zh_demo"], MaxSamples = 200,
        });
        var (expected, expectedReport) = SampleEncoder.EncodeConversations(data.Train, template, tokenizer, 256, trainOnPrompt: true);
        var fresh = HfTokenizer.FromFolder(PipelineTestData.Qwen3TokenizerDir); // empty cache: threads race to fill it
        var tally = new EncodingTally();
        var actual = ParallelSampleEncoder.EncodeConversations(data.Train, ChatTemplates.Get("qwen3_nothink", fresh), fresh, 256, true, 4, tally).ToList();
        AssertSame(expected, actual);
        Assert.Equal(expectedReport.ToString(), tally.Report().ToString());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 17)]
    [InlineData(2, 1000)]
    public void PretrainingBlocksMatchTheSequentialEncoder(int workers, int cutoff)
    {
        var tokenizer = new ByteTokenizer();
        var texts = DatasetLoader.LoadPretrainingText(new DatasetLoadOptions
        {
            DatasetDir = PipelineTestData.LlamaFactoryDir, Datasets = ["c4_demo"], MaxSamples = cutoff == 1 ? 3 : 40,
        }).Train;
        var (expected, expectedReport) = SampleEncoder.EncodeText(texts, tokenizer, cutoff);
        var tally = new EncodingTally();
        var actual = ParallelSampleEncoder.EncodeText(texts, tokenizer, cutoff, workers, tally).ToList();
        AssertSame(expected, actual);
        Assert.Equal(expectedReport.ToString(), tally.Report().ToString());
    }
}
