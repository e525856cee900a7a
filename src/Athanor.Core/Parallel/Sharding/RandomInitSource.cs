using System.Text;
using static TorchSharp.torch;

namespace Athanor.Parallel.Sharding;

/// <summary>
/// Hugging Face's default initialization (normal(0, initializer_range) for matrices, ones for norms, zeros for
/// biases), each parameter drawn from its own CPU generator seeded by (seed, name): the same values on every rank
/// and for every order of materialization, whatever else uses torch's global generators.
/// </summary>
public sealed class RandomInitSource(long seed, double initializerRange) : IParameterSource
{
    public void Fill(string name, Tensor target)
    {
        using var _ = no_grad();
        if (name.EndsWith("norm.weight", StringComparison.Ordinal)) { target.fill_(1.0); return; }
        if (name.EndsWith(".bias", StringComparison.Ordinal)) { target.zero_(); return; }
        using var generator = new Generator(SeedFor(name), CPU);
        using var values = empty(target.shape, ScalarType.Float32, CPU).normal_(0, initializerRange, generator);
        target.copy_(values);
    }

    /// <summary>FNV-1a of the name mixed with the seed: stable across processes and .NET versions (string.GetHashCode is not).</summary>
    private ulong SeedFor(string name)
    {
        ulong hash = 14695981039346656037UL ^ (ulong)seed;
        foreach (byte b in Encoding.UTF8.GetBytes(name)) hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }
}
