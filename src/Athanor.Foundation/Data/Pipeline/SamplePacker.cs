namespace Athanor.Data.Pipeline;

/// <summary>
/// `packing: true`: samples are packed into rows of at most cutoff_len tokens, a sample never split, by best-fit
/// decreasing within windows of <see cref="WindowSamples"/> samples in data order: the window's samples, longest
/// first, each go into the fullest row they still fit (a new row if none). Packing consecutive samples instead
/// leaves rows ragged (the demo data's mean row was 78% of cutoff_len); here rows come out nearly full, so a
/// step's ranks and micro-batches carry about the same tokens and no compute goes to padding. The window keeps
/// memory bounded on any dataset size (LLaMA-Factory packs per preprocessing batch the same way). As with its
/// `packing` (without `neat_packing`), attention is causal over the whole row: a sample can attend to the
/// samples packed before it, and positions run on across the row. Labels keep each sample's loss mask, so
/// the loss is still taken only on each sample's own trained tokens; the first token of a follower takes none.
/// </summary>
public static class SamplePacker
{
    /// <summary>Samples packed together; larger windows fill rows a little better and hold more in memory.</summary>
    public const int WindowSamples = 4096;

    public static IEnumerable<TokenizedSample> Pack(IEnumerable<TokenizedSample> samples, int cutoffLen, int windowSamples = WindowSamples)
    {
        if (cutoffLen < 1) throw new ArgumentOutOfRangeException(nameof(cutoffLen), cutoffLen, "cutoff_len must be at least 1");
        if (windowSamples < 1) throw new ArgumentOutOfRangeException(nameof(windowSamples), windowSamples, "a packing window holds at least 1 sample");
        var window = new List<TokenizedSample>(Math.Min(windowSamples, 65536));
        foreach (var sample in samples)
        {
            window.Add(sample);
            if (window.Count < windowSamples) continue;
            foreach (var row in PackWindow(window, cutoffLen)) yield return row;
            window.Clear();
        }
        foreach (var row in PackWindow(window, cutoffLen)) yield return row;
    }

    /// <summary>Best-fit decreasing: rows in the order they were opened, each row's samples in the order they went in.</summary>
    private static List<TokenizedSample> PackWindow(List<TokenizedSample> window, int cutoffLen)
    {
        // Longest first; equal lengths keep data order, so the packing is the same on every rank and run.
        var order = Enumerable.Range(0, window.Count).OrderByDescending(i => window[i].Length).ThenBy(i => i);
        var rows = new List<List<TokenizedSample>>();
        var lengths = new List<int>();
        // Rows by room left (then by index): the best fit is the first row with room >= the sample's length.
        var byRoom = new SortedSet<(int Room, int Row)>();
        foreach (int i in order)
        {
            var sample = window[i];
            int length = Math.Min(sample.Length, cutoffLen);
            var fit = byRoom.GetViewBetween((length, -1), (cutoffLen, int.MaxValue));
            int row;
            if (fit.Count > 0)
            {
                var best = fit.Min;
                byRoom.Remove(best);
                row = best.Row;
            }
            else
            {
                row = rows.Count;
                rows.Add([]);
                lengths.Add(0);
            }
            rows[row].Add(sample);
            lengths[row] += length;
            if (lengths[row] < cutoffLen) byRoom.Add((cutoffLen - lengths[row], row));
        }
        return rows.Select(Concatenate).ToList();
    }

    private static TokenizedSample Concatenate(List<TokenizedSample> members)
    {
        int total = members.Sum(s => s.Length);
        var ids = new int[total];
        var labels = new int[total];
        int at = 0;
        foreach (var s in members)
        {
            s.InputIds.CopyTo(ids, at);
            s.Labels.CopyTo(labels, at);
            // The first token of a packed sample is predicted from the previous sample's end: take no loss on it.
            if (at > 0 && s.Length > 0) labels[at] = TokenizedSample.IgnoreIndex;
            at += s.Length;
        }
        return new TokenizedSample(ids, labels);
    }
}
