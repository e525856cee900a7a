namespace Athanor.Configuration;

/// <summary>
/// How a job's global batch (in samples) splits over ranks. The gradient is normalized by the target tokens of the
/// whole global batch, so any world size that divides it trains the same curve (up to summation order), with each
/// rank's share cut into micro-batches no larger than per_device_train_batch_size.
/// </summary>
public static class BatchSplit
{
    /// <summary>The world sizes in [min, max] that divide the global batch, ascending (empty when none does).</summary>
    public static int[] ValidWorldSizes(long globalBatch, int min, int max)
    {
        if (globalBatch < 1 || min < 1 || max < min) return [];
        long top = Math.Min(max, globalBatch);
        var valid = new List<int>();
        for (long w = min; w <= top; w++)
            if (globalBatch % w == 0) valid.Add((int)w);
        return valid.ToArray();
    }

    /// <summary>
    /// The micro-batch of one rank at this world size: the largest divisor of the rank's share that is at most
    /// <paramref name="perDeviceMax"/>, so every micro-batch of a step has the same size.
    /// </summary>
    public static int MicroBatch(int globalBatch, int worldSize, int perDeviceMax)
    {
        if (worldSize < 1 || globalBatch % worldSize != 0)
            throw new ArgumentException($"world size {worldSize} does not divide the global batch of {globalBatch}");
        int share = globalBatch / worldSize;
        for (int m = Math.Min(share, Math.Max(1, perDeviceMax)); m > 1; m--)
            if (share % m == 0) return m;
        return 1;
    }

    /// <summary>"1, 2, 3, 4, 6" (at most 12 shown).</summary>
    public static string List(IReadOnlyList<int> sizes) =>
        sizes.Count == 0 ? "none" : string.Join(", ", sizes.Take(12)) + (sizes.Count > 12 ? $", ... ({sizes.Count} in all)" : "");
}
