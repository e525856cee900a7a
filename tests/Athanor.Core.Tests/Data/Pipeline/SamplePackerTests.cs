using Athanor.Data;
using Athanor.Data.Pipeline;

namespace Athanor.Tests.Data.Pipeline;

public class SamplePackerTests
{
    private static TokenizedSample Sample(int start, int length, int prompt) =>
        new(Enumerable.Range(start, length).ToArray(),
            Enumerable.Range(start, length).Select((id, i) => i < prompt ? TokenizedSample.IgnoreIndex : id).ToArray());

    [Fact]
    public void LongestSamplesGoFirstIntoTheFullestRowTheyFitWithoutSplittingOne()
    {
        // Lengths 4, 3, 5, 2 into rows of 8: 5 opens row 0, 4 opens row 1, 3 best fits row 0 (room 3), 2 goes to row 1.
        // Consecutive packing would give rows of 7 and 7; best fit gives 8 and 6.
        var packed = SamplePacker.Pack([Sample(0, 4, 1), Sample(10, 3, 1), Sample(20, 5, 2), Sample(30, 2, 0)], cutoffLen: 8).ToList();
        Assert.Equal(2, packed.Count);
        Assert.Equal([20, 21, 22, 23, 24, 10, 11, 12], packed[0].InputIds);
        Assert.Equal([0, 1, 2, 3, 30, 31], packed[1].InputIds);
        // Prompt tokens stay masked, and the first token of a packed follower takes no loss.
        Assert.Equal([-100, -100, 22, 23, 24, -100, 11, 12], packed[0].Labels);
        Assert.Equal([-100, 1, 2, 3, -100, 31], packed[1].Labels);
    }

    [Fact]
    public void EverySampleLandsInExactlyOneRowAndNoRowPassesTheCutoff()
    {
        var lengths = new Random(7);
        var samples = Enumerable.Range(0, 3000).Select(i => Sample(i * 10_000, 1 + lengths.Next(700), 0)).ToList();
        var packed = SamplePacker.Pack(samples, cutoffLen: 1024, windowSamples: 1000).ToList();
        Assert.All(packed, row => Assert.InRange(row.Length, 1, 1024));
        // Each sample is a run of consecutive ids starting at a multiple of 10,000: count their starts.
        var starts = packed.SelectMany(r => r.InputIds).Where(id => id % 10_000 == 0).OrderBy(id => id).ToList();
        Assert.Equal(samples.Select(s => s.InputIds[0]), starts);
        Assert.Equal(samples.Sum(s => s.Length), packed.Sum(p => p.Length));
        // Trained tokens: every sample's own, less the first token of each follower.
        int followers = packed.Sum(r => r.InputIds.Count(id => id % 10_000 == 0)) - packed.Count;
        Assert.Equal(samples.Sum(s => s.Labels.Count(l => l != TokenizedSample.IgnoreIndex)) - followers,
            packed.Sum(r => r.Labels.Count(l => l != TokenizedSample.IgnoreIndex)));
    }

    [Fact]
    public void RowsComeOutNearlyFullWhereConsecutivePackingLeavesThemRagged()
    {
        // Lengths spread like chat samples against a 2048 cutoff (mean about 770, some long).
        var lengths = new Random(11);
        var samples = Enumerable.Range(0, 4000).Select(i => Sample(i * 10_000, 60 + (int)(2000 * Math.Pow(lengths.NextDouble(), 2.2)), 1)).ToList();
        var packed = SamplePacker.Pack(samples, cutoffLen: 2048).ToList();
        double fill = packed.Average(r => r.Length) / 2048.0;
        double consecutive = ConsecutiveFill(samples, 2048);
        Assert.True(fill > 0.97, $"best-fit rows are {fill:P1} full");
        Assert.True(consecutive < 0.9, $"consecutive rows are {consecutive:P1} full (the comparison this test rests on)");
        // Rows shorter than 95% of the cutoff: only the window's last few.
        Assert.True(packed.Count(r => r.Length < 0.95 * 2048) <= 5, $"{packed.Count(r => r.Length < 0.95 * 2048)} short rows");
    }

    [Fact]
    public void PackingIsTheSameEveryTimeAndStaysWithinItsWindow()
    {
        var lengths = new Random(3);
        var samples = Enumerable.Range(0, 250).Select(i => Sample(i * 10_000, 1 + lengths.Next(90), 0)).ToList();
        var first = SamplePacker.Pack(samples, cutoffLen: 128, windowSamples: 100).ToList();
        var again = SamplePacker.Pack(samples, cutoffLen: 128, windowSamples: 100).ToList();
        Assert.Equal(first.Select(r => r.InputIds), again.Select(r => r.InputIds));
        // No row mixes samples of two windows (0-99, 100-199, 200-249).
        Assert.All(first, row =>
        {
            var windows = row.InputIds.Select(id => id / 10_000 / 100).Distinct().ToList();
            Assert.Single(windows);
        });
    }

    [Fact]
    public void ASampleLongerThanTheCutoffGetsARowOfItsOwn()
    {
        var packed = SamplePacker.Pack([Sample(0, 3, 0), Sample(100, 12, 0), Sample(200, 4, 0)], cutoffLen: 8).ToList();
        Assert.Equal(2, packed.Count);
        Assert.Equal(12, packed[0].Length);
        Assert.Equal([200, 201, 202, 203, 0, 1, 2], packed[1].InputIds);
    }

    private static double ConsecutiveFill(IReadOnlyList<TokenizedSample> samples, int cutoff)
    {
        var rows = new List<int> { 0 };
        foreach (var s in samples)
        {
            if (rows[^1] > 0 && rows[^1] + s.Length > cutoff) rows.Add(0);
            rows[^1] += s.Length;
        }
        return rows.Average() / cutoff;
    }
}
