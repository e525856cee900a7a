using Athanor.Data;
using Athanor.Data.Pipeline;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Tests.Data.Pipeline;

public class SamplePreviewTests
{
    [Fact]
    public void SpansSeparateTheTrainedAnswerFromThePrompt()
    {
        var tokenizer = new ByteTokenizer();
        var template = ChatTemplates.Get("default", tokenizer);
        var sample = template.Encode(new Conversation([new ChatMessage("user", "2+2?"), new ChatMessage("assistant", "4")]), tokenizer);
        var spans = SamplePreview.Spans(sample, tokenizer);
        Assert.Equal(template.RenderText(new Conversation([new ChatMessage("user", "2+2?"), new ChatMessage("assistant", "4")])),
                     string.Concat(spans.Select(s => s.Text)));
        var trained = Assert.Single(spans, s => s.Trained);
        Assert.StartsWith("4", trained.Text);
        Assert.Contains("2+2?", spans[0].Text);
        Assert.False(spans[0].Trained);
    }

    [Fact]
    public void HistogramBucketsLengthsUpToCutoff()
    {
        int[] lengths = [1, 2, 25, 26, 100, 100, 100];
        var samples = lengths.Select(n => new TokenizedSample(new int[n], new int[n])).ToList();
        var histogram = LengthHistogram.Of(samples, 100, buckets: 4);
        Assert.Equal(25, histogram.BucketWidth);
        Assert.Equal([3L, 1, 0, 3], histogram.Counts);
        var rows = histogram.Rows(barWidth: 6).ToList();
        Assert.Equal("  1- 25 | ###### 3", rows[0]);
        Assert.Equal(" 51- 75 |  0", rows[2]);
        Assert.Equal(" 76-100 | ###### 3", rows[3]);
    }
}
