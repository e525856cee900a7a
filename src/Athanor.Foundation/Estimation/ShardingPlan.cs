namespace Athanor.Estimation;

/// <summary>
/// How ZeRO-3 (or FSDP) partitions the parameters over N ranks, computed from shapes alone, as on a meta device: each
/// tensor group (the embedding, one flat buffer per decoder block, the final norm, lm_head) is flattened, padded with
/// zeros to a multiple of N, and rank r owns elements [r x shard, (r + 1) x shard) of it. Padding falls at the end, so
/// only the last ranks' slices hold padding; every rank's slice of a group has the same size.
/// </summary>
public sealed record ShardingPlan(int Ranks, double BytesPerElement, IReadOnlyList<ShardGroup> Groups)
{
    public static ShardingPlan For(ModelShape shape, int ranks, double bytesPerElement = 2)
    {
        if (ranks < 1) throw new PlannerInputException($"--gpus {ranks} is not accepted; accepted: a whole number >= 1");
        var groups = new List<ShardGroup> { new("model.embed_tokens", 1, shape.EmbeddingMatrix, ranks) };
        groups.Add(new ShardGroup($"model.layers.{{0..{shape.Layers - 1}}}", shape.Layers, shape.BlockParameters, ranks));
        groups.Add(new ShardGroup("model.norm", 1, shape.Hidden, ranks));
        if (!shape.TiedEmbeddings) groups.Add(new ShardGroup("lm_head", 1, shape.EmbeddingMatrix, ranks));
        return new ShardingPlan(ranks, bytesPerElement, groups);
    }

    /// <summary>Elements a rank holds, padding included: the same for every rank.</summary>
    public long SlotsPerRank => Groups.Sum(g => g.Count * g.Shard);

    /// <summary>Real (unpadded) parameters rank <paramref name="rank"/> owns.</summary>
    public long ParametersOf(int rank) => Groups.Sum(g => g.Count * g.RealOn(rank));

    public long TotalParameters => Groups.Sum(g => g.Count * g.Elements);
    public long TotalPadded => Groups.Sum(g => g.Count * g.Padded);

    /// <summary>Runs of consecutive ranks holding the same number of real parameters (ranks 0-62 alike, rank 63 less).</summary>
    public IReadOnlyList<(int First, int Last, long Parameters)> RankRuns()
    {
        var runs = new List<(int, int, long)>();
        // Only the ranks at a group's padding boundary differ, so ranges are found without visiting every rank.
        var edges = new SortedSet<int> { 0, Ranks };
        foreach (var g in Groups)
        {
            int full = (int)Math.Min(Ranks, g.Elements / g.Shard);
            edges.Add(full);
            edges.Add(Math.Min(Ranks, full + 1));
        }
        var list = edges.ToList();
        for (int i = 0; i + 1 < list.Count; i++)
        {
            int first = list[i], last = list[i + 1] - 1;
            if (first > last) continue;
            long p = ParametersOf(first);
            if (runs.Count > 0 && runs[^1].Item3 == p && runs[^1].Item2 == first - 1) runs[^1] = (runs[^1].Item1, last, p);
            else runs.Add((first, last, p));
        }
        return runs;
    }
}

/// <summary><see cref="Count"/> identical tensor groups of <see cref="Elements"/> each, padded to a multiple of the rank count.</summary>
public sealed record ShardGroup(string Name, int Count, long Elements, int Ranks)
{
    public long Padded => (Elements + Ranks - 1) / Ranks * Ranks;
    public long Padding => Padded - Elements;
    public long Shard => Padded / Ranks;

    /// <summary>Real elements in rank <paramref name="rank"/>'s slice (the rest of the slice is padding).</summary>
    public long RealOn(int rank) => Math.Clamp(Elements - (long)rank * Shard, 0, Shard);
}
