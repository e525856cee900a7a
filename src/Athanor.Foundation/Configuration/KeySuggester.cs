namespace Athanor.Configuration;

/// <summary>Finds the known key closest to a mistyped one ("did you mean ...").</summary>
internal static class KeySuggester
{
    /// <summary>The closest candidate by edit distance (a swap of neighbours counts as one edit), or null when none is close.</summary>
    public static string? Closest(string key, IEnumerable<string> candidates)
    {
        // No known key is near this long: skip the quadratic distance for a huge unknown key.
        if (key.Length > 100)
            return null;
        var lowered = key.ToLowerInvariant();
        // Allow about one edit per three characters, at least two: close enough to be a typo.
        var limit = Math.Max(2, lowered.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = Distance(lowered, candidate);
            if (d < bestDistance)
                (best, bestDistance) = (candidate, d);
        }
        return bestDistance <= limit ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    public static int Distance(string a, string b)
    {
        // Three rolling rows instead of a full matrix: keys are short but this runs once per known key.
        var prev2 = new int[b.Length + 1];
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
            prev[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                var d = Math.Min(Math.Min(prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d = Math.Min(d, prev2[j - 2] + 1);
                cur[j] = d;
            }
            (prev2, prev, cur) = (prev, cur, prev2);
        }
        return prev[b.Length];
    }
}
