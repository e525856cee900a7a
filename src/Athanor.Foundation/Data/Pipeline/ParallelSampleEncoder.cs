using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Data.Pipeline;

/// <summary>
/// <see cref="SampleEncoder"/>'s rules (truncate to cutoff_len, drop samples with nothing to learn; pt text joined with
/// EOS and cut into blocks) applied to a stream on several cores. The output order and every id equal the sequential
/// encoder's exactly; templates and tokenizers are shared across threads (both are stateless or thread-safe).
/// </summary>
public static class ParallelSampleEncoder
{
    private readonly record struct Encoded(TokenizedSample Sample, bool Truncated, int Targets);

    /// <summary>Supervised samples, streamed in input order; the tally is complete once the stream is exhausted.</summary>
    public static IEnumerable<TokenizedSample> EncodeConversations(IEnumerable<Conversation> conversations, IChatTemplate template,
        ITokenizer tokenizer, int cutoffLen, bool trainOnPrompt, int workers, EncodingTally tally)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cutoffLen, 1);
        var encoded = OrderedParallel.Map(conversations, c => EncodeOne(c, template, tokenizer, cutoffLen, trainOnPrompt), workers, batchSize: 64);
        foreach (var e in encoded)
        {
            if (e.Truncated) tally.Truncated();
            if (e.Targets == 0)
            {
                tally.DroppedNoTargets();
                continue;
            }
            tally.Kept(e.Sample.Length, e.Targets);
            yield return e.Sample;
        }
    }

    private static Encoded EncodeOne(Conversation conversation, IChatTemplate template, ITokenizer tokenizer, int cutoffLen, bool trainOnPrompt)
    {
        var sample = template.Encode(conversation, tokenizer, trainOnPrompt);
        bool truncated = sample.Length > cutoffLen;
        if (truncated) sample = new TokenizedSample(sample.InputIds[..cutoffLen], sample.Labels[..cutoffLen]);
        // The first label never counts: the model predicts token t from tokens before it.
        int targets = 0;
        var labels = sample.Labels;
        for (int i = 1; i < labels.Length; i++)
            if (labels[i] != TokenizedSample.IgnoreIndex) targets++;
        return new Encoded(sample, truncated, targets);
    }

    /// <summary>Pre-training blocks: each text's ids plus EOS, concatenated and cut into cutoff_len blocks (a last
    /// block needs at least 2 tokens), streamed with one block of look-ahead.</summary>
    public static IEnumerable<TokenizedSample> EncodeText(IEnumerable<string> texts, ITokenizer tokenizer, int cutoffLen, int workers, EncodingTally tally)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cutoffLen, 1);
        var buffer = new List<int>(cutoffLen * 2);
        int start = 0;
        foreach (var ids in OrderedParallel.Map(texts, t => tokenizer.Encode(t), workers))
        {
            buffer.AddRange(ids);
            if (tokenizer.EosTokenId is int eos) buffer.Add(eos);
            // A full block goes out once a token follows it, as the sequential loop's start + 1 < count.
            while (buffer.Count - start > cutoffLen)
            {
                yield return Block(buffer, start, cutoffLen, tally);
                start += cutoffLen;
            }
            if (start > 0)
            {
                buffer.RemoveRange(0, start);
                start = 0;
            }
        }
        if (buffer.Count >= 2) yield return Block(buffer, 0, buffer.Count, tally);
    }

    private static TokenizedSample Block(List<int> buffer, int start, int length, EncodingTally tally)
    {
        var ids = buffer.GetRange(start, length).ToArray();
        tally.Kept(length, length - 1);
        return new TokenizedSample(ids, (int[])ids.Clone());
    }
}
