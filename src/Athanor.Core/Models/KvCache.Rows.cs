using static TorchSharp.torch;

namespace Athanor.Models;

/// <summary>
/// Continuous batching (issue 26's serving): rows of running caches gathered into one batch cache, so sequences can
/// join (after a prefill of their own) and leave between decode steps. Rows stay right-aligned: a row shorter than
/// the longest gets left padding, which the valid mask hides, and keeps its own rotary position.
/// </summary>
public sealed partial class KvCache
{
    /// <summary>Token slots allocated per row (it doubles as tokens are appended).</summary>
    public long Capacity => _capacity;

    /// <summary>Slots of row that hold real tokens (padding is always a prefix of a row).</summary>
    public long RealLength(int row)
    {
        if (_valid is null) return Length;
        using var slots = _valid[row].narrow(0, 0, Length);
        using var count = slots.sum();
        return count.item<long>();
    }

    /// <summary>
    /// A new cache holding the given rows of other caches in this order, with room for extraCapacity more tokens
    /// (it grows past that as any cache does). The sources are left as they were; the caller disposes them.
    /// </summary>
    public static KvCache Gather(IReadOnlyList<(KvCache Cache, int Row)> rows, long extraCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfZero(rows.Count);
        var lengths = rows.Select(r => r.Cache.RealLength(r.Row)).ToArray();
        long length = lengths.Max();
        var first = rows[0].Cache;
        var result = new KvCache(first._config, rows.Count, length + Math.Max(1, extraCapacity));
        try
        {
            for (int layer = 0; layer < first._keys.Length; layer++)
            {
                result._keys[layer] = GatherBuffer(rows, lengths, length, result._capacity, c => c._keys[layer]);
                result._values[layer] = GatherBuffer(rows, lengths, length, result._capacity, c => c._values[layer]);
            }
            if (lengths.Any(l => l < length))
            {
                result._valid = ones(rows.Count, result._capacity, dtype: ScalarType.Bool, device: result._keys[0]?.device ?? CPU).DetachFromDisposeScope();
                for (int i = 0; i < rows.Count; i++)
                    if (lengths[i] < length)
                        using (var padding = result._valid[i].narrow(0, 0, length - lengths[i])) padding.fill_(false);
            }
            for (int i = 0; i < rows.Count; i++) result._nextPosition[i] = rows[i].Cache._nextPosition[rows[i].Row];
            result.Length = length;
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static Tensor? GatherBuffer(IReadOnlyList<(KvCache Cache, int Row)> rows, long[] lengths, long length, long capacity, Func<KvCache, Tensor?> buffer)
    {
        var sample = rows.Select(r => buffer(r.Cache)).FirstOrDefault(t => t is not null);
        if (sample is null) return null;
        using var scope = NewDisposeScope();
        var gathered = zeros([rows.Count, sample.shape[1], capacity, sample.shape[3]], dtype: sample.dtype, device: sample.device);
        for (int i = 0; i < rows.Count; i++)
        {
            var (cache, row) = rows[i];
            var source = buffer(cache) ?? throw new InvalidOperationException("a gathered cache has not run the model yet");
            gathered[i].narrow(1, length - lengths[i], lengths[i]).copy_(source[row].narrow(1, cache.Length - lengths[i], lengths[i]));
        }
        return gathered.DetachFromDisposeScope();
    }
}
