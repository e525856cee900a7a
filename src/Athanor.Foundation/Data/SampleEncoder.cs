using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Data;

/// <summary>Why a rendered sample did not make it into training.</summary>
public enum DroppedReason
{
    NoTrainedTokens,
    /// <summary>A preference record whose prompt alone is longer than cutoff_len (skipped under on_bad_record: skip).</summary>
    PromptOverCutoff,
}

/// <summary>What encoding did to a dataset: counts a person can check against their data.</summary>
public sealed record EncodingReport(int Kept, int Truncated, IReadOnlyDictionary<DroppedReason, int> Dropped, long Tokens, long TargetTokens)
{
    public override string ToString() =>
        $"{Kept} samples, {Tokens:N0} tokens ({TargetTokens:N0} trained), {Truncated} truncated to cutoff_len" +
        string.Concat(Dropped.Select(d => $", {d.Value} dropped ({d.Key switch { DroppedReason.NoTrainedTokens => "no trained tokens left after truncation", DroppedReason.PromptOverCutoff => "prompt alone longer than cutoff_len", _ => d.Key.ToString() }})"));
}

/// <summary>Turns conversations (or plain text) into token ids and labels ready for batching.</summary>
public static class SampleEncoder
{
    /// <summary>Supervised samples: render with the template, keep at most cutoffLen tokens, drop samples with nothing to learn.</summary>
    public static (List<TokenizedSample> Samples, EncodingReport Report) EncodeConversations(
        IEnumerable<Conversation> conversations, IChatTemplate template, ITokenizer tokenizer, int cutoffLen, bool trainOnPrompt)
    {
        var samples = new List<TokenizedSample>();
        int truncated = 0, noTargets = 0;
        long tokens = 0, targets = 0;
        foreach (var conversation in conversations)
        {
            var sample = template.Encode(conversation, tokenizer, trainOnPrompt);
            if (sample.Length > cutoffLen)
            {
                sample = new TokenizedSample(sample.InputIds[..cutoffLen], sample.Labels[..cutoffLen]);
                truncated++;
            }
            int sampleTargets = sample.Labels.Skip(1).Count(l => l != TokenizedSample.IgnoreIndex);
            if (sampleTargets == 0) { noTargets++; continue; }
            samples.Add(sample);
            tokens += sample.Length;
            targets += sampleTargets;
        }
        var dropped = noTargets > 0 ? new Dictionary<DroppedReason, int> { [DroppedReason.NoTrainedTokens] = noTargets } : [];
        return (samples, new EncodingReport(samples.Count, truncated, dropped, tokens, targets));
    }

    /// <summary>Pre-training text: each text plus EOS, concatenated and cut into blocks of cutoffLen (LLaMA-Factory's stage pt).</summary>
    public static (List<TokenizedSample> Samples, EncodingReport Report) EncodeText(IEnumerable<string> texts, ITokenizer tokenizer, int cutoffLen)
    {
        var stream = new List<int>();
        foreach (var text in texts)
        {
            stream.AddRange(tokenizer.Encode(text));
            if (tokenizer.EosTokenId is int eos) stream.Add(eos);
        }
        var samples = new List<TokenizedSample>();
        for (int start = 0; start + 1 < stream.Count; start += cutoffLen)
        {
            var ids = stream.GetRange(start, Math.Min(cutoffLen, stream.Count - start)).ToArray();
            samples.Add(new TokenizedSample(ids, ids.ToArray()));
        }
        long tokens = samples.Sum(s => (long)s.Length);
        return (samples, new EncodingReport(samples.Count, 0, new Dictionary<DroppedReason, int>(), tokens, tokens - samples.Count));
    }
}
