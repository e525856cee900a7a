namespace Athanor.Data.Pipeline;

/// <summary>
/// `packing: true`: consecutive samples are concatenated into rows of at most cutoff_len tokens (in data
/// order, a sample is never split), so short samples stop wasting padding. As with LLaMA-Factory's `packing`
/// (without `neat_packing`), attention is causal over the whole row: a sample can attend to the samples packed
/// before it, and positions run on across the row. Labels keep each sample's loss mask, so the loss is
/// still taken only on each sample's own trained tokens.
/// </summary>
public static class SamplePacker
{
    public static IEnumerable<TokenizedSample> Pack(IEnumerable<TokenizedSample> samples, int cutoffLen)
    {
        var ids = new List<int>(cutoffLen);
        var labels = new List<int>(cutoffLen);
        foreach (var s in samples)
        {
            if (ids.Count > 0 && ids.Count + s.Length > cutoffLen)
            {
                yield return new TokenizedSample(ids.ToArray(), labels.ToArray());
                ids.Clear();
                labels.Clear();
            }
            ids.AddRange(s.InputIds);
            // The first token of a packed sample is predicted from the previous sample's end: take no loss on it.
            labels.Add(ids.Count == s.Length ? s.Labels[0] : TokenizedSample.IgnoreIndex);
            labels.AddRange(s.Labels.Skip(1));
        }
        if (ids.Count > 0) yield return new TokenizedSample(ids.ToArray(), labels.ToArray());
    }
}
