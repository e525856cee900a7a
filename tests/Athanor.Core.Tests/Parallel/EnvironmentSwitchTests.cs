using Athanor.Parallel;

namespace Athanor.Tests.Parallel;

public class EnvironmentSwitchTests
{
    [Theory]
    [InlineData(null, true, true)]
    [InlineData("", false, false)]
    [InlineData("1", false, true)]
    [InlineData("0", true, false)]
    public void UnsetMeansTheDefaultAndOneOrZeroSwitch(string? value, bool defaultOn, bool expected) =>
        Assert.Equal(expected, EnvironmentSwitch.Parse("ATHANOR_ZERO3_OVERLAP_REDUCE", value, defaultOn));

    [Fact]
    public void AnythingElseNamesTheVariableTheValueAndWhatIsAccepted()
    {
        Assert.Equal("ATHANOR_ZERO3_OVERLAP_REDUCE 'off' is not valid; accepted: 1 (on, the default) or 0 (off)",
            Assert.Throws<ArgumentException>(() => EnvironmentSwitch.Parse("ATHANOR_ZERO3_OVERLAP_REDUCE", "off", defaultOn: true)).Message);
        Assert.Equal("ATHANOR_ZERO3_PREFETCH 'true' is not valid; accepted: 1 (on, the default) or 0 (off)",
            Assert.Throws<ArgumentException>(() => EnvironmentSwitch.Parse("ATHANOR_ZERO3_PREFETCH", "true", defaultOn: true)).Message);
    }
}
