using Athanor.Configuration;
using Athanor.Training;

namespace Athanor.Tests.Configuration;

/// <summary>
/// The switches that change what ranks compute or exchange are job keys: typed, validated, written back, and mapped
/// into the trainer's settings as values (no environment variable is read for them).
/// </summary>
public class ComputeSwitchKeysTests
{
    private static JobConfig Load(string extra, params string[] overrides) =>
        JobConfigLoader.Parse(TestConfigs.Minimal(extra), "job.yaml", overrides, Path.GetTempPath()).Config;

    [Fact]
    public void TheDefaultsAreTheOldEnvironmentDefaults()
    {
        var switches = ComputeSwitches.From(Load(""));
        Assert.Equal(ComputeSwitches.Default, switches);
        Assert.True(switches.FusedKernels);
        Assert.True(switches.Zero3Prefetch);
        Assert.True(switches.Zero3OverlapReduce);
        Assert.Null(switches.GradientBucketElements); // bucketed reduction is off unless asked for
    }

    [Fact]
    public void EveryKeyReachesTheTrainerSettings()
    {
        var config = Load("fused_kernels: false\nzero3_prefetch: false\nzero3_overlap_reduce: false\noverlap_grad_reduce: true\ngrad_bucket_mb: 50\n");
        var settings = Athanor.Jobs.JobPreparation.MapSettings(config, trainSamples: 8, worldSize: 1, zeroStage: 0);
        Assert.Equal(new ComputeSwitches { FusedKernels = false, Zero3Prefetch = false, Zero3OverlapReduce = false, GradientBucketElements = 12_500_000 },
            settings.Switches); // 50 MB of fp32
        Assert.Equal(25_000_000, Load("overlap_grad_reduce: true\n").GradientBucketElements); // 100 MB by default
        Assert.Null(Load("grad_bucket_mb: 50\n").GradientBucketElements);
    }

    [Fact]
    public void TheKeysTravelWithTheJobAsWrittenYaml()
    {
        var config = Load("", "fused_kernels=false", "zero3_prefetch=false", "overlap_grad_reduce=true", "grad_bucket_mb=12.5");
        var yaml = JobConfigWriter.ToYaml(config);
        var again = JobConfigLoader.Parse(yaml, "written.yaml", [], Path.GetTempPath()).Config;
        Assert.Equal(ComputeSwitches.From(config), ComputeSwitches.From(again));
        Assert.False(again.FusedKernels);
        Assert.Equal(12.5, again.GradBucketMb);
    }

    [Theory]
    [InlineData("fused_kernels: 0\n", "job.yaml:4: fused_kernels: '0' is not true or false; expected true or false")]
    [InlineData("zero3_prefetch: maybe\n", "job.yaml:4: zero3_prefetch: 'maybe' is not true or false; expected true or false")]
    [InlineData("grad_bucket_mb: -3\n", "job.yaml:4: grad_bucket_mb: -3.0 is out of range; expected a size in MB above 0 and at most 65536, such as 100")]
    [InlineData("grad_bucket_mb: 0\n", "job.yaml:4: grad_bucket_mb: 0.0 is out of range; expected a size in MB above 0 and at most 65536, such as 100")]
    public void BadValuesAreOneLineErrorsNamingKeyValueAndWhatIsAccepted(string extra, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => Load(extra));
        Assert.Equal(message, ex.Message);
    }
}
