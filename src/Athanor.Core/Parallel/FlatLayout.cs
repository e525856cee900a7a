using TorchSharp.Modules;

namespace Athanor.Parallel;

/// <summary>One trainable parameter's place in the flat vector that ZeRO shards.</summary>
public sealed record FlatSlot(string Name, Parameter Parameter, long Offset, long Length, bool Decay)
{
    /// <summary>The parameter's shape when the layout was made (ZeRO-3 empties released parameters).</summary>
    public long[] Shape { get; init; } = Parameter.shape;
}

/// <summary>
/// The trainable parameters laid end to end in model order. The layout does not depend on the world size:
/// only the padding at the end (so that W ranks get equal shards) and the shard ranges do, which is what
/// makes optimizer state saved at one world size readable at another.
/// </summary>
public sealed class FlatLayout
{
    public FlatLayout(IEnumerable<(string Name, Parameter Parameter)> parameters, Func<string, Parameter, bool> takesDecay)
    {
        long offset = 0;
        var slots = new List<FlatSlot>();
        foreach (var (name, p) in parameters)
        {
            if (!p.requires_grad) continue;
            long n = p.numel();
            slots.Add(new FlatSlot(name, p, offset, n, takesDecay(name, p)));
            offset += n;
        }
        Slots = slots;
        Length = offset;
    }

    public IReadOnlyList<FlatSlot> Slots { get; }

    /// <summary>Real elements (no padding).</summary>
    public long Length { get; }

    public long PaddedLength(int worldSize) => (Length + worldSize - 1) / worldSize * worldSize;

    /// <summary>Rank r's shard [Start, Start + Count) of the padded vector.</summary>
    public (long Start, long Count) Shard(int rank, int worldSize)
    {
        long size = PaddedLength(worldSize) / worldSize;
        return (rank * size, size);
    }
}
