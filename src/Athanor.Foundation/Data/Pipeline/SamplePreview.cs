using Athanor.Tokenization;

namespace Athanor.Data.Pipeline;

/// <summary>One stretch of a sample's text, and whether the loss is taken on its tokens.</summary>
public readonly record struct PreviewSpan(string Text, bool Trained);

/// <summary>
/// A sample as the trainer sees it, back in text: consecutive tokens with the same mask are decoded together, so the
/// spans show exactly which text is learned (after truncation, with the template's special tokens).
/// </summary>
public static class SamplePreview
{
    public static IReadOnlyList<PreviewSpan> Spans(TokenizedSample sample, ITokenizer tokenizer)
    {
        var spans = new List<PreviewSpan>();
        int start = 0;
        for (int i = 1; i <= sample.Length; i++)
        {
            if (i < sample.Length && IsTrained(sample, i) == IsTrained(sample, start)) continue;
            spans.Add(new PreviewSpan(tokenizer.Decode(sample.InputIds[start..i]), IsTrained(sample, start)));
            start = i;
        }
        return spans;
    }

    private static bool IsTrained(TokenizedSample sample, int i) => sample.Labels[i] != TokenizedSample.IgnoreIndex;
}

/// <summary>Sample lengths counted into equal buckets from 1 to cutoff_len.</summary>
public sealed record LengthHistogram(int BucketWidth, long[] Counts, int CutoffLen)
{
    public static LengthHistogram Of(IReadOnlyList<TokenizedSample> samples, int cutoffLen, int buckets = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cutoffLen, 1);
        buckets = Math.Clamp(buckets, 1, cutoffLen);
        int width = (cutoffLen + buckets - 1) / buckets;
        buckets = (cutoffLen + width - 1) / width;
        var counts = new long[buckets];
        var mapped = samples as MappedSamples;
        for (int i = 0; i < samples.Count; i++)
        {
            int length = mapped?.LengthOf(i) ?? samples[i].Length;
            counts[Math.Clamp((length - 1) / width, 0, buckets - 1)]++;
        }
        return new LengthHistogram(width, counts, cutoffLen);
    }

    /// <summary>Text rows "   1-  64 | ##### 12", bars scaled to <paramref name="barWidth"/> characters.</summary>
    public IEnumerable<string> Rows(int barWidth = 40)
    {
        long max = Math.Max(1, Counts.Max());
        int digits = CutoffLen.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        for (int b = 0; b < Counts.Length; b++)
        {
            int low = b * BucketWidth + 1, high = Math.Min(CutoffLen, (b + 1) * BucketWidth);
            int bar = (int)Math.Ceiling((double)Counts[b] * barWidth / max);
            yield return $"{low.ToString().PadLeft(digits)}-{high.ToString().PadLeft(digits)} | {new string('#', bar)} {Counts[b]}";
        }
    }
}
