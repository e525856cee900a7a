using Athanor.Data;

namespace Athanor.Preference;

/// <summary>A micro-batch of preference rows as one concatenated batch of sequences: all first parts, then all second parts.</summary>
public static class PreferenceBatch
{
    /// <summary>
    /// [chosen 1..n, rejected 1..n] (KTO: [completion 1..n, KL completion 1..n]): one forward scores both, and each is
    /// its own padded row, so nothing of one pair is seen by another.
    /// </summary>
    public static (List<TokenizedSample> Sequences, int Pairs) Sequences(IReadOnlyList<TokenizedSample> rows)
    {
        var parts = rows.Select(PreferenceRow.Split).ToList();
        return ([.. parts.Select(p => p.First), .. parts.Select(p => p.Second)], rows.Count);
    }

    /// <summary>Whether each row's first part is desirable (KTO; always true for pairs).</summary>
    public static bool[] Desirable(IReadOnlyList<TokenizedSample> rows) => rows.Select(r => !PreferenceRow.Split(r).Undesirable).ToArray();
}
