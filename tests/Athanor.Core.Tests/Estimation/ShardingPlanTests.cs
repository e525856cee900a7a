using Athanor.Estimation;

namespace Athanor.Tests.Estimation;

public class ShardingPlanTests
{
    [Fact]
    public void Llama65bOver64RanksIsBalancedAndAddsUp()
    {
        var plan = ShardingPlan.For(ModelPresets.Get("65b").Shape, 64);
        Assert.Equal(65_285_660_672L, plan.TotalParameters);
        foreach (var g in plan.Groups)
        {
            Assert.Equal(g.Padded, Enumerable.Range(0, 64).Sum(r => g.Shard));
            Assert.Equal(g.Elements, Enumerable.Range(0, 64).Sum(r => g.RealOn(r)));
            Assert.InRange(g.Padding, 0, 63);
            Assert.Equal(0, g.Padded % 64);
        }
        var perRank = Enumerable.Range(0, 64).Select(plan.ParametersOf).ToList();
        Assert.Equal(plan.TotalParameters, perRank.Sum());
        Assert.Equal(plan.TotalPadded, plan.SlotsPerRank * 64);
        Assert.True(perRank.Max() - perRank.Min() <= 64, "balanced within one padding unit");
        // 80 blocks of 809,517,056 and 32000 x 8192 embeddings all divide by 64: every rank holds exactly 1/64.
        Assert.All(perRank, p => Assert.Equal(1_020_088_448L, p));
        Assert.Equal([(0, 63, 1_020_088_448L)], plan.RankRuns());
    }

    [Theory]
    [InlineData("65b", 7)]
    [InlineData("30b", 48)]
    [InlineData("13b", 1000)]
    [InlineData("7b", 1)]
    public void UnevenRankCountsPadEachGroupByLessThanOneUnit(string model, int ranks)
    {
        var plan = ShardingPlan.For(ModelPresets.Get(model).Shape, ranks);
        foreach (var g in plan.Groups)
        {
            Assert.InRange(g.Padding, 0, ranks - 1);
            Assert.Equal(g.Padded, g.Shard * ranks);
            Assert.Equal(g.Elements, Enumerable.Range(0, ranks).Sum(r => g.RealOn(r)));
            var real = Enumerable.Range(0, ranks).Select(g.RealOn).ToList();
            Assert.True(real.Max() - real.Min() <= ranks, $"{g.Name}: one padding unit");
        }
        var perRank = Enumerable.Range(0, ranks).Select(plan.ParametersOf).ToList();
        Assert.Equal(ModelPresets.Get(model).Parameters, perRank.Sum());
        // Runs of equal ranks cover every rank once and agree with a rank-by-rank count.
        var runs = plan.RankRuns();
        Assert.Equal(ranks, runs.Sum(run => run.Last - run.First + 1));
        foreach (var (first, last, p) in runs)
            for (int r = first; r <= last; r++) Assert.Equal(perRank[r], p);
    }
}
