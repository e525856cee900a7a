using Athanor.Data;
using Athanor.Data.Formats;
using Athanor.Data.Pipeline;
using Athanor.Templates;
using Athanor.Tokenization;

namespace Athanor.Preference;

/// <summary>
/// Preference records to <see cref="PreferenceRow"/> samples, as LLaMA-Factory's pairwise and feedback processors do:
/// the prompt rendered once by the template (chosen and rejected share it token for token), each response after it;
/// responses fully trained, the prompt never (train_on_prompt does not apply); both cut to fit cutoff_len by
/// <see cref="InferSeqLen"/> with the longer response's length as the target. A record whose prompt alone is longer
/// than cutoff_len is an error naming it, or dropped and counted under on_bad_record: skip.
/// </summary>
public static class PreferenceEncoder
{
    /// <summary>
    /// LLaMA-Factory's infer_seqlen: a short response keeps its length and the prompt takes the rest; else a short
    /// prompt keeps its length and the response takes the rest; else both are cut in proportion to their lengths.
    /// </summary>
    public static (int Source, int Target) InferSeqLen(int source, int target, int cutoff)
    {
        int maxTarget = target * 2 < cutoff ? cutoff
            : source * 2 < cutoff ? cutoff - source
            : (int)(cutoff * ((double)target / (source + target)));
        int newTarget = Math.Min(maxTarget, target);
        int newSource = Math.Min(Math.Max(cutoff - newTarget, 0), source);
        return (newSource, newTarget);
    }

    /// <summary>Stage dpo rows: [prompt | chosen | prompt | rejected].</summary>
    public static IEnumerable<TokenizedSample> EncodePairs(IEnumerable<PreferencePair> pairs, IChatTemplate template, ITokenizer tokenizer,
        int cutoffLen, OnBadRecord onBadRecord, EncodingTally tally)
    {
        int index = 0;
        foreach (var pair in pairs)
        {
            index++;
            var chosen = Render(pair.Prompt.With(pair.Chosen), template, tokenizer);
            var rejected = Render(pair.Prompt.With(pair.Rejected), template, tokenizer);
            if (!chosen.Prompt.AsSpan().SequenceEqual(rejected.Prompt))
                throw new DatasetException($"preference pair {index}: the template renders its prompt differently before the chosen and the rejected response; " +
                    $"template '{template.Name}' cannot be used for preference training");
            if (PromptTooLong(chosen.Prompt.Length, cutoffLen, index, "pair", onBadRecord, tally)) continue;
            var (source, target) = InferSeqLen(chosen.Prompt.Length, Math.Max(chosen.Response.Length, rejected.Response.Length), cutoffLen);
            var prompt = chosen.Prompt[..source];
            var row = PreferenceRow.Join(new(prompt, Cut(chosen.Response, target)), new(prompt, Cut(rejected.Response, target)));
            Count(row, truncated: source < chosen.Prompt.Length || target < Math.Max(chosen.Response.Length, rejected.Response.Length), tally);
            yield return row;
        }
    }

    /// <summary>
    /// Stage kto rows: [prompt | completion | prompt | KL completion]. The KL completion of record i is record i-1's
    /// (record 0 takes the last one's), within blocks of 1000 records: LLaMA-Factory's mismatched pairs, made per
    /// preprocessing batch of the datasets library's default size.
    /// </summary>
    public static IEnumerable<TokenizedSample> EncodeFeedback(IReadOnlyList<FeedbackExample> examples, IChatTemplate template, ITokenizer tokenizer,
        int cutoffLen, OnBadRecord onBadRecord, EncodingTally tally)
    {
        const int Block = 1000;
        for (int i = 0; i < examples.Count; i++)
        {
            int blockStart = i / Block * Block, blockEnd = Math.Min(blockStart + Block, examples.Count);
            var other = examples[i == blockStart ? blockEnd - 1 : i - 1];
            var example = examples[i];
            var main = Render(example.Prompt.With(example.Completion), template, tokenizer);
            var kl = Render(example.Prompt.With(other.Completion), template, tokenizer);
            if (PromptTooLong(main.Prompt.Length, cutoffLen, i + 1, "example", onBadRecord, tally)) continue;
            var (source, target) = InferSeqLen(main.Prompt.Length, main.Response.Length, cutoffLen);
            var (klSource, klTarget) = InferSeqLen(kl.Prompt.Length, kl.Response.Length, cutoffLen);
            var row = PreferenceRow.Join(new(main.Prompt[..source], Cut(main.Response, target)),
                new(kl.Prompt[..klSource], Cut(kl.Response, klTarget)), undesirable: !example.Desirable);
            Count(row, truncated: source + target < main.Prompt.Length + main.Response.Length, tally);
            yield return row;
        }
    }

    /// <summary>The rendered conversation split before its last response: LLaMA-Factory's encode_oneturn.</summary>
    public static (int[] Prompt, int[] Response) Render(Conversation conversation, IChatTemplate template, ITokenizer tokenizer)
    {
        var sample = template.Encode(conversation, tokenizer, trainOnPrompt: false);
        int end = Array.FindLastIndex(sample.Labels, l => l != TokenizedSample.IgnoreIndex);
        if (end < 0) throw new DatasetException($"template '{template.Name}' marked no response tokens in a preference record");
        int start = end;
        while (start > 0 && sample.Labels[start - 1] != TokenizedSample.IgnoreIndex) start--;
        return (sample.InputIds[..start], sample.InputIds[start..]);
    }

    private static int[] Cut(int[] response, int length) => response[..Math.Min(length, response.Length)];

    private static bool PromptTooLong(int promptLength, int cutoffLen, int index, string what, OnBadRecord onBadRecord, EncodingTally tally)
    {
        if (promptLength < cutoffLen) return false;
        if (onBadRecord == OnBadRecord.Skip)
        {
            tally.DroppedPromptOverCutoff();
            return true;
        }
        throw new DatasetException($"preference {what} {index}: its prompt alone is {promptLength} tokens, leaving no room for a response within " +
            $"cutoff_len {cutoffLen}; raise cutoff_len, shorten the prompt, or set on_bad_record: skip to skip and count such records");
    }

    private static void Count(TokenizedSample row, bool truncated, EncodingTally tally)
    {
        if (truncated) tally.Truncated();
        tally.Kept(row.Length, row.Labels.Count(l => l >= 0));
    }
}
