namespace Athanor.Serving.Engine;

/// <summary>
/// Stop strings over the text decoded so far: where the text ends (the first stop string, excluded) and how much of it
/// is safe to stream (nothing that could still turn into a stop string, no half-decoded UTF-8 character).
/// </summary>
public sealed class StopText(IReadOnlyList<string> stops)
{
    /// <summary>The index of the first stop string in text, or -1.</summary>
    public int FirstStop(string text)
    {
        int first = -1;
        foreach (var s in stops)
        {
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (first < 0 || i < first)) first = i;
        }
        return first;
    }

    /// <summary>The length of text that can be sent now: it holds back a tail that is the start of a stop string or an incomplete character.</summary>
    public int SafeLength(string text)
    {
        int safe = text.Length;
        while (safe > 0 && text[safe - 1] == '\uFFFD') safe--; // a multi-byte character whose bytes are not all here yet
        int held = 0;
        foreach (var s in stops)
            for (int k = Math.Min(s.Length - 1, safe); k > held; k--)
                if (string.CompareOrdinal(text, safe - k, s, 0, k) == 0) { held = k; break; }
        return safe - held;
    }
}
