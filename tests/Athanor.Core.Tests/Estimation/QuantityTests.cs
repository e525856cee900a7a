using Athanor.Estimation;

namespace Athanor.Tests.Estimation;

public class QuantityTests
{
    [Theory]
    [InlineData("7e9", 7_000_000_000L)]
    [InlineData("7B", 7_000_000_000L)]
    [InlineData("7b", 7_000_000_000L)]
    [InlineData("7000000000", 7_000_000_000L)]
    [InlineData("7.5B", 7_500_000_000L)]
    [InlineData("500M", 500_000_000L)]
    [InlineData("20K", 20_000L)]
    [InlineData("1T", 1_000_000_000_000L)]
    [InlineData("1.5e10", 15_000_000_000L)]
    public void ParsesCounts(string text, long expected)
    {
        Assert.True(Quantity.TryParse(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("7x")]
    [InlineData("B")]
    [InlineData("-7B")]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("7,000")]
    [InlineData("1e30")]
    public void RefusesWhatIsNotACount(string text) => Assert.False(Quantity.TryParse(text, out _));

    [Theory]
    [InlineData(6_738_415_616, "6.74B")]
    [InlineData(19_988_480, "19.99M")]
    [InlineData(1_000_000_000_000, "1T")]
    public void FormatsForPeople(double count, string expected) => Assert.Equal(expected, Quantity.Format(count));
}
