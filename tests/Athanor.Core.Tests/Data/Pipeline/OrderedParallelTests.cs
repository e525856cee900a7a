using Athanor.Data.Pipeline;

namespace Athanor.Tests.Data.Pipeline;

public class OrderedParallelTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 7)]
    [InlineData(8, 64)]
    public void KeepsTheSourceOrderWhateverTheTimingOfWorkers(int workers, int batch)
    {
        var input = Enumerable.Range(0, 1000).ToList();
        var output = OrderedParallel.Map(input, i =>
        {
            if (i % 97 == 0) Thread.Sleep(2); // late batches must still come out in place
            return i * 3;
        }, workers, batch).ToList();
        Assert.Equal(input.Select(i => i * 3), output);
    }

    [Fact]
    public void ReportsTheFirstFailureInSourceOrderEvenWhenALaterOneHappensFirst()
    {
        var output = new List<int>();
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var x in OrderedParallel.Map(Enumerable.Range(0, 400), i =>
            {
                if (i == 10) { Thread.Sleep(50); throw new InvalidOperationException("item 10"); }
                if (i == 300) throw new InvalidOperationException("item 300");
                return i;
            }, workers: 4, batchSize: 8))
                output.Add(x);
        });
        Assert.Equal("item 10", error.Message);
        Assert.Equal(Enumerable.Range(0, 8), output); // everything before the failing batch, nothing after
    }

    [Fact]
    public void ASourceErrorComesAfterTheItemsReadBeforeIt()
    {
        static IEnumerable<int> Source()
        {
            for (int i = 0; i < 50; i++) yield return i;
            throw new IOException("source broke at 50");
        }
        var output = new List<int>();
        var error = Assert.Throws<IOException>(() => { foreach (var x in OrderedParallel.Map(Source(), i => i, 2, 16)) output.Add(x); });
        Assert.Equal("source broke at 50", error.Message);
        Assert.Equal(Enumerable.Range(0, 50), output);
    }
}
