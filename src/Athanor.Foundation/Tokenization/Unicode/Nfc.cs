using System.Collections.Frozen;
using System.Text;

namespace Athanor.Tokenization.Unicode;

/// <summary>
/// Unicode canonical normalization (NFC and NFD) in managed code. Athanor runs with InvariantGlobalization,
/// under which string.Normalize does nothing, yet Qwen's tokenizer.json asks for NFC before BPE.
/// Tables come from NfcData.g.cs; Hangul is algorithmic.
/// </summary>
internal static class Nfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly byte[] BmpClass = new byte[0x10000];
    private static readonly FrozenDictionary<int, byte> SupplementaryClass;
    private static readonly FrozenDictionary<int, int[]> FullDecomposition;
    private static readonly FrozenDictionary<long, int> Compositions;
    // BMP code units that may change under NFC (or let a neighbour change); everything else is a fast pass.
    private static readonly bool[] BmpMaybeUnstable = new bool[0x10000];
    private static readonly FrozenSet<int> SupplementaryMaybeUnstable;

    static Nfc()
    {
        var supClass = new Dictionary<int, byte>();
        var unstableSup = new HashSet<int>();
        ReadOnlySpan<int> classes = NfcData.CombiningClasses;
        for (int i = 0; i < classes.Length; i += 2)
        {
            int cp = classes[i];
            if (cp < 0x10000) BmpClass[cp] = (byte)classes[i + 1];
            else supClass[cp] = (byte)classes[i + 1];
            MarkUnstable(cp, unstableSup);
        }
        SupplementaryClass = supClass.ToFrozenDictionary();

        var direct = new Dictionary<int, (int First, int Second)>();
        var compositions = new Dictionary<long, int>();
        ReadOnlySpan<int> decompositions = NfcData.Decompositions;
        for (int i = 0; i < decompositions.Length; i += 4)
        {
            int cp = decompositions[i], first = decompositions[i + 1], second = decompositions[i + 2];
            bool primaryComposite = decompositions[i + 3] == 1;
            direct[cp] = (first, second);
            if (primaryComposite)
            {
                compositions[PairKey(first, second)] = cp;
                MarkUnstable(second, unstableSup); // may join the character before it
            }
            else
            {
                MarkUnstable(cp, unstableSup); // singleton or excluded: NFC changes it
            }
        }
        Compositions = compositions.ToFrozenDictionary();

        var full = new Dictionary<int, int[]>(direct.Count);
        var buffer = new List<int>();
        foreach (int cp in direct.Keys)
        {
            buffer.Clear();
            AppendDecomposition(cp, direct, buffer);
            full[cp] = buffer.ToArray();
        }
        FullDecomposition = full.ToFrozenDictionary();

        for (int cp = VBase; cp < VBase + VCount; cp++) BmpMaybeUnstable[cp] = true;
        for (int cp = TBase + 1; cp < TBase + TCount; cp++) BmpMaybeUnstable[cp] = true;
        SupplementaryMaybeUnstable = unstableSup.ToFrozenSet();
    }

    private static void MarkUnstable(int cp, HashSet<int> supplementary)
    {
        if (cp < 0x10000) BmpMaybeUnstable[cp] = true;
        else supplementary.Add(cp);
    }

    private static void AppendDecomposition(int cp, Dictionary<int, (int First, int Second)> direct, List<int> output)
    {
        if (!direct.TryGetValue(cp, out var d))
        {
            output.Add(cp);
            return;
        }
        AppendDecomposition(d.First, direct, output);
        if (d.Second >= 0) AppendDecomposition(d.Second, direct, output);
    }

    private static long PairKey(int first, int second) => ((long)first << 21) | (uint)second;

    private static int CombiningClass(int cp) =>
        cp < 0x10000 ? BmpClass[cp] : SupplementaryClass.TryGetValue(cp, out byte c) ? c : 0;

    /// <summary>True when no character in the text can change under NFC (the common case; no allocation).</summary>
    public static bool IsQuickStable(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (c < 0x300) continue;
            if (char.IsSurrogate(c))
                return QuickStableSlow(text);
            if (BmpMaybeUnstable[c]) return false;
        }
        return true;
    }

    private static bool QuickStableSlow(ReadOnlySpan<char> text)
    {
        foreach (Rune r in text.EnumerateRunes())
        {
            int cp = r.Value;
            if (cp < 0x300) continue;
            if (cp < 0x10000 ? BmpMaybeUnstable[cp] : SupplementaryMaybeUnstable.Contains(cp)) return false;
        }
        return true;
    }

    /// <summary>The NFC form of the text, or null when it is already in NFC.</summary>
    public static string? ToNfcOrNull(ReadOnlySpan<char> text)
    {
        if (IsQuickStable(text)) return null;
        var cps = DecomposeAndOrder(text);
        Compose(cps);
        string result = ToText(cps);
        return text.SequenceEqual(result) ? null : result;
    }

    /// <summary>The NFD form of the text, or null when it is already in NFD.</summary>
    public static string? ToNfdOrNull(ReadOnlySpan<char> text)
    {
        bool ascii = true;
        foreach (char c in text) if (c >= 0xC0) { ascii = false; break; }
        if (ascii) return null;
        string result = ToText(DecomposeAndOrder(text));
        return text.SequenceEqual(result) ? null : result;
    }

    private static List<int> DecomposeAndOrder(ReadOnlySpan<char> text)
    {
        var cps = new List<int>(text.Length + 8);
        foreach (Rune r in text.EnumerateRunes())
        {
            int cp = r.Value;
            if (cp >= SBase && cp < SBase + SCount)
            {
                int s = cp - SBase;
                cps.Add(LBase + s / NCount);
                cps.Add(VBase + s % NCount / TCount);
                if (s % TCount != 0) cps.Add(TBase + s % TCount);
            }
            else if (FullDecomposition.TryGetValue(cp, out int[]? parts)) cps.AddRange(parts);
            else cps.Add(cp);
        }
        // Canonical ordering: stable insertion sort of each run of non-starters by combining class.
        for (int i = 1; i < cps.Count; i++)
        {
            int cls = CombiningClass(cps[i]);
            if (cls == 0) continue;
            int j = i;
            int cp = cps[i];
            while (j > 0)
            {
                int prev = CombiningClass(cps[j - 1]);
                if (prev == 0 || prev <= cls) break;
                cps[j] = cps[j - 1];
                j--;
            }
            cps[j] = cp;
        }
        return cps;
    }

    private static void Compose(List<int> cps)
    {
        int write = 0, starter = -1, lastClass = -1; // lastClass -1: nothing between starter and here
        for (int read = 0; read < cps.Count; read++)
        {
            int cp = cps[read];
            int cls = CombiningClass(cp);
            bool blocked = lastClass != -1 && (lastClass == 0 || lastClass >= cls);
            if (starter >= 0 && !blocked && TryCompose(cps[starter], cp, out int composite))
            {
                cps[starter] = composite;
                continue;
            }
            if (cls == 0)
            {
                starter = write;
                lastClass = -1;
            }
            else
            {
                lastClass = cls;
            }
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        if (first >= LBase && first < LBase + LCount && second >= VBase && second < VBase + VCount)
        {
            composite = SBase + ((first - LBase) * VCount + (second - VBase)) * TCount;
            return true;
        }
        if (first >= SBase && first < SBase + SCount && (first - SBase) % TCount == 0
            && second > TBase && second < TBase + TCount)
        {
            composite = first + (second - TBase);
            return true;
        }
        return Compositions.TryGetValue(PairKey(first, second), out composite);
    }

    private static string ToText(List<int> cps)
    {
        var sb = new StringBuilder(cps.Count + 4);
        Span<char> pair = stackalloc char[2];
        foreach (int cp in cps) sb.Append(pair[..new Rune(cp).EncodeToUtf16(pair)]);
        return sb.ToString();
    }
}
