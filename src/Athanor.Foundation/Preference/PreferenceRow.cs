using Athanor.Data;

namespace Athanor.Preference;

/// <summary>
/// How a preference record is one sample in the token cache and the trainer's data, so sample order, epochs, resume and
/// the cache work for pairs as they do for SFT samples: [prompt | chosen | prompt | rejected] for stage dpo, and
/// [prompt | completion | KL prompt | KL completion] for stage kto. Prompt labels are -100 and response labels equal
/// their ids (LLaMA-Factory's pairwise and feedback processors), so the second part starts where the masked run after
/// the first response begins. A KTO row with an undesirable completion carries <see cref="UndesirableMark"/> as its
/// first label (the first label is never a target).
/// </summary>
public static class PreferenceRow
{
    /// <summary>Label 0 of a KTO row whose completion is undesirable.</summary>
    public const int UndesirableMark = -101;

    /// <summary>One part: a prompt (not trained) and its response (trained).</summary>
    public readonly record struct Part(int[] Prompt, int[] Response)
    {
        public int Length => Prompt.Length + Response.Length;

        public TokenizedSample ToSample() =>
            new([.. Prompt, .. Response], [.. Enumerable.Repeat(TokenizedSample.IgnoreIndex, Prompt.Length), .. Response]);
    }

    /// <summary>The row of two parts; both need a prompt and a response of at least one token.</summary>
    public static TokenizedSample Join(Part first, Part second, bool undesirable = false)
    {
        if (first.Prompt.Length == 0 || second.Prompt.Length == 0 || first.Response.Length == 0 || second.Response.Length == 0)
            throw new ArgumentException("each part of a preference row needs a prompt and a response of at least one token");
        var a = first.ToSample();
        var b = second.ToSample();
        var labels = (int[])[.. a.Labels, .. b.Labels];
        if (undesirable) labels[0] = UndesirableMark;
        return new TokenizedSample([.. a.InputIds, .. b.InputIds], labels);
    }

    /// <summary>The row's two sequences (chosen and rejected, or completion and KL completion), and the KTO tag.</summary>
    public static (TokenizedSample First, TokenizedSample Second, bool Undesirable) Split(TokenizedSample row)
    {
        var labels = row.Labels;
        bool undesirable = labels.Length > 0 && labels[0] == UndesirableMark;
        for (int i = 1; i < labels.Length; i++)
        {
            if (labels[i] != TokenizedSample.IgnoreIndex || labels[i - 1] == TokenizedSample.IgnoreIndex || labels[i - 1] == UndesirableMark) continue;
            var firstLabels = labels[..i];
            if (undesirable) firstLabels[0] = TokenizedSample.IgnoreIndex;
            return (new TokenizedSample(row.InputIds[..i], firstLabels), new TokenizedSample(row.InputIds[i..], labels[i..]), undesirable);
        }
        throw new ArgumentException($"a sample of {row.Length} tokens is not a preference row (no second prompt after a response)");
    }
}
