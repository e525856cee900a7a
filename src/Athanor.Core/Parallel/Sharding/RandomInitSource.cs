using System.Text;
using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// Hugging Face's default initialization (normal(0, initializer_range) for matrices, ones for norms, zeros for
/// biases). Each parameter is drawn in fixed chunks, each from its own CPU generator seeded by (seed, name, chunk):
/// the same values on every rank, for every order of materialization and any number of threads, whatever else uses
/// torch's global generators. The chunks are drawn in parallel: a 65B model's rank draws 33B values, which one
/// thread needs minutes for.
/// </summary>
public sealed class RandomInitSource(long seed, double initializerRange) : IParameterSource
{
    /// <summary>Values per generator; part of what fixes the values, so changing it changes every initialization.</summary>
    internal const long ChunkLength = 1L << 22;

    public void Fill(string name, Tensor target)
    {
        using var _ = no_grad();
        if (name.EndsWith("norm.weight", StringComparison.Ordinal)) { target.fill_(1.0); return; }
        if (name.EndsWith(".bias", StringComparison.Ordinal)) { target.zero_(); return; }
        using var flat = target.view(-1);
        long length = flat.numel();
        int chunks = (int)((length + ChunkLength - 1) / ChunkLength);
        ulong nameSeed = SeedFor(name);
        System.Threading.Tasks.Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, chunk =>
        {
            using var scope = NewDisposeScope();
            long from = chunk * ChunkLength, count = Math.Min(ChunkLength, length - from);
            using var generator = new Generator(Mix(nameSeed, (ulong)chunk), CPU);
            var values = empty(count, ScalarType.Float32, CPU).normal_(0, initializerRange, generator);
            flat.narrow(0, from, count).copy_(values);
        });
    }

    /// <summary>FNV-1a of the name mixed with the seed: stable across processes and .NET versions (string.GetHashCode is not).</summary>
    private ulong SeedFor(string name)
    {
        ulong hash = 14695981039346656037UL ^ (ulong)seed;
        foreach (byte b in Encoding.UTF8.GetBytes(name)) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }

    /// <summary>One more FNV-1a round per byte of the chunk index, so neighbouring chunks get unrelated seeds.</summary>
    private static ulong Mix(ulong hash, ulong chunk)
    {
        for (int i = 0; i < 8; i++, chunk >>= 8) hash = (hash ^ (chunk & 0xff)) * 1099511628211UL;
        return hash;
    }
}
