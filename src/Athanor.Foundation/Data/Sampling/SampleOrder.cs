using System.Numerics;

namespace Athanor.Data.Sampling;

/// <summary>The order samples are visited in, as a pure function of (seed, epoch, position): for each
/// (seed, epoch) a keyed pseudo-random permutation of [0, size) that is never materialised. Any worker can
/// compute its share and a run can resume at any position with O(1) memory.</summary>
/// <remarks>A balanced Feistel network (6 rounds, SplitMix64-style round function keyed by seed and epoch) is
/// a bijection on [0, 4^h) with 4^h the smallest power of four >= size; cycle-walking (re-encrypting until the
/// value falls below size) restricts it to a bijection on [0, size). The domain is at most 4x the size, so the
/// walk takes about 4 steps or fewer on average. Not cryptographic; meant for well-mixed shuffles.</remarks>
public readonly struct SampleOrder
{
    private readonly ulong _k0, _k1, _k2, _k3, _k4, _k5;
    private readonly int _halfBits;
    private readonly ulong _halfMask;

    public SampleOrder(long seed, int epoch, long datasetSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(datasetSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(datasetSize, 1L << 62);
        DatasetSize = datasetSize;
        Seed = seed;
        Epoch = epoch;
        var bits = datasetSize == 1 ? 2 : 64 - BitOperations.LeadingZeroCount((ulong)(datasetSize - 1));
        bits = Math.Max(2, bits + (bits & 1));
        _halfBits = bits / 2;
        _halfMask = (1UL << _halfBits) - 1;
        var state = Mix((ulong)seed ^ 0x243F6A8885A308D3UL) ^ Mix((ulong)(uint)epoch + 0x13198A2E03707344UL);
        _k0 = Next(ref state); _k1 = Next(ref state); _k2 = Next(ref state);
        _k3 = Next(ref state); _k4 = Next(ref state); _k5 = Next(ref state);
    }

    public long Seed { get; }

    public int Epoch { get; }

    public long DatasetSize { get; }

    /// <summary>The dataset index visited at <paramref name="position"/> (0 &lt;= position &lt; size) in this epoch.</summary>
    public long IndexAt(long position)
    {
        if ((ulong)position >= (ulong)DatasetSize)
            throw new ArgumentOutOfRangeException(nameof(position), position, $"position must be in [0, {DatasetSize}).");
        var value = (ulong)position;
        do
            value = Encrypt(value);
        while (value >= (ulong)DatasetSize);
        return (long)value;
    }

    /// <summary>The pure-function form: same inputs, same index, on any machine.</summary>
    public static long IndexAt(long seed, int epoch, long position, long datasetSize) =>
        new SampleOrder(seed, epoch, datasetSize).IndexAt(position);

    /// <summary>Indices for positions [start, start + count), e.g. to resume mid-epoch.</summary>
    public IEnumerable<long> Indices(long start, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, DatasetSize, nameof(count));
        var order = this;
        for (var p = start; p < start + count; p++)
            yield return order.IndexAt(p);
    }

    /// <summary>The share of worker <paramref name="rank"/> of <paramref name="worldSize"/>: positions rank, rank + worldSize, ...
    /// from <paramref name="start"/> on, so the workers together visit every position exactly once.</summary>
    public IEnumerable<long> WorkerIndices(int rank, int worldSize, long start = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(worldSize);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, worldSize);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        var order = this;
        for (var p = start + rank; p < order.DatasetSize; p += worldSize)
            yield return order.IndexAt(p);
    }

    private ulong Encrypt(ulong value)
    {
        var left = value >> _halfBits;
        var right = value & _halfMask;
        Round(ref left, ref right, _k0);
        Round(ref left, ref right, _k1);
        Round(ref left, ref right, _k2);
        Round(ref left, ref right, _k3);
        Round(ref left, ref right, _k4);
        Round(ref left, ref right, _k5);
        return (left << _halfBits) | right;
    }

    private void Round(ref ulong left, ref ulong right, ulong key)
    {
        var mixed = left ^ (Mix(right ^ key) & _halfMask);
        left = right;
        right = mixed;
    }

    private static ulong Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>SplitMix64's finaliser: a fast bijective 64-bit mixer.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
