using Athanor.Data.Sampling;

namespace Athanor.Tests.Data;

public sealed class TrainValidationSplitTests
{
    [Theory]
    [InlineData(0.0, 100, 0)]
    [InlineData(0.1, 100, 10)]
    [InlineData(0.1, 1090, 109)]
    [InlineData(0.01, 150, 2)] // ceil, as Hugging Face's train_test_split
    [InlineData(1.0, 10, 1)]   // 1 is a count
    [InlineData(25.0, 100, 25)]
    public void ValidationCountFollowsHuggingFace(double valSize, int count, int expected)
    {
        Assert.Equal(expected, TrainValidationSplit.ValidationCount(valSize, count));
    }

    [Fact]
    public void SplitIsASeededPartition()
    {
        var items = Enumerable.Range(0, 500).ToList();

        var (train, validation) = TrainValidationSplit.Split(items, 0.2, seed: 42);
        var (train2, validation2) = TrainValidationSplit.Split(items, 0.2, seed: 42);
        var (_, validation3) = TrainValidationSplit.Split(items, 0.2, seed: 43);

        Assert.Equal((400, 100), (train.Count, validation.Count));
        Assert.Equal(items, train.Concat(validation).Order());
        Assert.Equal(train, train2);
        Assert.Equal(validation, validation2);
        Assert.NotEqual(validation, validation3);
        Assert.NotEqual(items.Take(100), validation);
    }

    [Fact]
    public void NoValSizeKeepsTheOriginalOrder()
    {
        var items = new[] { "c", "a", "b" };

        var (train, validation) = TrainValidationSplit.Split(items, 0, seed: 1);

        Assert.Equal(items, train);
        Assert.Empty(validation);
    }
}
