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
    /// <summary>About 100 MB of fp32 gradients per collective: large enough for full bandwidth, small enough to overlap.</summary>
    public const long DefaultElements = 25_000_000;

    /// <summary>
    /// The bucket size asked for through the environment: null (off) unless ATHANOR_OVERLAP_GRAD_REDUCE=1, then
    /// ATHANOR_GRAD_BUCKET_MB of fp32 gradients (default 100). Every rank of a job must agree.
    /// </summary>
    public static long? FromEnvironment() =>
        FromSettings(Environment.GetEnvironmentVariable("ATHANOR_OVERLAP_GRAD_REDUCE"), Environment.GetEnvironmentVariable("ATHANOR_GRAD_BUCKET_MB"));

    /// <summary><see cref="FromEnvironment"/> over given values of the two variables.</summary>
    public static long? FromSettings(string? overlap, string? bucketMegabytes)
    {
        if (!EnvironmentSwitch.Parse("ATHANOR_OVERLAP_GRAD_REDUCE", overlap, defaultOn: false)) return null;
        var text = bucketMegabytes;
        if (text is null) return DefaultElements;
        return double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out double mb) && mb > 0
            ? Math.Max(1, (long)(mb * 1e6 / 4))
            : throw new ArgumentException($"ATHANOR_GRAD_BUCKET_MB '{text}' is not valid; accepted: a size in MB above 0 (default 100)");
    }

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
