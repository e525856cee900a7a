using System.Collections.Concurrent;
using System.Text;

namespace Athanor.Tokenization;

/// <summary>
/// The BPE model of tokenizer.json: a piece becomes its characters' ids (byte-level alphabet, or characters with
/// byte fallback / unk), then merges apply lowest rank first (leftmost on ties), as HF's tokenizers does.
/// Results are cached per piece, keyed by the piece as it came from the pre-tokenizer.
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedLength = 256;
    private const int StackLimit = 256;
    private const int CacheCapacity = 100_000;

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocab;
    private readonly PairTable merges; // (left id, right id) -> (rank, merged id)
    private readonly int[] byteLevelIds = new int[256]; // id of each byte's alphabet char, or -1
    private readonly int[] byteFallbackIds = new int[256]; // id of <0xNN>, or -1
    private readonly int? unkId;
    private readonly bool fuseUnk;
    private readonly bool byteFallback;
    private readonly bool ignoreMerges;
    private readonly ConcurrentDictionary<string, int[]> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> cacheLookup;
    private int cacheCount; // ConcurrentDictionary.Count takes every lock; this is cheap and close enough

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> mergeList,
        string? unkToken, bool fuseUnk, bool byteFallback, bool ignoreMerges, string source)
    {
        Vocab = vocab;
        this.vocab = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        cacheLookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        if (unkToken is not null)
        {
            if (!vocab.TryGetValue(unkToken, out int unk))
                throw new TokenizerFormatException($"{source}: model.unk_token \"{unkToken}\" is not in model.vocab.");
            unkId = unk;
        }

        merges = new PairTable(mergeList.Count);
        for (int rank = 0; rank < mergeList.Count; rank++)
        {
            var (left, right) = mergeList[rank];
            if (!vocab.TryGetValue(left, out int l) || !vocab.TryGetValue(right, out int r))
                throw new TokenizerFormatException($"{source}: model.merges[{rank}] \"{left} {right}\" uses a token that is not in model.vocab.");
            if (!vocab.TryGetValue(left + right, out int merged))
                throw new TokenizerFormatException($"{source}: model.merges[{rank}] \"{left} {right}\" makes \"{left + right}\", which is not in model.vocab.");
            merges.TryAdd(PairKey(l, r), ((long)rank << 32) | (uint)merged);
        }

        for (int b = 0; b < 256; b++)
        {
            byteLevelIds[b] = vocab.TryGetValue(ByteLevelAlphabet.ToChar((byte)b).ToString(), out int id) ? id : -1;
            byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int fb) ? fb : -1;
        }
    }

    public Dictionary<string, int> Vocab { get; }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Appends the ids of one pre-tokenized piece. byteLevel: the piece's UTF-8 bytes go through the byte-level alphabet.</summary>
    public void Encode(ReadOnlySpan<char> piece, bool byteLevel, List<int> output)
    {
        if (piece.IsEmpty) return;
        if (cacheLookup.TryGetValue(piece, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }
        int[] ids = EncodeUncached(piece, byteLevel);
        if (piece.Length <= MaxCachedLength && cacheCount < CacheCapacity && cacheLookup.TryAdd(piece, ids))
            Interlocked.Increment(ref cacheCount);
        output.AddRange(ids);
    }

    private int[] EncodeUncached(ReadOnlySpan<char> piece, bool byteLevel)
    {
        if (!byteLevel)
        {
            if (ignoreMerges && vocab.TryGetValue(piece, out int direct)) return [direct];
            var symbols = CharacterSymbols(piece);
            return Merge(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(symbols));
        }

        int byteCount = Encoding.UTF8.GetByteCount(piece);
        Span<byte> bytes = byteCount <= StackLimit ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(piece, bytes);
        if (ignoreMerges)
        {
            Span<char> mapped = byteCount <= StackLimit ? stackalloc char[byteCount] : new char[byteCount];
            for (int i = 0; i < byteCount; i++) mapped[i] = ByteLevelAlphabet.ToChar(bytes[i]);
            if (vocab.TryGetValue(mapped, out int whole)) return [whole];
        }
        Span<int> ids = byteCount <= StackLimit ? stackalloc int[byteCount] : new int[byteCount];
        for (int i = 0; i < byteCount; i++)
        {
            ids[i] = byteLevelIds[bytes[i]];
            if (ids[i] < 0) return Merge(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ByteSymbolsWithFallback(bytes)));
        }
        return Merge(ids);
    }

    /// <summary>Byte-level symbols when some byte's character is missing from the vocabulary (byte fallback, then unk).</summary>
    private List<int> ByteSymbolsWithFallback(ReadOnlySpan<byte> bytes)
    {
        var symbols = new List<int>(bytes.Length);
        foreach (byte b in bytes)
        {
            if (byteLevelIds[b] >= 0) symbols.Add(byteLevelIds[b]);
            else if (byteFallback && byteFallbackIds[b] >= 0) symbols.Add(byteFallbackIds[b]);
            else if (unkId is null)
                throw new InvalidOperationException($"Byte-level character '{ByteLevelAlphabet.ToChar(b)}' is not in the vocabulary and the model has no unk_token.");
            else if (!(fuseUnk && symbols.Count > 0 && symbols[^1] == unkId.Value)) symbols.Add(unkId.Value);
        }
        return symbols;
    }

    private List<int> CharacterSymbols(ReadOnlySpan<char> piece)
    {
        var symbols = new List<int>(piece.Length);
        bool lastWasUnk = false;
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < piece.Length;)
        {
            int len = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            var ch = piece.Slice(i, len);
            i += len;
            if (vocab.TryGetValue(ch, out int id))
            {
                symbols.Add(id);
                lastWasUnk = false;
                continue;
            }
            if (byteFallback && TryAddByteFallback(ch, symbols, utf8))
            {
                lastWasUnk = false;
                continue;
            }
            if (unkId is null)
                throw new InvalidOperationException($"Character U+{char.ConvertToUtf32(ch.ToString(), 0):X4} is not in the vocabulary and the model has no unk_token.");
            if (!(fuseUnk && lastWasUnk)) symbols.Add(unkId.Value);
            lastWasUnk = true;
        }
        return symbols;
    }

    private bool TryAddByteFallback(ReadOnlySpan<char> ch, List<int> symbols, Span<byte> utf8)
    {
        int n = Encoding.UTF8.GetBytes(ch, utf8);
        for (int k = 0; k < n; k++)
            if (byteFallbackIds[utf8[k]] < 0) return false;
        for (int k = 0; k < n; k++) symbols.Add(byteFallbackIds[utf8[k]]);
        return true;
    }

    /// <summary>Applies merges lowest rank first, leftmost first among equal ranks (HF's order). Changes ids.</summary>
    private int[] Merge(Span<int> ids)
    {
        if (ids.Length < 2) return ids.ToArray();
        return ids.Length <= StackLimit ? MergeByScan(ids) : MergeByHeap(ids.ToArray());
    }

    /// <summary>Short words: rescan the pair ranks for the minimum; no heap, no allocation but the result.</summary>
    private int[] MergeByScan(Span<int> ids)
    {
        int n = ids.Length;
        Span<int> next = stackalloc int[n];
        Span<int> prev = stackalloc int[n];
        Span<long> pair = stackalloc long[n]; // (rank << 32 | merged id) of the pair starting here, or long.MaxValue
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            pair[i] = i + 1 < n ? PairValue(ids[i], ids[i + 1]) : long.MaxValue;
        }
        int count = n;
        while (true)
        {
            int best = -1;
            long bestValue = long.MaxValue;
            for (int i = 0; i >= 0; i = next[i])
            {
                // Compare ranks only (high half); the first of equal ranks wins.
                if ((pair[i] >> 32) < (bestValue >> 32)) { best = i; bestValue = pair[i]; }
            }
            if (best < 0) break;
            int j = next[best];
            ids[best] = (int)bestValue;
            next[best] = next[j];
            if (next[j] >= 0) prev[next[j]] = best;
            count--;
            pair[best] = next[best] >= 0 ? PairValue(ids[best], ids[next[best]]) : long.MaxValue;
            if (prev[best] >= 0) pair[prev[best]] = PairValue(ids[prev[best]], ids[best]);
        }
        var result = new int[count];
        for (int i = 0, k = 0; i >= 0; i = next[i]) result[k++] = ids[i];
        return result;
    }

    private long PairValue(int left, int right) => merges.TryGetValue(PairKey(left, right), out long v) ? v : long.MaxValue;

    /// <summary>Long words (SentencePiece models have no pre-tokenizer): HF's heap with stale-entry checks, O(n log n).</summary>
    private int[] MergeByHeap(int[] ids)
    {
        int n = ids.Length;
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        var alive = new bool[n];
        Array.Fill(alive, true);

        var queue = new PriorityQueue<(int Pos, int Merged), long>();
        for (int i = 0; i + 1 < n; i++) Enqueue(queue, ids, i, i + 1);

        int count = n;
        while (queue.TryDequeue(out var top, out _))
        {
            int i = top.Pos;
            if (!alive[i]) continue;
            int j = next[i];
            if (j < 0) continue;
            if (!merges.TryGetValue(PairKey(ids[i], ids[j]), out long value) || (int)value != top.Merged) continue;

            ids[i] = top.Merged;
            alive[j] = false;
            next[i] = next[j];
            if (next[j] >= 0) prev[next[j]] = i;
            count--;
            if (prev[i] >= 0) Enqueue(queue, ids, prev[i], i);
            if (next[i] >= 0) Enqueue(queue, ids, i, next[i]);
        }

        var result = new int[count];
        for (int i = 0, k = 0; i >= 0 && k < count; i = next[i]) result[k++] = ids[i];
        return result;
    }

    private void Enqueue(PriorityQueue<(int Pos, int Merged), long> queue, int[] ids, int left, int right)
    {
        if (merges.TryGetValue(PairKey(ids[left], ids[right]), out long value))
            queue.Enqueue((left, (int)value), (value & ~0xFFFF_FFFFL) | (uint)left);
    }
}
