namespace Athanor.Parallel;

/// <summary>A piece of the flat gradient vector reduced by one collective: [From, From + Length); Owner -1: every rank gets the sum.</summary>
public sealed record GradientBucket(long From, long Length, int Owner);

/// <summary>
/// How the flat gradient vector is cut for reduction during backward. Stages 0-1 all-reduce, so any cut works:
/// pieces of at most maxElements. Stage 2 sums each rank's shard onto that rank only, so a bucket never crosses a
/// shard boundary: each shard is cut into pieces of at most maxElements, reduced to its owner. The total traffic
/// is then that of one reduce-scatter, but the tail of the vector (the last layers, whose gradients are ready
/// first) is on the wire while backward still runs.
/// </summary>
public static class GradientBuckets
{
    public static IReadOnlyList<GradientBucket> Plan(FlatLayout layout, int worldSize, int stage, long maxElements)
    {
        if (maxElements < 1) throw new ArgumentOutOfRangeException(nameof(maxElements), maxElements, "a gradient bucket holds at least one element");
        long padded = layout.PaddedLength(worldSize);
        var buckets = new List<GradientBucket>();
        if (stage == 2)
            for (int rank = 0; rank < worldSize; rank++)
            {
                var (start, count) = layout.Shard(rank, worldSize);
                Cut(buckets, start, count, rank, maxElements);
            }
        else Cut(buckets, 0, padded, -1, maxElements);
        return buckets;
    }

    private static void Cut(List<GradientBucket> into, long start, long count, int owner, long maxElements)
    {
        for (long at = start; at < start + count; at += maxElements)
            into.Add(new GradientBucket(at, Math.Min(maxElements, start + count - at), owner));
    }
}
