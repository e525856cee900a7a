using System.Collections.Concurrent;
using Athanor.Parallel;
using Athanor.Parallel.Sharding;
using Athanor.Tests.Training;
using static TorchSharp.torch;

namespace Athanor.Tests.Parallel;

/// <summary>ZeRO-3's parameter sharding on two CPU ranks over a loopback ring: what each rank holds, and what a gather brings back.</summary>
public class ParameterShardingTests
{
    [Fact]
    public void LayersHoldOnlyTheirShareUntilGatheredAndThenRankZerosValues()
    {
        var original = new ConcurrentDictionary<string, float[]>();
        var seenOnRankOne = new ConcurrentDictionary<string, float[]>();
        var emptyWhileReleased = new ConcurrentBag<bool>();
        var shares = new ConcurrentBag<(string Unit, long Local, long Length)>();
        LoopbackRanks.Run(2, (rank, group) =>
        {
            using var model = TinySetup.Model(seed: 100 + rank);
            if (rank == 0)
                foreach (var (name, p) in model.named_parameters()) original[name] = p.detach().reshape(-1).data<float>().ToArray();
            group.Barrier();
            using var sharding = new ParameterSharding(model, group, (_, p) => p.dim() >= 2);
            foreach (var unit in sharding.Units)
                shares.Add((unit.Name, unit.LocalTrainable.numel(), unit.TrainableLength));
            var layer = sharding.Units.Single(u => u.Name == "layer 1");
            emptyWhileReleased.Add(layer.Trainable.All(p => p.Parameter.numel() == 0));
            layer.Gather(group);
            if (rank == 1)
            {
                foreach (var p in layer.Trainable) seenOnRankOne[p.Name] = p.Parameter.detach().reshape(-1).data<float>().ToArray();
                foreach (var (name, p) in model.named_parameters().Where(p => p.name.StartsWith("model.embed_tokens", StringComparison.Ordinal)))
                    seenOnRankOne[name] = p.detach().reshape(-1).data<float>().ToArray();
            }
            layer.Release();
            emptyWhileReleased.Add(layer.Trainable.All(p => p.Parameter.numel() == 0));
        });

        Assert.All(emptyWhileReleased, Assert.True);
        // Every layer keeps half (rounded up) on each rank; the embedding and head stay whole but their optimizer share is half too.
        Assert.All(shares, s => Assert.Equal((s.Length + 1) / 2, s.Local));
        Assert.Contains(shares, s => s.Unit == "embedding");
        Assert.Contains(shares, s => s.Unit == "head");
        Assert.True(seenOnRankOne.Count > 2);
        foreach (var (name, values) in seenOnRankOne)
            Assert.Equal(original[name], values); // rank 1 sees rank 0's initialization, exactly
    }

    [Fact]
    public void AnEvalForwardWithShardedLayersGivesTheWholeModelsLogits()
    {
        using var whole = TinySetup.Model(seed: 100);
        using var ids = tensor(new long[] { 5, 9, 11, 3, 7, 21 }).reshape(1, 6);
        whole.eval();
        float[] expected;
        using (no_grad()) expected = whole.forward(ids).reshape(-1).data<float>().ToArray();

        var actual = new ConcurrentDictionary<int, float[]>();
        LoopbackRanks.Run(2, (rank, group) =>
        {
            using var model = TinySetup.Model(seed: 100 + rank);
            using var sharding = new ParameterSharding(model, group, (_, p) => p.dim() >= 2);
            model.eval();
            using (no_grad()) actual[rank] = model.forward(ids).reshape(-1).data<float>().ToArray();
        });
        foreach (var rank in new[] { 0, 1 })
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[rank][i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"rank {rank} logit {i}: {actual[rank][i]} vs {expected[i]}");
    }
}
