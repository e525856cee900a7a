using System.Diagnostics;
using Athanor.Native;
using Athanor.Parallel;
using static TorchSharp.torch;

namespace Athanor.Tests.Parallel;

public class TcpRingCollectiveTests
{
    /// <summary>Runs body on every rank of a fresh local group, one thread per rank.</summary>
    private static T[] OnEveryRank<T>(int world, Func<ICollective, T> body, TimeSpan? timeout = null)
    {
        TorchRuntime.Initialize();
        var group = new LocalGroup(world, timeout);
        var tasks = Enumerable.Range(0, world).Select(r => Task.Factory.StartNew(() =>
        {
            using var c = group.Join(r);
            return body(c);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(tasks, TimeSpan.FromSeconds(60)), "collective test hung");
        return tasks.Select(t => t.Result).ToArray();
    }

    private static float[] Input(int rank, int n) => Enumerable.Range(0, n).Select(i => (float)Math.Sin(rank * 1000 + i)).ToArray();

    [Theory]
    [InlineData(2, 10)]
    [InlineData(3, 1001)]
    [InlineData(4, 3)]
    [InlineData(3, 300_000)]
    public void AllReduceSumsOnEveryRank(int world, int n)
    {
        var expected = new float[n];
        for (int r = 0; r < world; r++) { var x = Input(r, n); for (int i = 0; i < n; i++) expected[i] += x[i]; }
        var results = OnEveryRank(world, c =>
        {
            using var t = tensor(Input(c.Rank, n));
            c.AllReduceSum(t);
            return t.data<float>().ToArray();
        });
        foreach (var result in results)
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(expected[i] - result[i]) < 1e-5, $"element {i}: {result[i]} != {expected[i]}");
    }

    [Fact]
    public void ReduceScatterLeavesEachRankItsChunkOfTheSum()
    {
        const int world = 3, n = 12;
        var results = OnEveryRank(world, c =>
        {
            using var input = tensor(Input(c.Rank, n));
            using var output = zeros(n / world);
            c.ReduceScatterSum(input, output);
            return output.data<float>().ToArray();
        });
        for (int r = 0; r < world; r++)
            for (int i = 0; i < n / world; i++)
                Assert.Equal(Enumerable.Range(0, world).Sum(q => Input(q, n)[r * (n / world) + i]), results[r][i], 4);
    }

    [Fact]
    public void AllGatherConcatenatesInRankOrderAndBroadcastCopiesTheRoot()
    {
        const int world = 4;
        var results = OnEveryRank(world, c =>
        {
            using var mine = full(3, (float)c.Rank);
            using var all = zeros(3 * world);
            c.AllGather(mine, all);
            using var b = full(5, (float)c.Rank);
            c.Broadcast(b, root: 2);
            return (all.data<float>().ToArray(), b.data<float>().ToArray());
        });
        foreach (var (gathered, broadcast) in results)
        {
            Assert.Equal(new float[] { 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3 }, gathered);
            Assert.All(broadcast, v => Assert.Equal(2f, v));
        }
    }

    [Fact]
    public void ADeadPeerFailsTheOthersInsteadOfHanging()
    {
        var clock = Stopwatch.StartNew();
        var results = OnEveryRank(3, c =>
        {
            if (c.Rank == 1) { c.Abort("rank 1 is going away"); return "left"; }
            using var t = ones(1000);
            try { c.AllReduceSum(t); return "completed"; }
            catch (CollectiveException ex) { return "failed: " + ex.Message; }
        }, timeout: TimeSpan.FromSeconds(20));
        Assert.Equal("left", results[1]);
        Assert.StartsWith("failed", results[0]);
        Assert.StartsWith("failed", results[2]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
    }
}
