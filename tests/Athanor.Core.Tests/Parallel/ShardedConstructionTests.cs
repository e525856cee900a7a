using System.Collections.Concurrent;
using Athanor.Models;
using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using Athanor.Tests.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Parallel;

/// <summary>
/// A model built on the meta device and materialized straight into each rank's shards, from a safetensors folder or
/// a random initialization: what #11's 65B runs need, at tiny scale on CPU ranks over a loopback ring.
/// </summary>
public class ShardedConstructionTests
{
    private static ModelConfig Tiny => ModelConfig.Parse(TinySetup.ConfigJson, "tiny config.json");
    private static bool Decay(string name, TorchSharp.Modules.Parameter p) => p.dim() >= 2;

    [Fact]
    public void AModelBuiltOnTheMetaDeviceHasItsShapesButNoValues()
    {
        Athanor.Native.TorchRuntime.Initialize();
        using var meta = ModelConstruction.BuildOnMeta(Tiny);
        using var whole = TinySetup.Model();
        Assert.All(meta.named_parameters(), p => Assert.True(p.parameter.is_meta, p.name));
        Assert.Equal(whole.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))),
            meta.named_parameters().Select(p => (p.name, string.Join("x", p.parameter.shape))));
        // The thread's construction device is back to normal afterwards.
        using var after = TinySetup.Model();
        Assert.False(after.parameters().First().is_meta);
    }

    [Fact]
    public void MaterializingFromSafetensorsGivesTheSavedModelOnEveryRankWithoutItEverBeingWhole()
    {
        using var temp = new TestPaths.TempFolder();
        using var saved = TinySetup.Model(seed: 5);
        ModelWeights.Save(saved, temp.Path);
        using var ids = tensor(new long[] { 5, 9, 11, 3, 7, 21 }).reshape(1, 6);
        saved.eval();
        float[] expected;
        using (no_grad()) expected = saved.forward(ids).reshape(-1).data<float>().ToArray();

        var logits = new ConcurrentDictionary<int, float[]>();
        var releasedLayers = new ConcurrentBag<bool>();
        LoopbackRanks.Run(2, (rank, group) =>
        {
            using var model = ModelConstruction.BuildOnMeta(Tiny);
            using var source = new SafetensorsSource(temp.Path);
            using var sharding = ParameterSharding.Materialize(model, group, Decay, source, CPU, ScalarType.Float32);
            releasedLayers.Add(sharding.Units.Where(u => !u.Persistent).All(u => u.Trainable.All(p => p.Parameter.numel() == 0)));
            Assert.DoesNotContain(model.parameters(), p => p.is_meta);
            model.eval();
            using (no_grad()) logits[rank] = model.forward(ids).reshape(-1).data<float>().ToArray();
        });
        Assert.All(releasedLayers, Assert.True);
        foreach (var rank in new[] { 0, 1 })
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - logits[rank][i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"rank {rank} logit {i}");
    }

    [Fact]
    public void ARandomInitializationIsTheSameOnEveryRankAndAtEveryWorldSize()
    {
        var gathered = new ConcurrentDictionary<(int World, int Rank), float[]>();
        foreach (var world in new[] { 1, 2 })
            LoopbackRanks.Run(world, (rank, group) =>
            {
                using var model = ModelConstruction.BuildOnMeta(Tiny);
                using var sharding = ParameterSharding.Materialize(model, group, Decay, new RandomInitSource(seed: 3, initializerRange: 0.02), CPU, ScalarType.Float32);
                var layer = sharding.Units.Single(u => u.Name == "layer 1");
                layer.Gather(group);
                gathered[(world, rank)] = layer.Trainable.SelectMany(p => p.Parameter.detach().reshape(-1).data<float>().ToArray()).ToArray();
                var norm = layer.Trainable.Single(p => p.Name.EndsWith("input_layernorm.weight", StringComparison.Ordinal));
                Assert.All(norm.Parameter.detach().data<float>().ToArray(), v => Assert.Equal(1f, v));
                layer.Release();
            });
        Assert.Equal(gathered[(1, 0)], gathered[(2, 0)]);
        Assert.Equal(gathered[(1, 0)], gathered[(2, 1)]);
        double std = Math.Sqrt(gathered[(1, 0)].Where(v => v != 1f).Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.015, 0.025); // normal(0, 0.02) for the matrices
    }

    [Fact]
    public void ALargeParameterIsDrawnInIndependentChunksThatDoNotDependOnTheTarget()
    {
        // Three chunks and a bit: drawn in parallel, yet the same values every time and for a bf16 target the same
        // values rounded; chunks come from unrelated generators, not one stream repeated.
        long length = 3 * RandomInitSource.ChunkLength + 1000;
        var source = new RandomInitSource(seed: 5, initializerRange: 0.02);
        using var first = empty(length, ScalarType.Float32);
        using var second = empty(length, ScalarType.Float32);
        using var rounded = empty(length, ScalarType.BFloat16);
        source.Fill("model.layers.0.mlp.up_proj.weight", first);
        source.Fill("model.layers.0.mlp.up_proj.weight", second);
        source.Fill("model.layers.0.mlp.up_proj.weight", rounded);
        Assert.True(first.equal(second).all().item<bool>());
        using (var expected = first.to(ScalarType.BFloat16)) Assert.True(rounded.equal(expected).all().item<bool>());
        using (var chunk0 = first.narrow(0, 0, 1000))
        using (var chunk1 = first.narrow(0, RandomInitSource.ChunkLength, 1000))
            Assert.False(chunk0.equal(chunk1).all().item<bool>());
        using var other = empty(length, ScalarType.Float32);
        source.Fill("model.layers.0.mlp.down_proj.weight", other);
        Assert.False(first.equal(other).all().item<bool>());
        Assert.InRange(first.std().item<float>(), 0.0199, 0.0201);
        Assert.InRange(first.mean().item<float>(), -1e-4, 1e-4);
    }
}
