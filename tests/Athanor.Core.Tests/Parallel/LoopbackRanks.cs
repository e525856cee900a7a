using Athanor.Parallel;

namespace Athanor.Tests.Parallel;

/// <summary>Runs a body on each of world ranks, one thread each, joined over a loopback TCP ring.</summary>
internal static class LoopbackRanks
{
    public static void Run(int world, Action<int, ICollective> body)
    {
        var group = new LocalGroup(world);
        var ranks = Enumerable.Range(0, world).Select(rank => Task.Factory.StartNew(() =>
        {
            using var collective = group.Join(rank);
            body(rank, collective);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(ranks, TimeSpan.FromMinutes(1)), "ranks hung");
    }
}
