namespace Athanor.Parallel.Agreement;

/// <summary>
/// Compares the fingerprints of a group's ranks (pure): null when they agree, else one line naming the first key they
/// disagree on, each value with the nodes and ranks that hold it, and how many other keys disagree too, e.g.
/// "ranks disagree on fused_kernels: true on node-a (rank 0), false on node-b (rank 1)".
/// </summary>
public static class FingerprintDiff
{
    public static string? Disagreement(IReadOnlyList<RankFingerprint> ranks)
    {
        if (ranks.Count < 2) return null;
        // Keys in the order of the lowest rank's fingerprint, then any only others have (a key one rank lacks is a disagreement).
        var keys = ranks.OrderBy(r => r.Rank).SelectMany(r => r.Entries.Select(e => e.Key)).Distinct(StringComparer.Ordinal).ToList();
        var differing = keys.Where(k => ranks.Select(r => ValueOf(r, k)?.Value).Distinct(StringComparer.Ordinal).Count() > 1).ToList();
        if (differing.Count == 0) return null;
        string first = differing[0];
        var line = $"ranks disagree on {first}: {Describe(ranks, first)}";
        if (differing.Count > 1) line += $" (and {differing.Count - 1} more: {string.Join(", ", differing.Skip(1))})";
        return line;
    }

    private static FingerprintEntry? ValueOf(RankFingerprint rank, string key) => rank.Entries.FirstOrDefault(e => e.Key == key);

    /// <summary>"true on node-a (rank 0), false (no NVRTC) on node-b (ranks 1, 2)": each value once, in rank order.</summary>
    private static string Describe(IReadOnlyList<RankFingerprint> ranks, string key)
    {
        var groups = ranks.OrderBy(r => r.Rank).GroupBy(r => ValueOf(r, key)?.Value ?? "(absent)", StringComparer.Ordinal);
        return string.Join(", ", groups.Select(g =>
        {
            var note = g.Select(r => ValueOf(r, key)?.Note).FirstOrDefault(n => n is not null);
            var where = g.GroupBy(r => r.Node, StringComparer.Ordinal).Select(n =>
            {
                var numbers = n.Select(r => r.Rank).ToList();
                return $"{n.Key} ({(numbers.Count == 1 ? "rank" : "ranks")} {string.Join(", ", numbers)})";
            });
            return $"{g.Key}{(note is null ? "" : $" ({note})")} on {string.Join(" and ", where)}";
        }));
    }
}
