using System.Runtime.CompilerServices;

namespace Athanor.Tokenization;

/// <summary>
/// Open-addressing map from a non-negative long key to a long value, key and value side by side so that a lookup
/// touches one cache line. BPE merge lookups (hundreds of thousands of pairs, probed at random) are the hot path
/// and a Dictionary's separate bucket and entry arrays cost two cache misses each.
/// </summary>
internal sealed class PairTable
{
    private const long Empty = -1;
    private readonly long[] slots; // [key0, value0, key1, value1, ...]
    private readonly int mask;
    private readonly int shift;

    public PairTable(int capacity)
    {
        int size = 1 << Math.Max(4, (int)Math.Ceiling(Math.Log2(Math.Max(capacity, 1) * 2.0)));
        slots = new long[size * 2];
        for (int i = 0; i < slots.Length; i += 2) slots[i] = Empty;
        mask = size - 1;
        shift = 64 - (int)Math.Log2(size);
    }

    public int Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> shift);

    /// <summary>Adds the key unless present (the first value wins, as the first merge of a pair has the lowest rank).</summary>
    public bool TryAdd(long key, long value)
    {
        if (key < 0) throw new ArgumentOutOfRangeException(nameof(key));
        if ((Count + 1) * 2 > mask + 1) throw new InvalidOperationException("PairTable is full.");
        for (int i = Slot(key); ; i = (i + 1) & mask)
        {
            long k = slots[2 * i];
            if (k == key) return false;
            if (k == Empty)
            {
                slots[2 * i] = key;
                slots[2 * i + 1] = value;
                Count++;
                return true;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetValue(long key, out long value)
    {
        var s = slots;
        for (int i = Slot(key); ; i = (i + 1) & mask)
        {
            long k = s[2 * i];
            if (k == key)
            {
                value = s[2 * i + 1];
                return true;
            }
            if (k == Empty)
            {
                value = 0;
                return false;
            }
        }
    }
}
