using Athanor.Estimation;

namespace Athanor.Tests.Estimation;

public class GpuTypeTests
{
    [Theory]
    [InlineData(9, 0, 989)]
    [InlineData(8, 0, 312)]
    [InlineData(8, 6, 125)]
    public void AComputeCapabilityGivesItsGpusDenseBf16Peak(int major, int minor, double tflops) =>
        Assert.Equal(tflops, GpuType.FromComputeCapability(major, minor)!.PeakBf16Tflops);

    [Fact]
    public void AnUnknownComputeCapabilityHasNoPeak() => Assert.Null(GpuType.FromComputeCapability(7, 5));
}
