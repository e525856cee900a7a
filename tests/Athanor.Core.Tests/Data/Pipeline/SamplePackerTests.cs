using Athanor.Data;
using Athanor.Data.Pipeline;

namespace Athanor.Tests.Data.Pipeline;

public class SamplePackerTests
{
    private static TokenizedSample Sample(int start, int length, int prompt) =>
        new(Enumerable.Range(start, length).ToArray(),
            Enumerable.Range(start, length).Select((id, i) => i < prompt ? TokenizedSample.IgnoreIndex : id).ToArray());

    [Fact]
    public void ConsecutiveSamplesFillRowsUpToTheCutoffWithoutSplittingOne()
    {
        var packed = SamplePacker.Pack([Sample(0, 4, 1), Sample(10, 3, 1), Sample(20, 5, 2), Sample(30, 2, 0)], cutoffLen: 8).ToList();
        Assert.Equal(2, packed.Count);
        Assert.Equal([0, 1, 2, 3, 10, 11, 12], packed[0].InputIds);
        Assert.Equal([20, 21, 22, 23, 24, 30, 31], packed[1].InputIds);
        // Prompt tokens stay masked, and the first token of a packed follower takes no loss.
        Assert.Equal([-100, 1, 2, 3, -100, 11, 12], packed[0].Labels);
        Assert.Equal([-100, -100, 22, 23, 24, -100, 31], packed[1].Labels);
        Assert.True(packed.All(p => p.Length <= 8));
    }

    [Fact]
    public void TrainedTokensAreKeptExceptEachFollowersFirst()
    {
        var samples = Enumerable.Range(0, 50).Select(i => Sample(i * 100, 3 + i % 7, 1)).ToList();
        var packed = SamplePacker.Pack(samples, cutoffLen: 32).ToList();
        Assert.Equal(samples.Sum(s => s.Length), packed.Sum(p => p.Length));
        Assert.True(packed.Count < samples.Count / 3);
    }
}
